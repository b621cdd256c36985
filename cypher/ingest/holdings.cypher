// What the graph holds per dataset (the `source` of videos and users) and its hashtag count, so an
// ingest can tell whether it would replace another dataset.
CALL () {
  MATCH (v:Video) RETURN coalesce(v.source, '') AS source, 'videos' AS kind, count(v) AS n
  UNION ALL
  MATCH (u:User) RETURN coalesce(u.source, '') AS source, 'users' AS kind, count(u) AS n
}
RETURN source, kind, n
