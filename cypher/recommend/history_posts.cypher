// Training posts for mishon+ and the history baselines: poster, creation time, caption and hashtags.
// Only videos of the splits in $splits (training) are returned, so no valid/test hashtag is read.
// Returns `video_id`, `user_id`, `created_at`, `text`, `hashtags`.
MATCH (u:User)-[:POSTED]->(v:Video)
WHERE v.split IN $splits
OPTIONAL MATCH (v)-[:TAGGED]->(h:Hashtag)
RETURN v.id AS video_id, u.id AS user_id, toString(v.created_at) AS created_at, v.text AS text,
       collect(h.name) AS hashtags
ORDER BY video_id
