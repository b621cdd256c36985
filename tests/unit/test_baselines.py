"""Baseline scorers on tiny hand-made histories: exact rankings."""

import numpy as np
import pytest

from mishon_graph.errors import MishonError
from mishon_graph.evaluation.baselines import (
    HistoryPost,
    Target,
    baseline_scores,
    cooccurrence_scores,
    knn_scores,
    popular_scores,
    user_scores,
    vocabulary,
)

HISTORY = [
    HistoryPost("t1", "u1", ("cat", "cute")),
    HistoryPost("t2", "u1", ("cat",)),
    HistoryPost("t3", "u2", ("dog", "cute")),
    HistoryPost("t4", "u2", ("dog", "park")),
    HistoryPost("t5", "u3", ("dog",)),
]
VOCAB = vocabulary(HISTORY)
TARGETS = [Target("x1", "u1"), Target("x2", "u2"), Target("x3", "new")]


def ranking(row: np.ndarray) -> list[str]:
    return [VOCAB[i] for i in np.argsort(-row, kind="stable")]


def test_vocabulary_sorted_and_non_empty() -> None:
    assert VOCAB == ["cat", "cute", "dog", "park"]
    with pytest.raises(MishonError, match="no training video"):
        vocabulary([])


def test_popular_is_training_frequency_for_all() -> None:
    s = popular_scores(HISTORY, TARGETS, VOCAB)
    assert s.shape == (3, 4)
    assert s[0].tolist() == [2, 2, 3, 1]
    assert ranking(s[2]) == ["dog", "cat", "cute", "park"]


def test_user_frequency_backfilled_with_popular() -> None:
    s = user_scores(HISTORY, TARGETS, VOCAB)
    assert ranking(s[0]) == ["cat", "cute", "dog", "park"]  # own: cat 2, cute 1; then popular
    assert ranking(s[1]) == ["dog", "cute", "park", "cat"]  # own: dog 2, cute 1, park 1 (tie by popularity)
    assert ranking(s[2]) == ranking(popular_scores(HISTORY, TARGETS, VOCAB)[2])  # cold user: popular
    assert s[0][0] == pytest.approx(2 + 2 / 4)


def test_cooccurrence_expands_user_history() -> None:
    s = cooccurrence_scores(HISTORY, TARGETS, VOCAB)
    # u1 seeds: cat x2, cute x1. P(.|cat) = cat 1, cute 1/2; P(.|cute) = cat 1/2, cute 1, dog 1/2
    assert s[0][:4] == pytest.approx([2 + 0.5, 1 + 1, 0.5, 0.0], abs=1e-6)
    assert ranking(s[0]) == ["cat", "cute", "dog", "park"]
    assert ranking(s[2]) == ["dog", "cat", "cute", "park"]  # no history: popularity tie-break only


def test_knn_votes_of_nearest_training_videos() -> None:
    hist_emb = {
        "textual": {"t1": [1.0, 0.0], "t2": [0.9, 0.1], "t3": [0.0, 1.0], "t4": [0.0, 1.0], "t5": [-1.0, 0.0]}
    }
    target_emb = {"textual": {"x1": [1.0, 0.0], "x2": [0.0, 2.0]}}
    s = knn_scores(target_emb, TARGETS, HISTORY, hist_emb, VOCAB, neighbours=2)
    # x1's neighbours: t1 (1.0) and t2 (cos 0.9939): cat 1.9939, cute 1.0
    cos = 0.9 / np.hypot(0.9, 0.1)
    assert s[0][0] == pytest.approx(1 + cos, abs=1e-6)
    assert s[0][1] == pytest.approx(1.0, abs=1e-6)
    assert ranking(s[0])[:2] == ["cat", "cute"]
    # x2's neighbours: t3 and t4: dog 2, cute 1, park 1
    assert ranking(s[1])[:1] == ["dog"]
    assert s[1][2] == pytest.approx(2.0, abs=1e-6)
    # x3 has no embedding: popularity tie-break only
    assert ranking(s[2]) == ["dog", "cat", "cute", "park"]
    assert s[2].max() < 1e-8


def test_knn_averages_modalities_both_have() -> None:
    hist_emb = {"textual": {"t1": [1.0, 0.0]}, "visual": {"t1": [0.0, 1.0], "t3": [1.0, 0.0]}}
    target_emb = {"textual": {"x1": [1.0, 0.0]}, "visual": {"x1": [1.0, 0.0]}}
    s = knn_scores(target_emb, TARGETS[:1], HISTORY, hist_emb, VOCAB, neighbours=1)
    # t1: mean(1, 0) = 0.5; t3: visual only, 1.0 -> t3 wins (dog, cute)
    assert ranking(s[0])[:2] == ["dog", "cute"]  # equal votes: popularity (dog 3 > cute 2)
    assert s[0][2] == pytest.approx(1.0, abs=1e-6)


def test_dispatch_unknown_name() -> None:
    with pytest.raises(MishonError, match="unknown baseline"):
        baseline_scores("magic", HISTORY, TARGETS, VOCAB)
    assert baseline_scores("popular", HISTORY, TARGETS, VOCAB).shape == (3, 4)
