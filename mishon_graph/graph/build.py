"""``graph build``: rebuild the chosen MISHON edge families in Neo4j and record the parameters.

Families (paper 4.2.1, rules in each module's docstring):

- ``jaccard``: :mod:`mishon_graph.graph.jaccard` (Cypher, training hashtags only);
- ``popularity``: :mod:`mishon_graph.graph.popularity` (Cypher, Algorithm 1);
- ``uses``: :mod:`mishon_graph.graph.uses` (Cypher);
- ``similar``: :mod:`mishon_graph.graph.similar` (exact blocked cosine, or approximate k-NN with exact
  weights for large modalities, written back with UNWIND).

Rebuilding a family first deletes all of its edges (batched), so no duplicate or stale edge
survives; the parameters of the families rebuilt are stored on ``(:GraphMeta {name: 'graph'})``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mishon_graph.config import Config
from mishon_graph.db.meta import read_meta as read_meta_node
from mishon_graph.db.protocol import Runner
from mishon_graph.errors import MishonError
from mishon_graph.graph.family import FamilyResult
from mishon_graph.graph.jaccard import build_jaccard
from mishon_graph.graph.popularity import build_popularity
from mishon_graph.graph.similar import build_similar
from mishon_graph.graph.uses import build_uses

FAMILIES: tuple[str, ...] = ("jaccard", "popularity", "uses", "similar")
META_NAME = "graph"
_PARAMS: dict[str, tuple[str, ...]] = {
    "jaccard": ("gamma",),
    "popularity": ("alpha", "popular_to_all"),
    "uses": (),
    "similar": ("theta", "knn_cap", "knn_mode"),
}


@dataclass
class BuildReport:
    """What :func:`build_graph` did.

    Attributes:
        families: One :class:`FamilyResult` per family rebuilt, in build order.
        params: The parameters recorded on the GraphMeta node.
    """

    families: dict[str, FamilyResult] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def edges(self) -> dict[str, int]:
        """Edges written per family."""
        return {name: r.edges for name, r in self.families.items()}

    @property
    def seconds(self) -> dict[str, float]:
        """Wall seconds per family."""
        return {name: r.seconds for name, r in self.families.items()}

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able summary."""
        return {
            "params": self.params,
            "families": {
                name: {
                    "edges": r.edges,
                    "seconds": round(r.seconds, 3),
                    "per_modality": r.per_modality,
                    "before_cap": r.before_cap,
                    **r.details,
                }
                for name, r in self.families.items()
            },
        }


def parse_families(text: str | Sequence[str] | None) -> list[str]:
    """Family names from ``"jaccard,uses"`` or a sequence; ``None`` means all, in build order.

    Raises:
        MishonError: for an unknown or empty name.
    """
    if text is None:
        return list(FAMILIES)
    names = [n.strip().lower() for n in (text.split(",") if isinstance(text, str) else text)]
    bad = [n for n in names if n not in FAMILIES]
    if bad or not names:
        raise MishonError(
            f"unknown edge family {bad[0] if bad else '(empty)'!r}: choose from {', '.join(FAMILIES)}"
        )
    return [n for n in FAMILIES if n in names]


def build_graph(
    runner: Runner, config: Config, *, families: Sequence[str] | None = None, progress: bool = True
) -> BuildReport:
    """Rebuild the given edge families (all by default) and record the parameters used.

    Args:
        runner: Database seam.
        config: theta, gamma, alpha, knn_cap, knn_mode, popular_to_all, seed and batch_rows are read.
        families: Any of ``jaccard``, ``popularity``, ``uses``, ``similar``.
        progress: Show transient progress bars on stderr.

    Returns:
        Edge counts per family and modality, uncapped SIMILAR counts and seconds per family.
    """
    names = parse_families(families)
    report = BuildReport()
    for name in names:
        if name == "jaccard":
            result = build_jaccard(runner, config, progress=progress)
        elif name == "popularity":
            result = build_popularity(runner, config)
        elif name == "uses":
            result = build_uses(runner, config)
        else:
            result = build_similar(runner, config, progress=progress)
        report.families[name] = result
    report.params = _record(runner, config, report)
    return report


def _record(runner: Runner, config: Config, report: BuildReport) -> dict[str, Any]:
    """Store the parameters of the rebuilt families on the GraphMeta node; returns them."""
    built_at = datetime.now(UTC).isoformat(timespec="seconds")
    props: dict[str, Any] = {"built_at": built_at, "families": list(report.families)}
    for name, result in report.families.items():
        for key in _PARAMS[name]:
            props[key] = getattr(config, key)
        props[f"{name}_built_at"] = built_at
        props[f"{name}_edges"] = result.edges
    if "similar" in report.families:
        # knn_cap None cannot be stored as a property (null removes it): record "none" instead.
        props["knn_cap"] = "none" if config.knn_cap is None else config.knn_cap
        props["similar_before_cap"] = json.dumps(report.families["similar"].before_cap, sort_keys=True)
        props["similar_per_modality"] = json.dumps(report.families["similar"].per_modality, sort_keys=True)
        # The k-NN mode each modality used and, where approximate, the sampled recall of the exact top k.
        props["similar_knn"] = json.dumps(report.families["similar"].details.get("knn", {}), sort_keys=True)
        props["similar_recall"] = json.dumps(
            report.families["similar"].details.get("recall", {}), sort_keys=True
        )
    runner.run_file("graph/meta_update", {"name": META_NAME, "props": props}, write=True)
    return props


def read_meta(runner: Runner) -> dict[str, Any]:
    """Properties of the GraphMeta node of the last build (empty when none ran)."""
    return read_meta_node(runner, META_NAME)
