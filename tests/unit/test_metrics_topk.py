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
