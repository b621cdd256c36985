"""Export from a real Neo4j, train, score test videos and new videos; the CLI end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from learn_graph import seed

from mishon_graph.cli import cli
from mishon_graph.db.runner import Runner
from mishon_graph.errors import MishonError
from mishon_graph.learn.artifact import load_artifact
from mishon_graph.learn.export import export_graph
from mishon_graph.learn.infer import score_new_video, score_videos
from mishon_graph.learn.train import train, train_graph
from mishon_graph.learn.trainer import recall_at_k
from mishon_graph.testing.learn_rows import legacy_rows, synthetic_rows

UNITS = {"visual": (3, 12), "textual": (4, 10)}


@pytest.fixture
def seeded(db: Runner, tmp_path: Path, neo4j_server):
    rows, feats = legacy_rows(200, 10, 30, units=UNITS, n_topics=5, cold_users=2, seed=3)
    seed(db, rows, feats, tmp_path)
    config = neo4j_server.config(
        tmp_path, epochs=15, patience=50, hidden_dim=16, lr=1e-2, device="cpu", k=3, batch_rows=64
    )
    return db, config, rows, feats


def test_export_round_trips_ids_and_never_exports_test_hashtags(seeded) -> None:
    db, config, rows, _ = seeded
    g = export_graph(db, config)
    assert g.video_ids == sorted(v["id"] for v in rows.videos)
    assert g.user_ids == sorted(u["id"] for u in rows.users)
    assert g.hashtags == rows.hashtags
    assert g.meta == {"name": "graph", "theta": 0.5, "knn_cap": 10}
    for v in rows.videos:
        i = g.video_index[v["id"]]
        assert g.user_ids[int(g.video_user[i])] == v["user_id"]
        expected = (
            sorted(t for t in rows.labels[v["id"]] if t in g.hashtag_index) if v["split"] != "test" else []
        )
        assert sorted(g.hashtags[j] for j in g.labels[torch.tensor([i])].idx.tolist()) == expected
    n_sim = len(rows.similar["visual"])
    assert g.data["visual", "similar", "visual"].edge_index.shape[1] == 2 * n_sim
    assert g.data["user", "uses", "textual"].edge_index.shape[1] == len(rows.videos)
    n_pop = sum(1 for s in rows.social if s[2] == "POPULAR")
    assert g.data["user", "popular", "user"].edge_index.shape[1] == 2 * n_pop
    assert torch.equal(g.data["visual"].mask.sum(dim=1), torch.full((200,), 3))


def test_subgraph_export_is_the_hop_neighbourhood(seeded) -> None:
    db, config, rows, _ = seeded
    target = rows.videos[0]["id"]
    g0 = export_graph(db, config, video_ids=[target], hops=0)
    assert g0.video_ids == [target] and g0.user_ids == [rows.videos[0]["user_id"]]
    g1 = export_graph(db, config, video_ids=[target], hops=1)
    sim = {b for a, b, _ in rows.similar["visual"] if a == target} | {
        a for a, b, _ in rows.similar["visual"] if b == target
    }
    assert sim <= set(g1.video_ids)
    assert rows.videos[0]["user_id"] in g1.user_ids  # its poster, one USES hop away
    owned = {v["id"] for v in rows.videos if v["user_id"] == rows.videos[0]["user_id"]}
    assert owned <= set(export_graph(db, config, video_ids=[target], hops=2).video_ids)
    with pytest.raises(MishonError, match="'nope' is not in the graph"):
        export_graph(db, config, video_ids=["nope"])


def test_train_on_exported_graph_learns_and_scores(seeded, tmp_path: Path) -> None:
    db, config, rows, feats = seeded
    res = train(db, config, out=tmp_path / "m.pt", progress=False)
    assert min(h.valid_loss for h in res.history) < 0.8 * res.history[0].valid_loss
    art = load_artifact(res.artifact)
    assert art.meta["encoders"] == {"visual": "synthetic", "textual": "synthetic"}
    assert art.meta["graph_params"]["theta"] == 0.5
    scores = score_videos(db, config, res.artifact)
    truth = {v["id"]: rows.labels[v["id"]] for v in rows.videos if v["split"] == "test"}
    assert scores.video_ids == sorted(truth)
    np.testing.assert_allclose(scores.scores.sum(axis=1), 1.0, rtol=1e-5)
    labels = torch.tensor(
        [[1.0 if h in truth[v] else 0.0 for h in scores.hashtags] for v in scores.video_ids]
    )
    recall = recall_at_k(torch.from_numpy(scores.scores), labels, 3)
    rand = recall_at_k(torch.rand(labels.shape, generator=torch.Generator().manual_seed(0)), labels, 3)
    assert recall > 3 * rand and recall > 0.3
    one = score_videos(db, config, res.artifact, video_ids=[scores.video_ids[0]])
    np.testing.assert_allclose(one.scores[0], scores.scores[0], atol=0.05)  # J-hop subgraph vs whole graph

    # Problem 1 and 2: a new video of topic 0 by an existing user and by a new user.
    topic0 = next(v for v, t in feats.topics.items() if t == 0)
    new_units = {m: feats.get(topic0, m) + 0.1 for m in UNITS}
    topic_tags = set(rows.labels[topic0])
    for user in (rows.videos[0]["user_id"], None):
        got = score_new_video(db, config, res.artifact, unit_features=new_units, user_id=user)
        assert list(got) and sum(got.values()) == pytest.approx(1.0, rel=1e-5)
        assert len(set(list(got)[:3]) & topic_tags) >= 2
    with pytest.raises(MishonError, match="needs textual features"):
        score_new_video(db, config, res.artifact, unit_features={"visual": new_units["visual"]})

    # A graph whose training vocabulary changed no longer matches the artifact.
    db.run(
        "MATCH (v:Video {split: 'train'}) WITH v LIMIT 1 MERGE (h:Hashtag {name: 'brandnew'}) "
        "CREATE (v)-[:TAGGED]->(h)",
        write=True,
    )
    with pytest.raises(MishonError, match="vocabulary"):
        score_videos(db, config, res.artifact)


def test_same_seed_same_numbers_from_neo4j(seeded, tmp_path: Path) -> None:
    db, config, _, _ = seeded
    cfg = config.with_overrides(epochs=2)
    a = train(db, cfg, out=tmp_path / "a.pt", progress=False)
    b = train(db, cfg, out=tmp_path / "b.pt", progress=False, minibatch=False)
    assert [h.valid_loss for h in a.history] == [h.valid_loss for h in b.history]


def test_minibatch_training_memory_maps_features_and_reuses_the_cache(seeded, tmp_path: Path) -> None:
    db, config, _, _ = seeded
    cfg = config.with_overrides(epochs=2, fanout=3, batch_size=64, feature_cache=tmp_path / "fc")
    a = train(db, cfg, out=tmp_path / "a.pt", progress=False, minibatch=True)
    files = sorted((tmp_path / "fc").glob("*.x.npy"))
    assert [f.name.split("-")[:2] for f in files] == [["textual", "float32"], ["visual", "float32"]]
    stamps = [f.stat().st_mtime_ns for f in files]
    in_ram = train_graph(export_graph(db, cfg), cfg, out=tmp_path / "b.pt", progress=False, minibatch=True)
    assert [h.valid_loss for h in a.history] == [h.valid_loss for h in in_ram.history]
    train(db, cfg, out=tmp_path / "c.pt", progress=False, minibatch=True)
    assert [f.stat().st_mtime_ns for f in sorted((tmp_path / "fc").glob("*.x.npy"))] == stamps


def test_errors_for_empty_graph_and_missing_features(db: Runner, tmp_path: Path, neo4j_server) -> None:
    config = neo4j_server.config(tmp_path, device="cpu")
    with pytest.raises(MishonError, match="no videos"):
        train(db, config, out=tmp_path / "m.pt", progress=False)
    rows, feats = synthetic_rows(20, 2, 5, units=UNITS, seed=0)
    seed(db, rows, feats, tmp_path)
    (tmp_path / "other").mkdir()
    with pytest.raises(MishonError, match="no visual features for video"):
        train(db, config.with_overrides(home=tmp_path / "other"), out=tmp_path / "m.pt", progress=False)


def test_cli_train_resume_and_infer(seeded, tmp_path: Path, neo4j_server) -> None:
    db, config, rows, feats = seeded
    env = neo4j_server.env()
    runner = CliRunner()
    base = ["--home", str(tmp_path), "train", "--epochs", "3", "--device", "cpu", "--hidden-dim", "16"]
    out = runner.invoke(cli, base + ["--out", str(tmp_path / "cli.pt")], env=env)
    assert out.exit_code == 0, out.output
    assert "best epoch" in out.output and "cli.pt" in out.output
    again = runner.invoke(cli, base + ["--out", str(tmp_path / "cli.pt"), "--resume"], env=env)
    assert again.exit_code == 0, again.output
    feat_dir = tmp_path / "newvideo"
    feat_dir.mkdir()
    for m in UNITS:
        np.save(feat_dir / f"{m}.npy", feats.get(rows.videos[0]["id"], m))
    res = runner.invoke(
        cli,
        [
            "--home",
            str(tmp_path),
            "infer",
            "--artifact",
            str(tmp_path / "cli.pt"),
            "--features",
            str(feat_dir),
            "--top",
            "4",
            "--device",
            "cpu",
        ],
        env=env,
    )
    assert res.exit_code == 0, res.output
    assert res.output.count("\n") >= 4 and "new user" in res.output
    bad = runner.invoke(cli, ["--home", str(tmp_path), "train", "--variant", "nope"], env=env)
    assert bad.exit_code != 0


@pytest.mark.slow
def test_cli_train_with_two_ddp_processes(seeded, tmp_path: Path, neo4j_server) -> None:
    from mishon_graph.learn.artifact import load_artifact

    env = neo4j_server.env()
    runner = CliRunner()
    base = ["--home", str(tmp_path), "train", "--epochs", "2", "--device", "cpu", "--hidden-dim", "16"]
    out = runner.invoke(cli, base + ["--nproc", "2", "--out", str(tmp_path / "ddp.pt")], env=env)
    assert out.exit_code == 0, out.output
    assert "mini-batch" in out.output and "ddp.pt" in out.output
    assert load_artifact(tmp_path / "ddp.pt").meta["nproc"] == 2
    lonely = runner.invoke(cli, base + ["--distributed"], env={**env, "RANK": "", "WORLD_SIZE": ""})
    assert lonely.exit_code != 0 and "torchrun" in lonely.output


def test_the_full_batch_estimate_decides_the_export_before_features_load(seeded, tmp_path: Path) -> None:
    from mishon_graph.features.store import FeatureStore
    from mishon_graph.learn.export import export_whole, read_rows
    from mishon_graph.learn.train import estimated_bytes, export_for_training
    from mishon_graph.learn.trainer import full_batch_bytes

    db, config, _, _ = seeded
    cfg = config.with_overrides(feature_cache=tmp_path / "fc")
    n = len(read_rows(db, cfg).videos)
    # float32 units plus 16-wide projections kept for backward (4 bytes x 4 copies), per modality
    expected = n * 3 * (12 * 4 + 16 * 16) + n * 4 * (10 * 4 + 16 * 16)
    assert estimated_bytes(read_rows(db, cfg), FeatureStore(cfg.feature_dir), cfg) == expected
    in_ram = export_for_training(db, cfg)  # well under the 8 GiB budget: features copied into RAM
    assert not in_ram.feature_files
    assert full_batch_bytes(in_ram, 16) == expected
    written = {p: p.stat().st_mtime_ns for p in (tmp_path / "fc").iterdir()}
    assert len(written) == 4  # features and mask per modality
    mapped = export_for_training(db, cfg.with_overrides(full_batch_gb=0.99 * expected / 2**30))
    assert set(mapped.feature_files) == {"visual", "textual"}
    for m in mapped.feature_files:
        assert torch.equal(mapped.data[m].x, in_ram.data[m].x)
    # scoring's export maps the same files: nothing is written again
    scoring = export_whole(db, cfg, labels=False)
    assert set(scoring.feature_files.values()) == set(mapped.feature_files.values())
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "fc").iterdir()} == written
