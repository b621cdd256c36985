"""The mishon+ ranker on hand-made evidence: candidates, ranks, the validation guard, no leakage."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from mishon_graph.evaluation.baselines import Target
from mishon_graph.evaluation.signals import History, Post
from mishon_graph.learn.evidence import Corpus, Evidence, build_evidence, holdout, holdout_newcomers
from mishon_graph.learn.hybrid import (
    RANK_CAP,
    RANKER,
    RankerSettings,
    candidates,
    features,
    fit_ranker,
    signal_ranks,
)

VOCAB = ["a", "b", "c", "d"]


def _evidence(n: int, rng: np.random.Generator) -> tuple[Evidence, dict[str, list[str]]]:
    """Signal ``good`` marks the true hashtag; ``noise`` is random."""
    targets = [Target(f"v{i}", f"u{i % 7}") for i in range(n)]
    truth_idx = rng.integers(0, len(VOCAB), size=n)
    good = np.full((n, len(VOCAB)), 0.1, dtype=np.float32)
    good[np.arange(n), truth_idx] = 0.9
    noise = rng.random((n, len(VOCAB))).astype(np.float32)
    ev = Evidence(targets, {"good": good, "noise": noise}, np.ones(n, dtype=np.float32))
    return ev, {t.video_id: [VOCAB[j]] for t, j in zip(targets, truth_idx, strict=True)}


def test_signal_ranks_cap_and_zero_evidence() -> None:
    ranks = signal_ranks(np.array([[0.2, 0.0, 0.5, 0.2]], dtype=np.float32))
    assert ranks.tolist() == [[2.0, RANK_CAP, 1.0, 3.0]]


def test_candidates_are_each_signals_top_with_evidence() -> None:
    ev = Evidence(
        [Target("v", "u")],
        {
            "x": np.array([[0.0, 0.3, 0.2, 0.0]], dtype=np.float32),
            "y": np.array([[0.0, 0.0, 0.0, 0.9]], dtype=np.float32),
        },
        np.zeros(1, dtype=np.float32),
    )
    rows, cols = candidates(ev, ["x", "y"], per_signal=1)
    assert list(zip(rows.tolist(), cols.tolist(), strict=True)) == [(0, 1), (0, 3)]


def test_ranker_learns_the_informative_signal() -> None:
    ev, truth = _evidence(300, np.random.default_rng(0))
    ranker = fit_ranker(
        ev, truth, VOCAB, ["good", "noise"], RankerSettings(min_samples_leaf=5, max_iter=50), k=1
    )
    assert ranker.chosen == RANKER
    assert ranker.validation[RANKER] >= ranker.validation["noise"]
    scores = ranker.score(ev)
    assert (scores.argmax(axis=1) == ev.signals["good"].argmax(axis=1)).mean() > 0.95


def test_guard_keeps_a_single_signal_that_beats_the_cross_fitted_ranker() -> None:
    ev, truth = _evidence(60, np.random.default_rng(1))
    # A ranker that can barely learn (huge leaves) against a perfect single signal.
    ranker = fit_ranker(ev, truth, VOCAB, ["good", "noise"], RankerSettings(min_samples_leaf=10_000), k=1)
    assert ranker.validation["good"] == max(ranker.validation.values())
    assert ranker.chosen == "good"
    assert ranker.model is None
    np.testing.assert_array_equal(ranker.score(ev).argmax(axis=1), ev.signals["good"].argmax(axis=1))


def test_no_validation_or_test_hashtag_reaches_a_signal() -> None:
    """Only training posts enter the corpus; a target's own hashtags never do."""
    history = History(
        [Post("t1", "u1", "2024-01-01", ("cat",)), Post("t2", "u2", "2024-01-02", ("dog",))], ["cat", "dog"]
    )
    corpus = Corpus(
        history=history,
        texts={"t1": "a cat", "t2": "a dog", "x": "secret kitten", "y": "cat dog"},
        embeddings={"textual": {"t1": [1.0, 0.0], "t2": [0.0, 1.0], "x": [1.0, 0.0], "y": [0.0, 1.0]}},
        similar={"x": [("t1", 0.9), ("y", 0.99)]},  # y is another target: it has no row, no vote
        jaccard={"u1": [("u2", 0.5)]},
        popular=[("u2", 0.3)],
    )
    ev = build_evidence(corpus, [Target("x", "u1"), Target("y", "new")])
    assert list(corpus.history.vocab) == ["cat", "dog"]  # no kitten: test hashtags are not vocabulary
    for name, s in ev.signals.items():
        assert s.shape == (2, 2), name
    assert ev.signals["similar"].tolist() == [[1.0, 0.0], [0.0, 0.0]]
    assert ev.signals["history"].tolist() == [[1.0, 0.0], [0.0, 0.0]]
    assert ev.signals["social"].tolist() == [[0.0, 1.0], [0.0, 0.0]]
    assert ev.signals["mention"].tolist() == [[0.0, 0.0], [1.0, 1.0]]
    new = build_evidence(corpus, [Target("x", "u1")], as_new_user=True)
    assert not new.signals["history"].any() and not new.signals["social"].any()
    # as a newcomer, u1's own training video t1 may not vote through content
    assert new.signals["similar"].tolist() == [[0.0, 0.0]]
    assert new.signals["popular_users"].tolist() == [[0.0, 1.0]]
    # seen as a newcomer, a popular poster does not vote for itself through the POPULAR links
    popular_poster = build_evidence(corpus, [Target("x", "u2")], as_new_user=True)
    assert popular_poster.signals["popular_users"].tolist() == [[0.0, 0.0]]
    assert build_evidence(corpus, [Target("x", "u2")]).signals["popular_users"].tolist() == [[0.0, 1.0]]
    # the hashtag centroids: t1 alone carries cat, so a newcomer u1 gets no cat centroid
    assert ev.signals["centroid"].tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert new.signals["centroid"].tolist() == [[0.0, 0.0]]


