// The encoder names recorded on the modality nodes that have an embedding, per label.
// Returns `labels`, `encoders` (distinct names).
MATCH (m)
WHERE (m:Visual OR m:Acoustic OR m:Textual) AND m.embedding IS NOT NULL
RETURN labels(m) AS labels, collect(DISTINCT m.encoder) AS encoders
