// Link each video to its Acoustic node, rows {id}; run after both exist.
UNWIND $rows AS row
MATCH (v:Video {id: row.id})
MATCH (n:Acoustic {id: row.id})
MERGE (v)-[:HAS_MODALITY]->(n)
