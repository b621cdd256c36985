"""Pure-Python and scipy.sparse Jaccard, engagement and popularity rules on exact small cases."""

from __future__ import annotations

import pytest

from mishon_graph.testing.reference import (
    UserInfo,
    engagement,
    expected_jaccard_edges,
    expected_popular_edges,
    expected_uses_edges,
    jaccard,
    n_popular,
    popular_users,
    training_hashtag_sets,
)
from mishon_graph.testing.sparse_jaccard import sparse_jaccard_edges


def test_jaccard_identical_disjoint_partial() -> None:
    assert jaccard({"a", "b"}, {"a", "b"}) == 1.0
    assert jaccard({"a"}, {"b"}) == 0.0
    assert jaccard({"a", "b"}, {"b", "c", "d"}) == 0.25
    assert jaccard(set(), set()) == 0.0


def test_only_training_hashtags_count() -> None:
    posts = [("u", "train", ["x"]), ("u", "test", ["y"]), ("w", "valid", ["x"]), ("w", "train", [])]
    assert training_hashtag_sets(posts) == {"u": {"x"}}


def test_jaccard_edges_pairs_once_and_threshold() -> None:
    sets = {"b": {"x", "y", "z"}, "a": {"x", "y"}, "c": {"z"}, "d": {"q"}}
    assert expected_jaccard_edges(sets, 0.5) == {("a", "b"): pytest.approx(2 / 3)}
    # gamma 0: pairs sharing nothing (Jaccard 0) still get no edge
    assert set(expected_jaccard_edges(sets, 0.0)) == {("a", "b"), ("b", "c")}


def test_sparse_reference_agrees() -> None:
    sets = {"b": {"x", "y", "z"}, "a": {"x", "y"}, "c": {"z"}, "d": {"q"}, "e": {"x", "y"}}
    pairs = [(u, t) for u, tags in sets.items() for t in tags] + [("a", "x")]
    for gamma in (0.0, 0.3, 0.5, 1.0):
        assert sparse_jaccard_edges(pairs, gamma) == pytest.approx(expected_jaccard_edges(sets, gamma))
    assert sparse_jaccard_edges([], 0.5) == {}


def test_engagement_rules() -> None:
    assert engagement(UserInfo("a", followers=10, likes=5)) == 0.5
    assert engagement(UserInfo("a", followers=0, likes=5)) == 0.0
    assert engagement(UserInfo("a", followers=None, likes=5)) == 0.0
    assert engagement(UserInfo("a", followers=10, likes=None)) == 0.0
    assert engagement(UserInfo("a", followers=10, likes=5, cold_start=True)) == 0.0


def test_number_popular_is_a_rounded_ceiling() -> None:
    assert n_popular(0.1, 30) == 3  # 0.1 * 30 = 3.0000000000000004 in floating point
    assert n_popular(0.1, 839) == 84 and n_popular(1.0, 5) == 5 and n_popular(0.01, 5) == 1


def test_popular_ranking_and_edges() -> None:
    users = [
        UserInfo("c", 10, 10),
        UserInfo("a", 10, 10),
        UserInfo("b", 1, 5),
        UserInfo("z", cold_start=True),
        UserInfo("y", 0, 3, cold_start=True),
    ]
    assert popular_users(users, 0.6) == ["b", "a", "c"]  # 5.0, then the 1.0 tie by id
    assert expected_popular_edges(users, 0.2) == {("b", "z"): 5.0, ("b", "y"): 5.0}
    assert set(expected_popular_edges(users, 0.2, to_all=True)) == {("b", u) for u in "cazy"}


def test_uses_reference() -> None:
    got = expected_uses_edges(
        [("u", "v1"), ("u", "v2"), ("w", "v3")], {"Visual": ["v1", "v3"], "Textual": ["v2"]}
    )
    assert got == {("u", "Visual:v1"), ("u", "Textual:v2"), ("w", "Visual:v3")}
