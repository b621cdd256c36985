"""Evidence signals on hand-made histories: exact values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mishon_graph.evaluation.signals import (
    History,
    Post,
    caption_terms,
    centroid_scores,
    cooccurrence_matrix,
    cooccurrence_scores,
    decay_weights,
    hashtag_sums,
    history_scores,
    knn_neighbours,
    mention_scores,
    neighbour_votes,
    user_profiles,
    user_votes,
)

VOCAB = ["cat", "cute", "dog"]
POSTS = [
    Post("p1", "u", "2024-01-01", ("cat",)),
    Post("p2", "u", "2024-01-02", ("cat", "cute")),
    Post("p3", "u", "2024-01-03", ("dog",)),  # newest of u
    Post("q1", "w", "2024-01-01", ("dog", "cute")),
]


def test_decay_weights_halve_every_half_life() -> None:
    assert decay_weights(3, 1.0).tolist() == [1.0, 0.5, 0.25]
    assert decay_weights(2, math.inf).tolist() == [1.0, 1.0]
    with pytest.raises(Exception, match="half-life"):
        decay_weights(2, 0.0)


def test_history_shares_plain_and_decayed() -> None:
    h = History(POSTS, VOCAB)
    plain = history_scores(h, ["u", "new"])
    np.testing.assert_allclose(plain[0], [2 / 3, 1 / 3, 1 / 3], rtol=1e-6)
    assert plain[1].tolist() == [0.0, 0.0, 0.0]
    # half-life 1 post: newest p3 weighs 1, p2 0.5, p1 0.25 (sum 1.75)
    recent = history_scores(h, ["u"], half_life=1.0)
    np.testing.assert_allclose(recent[0], [0.75 / 1.75, 0.5 / 1.75, 1 / 1.75], rtol=1e-6)


def test_cooccurrence_is_p_h_given_g_seeded_by_history() -> None:
    h = History(POSTS, VOCAB)
    cond = cooccurrence_matrix(h).toarray()
    # cat: 2 videos, one with cute; cute: 2 videos (p2, q1): cat once, dog once; dog: 2 videos, cute once
    np.testing.assert_allclose(cond, [[1, 0.5, 0], [0.5, 1, 0.5], [0, 0.5, 1]])
    seeds = np.array([[1.0, 0.0, 0.0]], dtype=np.float32)
    np.testing.assert_allclose(cooccurrence_scores(seeds, cooccurrence_matrix(h)), [[1.0, 0.5, 0.0]])


def test_neighbour_votes_are_weighted_shares_ignoring_negative_weights() -> None:
    h = History(POSTS, VOCAB)
    votes = neighbour_votes([[(0, 0.6), (2, 0.2), (3, -1.0)], []], h.matrix)
    np.testing.assert_allclose(votes, [[0.75, 0.0, 0.25], [0.0, 0.0, 0.0]], rtol=1e-6)


def test_user_votes_use_neighbours_plain_history() -> None:
    h = History(POSTS, VOCAB)
    votes = user_votes(["x"], {"x": [("w", 1.0), ("nobody", 5.0)]}, user_profiles(h))
    np.testing.assert_allclose(votes, [[0.0, 1.0, 1.0]])


def test_knn_skips_excluded_pairs() -> None:
    sources = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]], dtype=np.float32)
    query = np.array([[1.0, 0.0]], dtype=np.float32)
    assert sorted(knn_neighbours(query, sources, 2)[0]) == [(0, 1.0), (2, pytest.approx(0.6))]
    masked = knn_neighbours(query, sources, 2, exclude=lambda a, b: np.array([[True, False, False]]))
    assert sorted(j for j, _ in masked[0]) == [1, 2]


def test_caption_mentions_words_and_joined_runs() -> None:
    terms = caption_terms("Now playing: Dogs & cats", str.lower)
    assert {"now", "playing", "dogs", "cats", "nowplaying", "nowplayingdogs"} <= terms
    scores = mention_scores(["now playing with my dog", ""], {"nowplaying": 0, "dog": 1, "cat": 2}, str.lower)
    assert scores.tolist() == [[1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]


def test_habits_and_spread() -> None:
    h = History(POSTS, VOCAB)
    distinct, repeat = h.habits("u")
    assert distinct == 3.0
    assert repeat == 0.5  # p2 reuses cat, p3 reuses nothing
    assert h.habits("nobody") == (0.0, 0.0)
    assert h.spread.tolist() == [1.0, 2.0, 2.0]


def test_centroid_is_cosine_to_each_hashtags_mean_training_vector() -> None:
    history = History(POSTS, VOCAB)
    sources = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    sums = hashtag_sums(sources, history.matrix)
    # cat: p1 + p2 = (1, 1); cute: p2 + q1 = (0, 2); dog: p3 + q1 = (1, 1)
    np.testing.assert_allclose(sums, [[1.0, 1.0], [0.0, 2.0], [1.0, 1.0]])
    got = centroid_scores(np.array([[1.0, 0.0]], dtype=np.float32), sums)
    r = 1 / math.sqrt(2)
    np.testing.assert_allclose(got, [[r, 0.0, r]], rtol=1e-6)


def test_centroid_without_the_posters_own_videos() -> None:
    """A newcomer's scores leave out their own posts: u's cat and dog come from nobody else."""
    history = History(POSTS, VOCAB)
    sources = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    sums = hashtag_sums(sources, history.matrix)
    rows = history.by_user["u"]
    labels = history.matrix[rows]
    cols = np.unique(labels.indices)
    own = (hashtag_sums(sources[rows], labels[:, cols].tocsr()), cols)
    got = centroid_scores(np.array([[0.0, 1.0]], dtype=np.float32), sums, own=[own])
    # cat: only u's posts -> no centroid left (0); cute: q1 = (0, 1) -> 1; dog: q1 -> 1
    np.testing.assert_allclose(got, [[0.0, 1.0, 1.0]], rtol=1e-6)


def test_centroid_on_sparse_caption_vectors_matches_dense() -> None:
    import scipy.sparse as sp

    history = History(POSTS, VOCAB)
    dense = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.6, 0.0, 0.8], [0.0, 0.0, 1.0]], dtype=np.float32)
    q = np.array([[0.0, 0.6, 0.8]], dtype=np.float32)
    want = centroid_scores(q, hashtag_sums(dense, history.matrix))
    got = centroid_scores(sp.csr_matrix(q), hashtag_sums(sp.csr_matrix(dense), history.matrix))
    np.testing.assert_allclose(got, want, rtol=1e-6)
