"""Write-back of recommendations, evaluation of stored runs and the baselines on a tiny graph."""

from __future__ import annotations

import numpy as np
import pytest
from recommend_graph import TEST, seed

from mishon_graph.db.runner import Runner
from mishon_graph.errors import MishonError
from mishon_graph.recommend.baseline_runs import write_baselines
from mishon_graph.recommend.evaluate import evaluate_run, read_run, read_truth
from mishon_graph.recommend.write import write_recommendations

HASHTAGS = ["cat", "cute", "dog", "park"]
VIDEOS = ["x1", "x2", "y1"]
SCORES = np.array(
    [
        [0.9, 0.5, 0.1, 0.0],  # x1: cat, cute, dog, park
        [0.1, 0.8, 0.7, 0.6],  # x2: cute, dog, park, cat
        [0.2, 0.1, 0.9, 0.3],  # y1: dog, park, cat, cute
    ]
)


@pytest.fixture
def graph(db: Runner) -> Runner:
    seed(db)
    return db


def stored(db: Runner, run_id: str) -> list[tuple[str, str, int, float, str]]:
    rows = db.run(
        "MATCH (v:Video)-[r:RECOMMENDS {run_id: $run}]->(h:Hashtag) "
        "RETURN v.id AS v, h.name AS h, r.rank AS rank, r.score AS score, r.model AS model, "
        "r.created_at AS created ORDER BY v, rank",
        {"run": run_id},
    )
    assert all(r["created"] for r in rows)
    return [(r["v"], r["h"], r["rank"], r["score"], r["model"]) for r in rows]


def test_write_top_k_and_replace_only_that_run(graph: Runner) -> None:
    n = write_recommendations(graph, VIDEOS, HASHTAGS, SCORES, k=2, model="mishon", run_id="r1")
    assert n == 6
    assert stored(graph, "r1") == [
        ("x1", "cat", 1, 0.9, "mishon"), ("x1", "cute", 2, 0.5, "mishon"),
        ("x2", "cute", 1, 0.8, "mishon"), ("x2", "dog", 2, 0.7, "mishon"),
        ("y1", "dog", 1, 0.9, "mishon"), ("y1", "park", 2, 0.3, "mishon"),
    ]
    write_recommendations(graph, VIDEOS, HASHTAGS, SCORES[::-1].copy(), k=1, model="other", run_id="r2")
    # re-running r1 with other scores replaces r1 only
    assert write_recommendations(graph, ["x1"], HASHTAGS, SCORES[1:2], k=3, model="mishon", run_id="r1") == 3
    assert [(v, h, rank) for v, h, rank, _, _ in stored(graph, "r1")] == [
        ("x1", "cute", 1), ("x1", "dog", 2), ("x1", "park", 3)
    ]
    assert len(stored(graph, "r2")) == 3
    total = graph.run("MATCH ()-[r:RECOMMENDS]->() RETURN count(r) AS n")[0]["n"]
    assert total == 6


def test_write_bad_input(graph: Runner) -> None:
    with pytest.raises(MishonError, match="unknown video id 'nope'"):
        write_recommendations(graph, ["x1", "nope", "y1"], HASHTAGS, SCORES, k=2, model="m", run_id="r")
    with pytest.raises(MishonError, match="unknown hashtag 'zebra'"):
        tags = ["cat", "cute", "dog", "zebra"]
        write_recommendations(graph, VIDEOS, tags, SCORES, k=2, model="m", run_id="r")
    with pytest.raises(MishonError, match="K = 5 must be between 1 and the vocabulary size 4"):
        write_recommendations(graph, VIDEOS, HASHTAGS, SCORES, k=5, model="m", run_id="r")
    with pytest.raises(MishonError, match="shape"):
        write_recommendations(graph, VIDEOS[:2], HASHTAGS, SCORES, k=2, model="m", run_id="r")
    assert graph.run("MATCH ()-[r:RECOMMENDS]->() RETURN count(r) AS n")[0]["n"] == 0


