// The stored top-K lists of one run on one split.
// $run_id, $split. Returns `video_id`, `hashtag`, `rank` (one row per RECOMMENDS).
MATCH (v:Video)-[r:RECOMMENDS]->(h:Hashtag)
WHERE r.run_id = $run_id AND v.split = $split
RETURN v.id AS video_id, h.name AS hashtag, r.rank AS rank
