// Benchmark only: waits for every index (the vector index) to come online.
CALL db.awaitIndexes($seconds)
