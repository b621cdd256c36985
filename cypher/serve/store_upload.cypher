// Store one uploaded video with everything a built graph has for it, in one transaction (this one
// statement), idempotent per video id: the video (split 'test', source $source) and its poster
// (created as a cold-start user when new, with POPULAR links from $popular); its modality nodes with
// their pooled embedding, USES from the poster and SIMILAR edges ($visual/$acoustic/$textual: null
// when the video lacks the modality, else {embedding, encoder, dim, units, similar: [{id, weight}]},
// each pair stored lower id -> higher id); and its top-k RECOMMENDS of run $run_id. Storing the same id
// again replaces what the earlier store wrote. A video of the dataset (another source) is never
// touched: then no row is returned.
// $video: {id, user_id, text, created_at}; $recommends: [{hashtag, score, rank}]; $popular: [{id, weight}].
OPTIONAL MATCH (old:Video {id: $video.id})
WITH old
WHERE old IS NULL OR old.source = $source
MERGE (u:User {id: $video.user_id})
  ON CREATE SET u.cold_start = true, u.engagement = 0.0, u.source = $source
MERGE (v:Video {id: $video.id})
SET v.user_id = $video.user_id, v.created_at = $video.created_at, v.text = $video.text, v.split = 'test',
    v.source = $source
WITH u, v
OPTIONAL MATCH (a:Visual {id: v.id})
OPTIONAL MATCH (b:Acoustic {id: v.id})
OPTIONAL MATCH (c:Textual {id: v.id})
DETACH DELETE a, b, c
WITH DISTINCT u, v
CALL (u, v) {
  OPTIONAL MATCH (o:User)-[p:POSTED]->(v)
  WHERE o <> u
  DELETE p
}
CALL (v) {
  OPTIONAL MATCH (v)-[r:RECOMMENDS {run_id: $run_id}]->()
  DELETE r
}
MERGE (u)-[:POSTED]->(v)
WITH u, v
CALL (u) {
  UNWIND CASE WHEN coalesce(u.cold_start, false) THEN $popular ELSE [] END AS p
  MATCH (q:User {id: p.id})
  WHERE q <> u
  MERGE (q)-[r:POPULAR]->(u)
  SET r.weight = p.weight
}
CALL (u, v) {
  UNWIND CASE WHEN $visual IS NULL THEN [] ELSE [$visual] END AS row
  CREATE (v)-[:HAS_MODALITY]->(m:Visual {id: v.id})
  SET m.embedding = row.embedding, m.encoder = row.encoder, m.dim = row.dim, m.units = row.units
  CREATE (u)-[:USES {weight: 1}]->(m)
  WITH m, row
  UNWIND row.similar AS s
  MATCH (o:Visual {id: s.id})
  FOREACH (_ IN CASE WHEN m.id < o.id THEN [1] ELSE [] END | CREATE (m)-[:SIMILAR {weight: s.weight}]->(o))
  FOREACH (_ IN CASE WHEN m.id > o.id THEN [1] ELSE [] END | CREATE (o)-[:SIMILAR {weight: s.weight}]->(m))
}
CALL (u, v) {
  UNWIND CASE WHEN $acoustic IS NULL THEN [] ELSE [$acoustic] END AS row
  CREATE (v)-[:HAS_MODALITY]->(m:Acoustic {id: v.id})
  SET m.embedding = row.embedding, m.encoder = row.encoder, m.dim = row.dim, m.units = row.units
  CREATE (u)-[:USES {weight: 1}]->(m)
  WITH m, row
  UNWIND row.similar AS s
  MATCH (o:Acoustic {id: s.id})
  FOREACH (_ IN CASE WHEN m.id < o.id THEN [1] ELSE [] END | CREATE (m)-[:SIMILAR {weight: s.weight}]->(o))
  FOREACH (_ IN CASE WHEN m.id > o.id THEN [1] ELSE [] END | CREATE (o)-[:SIMILAR {weight: s.weight}]->(m))
}
CALL (u, v) {
  UNWIND CASE WHEN $textual IS NULL THEN [] ELSE [$textual] END AS row
  CREATE (v)-[:HAS_MODALITY]->(m:Textual {id: v.id})
  SET m.embedding = row.embedding, m.encoder = row.encoder, m.dim = row.dim, m.units = row.units
  CREATE (u)-[:USES {weight: 1}]->(m)
  WITH m, row
  UNWIND row.similar AS s
  MATCH (o:Textual {id: s.id})
  FOREACH (_ IN CASE WHEN m.id < o.id THEN [1] ELSE [] END | CREATE (m)-[:SIMILAR {weight: s.weight}]->(o))
  FOREACH (_ IN CASE WHEN m.id > o.id THEN [1] ELSE [] END | CREATE (o)-[:SIMILAR {weight: s.weight}]->(m))
}
CALL (v) {
  UNWIND $recommends AS row
  MATCH (h:Hashtag {name: row.hashtag})
  CREATE (v)-[:RECOMMENDS {
    score: row.score, rank: row.rank, model: $model, run_id: $run_id, created_at: $created_at
  }]->(h)
}
RETURN v.id AS video_id
