"""``graph build --knn approx`` on the hand-made graph: same SIMILAR edges and weights as the exact
build, the mode and the sampled recall recorded on GraphMeta."""

from __future__ import annotations

import json
import math

import pytest
from test_graph_build import hand_made

from mishon_graph.db.runner import Runner
from mishon_graph.graph.build import build_graph, read_meta
from mishon_graph.testing.seed import seed_graph
from mishon_graph.testing.stored import stored_similar_edges


def test_approx_knn_matches_the_exact_edges_and_records_recall(db: Runner, tmp_path, neo4j_server) -> None:
    seed_graph(db, hand_made())
    config = neo4j_server.config(tmp_path, knn_cap=1, knn_mode="approx")
    report = build_graph(db, config, families=["similar"], progress=False)
    visual = stored_similar_edges(db)["Visual"]
    assert set(visual) == {("v1", "v4"), ("v2", "v4"), ("v2", "v3")}
    assert visual[("v1", "v4")] == pytest.approx(1 / math.sqrt(1.01), abs=1e-9)  # float32 embeddings
    similar = report.families["similar"]
    assert similar.details["knn"]["Visual"] == "approx" and similar.details["recall"]["Visual"] == 1.0
    assert similar.before_cap["Visual"] == 4  # 4 nodes <= the 500-row sample: counted exactly
    meta = read_meta(db)
    assert meta["knn_mode"] == "approx"
    assert json.loads(meta["similar_knn"])["Visual"] == "approx"
    assert json.loads(meta["similar_recall"])["Visual"] == 1.0
