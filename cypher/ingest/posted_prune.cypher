// Remove POSTED links to a video from anyone but its current poster, rows {user_id, video_id}.
// The subquery runs per video found by index seek, so the plan never scans users or relationships.
UNWIND $rows AS row
MATCH (v:Video {id: row.video_id})
CALL (v, row) {
  MATCH (u)-[p:POSTED]->(v)
  WHERE u.id <> row.user_id
  DELETE p
}
