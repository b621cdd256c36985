// Connectivity check run by Neo4jRunner.verify.
RETURN 1 AS ok
