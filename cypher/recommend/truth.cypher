// Ground truth for evaluation: the videos of one split and user group with their TAGGED hashtags
// (every hashtag, also those outside the training vocabulary: they count in |G|).
// $split; $users: 'existing', 'cold' or 'all'. Returns `video_id`, `user_id`, `hashtags`.
MATCH (u:User)-[:POSTED]->(v:Video)
WHERE v.split = $split
  AND ($users = 'all' OR coalesce(u.cold_start, false) = ($users = 'cold'))
OPTIONAL MATCH (v)-[:TAGGED]->(h:Hashtag)
RETURN v.id AS video_id, u.id AS user_id, collect(h.name) AS hashtags
