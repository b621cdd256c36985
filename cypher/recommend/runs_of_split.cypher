// Stored runs that hold recommendations for videos of one split, newest first.
// $split. Returns `run_id`, `model`, `n` (relationships to that split's videos), `created_at`.
MATCH (v:Video)-[r:RECOMMENDS]->()
WHERE v.split = $split
RETURN r.run_id AS run_id, r.model AS model, count(r) AS n, max(r.created_at) AS created_at
ORDER BY created_at DESC, run_id
