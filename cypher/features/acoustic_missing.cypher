// Mark videos that lack acoustic features: the Acoustic node (created and linked when absent) gets
// missing_reason and loses any embedding, rows {id, reason}. The graph step drops such videos.
UNWIND $rows AS row
MATCH (v:Video {id: row.id})
MERGE (n:Acoustic {id: row.id})
MERGE (v)-[:HAS_MODALITY]->(n)
SET n.missing_reason = row.reason
REMOVE n.embedding, n.encoder, n.dim, n.units
