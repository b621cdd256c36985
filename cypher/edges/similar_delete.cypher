// Deletes every SIMILAR edge (all modalities), in batches of $batch (auto-commit).
MATCH ()-[r:SIMILAR]->()
CALL (r) { DELETE r } IN TRANSACTIONS OF $batch ROWS
