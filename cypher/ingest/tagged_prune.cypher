// Remove TAGGED links a video no longer has, rows {id, hashtags: [name]} (re-ingest with new settings).
// The subquery runs per video found by index seek, so the plan never scans hashtags or relationships.
UNWIND $rows AS row
MATCH (v:Video {id: row.id})
CALL (v, row) {
  MATCH (v)-[t:TAGGED]->(h)
  WHERE NOT h.name IN row.hashtags
  DELETE t
}
