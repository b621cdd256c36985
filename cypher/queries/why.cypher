// Why a hashtag fits a video: the graph neighbours that carry it in training, with edge weights.
// Three kinds of reason: `similar_video` (a training video similar in one modality, via = Visual,
// Acoustic or Textual), `similar_user` (a Jaccard-similar user who used it), `popular_user` (a
// popular user linked to the poster by POPULAR who used it). `uses` counts the neighbour's
// training videos tagged with the hashtag.
// $video_id: string - the video
// $hashtag: string - the hashtag (normalised name)
// $limit: int = 10 - rows per kind of reason
// Returns: reason, via, neighbour, weight, uses
MATCH (v:Video {id: $video_id})-[:HAS_MODALITY]->(m)-[s:SIMILAR]-(n)<-[:HAS_MODALITY]-(o:Video)
WHERE o.split = 'train' AND EXISTS { (o)-[:TAGGED]->(:Hashtag {name: $hashtag}) }
RETURN 'similar_video' AS reason, labels(m)[0] AS via, o.id AS neighbour, s.weight AS weight, 1 AS uses
ORDER BY weight DESC, neighbour LIMIT $limit
UNION ALL
MATCH (:Video {id: $video_id})<-[:POSTED]-(u:User)-[j:JACCARD]-(o:User)-[:POSTED]->(t:Video)
WHERE t.split = 'train' AND EXISTS { (t)-[:TAGGED]->(:Hashtag {name: $hashtag}) }
RETURN 'similar_user' AS reason, 'JACCARD' AS via, o.id AS neighbour, j.weight AS weight, count(t) AS uses
ORDER BY weight DESC, neighbour LIMIT $limit
UNION ALL
MATCH (:Video {id: $video_id})<-[:POSTED]-(u:User)<-[p:POPULAR]-(o:User)-[:POSTED]->(t:Video)
WHERE t.split = 'train' AND EXISTS { (t)-[:TAGGED]->(:Hashtag {name: $hashtag}) }
RETURN 'popular_user' AS reason, 'POPULAR' AS via, o.id AS neighbour, p.weight AS weight, count(t) AS uses
ORDER BY weight DESC, neighbour LIMIT $limit
