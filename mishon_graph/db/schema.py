"""Constraints and indexes from ``cypher/schema/*.cypher``, applied idempotently; emptying a database."""

from __future__ import annotations

from mishon_graph.db.cypher_files import list_queries
from mishon_graph.db.protocol import Runner

INDEX_WAIT_SECONDS = 300


def apply_schema(runner: Runner) -> list[str]:
    """Create every constraint and index that does not exist yet; returns the files applied."""
    names = list_queries("schema")
    for name in names:
        runner.run_file(name, write=True)
    runner.run_file("db/await_indexes", {"seconds": INDEX_WAIT_SECONDS})
    return names


def wipe(runner: Runner, batch: int = 10000) -> None:
    """Delete every node and relationship (keeps the schema), in batches.

    Relationships go first, so no single transaction has to detach a densely connected node.
    """
    runner.run_file_autocommit("db/wipe_relationships", {"batch": batch})
    runner.run_file_autocommit("db/wipe_nodes", {"batch": batch})
