// SIMILAR neighbours of the videos $ids that are videos of the splits in $splits (training: only
// their hashtags may vote), in any modality, with the cosine weight. SIMILAR is stored once per pair,
// so both directions are matched. Returns `video_id`, `neighbour`, `weight`.
UNWIND $ids AS vid
MATCH (:Video {id: vid})-[:HAS_MODALITY]->(m)-[r:SIMILAR]-(n)<-[:HAS_MODALITY]-(w:Video)
WHERE w.split IN $splits
RETURN vid AS video_id, w.id AS neighbour, coalesce(r.weight, 0.0) AS weight
