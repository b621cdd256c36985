// Delete up to $limit RECOMMENDS relationships of one run; called until it returns 0.
// $run_id: the run to clear. Returns `deleted`.
MATCH ()-[r:RECOMMENDS]->()
WHERE r.run_id = $run_id
WITH r LIMIT $limit
DELETE r
RETURN count(*) AS deleted
