// Names of every hashtag in the graph (ingest removes those the new vocabulary no longer has).
MATCH (h:Hashtag)
RETURN h.name AS id
