// Hashtags trending among a user's similar users: training hashtags of the user's JACCARD
// neighbours, each neighbour's uses weighted by its Jaccard weight.
// $user_id: string - the user
// $limit: int = 10 - rows to return
// Returns: hashtag, score (sum of weight x uses), users (neighbours who used it), uses, last_used, own (the user used it too)
MATCH (u:User {id: $user_id})-[j:JACCARD]-(o:User)-[:POSTED]->(t:Video)-[:TAGGED]->(h:Hashtag)
WHERE t.split = 'train'
WITH u, h, sum(j.weight) AS score, count(DISTINCT o) AS users, count(t) AS uses, max(t.created_at) AS last_used
RETURN h.name AS hashtag, score, users, uses, last_used,
       EXISTS { (u)-[:POSTED]->(s:Video)-[:TAGGED]->(h) WHERE s.split = 'train' } AS own
ORDER BY score DESC, hashtag
LIMIT $limit
