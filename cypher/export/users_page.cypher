// One page of users in id order (ids greater than $after, at most $limit).
MATCH (u:User)
WHERE u.id > $after
WITH u ORDER BY u.id LIMIT $limit
RETURN u.id AS id, coalesce(u.cold_start, false) AS cold_start, coalesce(u.engagement, 0.0) AS engagement
