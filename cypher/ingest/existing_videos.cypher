// Ids of every video in the graph (ingest removes those the new dataset no longer has).
MATCH (v:Video)
RETURN v.id AS id
