// Users similar to a user: JACCARD neighbours (Jaccard of training hashtag sets) by weight.
// $user_id: string - the user
// $limit: int = 10 - rows to return
// Returns: user, jaccard, shared (training hashtags both used), videos (their training videos)
MATCH (u:User {id: $user_id})-[j:JACCARD]-(o:User)
CALL (u, o) {
  MATCH (u)-[:POSTED]->(a:Video)-[:TAGGED]->(h:Hashtag)<-[:TAGGED]-(b:Video)<-[:POSTED]-(o)
  WHERE a.split = 'train' AND b.split = 'train'
  RETURN collect(DISTINCT h.name) AS shared
}
RETURN o.id AS user, j.weight AS jaccard, shared,
       COUNT { (o)-[:POSTED]->(t:Video) WHERE t.split = 'train' } AS videos
ORDER BY jaccard DESC, user
LIMIT $limit
