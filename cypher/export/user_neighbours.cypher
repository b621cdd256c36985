// One hop from the users $ids: users linked by JACCARD or POPULAR (either direction) and videos
// whose modality nodes they USE.
UNWIND $ids AS uid
MATCH (u:User {id: uid})
CALL (u) {
  MATCH (u)-[:JACCARD|POPULAR]-(w:User)
  RETURN 'user' AS kind, w.id AS id
  UNION
  MATCH (u)-[:USES]->(m)
  RETURN 'video' AS kind, m.id AS id
}
RETURN DISTINCT kind, id
