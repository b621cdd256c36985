// Write one batch of recommendations: one row per (video, hashtag) of a run's top-K lists.
// $rows: [{video_id, hashtag, score, rank}]; $model, $run_id, $created_at: shared by the run.
UNWIND $rows AS row
MATCH (v:Video {id: row.video_id})
MATCH (h:Hashtag {name: row.hashtag})
CREATE (v)-[:RECOMMENDS {
  score: row.score, rank: row.rank, model: $model, run_id: $run_id, created_at: $created_at
}]->(h)
