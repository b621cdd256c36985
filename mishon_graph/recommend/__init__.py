"""Recommendations in Neo4j: write-back, evaluation of stored runs, baselines and named queries."""
