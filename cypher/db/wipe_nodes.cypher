// Deletes every node (their relationships went first) in batches of $batch (auto-commit).
MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF $batch ROWS
