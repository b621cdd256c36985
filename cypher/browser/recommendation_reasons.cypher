// Browser step 2: why $hashtag was recommended for $video_id, as paths: similar training videos
// (per modality) tagged with it, Jaccard-similar users who used it, popular users linked to the
// poster who used it. Edge captions show the weights.
// :param video_id => "<video id>"   :param hashtag => "<hashtag>"
// $video_id: string - the video
// $hashtag: string - the recommended hashtag
// Returns: path (one per reason, at most 25)
MATCH (v:Video {id: $video_id})
CALL (v) {
  MATCH path = (v)-[:HAS_MODALITY]->()-[:SIMILAR]-()<-[:HAS_MODALITY]-(o:Video)-[:TAGGED]->(:Hashtag {name: $hashtag})
  WHERE o.split = 'train'
  RETURN path
  UNION
  MATCH path = (v)<-[:POSTED]-(:User)-[:JACCARD]-(:User)-[:POSTED]->(o:Video)-[:TAGGED]->(:Hashtag {name: $hashtag})
  WHERE o.split = 'train'
  RETURN path
  UNION
  MATCH path = (v)<-[:POSTED]-(:User)<-[:POPULAR]-(:User)-[:POSTED]->(o:Video)-[:TAGGED]->(:Hashtag {name: $hashtag})
  WHERE o.split = 'train'
  RETURN path
}
RETURN path
LIMIT 25
