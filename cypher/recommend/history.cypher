// Training history for the baselines: videos of the splits in $splits with poster and hashtags.
// Returns `video_id`, `user_id`, `hashtags` (videos without hashtags are left out).
MATCH (u:User)-[:POSTED]->(v:Video)-[:TAGGED]->(h:Hashtag)
WHERE v.split IN $splits
RETURN v.id AS video_id, u.id AS user_id, collect(h.name) AS hashtags
