// Test/benchmark seeding only: one batch of Textual nodes {id, embedding} linked from their Video.
UNWIND $rows AS row
MATCH (v:Video {id: row.id})
CREATE (v)-[:HAS_MODALITY]->(:Textual {id: row.id, embedding: row.embedding})
