// Test/benchmark seeding only: one batch of Video nodes with their POSTED edge.
UNWIND $rows AS row
MATCH (u:User {id: row.user_id})
CREATE (u)-[:POSTED]->(:Video {id: row.id, user_id: row.user_id, split: row.split})
