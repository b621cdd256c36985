"""Scoring a graph exported earlier in the process gives the same scores as exporting it again."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from learn_graph import seed

from mishon_graph.db.runner import Runner
from mishon_graph.errors import MishonError
from mishon_graph.learn.export import export_graph
from mishon_graph.learn.infer import score_videos
from mishon_graph.learn.train import train
from mishon_graph.testing.learn_rows import synthetic_rows


def test_score_with_the_training_export_equals_a_fresh_export(
    db: Runner, tmp_path: Path, neo4j_server
) -> None:
    units = {"visual": (3, 6), "textual": (2, 5)}
    rows, feats = synthetic_rows(80, 6, 12, units=units, cold_users=1, seed=2)
    seed(db, rows, feats, tmp_path)
    config = neo4j_server.config(
        tmp_path, epochs=2, patience=5, hidden_dim=8, device="cpu", k=3, batch_rows=16
    )
    graph = export_graph(db, config)  # what train() exports: labels included
    result = train(db, config, out=tmp_path / "m.pt", progress=False, minibatch=False, graph=graph)
    for split in ("test", "valid", None):
        fresh = score_videos(db, config, result.artifact, split=split)
        reused = score_videos(db, config, result.artifact, split=split, graph=graph)
        assert reused.video_ids == fresh.video_ids and reused.hashtags == fresh.hashtags
        assert len(fresh.video_ids) > 0
        np.testing.assert_array_equal(reused.scores, fresh.scores)
    # Several splits in one pass: the rows of each split, in the order asked, with the same scores.
    both = score_videos(db, config, result.artifact, split=["valid", "test"], graph=graph)
    parts = [score_videos(db, config, result.artifact, split=s, graph=graph) for s in ("valid", "test")]
    assert both.video_ids == parts[0].video_ids + parts[1].video_ids
    np.testing.assert_allclose(both.scores, np.concatenate([p.scores for p in parts]), rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match="not both"):
        score_videos(db, config, result.artifact, video_ids=[graph.video_ids[0]], graph=graph)
    with pytest.raises(MishonError, match="split must be one of"):
        score_videos(db, config, result.artifact, split=["valid", "tset"], graph=graph)


def test_ablations_train_and_score_every_variant_on_one_export(
    db: Runner, tmp_path: Path, neo4j_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mishon_graph.learn import export
    from mishon_graph.learn import train as train_module
    from mishon_graph.recommend.experiment import ABLATION_LABELS, evaluate_all
    from mishon_graph.recommend.write import write_scores

    units = {"visual": (2, 4), "textual": (2, 4)}
    rows, feats = synthetic_rows(60, 6, 12, units=units, cold_users=0, seed=4)
    seed(db, rows, feats, tmp_path)
    config = neo4j_server.config(tmp_path, epochs=1, patience=5, hidden_dim=8, device="cpu", k=3)
    result = train(db, config, out=tmp_path / "mishon.pt", progress=False, minibatch=False)
    scores = score_videos(db, config, result.artifact)
    write_scores(db, scores, k=3, model="mishon", run_id="mishon-1")

    calls: list[bool] = []
    real = export.read_rows

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs.get("video_ids") is None)
        return real(*args, **kwargs)

    for module in (export, train_module):  # every export reads its rows through read_rows
        monkeypatch.setattr(module, "read_rows", counted)
    ev = evaluate_all(db, config, ks=[1, 3], baselines=False, paper_ablations=True)
    assert set(ev.existing) == {"MISHON (paper)", *ABLATION_LABELS.values()}
    assert calls == [True]  # one whole-graph export for all four variants, training and scoring
