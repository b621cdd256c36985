"""Every edge family on a small hand-made graph with exact expected weights; rebuilds; metadata."""

from __future__ import annotations

import math

import pytest

from mishon_graph.constants import TEST, TRAIN, VALID
from mishon_graph.db.runner import Runner
from mishon_graph.graph.build import build_graph, read_meta
from mishon_graph.graph.modalities import present_modalities
from mishon_graph.graph.stats import graph_stats
from mishon_graph.testing.graphs import synthetic_graph
from mishon_graph.testing.reference import UserInfo, expected_jaccard_edges, training_hashtag_sets
from mishon_graph.testing.seed import SeedGraph, SeedVideo, seed_graph
from mishon_graph.testing.stored import (
    stored_jaccard_edges,
    stored_popular_edges,
    stored_similar_edges,
    stored_uses_edges,
    videos_missing_modalities,
)

S2 = 1 / math.sqrt(2)


def hand_made() -> SeedGraph:
    """Training sets: a={x,y}, b={x,y,z}, c={z}, e={x,y}; d and f are cold-start."""
    return SeedGraph(
        users=[
            UserInfo("a", followers=100, likes=50),  # Er 0.5
            UserInfo("b", followers=10, likes=20),  # Er 2.0
            UserInfo("c", followers=0, likes=5),  # followers 0 -> Er 0
            UserInfo("d", followers=1000, likes=10, cold_start=True),  # cold-start -> Er 0
            UserInfo("e", followers=None, likes=7),  # unknown followers -> Er 0
            UserInfo("f", cold_start=True),
        ],
        videos=[
            SeedVideo("v1", "a", TRAIN, ("x", "y")),
            SeedVideo("v2", "b", TRAIN, ("x", "y", "z")),
            SeedVideo("v3", "c", TRAIN, ("z",)),
            SeedVideo("v4", "a", TEST, ("z", "q")),
            SeedVideo("v5", "d", TEST, ("x",)),
            SeedVideo("v6", "b", VALID, ("w",)),
            SeedVideo("v7", "e", TRAIN, ("x", "y")),
            SeedVideo("v8", "f", TEST, ("y",)),
        ],
        embeddings={
            "Visual": {"v1": [1.0, 0.0], "v2": [1.0, 1.0], "v3": [0.0, 1.0], "v4": [1.0, 0.1]},
            "Textual": {"v1": [1.0, 2.0], "v5": [-1.0, -2.0]},
        },
    )


def _approx(got: dict, want: dict) -> None:
    assert set(got) == set(want)
    for key, w in want.items():
        assert got[key] == pytest.approx(w, abs=1e-9), key


def test_every_family_on_the_hand_made_graph(db: Runner, tmp_path, neo4j_server) -> None:
    seed_graph(db, hand_made())
    config = neo4j_server.config(tmp_path, knn_cap=None)
    report = build_graph(db, config, progress=False)

    _approx(stored_jaccard_edges(db), {("a", "b"): 2 / 3, ("a", "e"): 1.0, ("b", "e"): 2 / 3})
    _approx(stored_popular_edges(db), {("b", "d"): 2.0, ("b", "f"): 2.0})
    engagement = {r["id"]: r["e"] for r in db.run("MATCH (u:User) RETURN u.id AS id, u.engagement AS e")}
    assert engagement == {"a": 0.5, "b": 2.0, "c": 0.0, "d": 0.0, "e": 0.0, "f": 0.0}
    assert stored_uses_edges(db) == {
        ("a", "Visual", "v1"): 1,
        ("a", "Visual", "v4"): 1,
        ("b", "Visual", "v2"): 1,
        ("c", "Visual", "v3"): 1,
        ("a", "Textual", "v1"): 1,
        ("d", "Textual", "v5"): 1,
    }
    similar = stored_similar_edges(db)
    _approx(
        similar["Visual"],
        {
            ("v1", "v2"): S2,
            ("v1", "v4"): 1 / math.sqrt(1.01),
            ("v2", "v3"): S2,
            ("v2", "v4"): 1.1 / (math.sqrt(2) * math.sqrt(1.01)),
        },
    )
    assert similar["Textual"] == {} and similar["Acoustic"] == {}  # cosine -1 < theta
    assert report.edges == {"jaccard": 3, "popularity": 2, "uses": 6, "similar": 4}
    assert report.families["uses"].per_modality == {"Visual": 4, "Acoustic": 0, "Textual": 2}
    assert report.families["jaccard"].details["users_without_training_hashtags"] == 2


