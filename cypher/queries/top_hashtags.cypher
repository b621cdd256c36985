// Top-K recommended hashtags of one video from one stored run (default: the video's newest run
// of model $model, else its newest run of any model).
// $video_id: string - the video
// $run_id: string = "" - the RECOMMENDS run; empty to pick by $model
// $model: string = "mishon" - preferred model when no run id is given
// $limit: int = 10 - rows to return
// Returns: rank, hashtag, score, model, run_id
MATCH (v:Video {id: $video_id})-[r:RECOMMENDS]->(:Hashtag)
WHERE $run_id = '' OR r.run_id = $run_id
WITH v, r ORDER BY (r.model = $model) DESC, r.created_at DESC, r.run_id
WITH v, head(collect(r.run_id)) AS run
MATCH (v)-[r:RECOMMENDS {run_id: run}]->(h:Hashtag)
RETURN r.rank AS rank, h.name AS hashtag, r.score AS score, r.model AS model, r.run_id AS run_id
ORDER BY rank
LIMIT $limit
