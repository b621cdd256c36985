"""Constraints and indexes from ``cypher/schema/*.cypher``, applied idempotently."""

from __future__ import annotations

from mishon_graph.db.cypher_files import list_queries
from mishon_graph.db.runner import Runner


def apply_schema(runner: Runner) -> list[str]:
    """Create every constraint and index that does not exist yet; returns the files applied."""
    names = list_queries("schema")
    for name in names:
        runner.run_file(name, write=True)
    runner.run("CALL db.awaitIndexes(300)")
    return names


def wipe(runner: Runner, batch: int = 10000) -> None:
    """Delete every node and relationship (keeps the schema), in batches.

    Relationships go first, so no single transaction has to detach a densely connected node.
    """
    runner.run_autocommit(
        "MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF $batch ROWS", {"batch": batch}
    )
    runner.run_autocommit(
        "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF $batch ROWS", {"batch": batch}
    )
