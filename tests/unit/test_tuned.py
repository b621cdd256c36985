"""Validation-tuned baselines on hand-made signals."""

from __future__ import annotations

import math

import numpy as np

from mishon_graph.evaluation.tuned import HALF_LIVES, best_half_life, mix_scores, scaled, tune_mix

VOCAB = ["a", "b", "c"]
IDS = ["v1", "v2"]
TRUTH = {"v1": ["a"], "v2": ["c"]}


def test_best_half_life_picks_the_one_that_ranks_truth_first() -> None:
    right = np.array([[1.0, 0.5, 0.0], [0.0, 0.5, 1.0]])
    wrong = np.array([[0.0, 1.0, 0.5], [0.5, 1.0, 0.0]])
    best, tried = best_half_life(lambda h: right if h == 4.0 else wrong, IDS, VOCAB, TRUTH, 1, np.zeros(3))
    assert best == 4.0
    assert tried[4.0] == 1.0 and tried[math.inf] == 0.0
    assert set(tried) == set(HALF_LIVES)


def test_mix_needs_both_signals_and_coordinate_ascent_finds_it() -> None:
    # history is right for v1 only, knn for v2 only; scaled sum ranks both right.
    recent = np.array([[1.0, 0.4, 0.0], [0.0, 0.6, 0.3]])
    knn = np.array([[0.0, 0.4, 0.0], [0.0, 0.0, 1.0]])
    signals = {"recent": recent, "knn": knn}
    weights, f1 = tune_mix(signals, IDS, VOCAB, TRUTH, 1)
    assert f1 == 1.0
    assert weights["recent"] == 1.0 and weights["knn"] > 0.0
    np.testing.assert_allclose(mix_scores(signals, {"recent": 1.0, "knn": 1.0}), recent + knn)
    assert scaled(np.zeros((1, 2))).tolist() == [[0.0, 0.0]]


def test_user_folds_keep_each_user_in_one_fold() -> None:
    from mishon_graph.evaluation.tuned import user_folds

    users = ["a", "b", "a", "c", "b", "d"]
    fold = user_folds(users, 3, seed=0)
    assert fold[0] == fold[2] and fold[1] == fold[4]
    assert set(fold.tolist()) <= {0, 1, 2}
    assert (user_folds(users, 3, seed=0) == fold).all()


def test_crossfit_mix_scores_each_fold_with_weights_from_the_others() -> None:
    from mishon_graph.evaluation.tuned import crossfit_mix

    # "recent" is right for every video, so every fold's weights keep it: F1@1 = 1.
    n = 12
    recent = np.tile([[1.0, 0.2, 0.0]], (n, 1))
    knn = np.tile([[0.0, 1.0, 0.0]], (n, 1))
    ids = [f"v{i}" for i in range(n)]
    users = [f"u{i % 4}" for i in range(n)]
    truth = {v: ["a"] for v in ids}
    assert crossfit_mix({"recent": recent, "knn": knn}, ids, users, VOCAB, truth, 1) == 1.0
