// Waits up to $seconds for every index to come online (after the schema files are applied).
CALL db.awaitIndexes($seconds)
