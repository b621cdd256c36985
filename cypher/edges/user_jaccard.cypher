// JACCARD edges for one batch of users $ids (paper 4.2.1, u-u existing users), computed over the
// derived USED edges (edges/jaccard_used), never through the videos.
// weight = |H_u & H_w| / |H_u | H_w| over TRAINING hashtag sets, kept when >= $gamma; each pair
// is computed and stored once (lower id -> higher id).
// Exact prefix filter (Bayardo et al., "Scaling up all pairs similarity search", WWW 2007): order
// hashtags globally by (number of users, name), rarest first; if J(u, w) >= $gamma then
// |H_u & H_w| >= ceil($gamma |H_u|) =: k, so H_w meets the first |H_u| - k + 1 hashtags of H_u.
// Only users w reached from that prefix are candidates; each candidate's overlap is then counted
// exactly over the whole sets. k is taken at least 1 (a pair must share a hashtag) and 1e-9 is
// subtracted before ceil so rounding can only lengthen the prefix (never lose a pair).
// No leakage: USED edges come from videos with split = train only.
UNWIND $ids AS uid
MATCH (u:User {id: uid})
CALL (u) {
  MATCH (u)-[:USED]->(h)  // No leakage: USED is training only
  WITH h ORDER BY COUNT { (h)<-[:USED]-() }, h.name
  RETURN collect(h) AS mine
}
WITH u, uid, mine, size(mine) AS a, toInteger(ceil($gamma * size(mine) - 1e-9)) AS k
CALL (uid, mine, a, k) {
  UNWIND mine[..(a - CASE WHEN k < 1 THEN 1 ELSE k END + 1)] AS h
  MATCH (h)<-[:USED]-(w:User)  // No leakage: USED is training only
  WHERE w.id > uid
  RETURN DISTINCT w
}
WITH u, a, w, COUNT { (w)-[:USED]->(x) WHERE x IN mine } AS shared
WITH u, w, toFloat(shared) / (a + COUNT { (w)-[:USED]->() } - shared) AS weight
WHERE weight >= $gamma
CREATE (u)-[:JACCARD {weight: weight}]->(w)
RETURN count(*) AS edges
