// Algorithm 1, step 2: each popular user (ids from edges/popular_users) gets POPULAR edges to every
// cold-start user (or, when $to_all, to every other user); weight = the popular user's engagement.
// $popular: ids; $to_all; auto-commit: $batch popular users per transaction. Returns `edges`.
UNWIND $popular AS pid
MATCH (p:User {id: pid})
CALL (p) {
  MATCH (c:User)
  WHERE c <> p AND ($to_all OR c.cold_start = true)
  CREATE (p)-[:POPULAR {weight: p.engagement}]->(c)
  RETURN count(*) AS created
} IN TRANSACTIONS OF $batch ROWS
RETURN sum(created) AS edges
