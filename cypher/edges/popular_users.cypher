// Algorithm 1, step 1 (the one place this rule lives; graph build, inference and serve all read it):
// the popular users are the first ceil(alpha * number of users) by engagement descending, ties by id
// ascending; the product is rounded to 9 decimals first, so that e.g. 0.1 * 30 gives 3, not 4.
// $alpha. Returns `id`, `engagement` of each popular user, in rank order.
MATCH (u:User)
WITH u ORDER BY u.engagement DESC, u.id ASC
WITH collect(u) AS ranked
WITH ranked, toInteger(ceil(round($alpha * size(ranked), 9))) AS n_popular
UNWIND ranked[0..n_popular] AS p
RETURN p.id AS id, coalesce(p.engagement, 0.0) AS engagement
