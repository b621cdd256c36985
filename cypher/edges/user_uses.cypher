// USES edges (weight 1): each user to the Visual/Acoustic/Textual nodes of every video they posted
// (all splits: a video's content is known, only its hashtags are held out). Batched by user
// with CALL { } IN TRANSACTIONS OF $batch ROWS (auto-commit).
MATCH (u:User)
CALL (u) {
  MATCH (u)-[:POSTED]->(:Video)-[:HAS_MODALITY]->(m)
  WHERE m:Visual OR m:Acoustic OR m:Textual
  WITH DISTINCT m
  CREATE (u)-[:USES {weight: 1}]->(m)
  RETURN count(*) AS created
} IN TRANSACTIONS OF $batch ROWS
RETURN sum(created) AS edges
