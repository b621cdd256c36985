// Ids of the videos with no $label node carrying an embedding (the video lacks that modality).
MATCH (v:Video)
WHERE NOT EXISTS {
  MATCH (v)-[:HAS_MODALITY]->(m)
  WHERE $label IN labels(m) AND m.embedding IS NOT NULL
}
RETURN v.id AS id
ORDER BY id
