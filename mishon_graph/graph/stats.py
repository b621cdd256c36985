"""``graph stats``: node and edge counts, degree summaries, isolated and special nodes."""

from __future__ import annotations

import json
from typing import Any

from mishon_graph.constants import MODALITIES, TRAIN
from mishon_graph.db.protocol import Runner
from mishon_graph.graph.build import read_meta
from mishon_graph.graph.modalities import present_modalities

_EMPTY_MODALITY = {
    "nodes": 0,
    "similar_min": 0,
    "similar_mean": 0.0,
    "similar_max": 0,
    "isolated": 0,
    "without_embedding": 0,
}


def _summary(row: dict[str, Any], prefix: str) -> dict[str, float]:
    return {
        "min": row[f"{prefix}_min"] or 0,
        "mean": float(row[f"{prefix}_mean"] or 0.0),
        "max": row[f"{prefix}_max"] or 0,
    }


def graph_stats(runner: Runner) -> dict[str, Any]:
    """Everything ``mishon graph stats`` shows, as plain data.

    Returns:
        ``nodes`` (label -> count), ``edges`` (type or ``TYPE_Label`` -> count), ``degrees``
        (family -> {min, mean, max}; SIMILAR per modality label), ``isolated`` (label -> nodes with
        no MISHON edge: users without JACCARD/POPULAR/USES, modality nodes without SIMILAR/USES),
        ``users`` (cold-start, without training hashtags, followers = 0, unknown followers/likes),
        ``videos_missing`` (modality label -> videos without an embedded node of it, for the
        modalities the dataset has), ``similar_before_cap`` / ``similar_after_cap`` (label -> edges,
        from the last build) and ``meta`` (the GraphMeta properties).
    """
    nodes = dict(runner.run_file("graph/node_counts")[0])
    edges = dict(runner.run_file("graph/edge_counts")[0])
    users = runner.run_file("graph/user_degrees")[0]
    degrees: dict[str, dict[str, float]] = {
        "JACCARD": _summary(users, "jaccard"),
        "POPULAR": _summary(users, "popular"),
        "USES": _summary(users, "uses"),
    }
    isolated = {"User": int(users["isolated"] or 0)}
    by_label = {r["label"]: r for r in runner.run_file("graph/modality_degrees")}
    without_embedding = {}
    for label in MODALITIES.values():
        row = by_label.get(label, {"label": label, **_EMPTY_MODALITY})
        degrees[f"SIMILAR_{label}"] = _summary(row, "similar")
        isolated[label] = int(row["isolated"] or 0)
        without_embedding[label] = int(row["without_embedding"] or 0)
    issues = runner.run_file("graph/user_issues", {"train": TRAIN})[0]
    missing = {}
    for name in present_modalities(runner):
        label = MODALITIES[name]
        missing[label] = len(runner.run_file("graph/videos_missing_modality", {"label": label}))
    meta = read_meta(runner)
    return {
        "nodes": nodes,
        "edges": edges,
        "degrees": degrees,
        "isolated": isolated,
        "users": {k: int(v or 0) for k, v in issues.items()},
        "videos_missing": missing,
        "modality_nodes_without_embedding": without_embedding,
        "similar_before_cap": _json_field(meta, "similar_before_cap"),
        "similar_after_cap": {label: int(edges[f"SIMILAR_{label}"]) for label in MODALITIES.values()},
        "meta": meta,
    }


def _json_field(meta: dict[str, Any], key: str) -> dict[str, int]:
    return json.loads(meta[key]) if key in meta else {}