def test_knn_cap_keeps_the_symmetrised_nearest_neighbours(db: Runner, tmp_path, neo4j_server) -> None:
    seed_graph(db, hand_made())
    report = build_graph(db, neo4j_server.config(tmp_path, knn_cap=1), families=["similar"], progress=False)
    # v1 keeps v4, v2 keeps v4, v3 keeps v2, v4 keeps v1
    assert set(stored_similar_edges(db)["Visual"]) == {("v1", "v4"), ("v2", "v4"), ("v2", "v3")}
    assert report.families["similar"].before_cap["Visual"] == 4
    assert report.families["similar"].per_modality["Visual"] == 3


def test_test_and_valid_hashtags_never_change_jaccard(db: Runner, tmp_path, neo4j_server) -> None:
    graph = hand_made()
    seed_graph(db, graph)
    config = neo4j_server.config(tmp_path, gamma=0.0)
    build_graph(db, config, families=["jaccard"], progress=False)
    before = stored_jaccard_edges(db)
    # c and e would become identical (Jaccard 1) and a-c would share tags if these counted.
    extra = SeedGraph(
        videos=[
            SeedVideo("t1", "c", TEST, ("x", "y")),
            SeedVideo("t2", "e", VALID, ("z",)),
            SeedVideo("t3", "a", TEST, ("z",)),
            SeedVideo("t4", "d", TEST, ("x", "y", "z")),
        ]
    )
    seed_graph(db, extra)
    build_graph(db, config, families=["jaccard"], progress=False)
    assert stored_jaccard_edges(db) == before
    _approx(before, {("a", "b"): 2 / 3, ("a", "e"): 1.0, ("b", "c"): 1 / 3, ("b", "e"): 2 / 3})


def test_used_edges_are_training_only_and_rebuilt(db: Runner, tmp_path, neo4j_server) -> None:
    graph = hand_made()
    graph.videos.append(SeedVideo("v9", "a", TRAIN, ("x",)))
    seed_graph(db, graph)
    config = neo4j_server.config(tmp_path)
    for _ in range(2):  # the second build deletes and recreates them: no duplicates
        report = build_graph(db, config, families=["jaccard"], progress=False)
        used = db.run("MATCH (u:User)-[r:USED]->(h:Hashtag) RETURN u.id AS u, h.name AS h, r.count AS n")
        got = sorted((r["u"], r["h"], r["n"]) for r in used)
        # No leakage: a's test tags z/q, b's valid tag w, d's and f's test tags are absent.
        assert got == [
            ("a", "x", 2),
            ("a", "y", 1),
            ("b", "x", 1),
            ("b", "y", 1),
            ("b", "z", 1),
            ("c", "z", 1),
            ("e", "x", 1),
            ("e", "y", 1),
        ]
        assert report.families["jaccard"].details["used_edges"] == 8


def _prefix_edge_cases() -> SeedGraph:
    """q0 holds 25 tags; q1 holds its 7 most used ones (t18-t24, also used by q2-q4).

    At gamma 0.28, J(q0, q1) = 7/25 = 0.28 exactly, and 0.28 * 25 = 7.000000000000001 in floating
    point: a prefix of q0 cut for ceil(0.28 * 25) = 8 shared tags would hold only t00-t17 and lose
    the pair.
    """
    videos = [SeedVideo(f"q0v{i}", "q0", TRAIN, (f"t{i:02d}",)) for i in range(25)]
    common = tuple(f"t{i:02d}" for i in range(18, 25))
    videos += [SeedVideo(f"{u}v", u, TRAIN, common) for u in ("q1", "q2", "q3", "q4")]
    videos += [SeedVideo("q5v", "q5", TRAIN, ("t00", "t24")), SeedVideo("q6v", "q6", TEST, ("t00",))]
    return SeedGraph(users=[UserInfo(f"q{i}") for i in range(7)], videos=videos)


@pytest.mark.parametrize("gamma", [0.0, 0.1, 0.25, 0.28, 1 / 3, 0.5, 2 / 3, 0.9, 1.0])
def test_jaccard_is_exact_for_every_gamma(db: Runner, tmp_path, neo4j_server, gamma: float) -> None:
    random = synthetic_graph(80, 900, 60, topics=4, seed=7)
    random.embeddings = {}
    edge_cases = _prefix_edge_cases()
    seed_graph(db, random)
    seed_graph(db, edge_cases)
    build_graph(db, neo4j_server.config(tmp_path, gamma=gamma), families=["jaccard"], progress=False)
    want = expected_jaccard_edges(training_hashtag_sets(random.posts() + edge_cases.posts()), gamma)
    assert len(want) > 0
    _approx(stored_jaccard_edges(db), want)


