// Link each video to its Visual node, rows {id}; run after both exist.
UNWIND $rows AS row
MATCH (v:Video {id: row.id})
MATCH (n:Visual {id: row.id})
MERGE (v)-[:HAS_MODALITY]->(n)
