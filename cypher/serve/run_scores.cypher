// The stored top-K of run $run_id for the videos $ids, with scores (checks that serve agrees).
// Returns `video_id`, `hashtag`, `rank`, `score`.
UNWIND $ids AS vid
MATCH (:Video {id: vid})-[r:RECOMMENDS]->(h:Hashtag)
WHERE r.run_id = $run_id
RETURN vid AS video_id, h.name AS hashtag, r.rank AS rank, r.score AS score
