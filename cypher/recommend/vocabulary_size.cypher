// Number of distinct hashtags on videos of the splits in $splits (the training vocabulary). Returns `n`.
MATCH (v:Video)-[:TAGGED]->(h:Hashtag)
WHERE v.split IN $splits
RETURN count(DISTINCT h) AS n
