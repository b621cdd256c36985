// Every stored run, newest first. Returns `run_id`, `model`, `n` (relationships), `created_at`.
MATCH ()-[r:RECOMMENDS]->()
RETURN r.run_id AS run_id, r.model AS model, count(r) AS n, max(r.created_at) AS created_at
ORDER BY created_at DESC, run_id
