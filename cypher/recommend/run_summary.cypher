// Size of one stored run. $run_id. Returns `n` (relationships), `max_rank`, `models`.
MATCH ()-[r:RECOMMENDS]->()
WHERE r.run_id = $run_id
RETURN count(r) AS n, max(r.rank) AS max_rank, collect(DISTINCT r.model) AS models
