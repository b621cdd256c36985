// Deletes every relationship in batches of $batch, so no transaction detaches a dense node (auto-commit).
MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF $batch ROWS