def test_guard_does_not_compare_with_the_gnn_selected_on_validation() -> None:
    ev, truth = _evidence(60, np.random.default_rng(2))
    ev.signals["gnn"] = ev.signals.pop("good")
    ranker = fit_ranker(ev, truth, VOCAB, ["gnn", "noise"], RankerSettings(min_samples_leaf=10_000), k=1)
    assert ranker.validation["gnn"] > ranker.validation[RANKER]  # reported...
    assert ranker.chosen != "gnn"  # ...but never chosen on its in-sample figure


def _corpus() -> Corpus:
    posts = [
        Post("a1", "ua", "2024-01-01", ("cat",)),
        Post("a2", "ua", "2024-01-03", ("dog",)),  # ua's latest
        Post("b1", "ub", "2024-01-02", ("cat", "dog")),  # ub's only post: never held out
        Post("c1", "uc", "2024-01-01", ("dog",)),
        Post("c2", "uc", "2024-01-02", ("dog",)),
        Post("c3", "uc", "2024-01-04", ("cat",)),  # uc's latest
    ]
    ids = [p.video_id for p in posts]
    return Corpus(
        history=History(posts, ["cat", "dog"]),
        texts={v: "" for v in ids},
        embeddings={"textual": {v: [1.0, float(i)] for i, v in enumerate(ids)}},
        similar={},
        jaccard={"ua": [("uc", 0.5)]},
        popular=[("uc", 0.3)],
        gnn={v: np.ones(2, dtype=np.float32) for v in ids},
    )


