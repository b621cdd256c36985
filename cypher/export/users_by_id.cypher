// Users by id ($ids): cold-start flag and engagement rate (0 when unknown).
UNWIND $ids AS uid
MATCH (u:User {id: uid})
RETURN u.id AS id, coalesce(u.cold_start, false) AS cold_start, coalesce(u.engagement, 0.0) AS engagement
