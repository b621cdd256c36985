"""Canonical records, preprocessing, splitting and batched writes into Neo4j."""
