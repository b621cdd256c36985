"""Paired bootstrap of the F1@K difference on hand-made lists."""

from __future__ import annotations

import pytest

from mishon_graph.evaluation.bootstrap import paired_bootstrap, per_video


def test_per_video_precision_and_recall() -> None:
    p, r = per_video({"a": ["x", "y"]}, {"a": ["x"], "b": ["z"]}, ["a", "b"], 2)
    assert p.tolist() == [0.5, 0.0]
    assert r.tolist() == [1.0, 0.0]


def test_identical_runs_are_level_with_a_zero_interval() -> None:
    truth = {f"v{i}": ["x"] for i in range(20)}
    run = {v: ["x", "y"] for v in truth}
    d = paired_bootstrap(run, run, truth, k=2, replicates=200)
    assert (d.diff, d.low, d.high, d.verdict) == (0.0, 0.0, 0.0, "level")


def test_a_run_right_everywhere_beats_one_right_half_the_time() -> None:
    truth = {f"v{i}": ["x"] for i in range(40)}
    good = {v: ["x"] for v in truth}
    half = {v: (["x"] if i % 2 else ["y"]) for i, v in enumerate(sorted(truth))}
    d = paired_bootstrap(good, half, truth, k=1, replicates=500, seed=1)
    assert d.a == 1.0 and d.b == 0.5 and d.diff == 0.5
    assert 0.3 < d.low <= 0.5 <= d.high < 0.7
    assert d.verdict == "better"
    assert paired_bootstrap(half, good, truth, k=1, replicates=500).verdict == "worse"


def test_no_ground_truth_is_an_error() -> None:
    with pytest.raises(Exception, match="ground-truth"):
        paired_bootstrap({}, {}, {"a": []})
