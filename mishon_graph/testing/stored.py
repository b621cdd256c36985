"""The built edge families read back from Neo4j as plain dicts (``stored_*``), for tests and benchmarks.

Compare them with the ``expected_*`` computations of :mod:`mishon_graph.testing.reference`.
"""

from __future__ import annotations

from mishon_graph.constants import MODALITIES
from mishon_graph.db.protocol import Runner
from mishon_graph.graph.modalities import present_modalities

Pair = tuple[str, str]


def stored_jaccard_edges(runner: Runner) -> dict[Pair, float]:
    """(lower user id, higher user id) -> Jaccard weight."""
    return {(r["a"], r["b"]): r["weight"] for r in runner.run_file("graph/jaccard_edges")}


def stored_popular_edges(runner: Runner) -> dict[Pair, float]:
    """(popular user id, target user id) -> weight (the popular user's engagement)."""
    return {(r["a"], r["b"]): r["weight"] for r in runner.run_file("graph/popular_edges")}


def stored_similar_edges(runner: Runner) -> dict[str, dict[Pair, float]]:
    """Modality label -> {(lower id, higher id) -> cosine}; every label present, maybe empty."""
    out: dict[str, dict[Pair, float]] = {label: {} for label in MODALITIES.values()}
    for r in runner.run_file("graph/similar_edges", {"labels": list(MODALITIES.values())}):
        out[r["label"]][(r["a"], r["b"])] = r["weight"]
    return out


def stored_uses_edges(runner: Runner) -> dict[tuple[str, str, str], float]:
    """(user id, modality label, video id) -> weight."""
    rows = runner.run_file("graph/uses_edges", {"labels": list(MODALITIES.values())})
    return {(r["user"], r["label"], r["video"]): r["weight"] for r in rows}


def videos_missing_modalities(runner: Runner) -> dict[str, list[str]]:
    """For each modality the dataset has, the sorted ids of the videos without an embedded node of it."""
    return {
        name: [r["id"] for r in runner.run_file("graph/videos_missing_modality", {"label": MODALITIES[name]})]
        for name in present_modalities(runner)
    }