def test_holdout_takes_each_users_latest_post_and_none_of_it_reaches_its_evidence() -> None:
    corpus = _corpus()
    inner, targets, truth = holdout(corpus, per_user=1)
    assert targets == [Target("a2", "ua"), Target("c3", "uc")]
    assert truth == {"a2": ["dog"], "c3": ["cat"]}
    assert [p.video_id for p in inner.history.posts] == ["a1", "b1", "c1", "c2"]
    assert list(inner.history.vocab) == ["cat", "dog"]  # same columns
    assert inner.gnn is None and not inner.jaccard  # computed with the held posts
    assert inner.popular == corpus.popular  # chosen by engagement: no hashtag of a held post
    ev = build_evidence(inner, targets)
    # ua's history without a2 is all cat; uc's without c3 is all dog: the held hashtag is absent
    assert ev.signals["history"].tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert ev.posts.tolist() == [1.0, 2.0]
    assert [t.video_id for t in holdout(corpus, per_user=5)[1]] == ["a2", "c2", "c3"]  # one post kept each


def test_holdout_newcomers_removes_whole_users() -> None:
    corpus = _corpus()
    inner, targets, truth = holdout_newcomers(corpus, share=0.5, seed=0)
    gone = {t.user_id for t in targets}
    assert gone and gone.isdisjoint(inner.history.by_user)  # newcomers to the inner corpus
    users = {p.user_id for p in corpus.history.posts}
    assert gone | set(inner.history.by_user) == users
    assert {t.video_id for t in targets} == {p.video_id for p in corpus.history.posts if p.user_id in gone}
    assert all(truth[t.video_id] for t in targets)
    capped = holdout_newcomers(corpus, share=0.5, seed=0, limit=1)[1]
    assert len(capped) == 1 and capped[0] == max(targets, key=lambda t: corpus.history.posts[
        corpus.history.row_of[t.video_id]].created_at)
    assert holdout_newcomers(corpus, share=0.0, seed=0)[1] == []


def test_unknown_signals_are_missing_features_and_the_extra_examples_teach_the_ranker() -> None:
    ev, truth = _evidence(8, np.random.default_rng(3))
    rows, cols = candidates(ev, ["good", "noise"], per_signal=2)
    x = features(replace(ev, unknown=frozenset({"noise"})), ["good", "noise"], rows, cols)
    assert np.isnan(x[:, 2:4]).all() and not np.isnan(x[:, :2]).any() and not np.isnan(x[:, 4:]).any()
    # 8 validation videos teach nothing alone (min_samples_leaf 50); 300 extra examples do
    extra, extra_truth = _evidence(300, np.random.default_rng(4))
    extra = replace(extra, targets=[Target(f"x{i}", t.user_id) for i, t in enumerate(extra.targets)])
    extra_truth = {f"x{i}": extra_truth[f"v{i}"] for i in range(300)}
    settings = RankerSettings(min_samples_leaf=50, max_iter=50, guard_level=0.0)
    alone = fit_ranker(ev, truth, VOCAB, ["good", "noise"], settings, k=1, guard=False)
    more = (extra, extra_truth)
    helped = fit_ranker(ev, truth, VOCAB, ["good", "noise"], settings, k=1, guard=False, extra=more)
    assert helped.validation[RANKER] == 1.0 > alone.validation[RANKER]


def test_guard_switches_only_when_the_single_signal_is_clearly_better() -> None:
    ev, truth = _evidence(60, np.random.default_rng(1))
    weak = RankerSettings(min_samples_leaf=10_000)
    # perfect signal vs a ranker that learns nothing: the bootstrap interval excludes 0
    assert fit_ranker(ev, truth, VOCAB, ["good", "noise"], weak, k=1).chosen == "good"
    # noise that happens to hit 2 of 6 videos where the ranker hits 1: the point estimate switches,
    # the bootstrap calls it level and keeps the ranker
    few, few_truth = _evidence(6, np.random.default_rng(10))
    point = fit_ranker(few, few_truth, VOCAB, ["noise"], replace(weak, guard_level=0.0), k=1)
    assert (point.validation[RANKER], point.validation["noise"]) == (1 / 6, 2 / 6)
    assert point.chosen == "noise"
    assert fit_ranker(few, few_truth, VOCAB, ["noise"], weak, k=1).chosen == RANKER


