// Store the pooled acoustic features on each video's Acoustic node (created and linked when absent),
// rows {id, embedding (list of float: mean of the unit features), encoder, dim, units}.
UNWIND $rows AS row
MATCH (v:Video {id: row.id})
MERGE (n:Acoustic {id: row.id})
MERGE (v)-[:HAS_MODALITY]->(n)
SET n.embedding = row.embedding, n.encoder = row.encoder, n.dim = row.dim, n.units = row.units
REMOVE n.missing_reason
