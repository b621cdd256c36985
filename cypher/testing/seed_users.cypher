// Test/benchmark seeding only (ingestion writes real data): one batch of User nodes.
UNWIND $rows AS row
CREATE (:User {id: row.id, followers: row.followers, likes: row.likes, cold_start: row.cold_start})
