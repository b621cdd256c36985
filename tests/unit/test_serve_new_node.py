"""A node added to a built graph gets exactly the SIMILAR edges a full rebuild would give it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mishon_graph.graph.new_node import SimilarIndex
from mishon_graph.graph.similarity import similar_pairs
from mishon_graph.learn.inductive import top_similar


def _edges_of(node: str, ids: list[str], x: np.ndarray, theta: float, k: int | None) -> dict[str, float]:
    pairs = similar_pairs(ids, x, theta, k)
    out = {}
    for a, b, w in zip(pairs.a, pairs.b, pairs.weight, strict=True):
        if node in (a, b):
            out[b if a == node else a] = float(w)
    return out


def _index(ids: list[str], x: np.ndarray, theta: float, k: int | None) -> SimilarIndex:
    pairs = similar_pairs(ids, x, theta, k)
    edges = list(zip(pairs.a, pairs.b, pairs.weight.tolist(), strict=True))
    return SimilarIndex(ids, x, theta, k, edges)


@pytest.mark.parametrize("k", [1, 3, None])
@pytest.mark.parametrize("theta", [0.0, 0.3, 0.8])
def test_new_node_gets_the_edges_of_a_full_rebuild(k: int | None, theta: float) -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 4)).astype(np.float32)
    x[5] = x[6] = x[7]  # exact ties: broken by id
    x[9] = 0.0  # zero vectors get no edge
    ids = [f"v{i:02d}" for i in range(40)]
    index = _index(ids, x, theta, k)
    for trial in range(15):
        q = x[7] if trial == 0 else rng.normal(size=4).astype(np.float32)
        qid = f"q{trial:02d}" if trial % 2 else f"a{trial:02d}"  # ids before and after the others
        want = _edges_of(qid, ids + [qid], np.vstack([x, q[None]]), theta, k)
        got = index.neighbours(q, qid)
        assert dict(got) == want  # same neighbours, bit-identical weights
        assert [w for _, w in got] == sorted((w for _, w in got), reverse=True)


def test_a_node_of_the_graph_gets_its_own_edges_back() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(30, 3)).astype(np.float32)
    ids = [f"v{i:02d}" for i in range(30)]
    index = _index(ids, x, 0.2, 2)
    for i in range(30):
        assert dict(index.neighbours(x[i], ids[i])) == _edges_of(ids[i], ids, x, 0.2, 2)


def test_cosine_exactly_theta_is_an_edge_everywhere() -> None:
    # cos([1, 0], [1, 1]) computes to 0.7071067811865475, one ulp below sqrt(0.5)
    theta = math.sqrt(0.5)
    x = np.array([[1.0, 0.0], [1.0, 1.0]], dtype=np.float32)
    assert len(similar_pairs(["a", "b"], x, theta, None)) == 1
    index = _index(["a"], x[:1], theta, 5)
    assert [v for v, _ in index.neighbours(x[1], "b")] == ["a"]
    assert [v for v, _ in top_similar(x[1], ["a"], x[:1], theta, 5)] == ["a"]
    assert index.neighbours(np.zeros(2, dtype=np.float32), "z") == []


def test_wrong_dimension_is_refused() -> None:
    index = _index(["a", "b"], np.eye(2, dtype=np.float32), 0.5, 1)
    with pytest.raises(ValueError, match="3 values"):
        index.neighbours(np.ones(3, dtype=np.float32), "q")
