// One hop from the videos $ids: videos whose modality nodes are SIMILAR to theirs (either
// direction), and users linked to their modality nodes by USES or who posted them.
UNWIND $ids AS vid
MATCH (v:Video {id: vid})
CALL (v) {
  MATCH (v)-[:HAS_MODALITY]->()-[:SIMILAR]-(b)
  RETURN 'video' AS kind, b.id AS id
  UNION
  MATCH (v)-[:HAS_MODALITY]->()<-[:USES]-(u:User)
  RETURN 'user' AS kind, u.id AS id
  UNION
  MATCH (u:User)-[:POSTED]->(v)
  RETURN 'user' AS kind, u.id AS id
}
RETURN DISTINCT kind, id
