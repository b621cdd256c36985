// Ids and embeddings of the Visual nodes that have one, ordered by id (input of the SIMILAR edges).
MATCH (n:Visual)
WHERE n.embedding IS NOT NULL
RETURN n.id AS id, n.embedding AS embedding
ORDER BY id
