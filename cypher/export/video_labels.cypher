// Ground-truth hashtags of the videos $ids whose split is in $splits (train/valid only: test
// hashtags are never read here), compact: one row with parallel lists ids and hashtags (a list
// per video; videos without such hashtags are absent).
UNWIND $ids AS vid
MATCH (v:Video {id: vid})-[:TAGGED]->(h:Hashtag)
WHERE v.split IN $splits
WITH vid, collect(h.name) AS tags
RETURN collect(vid) AS ids, collect(tags) AS hashtags
