"""The compact (parallel-list) export reads give exactly the seeded edges, whatever the chunk size."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from learn_graph import seed

from mishon_graph.db.runner import Runner
from mishon_graph.learn.data import ExportedGraph
from mishon_graph.learn.export import export_graph, read_rows
from mishon_graph.testing.learn_rows import legacy_rows

UNWEIGHTED = "MATCH (a:Textual {id: $a}), (b:Textual {id: $b}) CREATE (a)-[:SIMILAR]->(b)"


@pytest.fixture
def seeded(db: Runner, tmp_path: Path, neo4j_server):
    rows, feats = legacy_rows(60, 6, 12, units={"visual": (3, 5), "textual": (2, 4)}, cold_users=1, seed=5)
    seed(db, rows, feats, tmp_path)
    return db, tmp_path, neo4j_server, rows


def same_graph(g1: ExportedGraph, g2: ExportedGraph) -> None:
    assert (g1.video_ids, g1.user_ids, g1.hashtags) == (g2.video_ids, g2.user_ids, g2.hashtags)
    for k in ("video_user", "split", "user_cold", "engagement"):
        assert torch.equal(getattr(g1, k), getattr(g2, k)), k
    assert g1.labels.shape == g2.labels.shape
    assert torch.equal(g1.labels.ptr, g2.labels.ptr) and torch.equal(g1.labels.idx, g2.labels.idx)
    assert sorted(g1.data.edge_types) == sorted(g2.data.edge_types)
    for store in [*g1.data.node_types, *g1.data.edge_types]:
        for key, value in g1.data[store].items():
            other = g2.data[store][key]
            assert torch.equal(value, other) if torch.is_tensor(value) else value == other, (store, key)


def test_rows_are_exactly_the_seeded_edges_and_labels(seeded) -> None:
    db, home, server, rows = seeded
    got = read_rows(db, server.config(home, batch_rows=7))  # many chunks and pages
    assert [v["id"] for v in got.videos] == sorted(v["id"] for v in rows.videos)
    assert {v["id"]: (v["user_id"], v["split"]) for v in got.videos} == {
        v["id"]: (v["user_id"], v["split"]) for v in rows.videos
    }
    for m in ("visual", "textual"):
        assert sorted(got.similar[m]) == sorted(rows.similar[m])
    assert sorted(got.social) == sorted(rows.social)
    posted = [(v["user_id"], v["id"], m) for v in rows.videos for m in ("visual", "textual")]
    assert sorted(got.uses) == sorted(posted)
    # No leakage: test videos' hashtags are not read.
    tags = rows.labels
    seen = [v["id"] for v in rows.videos if v["split"] != "test" and tags[v["id"]]]
    assert got.labels == {vid: sorted(tags[vid]) for vid in seen}
    assert read_rows(db, server.config(home), labels=False).labels == {}


def test_chunk_size_does_not_change_the_graph_and_unset_weights_read_as_zero(seeded) -> None:
    db, home, server, rows = seeded
    a, b = rows.videos[0]["id"], rows.videos[1]["id"]
    db.run(UNWEIGHTED, {"a": a, "b": b}, write=True)
    small = export_graph(db, server.config(home, batch_rows=5))
    large = export_graph(db, server.config(home, batch_rows=10_000))
    same_graph(small, large)
    sim = large.data["textual", "similar", "textual"]
    pair = (sim.edge_index[0] == small.video_index[a]) & (sim.edge_index[1] == small.video_index[b])
    assert sim.edge_weight[pair].tolist() == [0.0]
    assert sim.edge_index.shape[1] == 2 * (len(rows.similar["textual"]) + 1)
