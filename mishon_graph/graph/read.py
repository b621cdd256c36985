"""Reading the built edge families back as plain dicts (tests, benchmarks, exports)."""

from __future__ import annotations

from mishon_graph.constants import MODALITIES
from mishon_graph.db.runner import Runner

Pair = tuple[str, str]


def jaccard_edges(runner: Runner) -> dict[Pair, float]:
    """(lower user id, higher user id) -> Jaccard weight."""
    return {(r["a"], r["b"]): r["weight"] for r in runner.run_file("graph/jaccard_edges")}


def popular_edges(runner: Runner) -> dict[Pair, float]:
    """(popular user id, target user id) -> weight (the popular user's engagement)."""
    return {(r["a"], r["b"]): r["weight"] for r in runner.run_file("graph/popular_edges")}


def similar_edges(runner: Runner) -> dict[str, dict[Pair, float]]:
    """Modality label -> {(lower id, higher id) -> cosine}; every label present, maybe empty."""
    out: dict[str, dict[Pair, float]] = {label: {} for label in MODALITIES.values()}
    for r in runner.run_file("graph/similar_edges", {"labels": list(MODALITIES.values())}):
        out[r["label"]][(r["a"], r["b"])] = r["weight"]
    return out


def uses_edges(runner: Runner) -> dict[tuple[str, str, str], float]:
    """(user id, modality label, video id) -> weight."""
    rows = runner.run_file("graph/uses_edges", {"labels": list(MODALITIES.values())})
    return {(r["user"], r["label"], r["video"]): r["weight"] for r in rows}
