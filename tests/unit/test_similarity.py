"""Blocked cosine edges against the pure-Python reference: exact cases, ties, zero vectors, blocks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mishon_graph.graph.similarity import block_rows, similar_pairs
from mishon_graph.testing.reference import cosine, expected_similar_edges

IDS = ["v1", "v2", "v3", "v4"]
X = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.1]])


def _as_dict(p) -> dict:
    return {(a, b): w for a, b, w in zip(p.a, p.b, p.weight, strict=True)}


def test_exact_weights_without_cap() -> None:
    p = similar_pairs(IDS, X, 0.5, None)
    assert _as_dict(p) == pytest.approx(
        {
            ("v1", "v2"): 1 / math.sqrt(2),
            ("v1", "v4"): 1 / math.sqrt(1.01),
            ("v2", "v3"): 1 / math.sqrt(2),
            ("v2", "v4"): 1.1 / math.sqrt(2.02),
        }
    )
    assert p.before_cap == 4 and p.zero_vectors == 0


def test_cap_keeps_each_nodes_best_and_symmetrises() -> None:
    p = similar_pairs(IDS, X, 0.5, 1)
    assert set(_as_dict(p)) == {("v1", "v4"), ("v2", "v4"), ("v2", "v3")}
    assert p.before_cap == 4


def test_pairs_are_lower_id_first_whatever_the_input_order() -> None:
    p = similar_pairs(["b", "a"], np.array([[1.0, 0.0], [2.0, 0.0]]), 0.5, None)
    assert (p.a, p.b) == (["a"], ["b"]) and p.weight[0] == pytest.approx(1.0)


def test_zero_vectors_and_tiny_inputs() -> None:
    p = similar_pairs(["a", "b", "c"], np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 0.0]]), 0.5, None)
    assert set(_as_dict(p)) == {("b", "c")} and p.zero_vectors == 1
    assert len(similar_pairs(["a"], np.array([[1.0]]), 0.0, 3)) == 0


def test_ties_break_by_id() -> None:
    # b, c, d are equally close to a: with k = 2, a keeps b and c.
    x = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]])
    p = similar_pairs(["a", "b", "c", "d"], x, 0.9, 2)
    assert ("a", "b") not in _as_dict(p)  # cos 0.707 < 0.9
    p = similar_pairs(["a", "b", "c", "d"], x, 0.5, 1)
    # a keeps b; b keeps c (cos 1); c keeps b; d keeps b
    assert set(_as_dict(p)) == {("a", "b"), ("b", "c"), ("b", "d")}


@pytest.mark.parametrize("seed", range(4))
def test_random_cases_match_the_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, d = int(rng.integers(2, 90)), int(rng.integers(1, 6))
    x = rng.normal(size=(n, d))
    x[: min(n, 8)] = x[0]  # duplicates: exact ties
    x[n // 2] = 0.0
    ids = [f"n{int(i):03d}" for i in rng.permutation(n)]
    as_map = {i: list(v) for i, v in zip(ids, x, strict=True)}
    for theta in (0.0, 0.4, 0.95):
        for cap in (None, 1, 3, 500):
            p = similar_pairs(ids, x, theta, cap, rows_per_block=int(rng.integers(1, 30)))
            want = expected_similar_edges(as_map, theta, cap)
            assert set(_as_dict(p)) == set(want), (theta, cap)
            assert _as_dict(p) == pytest.approx(want, abs=1e-6)
            assert p.before_cap == len(expected_similar_edges(as_map, theta, None))


def test_reference_cosine_and_block_rows() -> None:
    assert cosine([1, 0], [0, 1]) == 0.0 and cosine([1, 1], [2, 2]) == pytest.approx(1.0)
    assert cosine([0, 0], [1, 1]) == 0.0
    assert block_rows(1000, budget_bytes=4000 * 10) == 10 and block_rows(3) == 3 and block_rows(0) == 1
