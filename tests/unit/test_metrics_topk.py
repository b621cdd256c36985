"""Top-K selection for write-back (pure): order, ties, shapes and bad input."""

import numpy as np
import pytest

from mishon_graph.errors import MishonError
from mishon_graph.recommend.write import recommendation_rows, top_k


def test_top_k_best_first_ties_by_column() -> None:
    idx, val = top_k(np.array([[0.1, 0.5, 0.5, 0.9], [1.0, 0.0, 2.0, 0.0]]), 3)
    assert idx.tolist() == [[3, 1, 2], [2, 0, 1]]
    assert val.tolist() == [[0.9, 0.5, 0.5], [2.0, 1.0, 0.0]]


def test_recommendation_rows() -> None:
    rows = recommendation_rows(["v1", "v2"], ["a", "b", "c"], np.array([[0.2, 0.7, 0.1], [0.0, 0.0, 3.0]]), 2)
    assert rows == [
        {"video_id": "v1", "hashtag": "b", "score": 0.7, "rank": 1},
        {"video_id": "v1", "hashtag": "a", "score": 0.2, "rank": 2},
        {"video_id": "v2", "hashtag": "c", "score": 3.0, "rank": 1},
        {"video_id": "v2", "hashtag": "a", "score": 0.0, "rank": 2},
    ]


@pytest.mark.parametrize(
    ("videos", "tags", "scores", "k", "message"),
    [
        (["v"], ["a", "b"], [[1.0, 2.0]], 3, "K = 3 must be between 1 and the vocabulary size 2"),
        (["v"], ["a", "b"], [[1.0, 2.0]], 0, "K = 0 must be between"),
        (["v", "w"], ["a", "b"], [[1.0, 2.0]], 1, "shape"),
        (["v"], ["a", "b"], [[1.0, float("nan")]], 1, "NaN"),
        (["v", "v"], ["a"], [[1.0], [2.0]], 1, "duplicate video ids"),
    ],
)
def test_bad_input(
    videos: list[str], tags: list[str], scores: list[list[float]], k: int, message: str
) -> None:
    with pytest.raises(MishonError, match=message):
        recommendation_rows(videos, tags, np.array(scores), k)


def test_top_k_equals_a_full_stable_sort_with_ties() -> None:
    """The partition-based top-k ranks exactly as sorting every row would (ties by column)."""
    rng = np.random.default_rng(7)
    for trial in range(200):
        n, m = int(rng.integers(1, 20)), int(rng.integers(1, 30))
        k = int(rng.integers(1, m + 1))
        ties = rng.integers(0, 3, size=(n, m))
        s = (ties if trial % 2 else rng.random((n, m))).astype(np.float32)
        order = np.argsort(-s, axis=1, kind="stable")[:, :k]
        idx, val = top_k(s, k)
        assert idx.tolist() == order.tolist()
        assert val.tolist() == np.take_along_axis(s, order, axis=1).tolist() and val.dtype == np.float32


def test_recommendation_rows_are_the_same_in_chunks() -> None:
    rng = np.random.default_rng(3)
    s = rng.integers(0, 4, size=(9, 6)).astype(np.float32)
    videos, tags = [f"v{i}" for i in range(9)], list("abcdef")
    assert recommendation_rows(videos, tags, s, 3, chunk=2) == recommendation_rows(videos, tags, s, 3)
