// User-user links for mishon+: JACCARD (undirected: both directions returned) and POPULAR (from the
// popular user), with weights. Returns `type`, `source`, `target`, `weight`.
MATCH (a:User)-[r:JACCARD|POPULAR]->(b:User)
RETURN type(r) AS type, a.id AS source, b.id AS target, coalesce(r.weight, 0.0) AS weight
