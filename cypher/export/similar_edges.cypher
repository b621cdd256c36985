// SIMILAR edges leaving the modality nodes of the videos $ids (each pair is stored once, so
// reading outgoing edges of every exported video reads each pair once). Modality node id = video id.
UNWIND $ids AS vid
MATCH (:Video {id: vid})-[:HAS_MODALITY]->(a)-[r:SIMILAR]->(b)
RETURN vid AS a, b.id AS b, labels(a) AS labels, r.weight AS weight
