// Derived USED edges of the jaccard family: each user to every hashtag of their TRAINING videos,
// {count} = number of the user's training videos tagged with it (one edge per user and hashtag).
// The user-user Jaccard (edges/user_jaccard) reads only these, never the videos again.
// Returns every user with the size of their training hashtag set (0: no training hashtag).
// No leakage: only videos with split = $train contribute; validation/test hashtags never do.
// Batched by user with CALL { } IN TRANSACTIONS OF $batch ROWS (auto-commit).
MATCH (u:User)
CALL (u) {
  // v is left without its (implied) label so the planner always expands from u: with stale index
  // statistics (right after a load) it would otherwise seek every training video once per user.
  MATCH (u)-[:POSTED]->(v)-[:TAGGED]->(h:Hashtag)
  WHERE v.split = $train  // No leakage: training only
  WITH h, count(v) AS n
  CREATE (u)-[:USED {count: n}]->(h)
  RETURN count(*) AS size
} IN TRANSACTIONS OF $batch ROWS
RETURN u.id AS id, size
