// Benchmark only: the $k approximate nearest Visual nodes of each node in $ids via the vector index.
// The index scores cosine as (1 + cos) / 2, so the cosine is 2 * score - 1.
UNWIND $ids AS id
MATCH (n:Visual {id: id})
CALL db.index.vector.queryNodes('bench_visual_embedding', $k, n.embedding) YIELD node, score
WITH id, node, score
WHERE node.id <> id
RETURN id, node.id AS other, 2 * score - 1 AS cosine
