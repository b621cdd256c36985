// Users the graph build must handle specially: cold-start users, users without any training
// hashtag (no Jaccard edges possible), followers = 0, unknown followers or likes.
MATCH (u:User)
WITH u, EXISTS { (u)-[:POSTED]->(:Video {split: $train})-[:TAGGED]->(:Hashtag) } AS has_tags
RETURN count(u) AS users,
       sum(CASE WHEN u.cold_start = true THEN 1 ELSE 0 END) AS cold_start,
       sum(CASE WHEN has_tags THEN 0 ELSE 1 END) AS without_training_hashtags,
       sum(CASE WHEN u.followers = 0 THEN 1 ELSE 0 END) AS zero_followers,
       sum(CASE WHEN u.followers IS NULL THEN 1 ELSE 0 END) AS unknown_followers,
       sum(CASE WHEN u.likes IS NULL THEN 1 ELSE 0 END) AS unknown_likes
