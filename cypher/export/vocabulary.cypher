// The hashtag vocabulary: hashtags of videos in split $split (training), by name, with counts.
MATCH (:Video {split: $split})-[:TAGGED]->(h:Hashtag)
RETURN h.name AS name, count(*) AS videos
ORDER BY name
