// Pooled embeddings of one modality ($label: a modality label from constants) for one page of
// videos in id order (ids greater than $after, at most $limit).
MATCH (v:Video)-[:HAS_MODALITY]->(m)
WHERE v.id > $after AND $label IN labels(m) AND m.embedding IS NOT NULL
WITH v, m ORDER BY v.id LIMIT $limit
RETURN v.id AS id, m.embedding AS embedding
