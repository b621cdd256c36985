// Browser step 1: a video, its poster and the hashtags recommended by its newest MISHON run
// (else its newest run of any model), as a graph.
// In Neo4j Browser set the parameter first: :param video_id => "<video id>"
// $video_id: string - the video
// Returns: u (User), p (POSTED), v (Video), r (RECOMMENDS, caption = rank), h (Hashtag)
MATCH (v:Video {id: $video_id})-[r:RECOMMENDS]->(:Hashtag)
WITH v, r ORDER BY (r.model = 'mishon') DESC, r.created_at DESC, r.run_id
WITH v, head(collect(r.run_id)) AS run
MATCH (u:User)-[p:POSTED]->(v)-[r:RECOMMENDS {run_id: run}]->(h:Hashtag)
RETURN u, p, v, r, h
