// Deletes every USES edge, in batches of $batch (auto-commit: CALL { } IN TRANSACTIONS).
MATCH ()-[r:USES]->()
CALL (r) { DELETE r } IN TRANSACTIONS OF $batch ROWS
