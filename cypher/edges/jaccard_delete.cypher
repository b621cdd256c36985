// Deletes every JACCARD edge and the derived USED edges they are computed from (both rebuilt by
// each jaccard build), in batches of $batch (auto-commit: CALL { } IN TRANSACTIONS).
MATCH ()-[r:JACCARD|USED]->()
CALL (r) { DELETE r } IN TRANSACTIONS OF $batch ROWS
