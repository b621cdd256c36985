// Every SIMILAR edge, compact: one row per modality (its labels) with parallel lists a, b (node ids =
// video ids) and weight (the cosine graph build stored). Each pair is stored once, so each is read once.
// serve uses them to know each node's own top k (what a new node must beat to be kept).
MATCH (m)-[r:SIMILAR]->(n)
WITH labels(m) AS labels, collect(m.id) AS a, collect(n.id) AS b, collect(coalesce(r.weight, 0.0)) AS weight
RETURN labels, a, b, weight
