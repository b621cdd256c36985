"""Edge families on real data from ../shared/data against the independent pure-Python reference.

Twitter (HowYouTag): each line is ``text \\t user id \\t hashtag...``; every line becomes a video of
its file's split. Textual embeddings are hashed bags of the real words (64-d). Stack Exchange
(Cardano) users give real follower-like (Views) and like-like (UpVotes) counts, with zeros and
skewed values, for Algorithm 1.
"""

from __future__ import annotations

import csv
import hashlib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mishon_graph.constants import TEST, TRAIN, VALID
from mishon_graph.db.runner import Runner
from mishon_graph.graph.build import build_graph
from mishon_graph.testing.reference import (
    UserInfo,
    expected_jaccard_edges,
    expected_popular_edges,
    expected_similar_edges,
    expected_uses_edges,
    training_hashtag_sets,
)
from mishon_graph.testing.seed import SeedGraph, SeedVideo, seed_graph
from mishon_graph.testing.stored import (
    stored_jaccard_edges,
    stored_popular_edges,
    stored_similar_edges,
    stored_uses_edges,
)

LINES = {TRAIN: 3000, VALID: 800, TEST: 800}
EMBEDDED = 400  # Textual nodes (the reference cosine is quadratic)

pytestmark = pytest.mark.slow  # seeding a few thousand real posts and quadratic references: > 10 s


def _embed(text: str, dim: int = 64) -> list[float]:
    vec = [0.0] * dim
    for word in text.split():
        h = int.from_bytes(hashlib.sha1(word.encode()).digest()[:4], "little")
        weight = 1.0 + (h >> 8) % 997 / 997  # non-integer: no exact ties at theta
        vec[h % dim] += weight if (h >> 20) & 1 else -weight
    return vec


def twitter_graph(root: Path) -> SeedGraph:
    graph = SeedGraph(embeddings={"Textual": {}})
    users: set[str] = set()
    for split, limit in LINES.items():
        with open(root / "twitter-howyoutag" / f"{split}.csv", encoding="utf-8", newline="") as fh:
            for n, row in enumerate(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)):
                if n >= limit:
                    break
                if len(row) < 2 or not row[1].strip():
                    continue
                vid = f"{split}-{n:05d}"
                tags = tuple(dict.fromkeys(t.strip().lower() for t in row[2:] if t.strip()))
                users.add(row[1].strip())
                graph.videos.append(SeedVideo(vid, row[1].strip(), split, tags))
                if split == TRAIN and len(graph.embeddings["Textual"]) < EMBEDDED and any(_embed(row[0])):
                    graph.embeddings["Textual"][vid] = _embed(row[0])
    graph.users = [UserInfo(u) for u in sorted(users)]
    return graph


def stackexchange_users(root: Path, limit: int = 400) -> list[UserInfo]:
    users = []
    for _, el in ET.iterparse(root / "stackexchange-cardano" / "Users.xml"):
        if el.tag == "row":
            uid = int(el.get("Id", "0"))
            views, upvotes = el.get("Views"), el.get("UpVotes")
            users.append(
                UserInfo(
                    f"se{uid}",
                    int(views) if views is not None else None,
                    int(upvotes) if upvotes is not None else None,
                    cold_start=uid % 10 == 0,
                )
            )
            if len(users) >= limit:
                break
        el.clear()
    return users


@pytest.fixture
def twitter(shared_data: Path) -> SeedGraph:
    if not (shared_data / "twitter-howyoutag" / "train.csv").is_file():
        pytest.skip("twitter-howyoutag not in shared data")
    return twitter_graph(shared_data)


@pytest.mark.parametrize("gamma", [0.5, 0.2])
def test_jaccard_on_twitter_matches_reference(db: Runner, tmp_path, neo4j_server, twitter, gamma) -> None:
    seed_graph(db, twitter)
    build_graph(db, neo4j_server.config(tmp_path, gamma=gamma), families=["jaccard"], progress=False)
    got = stored_jaccard_edges(db)
    want = expected_jaccard_edges(training_hashtag_sets(twitter.posts()), gamma)
    assert len(want) > 20, "the sample should produce edges"
    assert set(got) == set(want)
    assert max(abs(got[k] - want[k]) for k in want) < 1e-6
    # The test can fail: counting validation/test hashtags would give other edges.
    leaky = expected_jaccard_edges(training_hashtag_sets((u, TRAIN, t) for u, _, t in twitter.posts()), gamma)
    assert set(leaky) != set(want)


def test_uses_and_similar_on_twitter_match_reference(db: Runner, tmp_path, neo4j_server, twitter) -> None:
    seed_graph(db, twitter)
    for cap in (None, 5):
        report = build_graph(
            db,
            neo4j_server.config(tmp_path, theta=0.5, knn_cap=cap),
            families=["uses", "similar"],
            progress=False,
        )
        got = stored_similar_edges(db)["Textual"]
        want = expected_similar_edges(twitter.embeddings["Textual"], 0.5, cap)
        assert len(want) > 20
        assert set(got) == set(want)
        assert max(abs(got[k] - want[k]) for k in want) < 1e-6
        assert report.families["similar"].before_cap["Textual"] == len(
            expected_similar_edges(twitter.embeddings["Textual"], 0.5, None)
        )
    uses = {(u, f"{label}:{v}") for (u, label, v) in stored_uses_edges(db)}
    assert uses == expected_uses_edges(
        ((v.user_id, v.id) for v in twitter.videos), {"Textual": twitter.embeddings["Textual"]}
    )


@pytest.mark.parametrize(("alpha", "to_all"), [(0.1, False), (0.05, True)])
def test_popularity_on_stackexchange_users(
    db: Runner, tmp_path, neo4j_server, shared_data, alpha, to_all
) -> None:
    if not (shared_data / "stackexchange-cardano" / "Users.xml").is_file():
        pytest.skip("stackexchange-cardano not in shared data")
    users = stackexchange_users(shared_data)
    seed_graph(db, SeedGraph(users=users))
    build_graph(
        db,
        neo4j_server.config(tmp_path, alpha=alpha, popular_to_all=to_all),
        families=["popularity"],
        progress=False,
    )
    got = stored_popular_edges(db)
    want = expected_popular_edges(users, alpha, to_all)
    assert len(want) > 20
    assert set(got) == set(want)
    assert max(abs(got[k] - want[k]) for k in want) < 1e-6
