// SIMILAR degree summary (undirected) per modality label, modality nodes with neither SIMILAR nor
// USES edges (isolated in the MISHON graph), and nodes without an embedding.
MATCH (n:Visual)
WITH 'Visual' AS label, n, COUNT { (n)-[:SIMILAR]-() } AS similar, COUNT { (n)<-[:USES]-() } AS uses
RETURN label, count(n) AS nodes, min(similar) AS similar_min, avg(similar) AS similar_mean,
       max(similar) AS similar_max, sum(CASE WHEN similar + uses = 0 THEN 1 ELSE 0 END) AS isolated,
       sum(CASE WHEN n.embedding IS NULL THEN 1 ELSE 0 END) AS without_embedding
UNION ALL
MATCH (n:Acoustic)
WITH 'Acoustic' AS label, n, COUNT { (n)-[:SIMILAR]-() } AS similar, COUNT { (n)<-[:USES]-() } AS uses
RETURN label, count(n) AS nodes, min(similar) AS similar_min, avg(similar) AS similar_mean,
       max(similar) AS similar_max, sum(CASE WHEN similar + uses = 0 THEN 1 ELSE 0 END) AS isolated,
       sum(CASE WHEN n.embedding IS NULL THEN 1 ELSE 0 END) AS without_embedding
UNION ALL
MATCH (n:Textual)
WITH 'Textual' AS label, n, COUNT { (n)-[:SIMILAR]-() } AS similar, COUNT { (n)<-[:USES]-() } AS uses
RETURN label, count(n) AS nodes, min(similar) AS similar_min, avg(similar) AS similar_mean,
       max(similar) AS similar_max, sum(CASE WHEN similar + uses = 0 THEN 1 ELSE 0 END) AS isolated,
       sum(CASE WHEN n.embedding IS NULL THEN 1 ELSE 0 END) AS without_embedding
