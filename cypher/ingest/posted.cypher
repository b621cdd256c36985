// Link each video to its poster, rows {user_id, video_id}; run after users and videos exist.
UNWIND $rows AS row
MATCH (u:User {id: row.user_id})
MATCH (v:Video {id: row.video_id})
MERGE (u)-[:POSTED]->(v)