def test_selection_drops_a_group_that_does_not_help_on_validation_and_keeps_one_that_does() -> None:
    ev, truth = _evidence(120, np.random.default_rng(5))
    settings = RankerSettings(min_samples_leaf=5, max_iter=30)
    groups = {"useful": ("good",), "noisy": ("noise",), "everything": ("good", "noise")}
    ranker = fit_ranker(ev, truth, VOCAB, ["good", "noise"], settings, k=1, groups=groups)
    first = ranker.selection[0]
    # "everything" would leave no signal, so it is never tried; without "good" the ranker is lost
    assert set(first) == {RANKER, "useful", "noisy"}
    assert first["useful"] < first[RANKER] <= first["noisy"] == 1.0
    assert ranker.dropped == ["noisy"] and ranker.names == ("good",)
    assert ranker.validation[RANKER] == 1.0 and "noise" not in ranker.validation
    assert len(ranker.selection) == 1  # "good" alone: nothing left to try
    off = replace(settings, drop_groups=False)
    kept = fit_ranker(ev, truth, VOCAB, ["good", "noise"], off, k=1, groups=groups)
    assert kept.dropped == [] and kept.names == ("good", "noise") and kept.selection == []


def test_selection_keeps_a_group_only_when_its_gain_stands_out_of_the_validation_noise(monkeypatch) -> None:
    """The one-standard-error rule on prescribed out-of-fold scores: leaving out ``a`` loses 1 of 120
    videos (inside the noise: dropped), leaving out ``b`` loses 30 (kept); at level 0 the point
    estimate decides and both stay."""
    from mishon_graph.learn import hybrid

    n = 120
    ev, truth = _evidence(n, np.random.default_rng(7))
    right = np.array([VOCAB.index(truth[t.video_id][0]) for t in ev.targets])
    misses = {
        frozenset({"base", "sa", "sb"}): 0,
        frozenset({"base", "sb"}): 1,
        frozenset({"base", "sa"}): 30,
        frozenset({"base"}): 31,
    }

    def fake_cross_fit(ev, truth, vocab, names, settings, *, extra=None):
        scores = np.zeros((n, len(vocab)), dtype=np.float32)
        wrong = misses[frozenset(names)]
        scores[np.arange(n), right] = 1.0
        scores[np.arange(wrong), (right[:wrong] + 1) % len(vocab)] = 2.0
        return scores

    monkeypatch.setattr(hybrid, "cross_fit", fake_cross_fit)
    groups = {"a": ("sa",), "b": ("sb",)}
    names = ("base", "sa", "sb")
    oof = fake_cross_fit(ev, truth, VOCAB, names, None)
    kept, scores, dropped, rounds = hybrid.select_signals(
        ev, truth, VOCAB, names, groups, RankerSettings(), oof, k=1
    )
    assert (kept, dropped) == (("base", "sb"), ["a"])
    assert rounds == [{RANKER: 1.0, "a": 119 / 120, "b": 90 / 120}, {RANKER: 119 / 120, "b": 89 / 120}]
    np.testing.assert_array_equal(scores, fake_cross_fit(ev, truth, VOCAB, kept, None))
    point = hybrid.select_signals(ev, truth, VOCAB, names, groups, RankerSettings(keep_level=0.0), oof, k=1)
    assert point[0] == names and point[2] == []


def test_the_trees_run_on_one_openmp_thread() -> None:
    """Fits and scoring hold OpenMP to one thread (a busy neighbour core made 2 threads 2.7x slower)."""
    import sklearn.ensemble  # noqa: F401  (loads scikit-learn's OpenMP runtime)
    from threadpoolctl import threadpool_info

    from mishon_graph.learn import hybrid

    with hybrid._serial_trees():
        inside = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp"]
    assert inside and set(inside) == {1}
