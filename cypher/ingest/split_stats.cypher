// Paper Table 1 counts for the videos whose split is in $splits, optionally only cold-start
// ($cold_start = true) or only existing ($cold_start = false) users; null means all users.
MATCH (u:User)-[:POSTED]->(v:Video)
WHERE v.split IN $splits AND ($cold_start IS NULL OR u.cold_start = $cold_start)
OPTIONAL MATCH (v)-[:TAGGED]->(h:Hashtag)
RETURN count(DISTINCT v) AS videos, count(DISTINCT u) AS users, count(h) AS assignments,
       count(DISTINCT h) AS hashtags
