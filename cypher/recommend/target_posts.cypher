// Videos to recommend for: those of one split posted by one user group, with caption (no hashtags read).
// $split; $users: 'existing', 'cold' or 'all'. Returns `video_id`, `user_id`, `text`, sorted by video id.
MATCH (u:User)-[:POSTED]->(v:Video)
WHERE v.split = $split
  AND ($users = 'all' OR coalesce(u.cold_start, false) = ($users = 'cold'))
RETURN v.id AS video_id, u.id AS user_id, v.text AS text
ORDER BY video_id
