// Test/benchmark seeding only: one batch of Acoustic nodes {id, embedding} linked from their Video.
UNWIND $rows AS row
MATCH (v:Video {id: row.id})
CREATE (v)-[:HAS_MODALITY]->(:Acoustic {id: row.id, embedding: row.embedding})
