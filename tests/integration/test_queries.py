"""The named query library on the tiny seeded graph: expected rows, one-line errors."""

from __future__ import annotations

import numpy as np
import pytest
from recommend_graph import seed

from mishon_graph.db.runner import Runner
from mishon_graph.errors import MishonError
from mishon_graph.recommend import queries
from mishon_graph.recommend.write import write_recommendations


@pytest.fixture
def graph(db: Runner) -> Runner:
    seed(db)
    scores = np.array([[0.9, 0.5, 0.1, 0.0], [0.1, 0.8, 0.7, 0.6], [0.2, 0.1, 0.9, 0.3]])
    tags = ["cat", "cute", "dog", "park"]
    write_recommendations(
        db,
        ["x1", "x2", "y1"],
        tags,
        scores,
        k=3,
        model="old",
        run_id="r-old",
        created_at="2024-01-01T00:00:00+00:00",
    )
    write_recommendations(
        db,
        ["x1", "x2", "y1"],
        tags,
        scores[::-1].copy(),
        k=3,
        model="mishon",
        run_id="r-new",
        created_at="2025-01-01T00:00:00+00:00",
    )
    return db


def test_catalogue_lists_documented_queries() -> None:
    assert queries.names() == [
        "cold_start_users",
        "similar_users",
        "top_hashtags",
        "trending_for_user",
        "why",
    ]
    for q in queries.catalogue():
        assert q.description and q.returns, q.name


def test_top_hashtags_latest_run_or_named_run(graph: Runner) -> None:
    rows = queries.run_query(graph, "top_hashtags", {"video_id": "x1"})
    assert [(r["rank"], r["hashtag"], r["run_id"]) for r in rows] == [
        (1, "dog", "r-new"),
        (2, "park", "r-new"),
        (3, "cat", "r-new"),
    ]
    rows = queries.run_query(graph, "top_hashtags", {"video_id": "x1", "model": "old"})
    assert {r["run_id"] for r in rows} == {"r-old"}
    rows = queries.run_query(graph, "top_hashtags", {"video_id": "x1", "run_id": "r-old", "limit": "2"})
    assert [(r["hashtag"], r["score"], r["model"]) for r in rows] == [
        ("cat", 0.9, "old"),
        ("cute", 0.5, "old"),
    ]


def test_why_lists_similar_videos_users_and_popular_users(graph: Runner) -> None:
    rows = queries.run_query(graph, "why", {"video_id": "x2", "hashtag": "dog"})
    assert [(r["reason"], r["via"], r["neighbour"], r["weight"], r["uses"]) for r in rows] == [
        ("similar_video", "Textual", "t3", 1.0, 1),
        ("similar_video", "Textual", "t4", 0.99, 1),
        ("similar_user", "JACCARD", "u3", pytest.approx(1 / 3), 1),
    ]
    rows = queries.run_query(graph, "why", {"video_id": "y1", "hashtag": "dog"})
    assert [(r["reason"], r["neighbour"], r["weight"]) for r in rows] == [("popular_user", "u3", 0.5)]
    rows = queries.run_query(graph, "why", {"video_id": "x1", "hashtag": "cute"})
    assert [(r["reason"], r["neighbour"], r["uses"]) for r in rows] == [
        ("similar_video", "t1", 1),
        ("similar_user", "u2", 1),
    ]


def test_similar_users_and_trending(graph: Runner) -> None:
    rows = queries.run_query(graph, "similar_users", {"user_id": "u2"})
    assert [(r["user"], r["shared"], r["videos"]) for r in rows] == [("u3", ["dog"], 1), ("u1", ["cute"], 2)]
    assert rows[0]["jaccard"] == pytest.approx(1 / 3)
    rows = queries.run_query(graph, "trending_for_user", {"user_id": "u2"})
    got = [(r["hashtag"], r["users"], r["uses"], r["own"]) for r in rows]
    # u1 (0.25): cat x2, cute x1; u3 (1/3): dog x1 -> cat 0.5, dog 0.333, cute 0.25
    assert got == [("cat", 1, 2, False), ("dog", 1, 1, True), ("cute", 1, 1, True)]
    assert rows[0]["score"] == pytest.approx(0.5)


def test_cold_start_users(graph: Runner) -> None:
    rows = queries.run_query(graph, "cold_start_users")
    assert rows == [
        {"user": "c1", "videos": 1, "popular_links": 1, "popular_users": ["u3"], "max_weight": 0.5}
    ]


def test_bad_names_and_params(graph: Runner) -> None:
    with pytest.raises(MishonError, match="unknown query 'nope'; known: cold_start_users"):
        queries.run_query(graph, "nope")
    with pytest.raises(MishonError, match="needs parameter 'hashtag': pass --param hashtag=VALUE"):
        queries.run_query(graph, "why", {"video_id": "x1"})
    with pytest.raises(MishonError, match="has no parameter 'user'"):
        queries.run_query(graph, "similar_users", {"user": "u1"})
    with pytest.raises(MishonError, match="parameter 'limit' must be int"):
        queries.run_query(graph, "cold_start_users", {"limit": "many"})


def test_values_are_parameters_not_text(graph: Runner) -> None:
    hostile = "x1'}) DETACH DELETE v //"
    assert queries.run_query(graph, "top_hashtags", {"video_id": hostile}) == []
    assert graph.run("MATCH (v:Video) RETURN count(v) AS n")[0]["n"] == 8
