// One page of videos in id order (keyset pagination: ids greater than $after, at most $limit):
// id, poster (POSTED, else Video.user_id) and split.
MATCH (v:Video)
WHERE v.id > $after
WITH v ORDER BY v.id LIMIT $limit
OPTIONAL MATCH (u:User)-[:POSTED]->(v)
RETURN v.id AS id, coalesce(u.id, v.user_id) AS user_id, v.split AS split
