// Deletes every POPULAR edge, in batches of $batch (auto-commit: CALL { } IN TRANSACTIONS).
MATCH ()-[r:POPULAR]->()
CALL (r) { DELETE r } IN TRANSACTIONS OF $batch ROWS
