// Ground-truth hashtags of the videos $ids whose split is in $splits (train/valid only:
// test hashtags are never read here).
UNWIND $ids AS vid
MATCH (v:Video {id: vid})-[:TAGGED]->(h:Hashtag)
WHERE v.split IN $splits
RETURN vid AS id, collect(h.name) AS hashtags
