// One page of videos in id order (keyset pagination: ids greater than $after, at most $limit),
// compact: one row whose list videos holds [id, poster (POSTED, else Video.user_id), split] per video.
MATCH (v:Video)
WHERE v.id > $after
WITH v ORDER BY v.id LIMIT $limit
OPTIONAL MATCH (u:User)-[:POSTED]->(v)
RETURN collect([v.id, coalesce(u.id, v.user_id), v.split]) AS videos
