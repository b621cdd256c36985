// Deletes every JACCARD edge, in batches of $batch (auto-commit: CALL { } IN TRANSACTIONS).
MATCH ()-[r:JACCARD]->()
CALL (r) { DELETE r } IN TRANSACTIONS OF $batch ROWS
