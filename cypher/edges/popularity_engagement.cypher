// Algorithm 1, step 1: engagement rate Er = likes / followers stored on every User.
// Er = 0 for cold-start users (no history may be used), and when likes or followers are unknown
// or followers <= 0 (no division by zero).
MATCH (u:User)
SET u.engagement = CASE
  WHEN coalesce(u.cold_start, false) OR u.likes IS NULL OR u.followers IS NULL OR u.followers <= 0
    THEN 0.0
  ELSE toFloat(u.likes) / u.followers
END
RETURN count(u) AS users, sum(CASE WHEN u.engagement > 0 THEN 1 ELSE 0 END) AS engaged
