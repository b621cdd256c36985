"""What the graph holds and whether its last ingest finished (read before writing or reading)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from mishon_graph.db.meta import read_meta
from mishon_graph.db.protocol import Runner
from mishon_graph.errors import MishonError

META_NAME = "ingest"
COMPLETE = "complete"
RUNNING = "running"


@dataclass(frozen=True)
class Holding:
    """Nodes of one dataset in the graph."""

    source: str
    videos: int = 0
    users: int = 0

    def describe(self) -> str:
        name = repr(self.source) if self.source else "without a dataset name"
        return f"dataset {name} ({self.videos} videos, {self.users} users)"


def holdings(runner: Runner) -> list[Holding]:
    """Videos and users per dataset name, largest first."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for row in runner.run_file("ingest/holdings"):
        counts[row["source"]][row["kind"]] = int(row["n"])
    found = [Holding(source, c.get("videos", 0), c.get("users", 0)) for source, c in counts.items()]
    return sorted(found, key=lambda h: (-h.videos, -h.users, h.source))


def last_ingest(runner: Runner) -> dict[str, Any]:
    """The properties of the ingest metadata node (empty when nothing was ever ingested)."""
    return read_meta(runner, META_NAME)


def require_complete(runner: Runner) -> None:
    """Refuse to read a graph whose last ingest did not finish.

    Raises:
        MishonError: The last ingest is still running or was interrupted.
    """
    meta = last_ingest(runner)
    status = meta.get("status")
    if status is None or status == COMPLETE:
        return
    source = meta.get("source", "?")
    raise MishonError(
        f"the graph is incomplete: the ingest of dataset {source!r} started {meta.get('started_at', '?')} "
        f"did not finish (status {status!r}); rerun the same `mishon ingest` command to complete it"
    )
