// SIMILAR edges leaving the modality nodes of the videos $ids, compact: one row per modality
// (its labels) with parallel lists a (video id), b (neighbour video id) and weight (0 when unset),
// in match order. Each pair is stored once, so reading the outgoing edges of every exported video
// reads each pair once. Modality node id = video id.
UNWIND $ids AS vid
MATCH (:Video {id: vid})-[:HAS_MODALITY]->(m)-[r:SIMILAR]->(n)
WITH labels(m) AS labels, collect(vid) AS a, collect(n.id) AS b, collect(coalesce(r.weight, 0.0)) AS weight
RETURN labels, a, b, weight
