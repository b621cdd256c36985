"""The metadata nodes ``(:GraphMeta {name})`` that ingest (``name: 'ingest'``) and ``graph build``
(``name: 'graph'``) keep their state and parameters on: one read for every package."""

from __future__ import annotations

from typing import Any

from mishon_graph.db.protocol import Runner


def read_meta(runner: Runner, name: str) -> dict[str, Any]:
    """The properties of ``(:GraphMeta {name: $name})`` as stored (empty when there is none)."""
    rows = runner.run_file("graph/meta_read", {"name": name})
    return dict(rows[0]["props"]) if rows else {}
