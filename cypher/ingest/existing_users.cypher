// Ids of every user in the graph (ingest removes those the new dataset no longer has).
MATCH (u:User)
RETURN u.id AS id
