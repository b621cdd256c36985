// Each user with at least one training hashtag and the size of that set, ordered by id.
// No leakage: only videos with split = $train count; validation and test hashtags never do.
MATCH (u:User)-[:POSTED]->(:Video {split: $train})-[:TAGGED]->(h:Hashtag)  // No leakage
RETURN u.id AS id, count(DISTINCT h) AS size
ORDER BY id
