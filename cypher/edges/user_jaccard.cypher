// JACCARD edges for one batch of users $ids (paper 4.2.1, u-u existing users).
// For each user u, only users w that share at least one training hashtag are visited, and only
// w.id > u.id, so each pair is computed and stored once (lower id -> higher id).
// weight = |H_u & H_w| / |H_u | H_w| over TRAINING hashtag sets, kept when >= $gamma.
// $sizes maps user id -> size of the training hashtag set (from edges/jaccard_user_sizes).
// No leakage: every hop to a hashtag goes through a Video with split = $train.
UNWIND $ids AS uid
MATCH (u:User {id: uid})
CALL (u) {
  MATCH (u)-[:POSTED]->(:Video {split: $train})-[:TAGGED]->(h:Hashtag)  // No leakage: training only
  RETURN collect(DISTINCT h) AS mine
}
UNWIND mine AS h
MATCH (h)<-[:TAGGED]-(:Video {split: $train})<-[:POSTED]-(w:User)  // No leakage: training only
WHERE w.id > u.id
WITH u, size(mine) AS a, w, count(DISTINCT h) AS shared
WITH u, w, toFloat(shared) / (a + $sizes[w.id] - shared) AS weight
WHERE weight >= $gamma
CREATE (u)-[:JACCARD {weight: weight}]->(w)
RETURN count(*) AS edges
