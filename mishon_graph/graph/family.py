"""What building one edge family reports, and the small helpers the family builders share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mishon_graph.db.protocol import Runner

Advance = Callable[[int], None]
# Family -> the file deleting its edges. One file each: a dynamic type (`[r:$($type)]`) plans as
# DirectedAllRelationshipsScan + Filter on Neo4j 5.26 instead of a scan of that type alone.
DELETE_QUERIES = {
    "jaccard": "edges/jaccard_delete",  # JACCARD and the USED edges it is computed from
    "popular": "edges/popular_delete",
    "similar": "edges/similar_delete",
    "uses": "edges/uses_delete",
}


@dataclass
class FamilyResult:
    """Outcome of rebuilding one edge family.

    Attributes:
        family: ``jaccard``, ``popularity``, ``uses`` or ``similar``.
        edges: Edges written.
        seconds: Wall time of the rebuild (delete + compute + write).
        per_modality: Edges per modality label (``uses`` and ``similar``).
        before_cap: Edges per modality label without the k-NN cap (``similar``).
        details: Family-specific numbers (e.g. popular users, skipped users).
    """

    family: str
    edges: int = 0
    seconds: float = 0.0
    per_modality: dict[str, int] = field(default_factory=dict)
    before_cap: dict[str, int] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


def delete_family(runner: Runner, name: str, batch: int) -> None:
    """Delete every edge of family ``name`` (a key of :data:`DELETE_QUERIES`), batched and auto-commit,
    so a rebuild leaves nothing stale."""
    runner.run_file_autocommit(DELETE_QUERIES[name], {"batch": batch})