def independent(lists: dict[str, list[str]], truth: dict[str, set[str]], k: int) -> tuple[float, ...]:
    hits = [len(set(lists[v][:k]) & truth[v]) for v in truth]
    p = sum(h / k for h in hits) / len(truth)
    r = sum(h / len(truth[v]) for h, v in zip(hits, truth, strict=True)) / len(truth)
    return sum(h > 0 for h in hits) / len(truth), p, r, 2 * p * r / (p + r) if p + r else 0.0


def test_evaluate_stored_run_matches_independent_computation(graph: Runner) -> None:
    write_recommendations(graph, VIDEOS, HASHTAGS, SCORES, k=4, model="mishon", run_id="r1")
    lists = {v: [HASHTAGS[j] for j in np.argsort(-SCORES[i], kind="stable")] for i, v in enumerate(VIDEOS)}
    assert read_run(graph, "r1") == lists
    assert read_truth(graph, users="existing") == {"x1": ["cat", "kitten"], "x2": ["dog"]}
    for users, vids in (("existing", ["x1", "x2"]), ("cold", ["y1"]), ("all", VIDEOS)):
        truth = {v: set(TEST[v][1]) for v in vids}
        result = evaluate_run(graph, "r1", ks=range(1, 5), users=users)
        assert sorted(result) == [1, 2, 3, 4]
        for k, m in result.items():
            assert (m.hit, m.precision, m.recall, m.f1) == pytest.approx(independent(lists, truth, k))
            assert m.n_videos == len(vids)
    # by hand, existing users at K = 2: x1 {cat,cute} vs {cat,kitten}; x2 {cute,dog} vs {dog}
    m2 = evaluate_run(graph, "r1", ks=[2])[2]
    assert (m2.hit, m2.precision, m2.recall) == (1.0, 0.5, 0.75)
    assert m2.f1 == pytest.approx(0.6)


def test_evaluate_bad_input(graph: Runner) -> None:
    with pytest.raises(MishonError, match="run 'missing' has no RECOMMENDS"):
        evaluate_run(graph, "missing")
    write_recommendations(graph, VIDEOS, HASHTAGS, SCORES, k=2, model="mishon", run_id="r1")
    with pytest.raises(MishonError, match="K = 5 is larger than the training vocabulary \\(4 hashtags\\)"):
        evaluate_run(graph, "r1", ks=range(1, 6))
    with pytest.raises(MishonError, match="stores only 2 hashtags per video"):
        evaluate_run(graph, "r1", ks=[3])
    with pytest.raises(MishonError, match="unknown user group"):
        evaluate_run(graph, "r1", ks=[1], users="old")
    with pytest.raises(MishonError, match="unknown split"):
        evaluate_run(graph, "r1", ks=[1], split="later")


def test_baselines_written_as_runs_and_evaluated(graph: Runner) -> None:
    runs = write_baselines(graph, k=3, neighbours=2)
    assert runs == {n: f"baseline-{n}" for n in ("popular", "user", "cooccurrence", "knn")}
    assert read_run(graph, "baseline-popular") == {v: ["dog", "cat", "cute"] for v in VIDEOS}
    assert read_run(graph, "baseline-user")["x1"] == ["cat", "cute", "dog"]
    assert read_run(graph, "baseline-user")["y1"] == ["dog", "cat", "cute"]  # cold user: popular
    # x2's nearest training videos: t3 (dog, cute) and t4 (dog, park)
    assert read_run(graph, "baseline-knn")["x2"] == ["dog", "cute", "park"]
    assert read_run(graph, "baseline-knn")["x1"] == ["cat", "cute", "dog"]
    models = graph.run("MATCH ()-[r:RECOMMENDS]->() RETURN DISTINCT r.model AS m ORDER BY m")
    assert [r["m"] for r in models] == ["cooccurrence", "knn", "popular", "user"]
    m = evaluate_run(graph, "baseline-knn", ks=[1])[1]
    assert (m.hit, m.precision, m.recall) == (1.0, 1.0, 0.75)