def test_popularity_options(db: Runner, tmp_path, neo4j_server) -> None:
    seed_graph(db, hand_made())
    build_graph(db, neo4j_server.config(tmp_path, alpha=0.5), families=["popularity"], progress=False)
    # ceil(0.5 * 6) = 3 popular: b (2.0), a (0.5), then the 0-ties by id: c.
    _approx(
        stored_popular_edges(db),
        {
            ("b", "d"): 2.0,
            ("b", "f"): 2.0,
            ("a", "d"): 0.5,
            ("a", "f"): 0.5,
            ("c", "d"): 0.0,
            ("c", "f"): 0.0,
        },
    )
    build_graph(
        db, neo4j_server.config(tmp_path, popular_to_all=True), families=["popularity"], progress=False
    )
    _approx(stored_popular_edges(db), {("b", u): 2.0 for u in "acdef"})


def test_rebuild_leaves_no_duplicate_or_stale_edges(db: Runner, tmp_path, neo4j_server) -> None:
    seed_graph(db, hand_made())
    build_graph(db, neo4j_server.config(tmp_path, knn_cap=None), progress=False)
    build_graph(db, neo4j_server.config(tmp_path, knn_cap=None), progress=False)
    build_graph(
        db,
        neo4j_server.config(tmp_path, theta=0.9, gamma=0.9),
        families=["similar", "jaccard"],
        progress=False,
    )
    dupes = db.run(
        "MATCH (a)-[r]->(b) WITH a, b, type(r) AS t, count(r) AS n WHERE n > 1 RETURN count(*) AS d"
    )
    assert dupes[0]["d"] == 0
    assert stored_similar_edges(db)["Visual"] == pytest.approx({("v1", "v4"): 1 / math.sqrt(1.01)})
    assert stored_jaccard_edges(db) == {("a", "e"): 1.0}
    assert len(stored_uses_edges(db)) == 6 and len(stored_popular_edges(db)) == 2
    meta = read_meta(db)
    assert meta["theta"] == 0.9 and meta["gamma"] == 0.9 and meta["knn_cap"] == 10
    assert meta["alpha"] == 0.1 and meta["popular_to_all"] is False
    assert meta["families"] == ["jaccard", "similar"] and "built_at" in meta


def test_stats_and_missing_modalities(db: Runner, tmp_path, neo4j_server) -> None:
    seed_graph(db, hand_made())
    build_graph(db, neo4j_server.config(tmp_path, knn_cap=1), progress=False)
    assert present_modalities(db) == ["visual", "textual"]
    assert videos_missing_modalities(db) == {
        "visual": ["v5", "v6", "v7", "v8"],
        "textual": ["v2", "v3", "v4", "v6", "v7", "v8"],
    }
    stats = graph_stats(db)
    assert stats["nodes"] == {"User": 6, "Video": 8, "Hashtag": 5, "Visual": 4, "Acoustic": 0, "Textual": 2}
    assert stats["edges"]["JACCARD"] == 3 and stats["edges"]["SIMILAR_Visual"] == 3
    assert stats["edges"]["USES_Textual"] == 2 and stats["edges"]["POPULAR"] == 2
    assert stats["users"] == {
        "users": 6,
        "cold_start": 2,
        "without_training_hashtags": 2,
        "zero_followers": 1,
        "unknown_followers": 2,
        "unknown_likes": 1,
    }
    assert stats["videos_missing"] == {"Visual": 4, "Textual": 6}
    assert stats["similar_before_cap"]["Visual"] == 4 and stats["similar_after_cap"]["Visual"] == 3
    # Textual nodes v1, v5: no SIMILAR edge, but both are used by their poster.
    assert stats["isolated"] == {"User": 0, "Visual": 0, "Acoustic": 0, "Textual": 0}
    assert stats["degrees"]["JACCARD"] == {"min": 0, "mean": 1.0, "max": 2}
    assert stats["degrees"]["SIMILAR_Visual"] == {"min": 1, "mean": 1.5, "max": 2}


def test_empty_graph_builds_and_reports_zeros(db: Runner, tmp_path, neo4j_server) -> None:
    report = build_graph(db, neo4j_server.config(tmp_path), progress=False)
    assert report.edges == {"jaccard": 0, "popularity": 0, "uses": 0, "similar": 0}
    stats = graph_stats(db)
    assert stats["nodes"]["User"] == 0 and stats["videos_missing"] == {}
