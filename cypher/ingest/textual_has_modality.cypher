// Link each video to its Textual node, rows {id}; run after both exist.
UNWIND $rows AS row
MATCH (v:Video {id: row.id})
MATCH (n:Textual {id: row.id})
MERGE (v)-[:HAS_MODALITY]->(n)
