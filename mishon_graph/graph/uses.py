"""User-to-modality edges (weight 1): a user to the modality nodes of every video they posted."""

from __future__ import annotations

import time

from mishon_graph.config import Config
from mishon_graph.constants import ACOUSTIC, TEXTUAL, VISUAL
from mishon_graph.db.protocol import Runner
from mishon_graph.graph.family import FamilyResult, delete_family


def build_uses(runner: Runner, config: Config) -> FamilyResult:
    """Replace every USES edge (batched by user inside Neo4j with ``CALL { } IN TRANSACTIONS``)."""
    t0 = time.perf_counter()
    delete_family(runner, "uses", config.batch_rows * 10)
    rows = runner.run_file_autocommit("edges/user_uses", {"batch": config.batch_rows})
    counts = runner.run_file("graph/edge_counts")[0]
    per_modality = {label: int(counts[f"USES_{label}"]) for label in (VISUAL, ACOUSTIC, TEXTUAL)}
    edges = int(rows[0]["edges"] or 0) if rows else 0
    return FamilyResult("uses", edges, time.perf_counter() - t0, per_modality=per_modality)
