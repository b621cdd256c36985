// Modality node labels present in the graph (Visual/Acoustic/Textual reached by HAS_MODALITY and
// holding an embedding: a node without one records a missing modality), with their node counts.
MATCH (:Video)-[:HAS_MODALITY]->(m)
WHERE m.embedding IS NOT NULL
UNWIND labels(m) AS label
RETURN label, count(*) AS nodes
