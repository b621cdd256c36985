// Delete stale videos and their modality nodes, rows {id}.
UNWIND $rows AS row
MATCH (v:Video {id: row.id})
OPTIONAL MATCH (v)-[:HAS_MODALITY]->(m)
DETACH DELETE v, m
