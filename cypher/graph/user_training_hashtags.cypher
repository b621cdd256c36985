// Distinct (user, hashtag) pairs over training videos (input of the in-memory sparse Jaccard
// reference in benchmarks). No leakage: only videos with split = $train.
MATCH (u:User)-[:POSTED]->(:Video {split: $train})-[:TAGGED]->(h:Hashtag)
RETURN DISTINCT u.id AS user, h.name AS hashtag
