// Modality embeddings of the videos of the splits in $splits (for content k-NN).
// Returns `video_id`, `labels` (the modality node's labels), `embedding`.
MATCH (v:Video)-[:HAS_MODALITY]->(m)
WHERE v.split IN $splits AND m.embedding IS NOT NULL
RETURN v.id AS video_id, labels(m) AS labels, m.embedding AS embedding
