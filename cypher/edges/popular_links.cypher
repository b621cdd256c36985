// Algorithm 1, step 2: the top $alpha fraction of users by engagement are popular and get
// POPULAR edges to every cold-start user (or, when $to_all, to every other user).
// Ranking: engagement descending, ties broken by id ascending (deterministic).
// Number popular = ceil(alpha * number of users), the product rounded to 9 decimals first so
// that e.g. 0.1 * 30 gives 3, not 4.  weight = the popular user's engagement.
// Auto-commit: $batch popular users per transaction.
MATCH (u:User)
WITH u ORDER BY u.engagement DESC, u.id ASC
WITH collect(u) AS ranked
WITH ranked, toInteger(ceil(round($alpha * size(ranked), 9))) AS n_popular
UNWIND ranked[0..n_popular] AS p
CALL (p) {
  MATCH (c:User)
  WHERE c <> p AND ($to_all OR c.cold_start = true)
  CREATE (p)-[:POPULAR {weight: p.engagement}]->(c)
  RETURN count(*) AS created
} IN TRANSACTIONS OF $batch ROWS
RETURN sum(created) AS edges
