"""The GNN's probabilities for a new video equal the full-graph forward of the graph holding it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from mishon_graph.learn.artifact import Artifact
from mishon_graph.learn.batches import full_input
from mishon_graph.learn.data import GraphRows, build_graph
from mishon_graph.learn.model import MishonModel
from mishon_graph.serve.gnn import InductiveGNN
from mishon_graph.testing.learn_rows import SyntheticFeatures, synthetic_rows

UNITS = {"visual": (3, 4), "textual": (2, 5)}


def _artifact(rows: GraphRows, variant: str, depth: int, aggregator: str = "mean") -> Artifact:
    torch.manual_seed(0)
    trained = sorted({v["user_id"] for v in rows.videos if v["split"] == "train"})
    meta = {
        "in_dims": {m: d for m, (_, d) in UNITS.items()},
        "user_ids": trained,
        "hashtags": rows.hashtags,
        "hidden_dim": 8,
        "depth": depth,
        "aggregator": aggregator,
        "normalize": True,
        "dropout": 0.0,
        "variant": variant,
    }
    model = MishonModel(
        meta["in_dims"], len(trained), len(rows.hashtags), 8, depth, aggregator, True, 0.0, variant
    )
    return Artifact({k: v.clone() for k, v in model.state_dict().items()}, meta)


def _without(rows: GraphRows, video: str, user: str | None = None) -> GraphRows:
    """``rows`` minus one video (and, given, its user) and every edge that touches them."""
    return dataclasses.replace(
        rows,
        videos=[v for v in rows.videos if v["id"] != video],
        users=[u for u in rows.users if u["id"] != user],
        similar={m: [e for e in es if video not in e[:2]] for m, es in rows.similar.items()},
        social=[s for s in rows.social if user not in s[:2]],
        uses=[u for u in rows.uses if u[1] != video],
    )


def _full(art: Artifact, rows: GraphRows, feats: SyntheticFeatures, video: str) -> np.ndarray:
    graph = build_graph(rows, feats)
    model = art.build_model()
    with torch.no_grad():
        inp = full_input(graph, art.user_rows(graph.user_ids), torch.tensor([graph.video_index[video]]))
        return torch.softmax(model(*inp.args()), dim=-1)[0].numpy()


def _neighbours(rows: GraphRows, video: str) -> dict[str, list[str]]:
    return {
        m: [b if a == video else a for a, b, _ in es if video in (a, b)] for m, es in rows.similar.items()
    }


@pytest.mark.parametrize(
    ("variant", "depth", "aggregator"),
    [
        ("mishon", 2, "mean"),
        ("mishon", 1, "max"),
        ("mishon", 3, "sum"),
        ("content_only", 2, "mean"),
        ("no_refinement", 2, "mean"),
        ("heterogeneous", 2, "mean"),
    ],
)
def test_existing_user_matches_the_full_graph(variant: str, depth: int, aggregator: str) -> None:
    rows, feats = synthetic_rows(120, 12, 20, units=UNITS, cold_users=2, seed=3)
    art = _artifact(rows, variant, depth, aggregator)
    video = next(v["id"] for v in rows.videos if v["split"] == "test" and v["user_id"] == "u00003")
    want = _full(art, rows, feats, video)
    gnn = InductiveGNN(art, build_graph(_without(rows, video), feats))
    units = {m: feats.get(video, m) for m in UNITS}
    got = gnn.probabilities(units, _neighbours(rows, video), "u00003")
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


def test_a_graph_video_gets_its_full_graph_output() -> None:
    rows, feats = synthetic_rows(80, 8, 12, units=UNITS, seed=6)
    art = _artifact(rows, "mishon", 2)
    gnn = InductiveGNN(art, build_graph(rows, feats))
    for video in ("v000003", "v000010"):
        np.testing.assert_allclose(gnn.graph_probabilities(video), _full(art, rows, feats, video), rtol=1e-5)


def test_new_user_with_popular_links_matches_the_full_graph() -> None:
    rows, feats = synthetic_rows(120, 12, 20, units=UNITS, cold_users=2, seed=4)
    popular = sorted({s[0] for s in rows.social if s[2] == "POPULAR"})
    video = "v999999"
    feats.topics[video] = 1
    grown = dataclasses.replace(
        rows,
        videos=rows.videos + [{"id": video, "user_id": "newbie", "split": "test"}],
        users=rows.users + [{"id": "newbie", "cold_start": True, "engagement": 0.0}],
        similar={
            m: es + [("v000001", video, 0.9), ("v000007", video, 0.8)] for m, es in rows.similar.items()
        },
        social=rows.social + [(p, "newbie", "POPULAR", 0.5) for p in popular],
        uses=rows.uses + [("newbie", video, m) for m in UNITS],
    )
    art = _artifact(rows, "mishon", 2)
    want = _full(art, grown, feats, video)
    gnn = InductiveGNN(art, build_graph(rows, feats))
    units = {m: feats.get(video, m) for m in UNITS}
    got = gnn.probabilities(units, {m: ["v000001", "v000007"] for m in UNITS}, None, popular)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    assert gnn.probabilities(units, {}, "someone-unknown", popular).shape == want.shape


def test_a_missing_modality_still_gives_a_distribution() -> None:
    rows, feats = synthetic_rows(60, 6, 10, units=UNITS, seed=5)
    gnn = InductiveGNN(_artifact(rows, "mishon", 2), build_graph(rows, feats))
    p = gnn.probabilities({"visual": np.ones((2, 4), dtype=np.float32)}, {"visual": ["v000002"]}, "u00001")
    assert p.shape == (len(rows.hashtags),) and np.isclose(p.sum(), 1.0) and np.isfinite(p).all()
