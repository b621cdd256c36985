// Test/benchmark seeding only: one batch of Visual nodes {id, embedding} linked from their Video.
UNWIND $rows AS row
MATCH (v:Video {id: row.id})
CREATE (v)-[:HAS_MODALITY]->(:Visual {id: row.id, embedding: row.embedding})
