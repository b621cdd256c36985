"""Synthetic graph rows with a learnable signal, for tests and the training benchmark (no I/O).

:func:`synthetic_rows` is a thin adapter over the product's one synthetic generator
(``loaders/synthetic.py``, what ``mishon generate`` writes): its canonical users and posts (topic
interests, Zipf hashtags within a topic, recurring per-user favourites), split by ``ingest/split.py``
``assign_splits`` as ingest would. Each video's unit features are its topic's direction plus noise
(:class:`SyntheticFeatures`), so content predicts hashtags; SIMILAR edges link videos of the same
topic (plus some noise edges).

:func:`legacy_rows` keeps the earlier topic model (each topic a fixed set of tags plus one random
tag) only for tests whose expected numbers were recorded on its exact data; its split is
``assign_splits`` too.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

import numpy as np

from mishon_graph.config import Config
from mishon_graph.ingest.records import PostRecord, UserRecord
from mishon_graph.ingest.split import assign_splits
from mishon_graph.learn.data import GraphRows
from mishon_graph.loaders.synthetic import SyntheticSpec, synthetic_records


@dataclass
class SyntheticFeatures:
    """A deterministic :class:`FeatureSource`: features are generated from the video id on demand.

    Args:
        topics: Topic index per video id.
        units: Per modality, ``(units, dim)``.
        signal: Strength of the topic direction relative to unit noise 1.
        seed: Seed of the topic directions and noise.
    """

    topics: dict[str, int]
    units: dict[str, tuple[int, int]]
    signal: float = 2.0
    seed: int = 0

    def __post_init__(self) -> None:
        n_topics = max(self.topics.values()) + 1 if self.topics else 1
        rng = np.random.default_rng(self.seed)
        self._dirs = {
            m: rng.standard_normal((n_topics, d)).astype(np.float32) for m, (_, d) in self.units.items()
        }

    def get(self, video_id: str, modality: str) -> np.ndarray:
        n, d = self.units[modality]
        h = int.from_bytes(hashlib.sha1(f"{self.seed}/{video_id}/{modality}".encode()).digest()[:8], "little")
        rng = np.random.default_rng(h)
        noise = rng.standard_normal((n, d), dtype=np.float32)
        return noise + self.signal * self._dirs[modality][self.topics[video_id]]


def synthetic_rows(
    n_videos: int,
    n_users: int,
    n_hashtags: int,
    *,
    units: dict[str, tuple[int, int]],
    n_topics: int = 8,
    tags_per_video: int = 3,
    similar_per_video: int = 4,
    cold_users: int = 0,
    seed: int = 0,
    signal: float = 2.0,
) -> tuple[GraphRows, SyntheticFeatures]:
    """Rows of a synthetic graph made by the canonical generator, and its features.

    Videos are ``v000000``, ``v000001``, ... in the generator's order, users ``u00000``, ...; the
    last ``cold_users`` users are declared cold-start; the split is ``assign_splits`` with the
    default ``Config`` fractions. ``n_topics`` is capped at ``n_hashtags`` (one tag per topic at least).
    """
    spec = SyntheticSpec(
        n_users=n_users,
        n_videos=n_videos,
        n_hashtags=n_hashtags,
        n_topics=min(n_topics, n_hashtags),
        cold_start_users=cold_users,
        tags_per_video=float(tags_per_video),
        seed=seed,
    )
    records = synthetic_records(spec)
    rename = {p.id: f"v{i:06d}" for i, p in enumerate(records.posts)}
    splits = assign_splits(records.posts, records.users, Config(seed=seed, cold_start_frac=0.0)).splits
    users = [
        {"id": u.id, "cold_start": u.cold_start, "engagement": (u.likes or 0) / max(1, u.followers or 0)}
        for u in records.users
    ]
    videos = [{"id": rename[p.id], "user_id": p.user_id, "split": splits[p.id]} for p in records.posts]
    labels = {rename[p.id]: sorted(p.hashtags) for p in records.posts}
    topics = {rename[k]: t for k, t in records.topics.items()}
    per_user: dict[str, Counter[int]] = {u["id"]: Counter() for u in users}
    for v in videos:
        per_user[v["user_id"]][topics[v["id"]]] += 1
    user_topic = [per_user[u["id"]].most_common(1)[0][0] if per_user[u["id"]] else -1 for u in users]
    rng = np.random.default_rng(seed)
    return _rows(videos, users, labels, topics, user_topic, units, similar_per_video, rng, signal, seed)


def legacy_rows(
    n_videos: int,
    n_users: int,
    n_hashtags: int,
    *,
    units: dict[str, tuple[int, int]],
    n_topics: int = 8,
    tags_per_video: int = 3,
    similar_per_video: int = 4,
    cold_users: int = 0,
    seed: int = 0,
    signal: float = 2.0,
) -> tuple[GraphRows, SyntheticFeatures]:
    """The earlier topic model (each topic a fixed set of ``tags_per_video`` tags plus one random
    tag, users posting round-robin), kept for tests with numbers recorded on its exact data; the
    split is ``assign_splits`` (user ``j``'s ``k``-th video is its ``k``-th in time)."""
    rng = np.random.default_rng(seed)
    user_topic = rng.integers(0, n_topics, n_users)
    users = [
        {"id": f"u{j:05d}", "cold_start": j >= n_users - cold_users, "engagement": float(rng.random())}
        for j in range(n_users)
    ]
    topic_tags = [
        rng.choice(n_hashtags, size=min(tags_per_video, n_hashtags), replace=False) for _ in range(n_topics)
    ]
    posts, labels, topics = [], {}, {}
    for i in range(n_videos):
        j = i % n_users
        vid = f"v{i:06d}"
        topic = int(user_topic[j]) if rng.random() < 0.7 else int(rng.integers(n_topics))
        topics[vid] = topic
        posts.append(PostRecord(vid, users[j]["id"], f"{i // n_users:09d}"))
        tags = {int(t) for t in topic_tags[topic]} | {int(rng.integers(n_hashtags))}
        labels[vid] = [f"h{t:05d}" for t in sorted(tags)]
    declared = [UserRecord(u["id"], cold_start=u["cold_start"]) for u in users]
    splits = assign_splits(posts, declared, Config(seed=seed, cold_start_frac=0.0)).splits
    videos = [{"id": p.id, "user_id": p.user_id, "split": splits[p.id]} for p in posts]
    return _rows(videos, users, labels, topics, list(user_topic), units, similar_per_video, rng, signal, seed)


def _rows(
    videos: list[dict],
    users: list[dict],
    labels: dict[str, list[str]],
    topics: dict[str, int],
    user_topic: list[int],
    units: dict[str, tuple[int, int]],
    similar_per_video: int,
    rng: np.random.Generator,
    signal: float,
    seed: int,
) -> tuple[GraphRows, SyntheticFeatures]:
    """SIMILAR edges within topics, POPULAR and JACCARD links, USES edges: the rows and features."""
    n_videos, n_users = len(videos), len(users)
    vocab = sorted({h for v in videos if v["split"] == "train" for h in labels[v["id"]]})
    by_topic: dict[int, list[str]] = {}
    for vid, t in topics.items():
        by_topic.setdefault(t, []).append(vid)
    similar: dict[str, list[tuple[str, str, float]]] = {}
    for m in units:
        edges = set()
        for vid, t in topics.items():
            same = by_topic[t]
            for _ in range(similar_per_video):
                other = (
                    same[int(rng.integers(len(same)))]
                    if rng.random() < 0.8
                    else videos[int(rng.integers(n_videos))]["id"]
                )
                if other != vid:
                    edges.add((min(vid, other), max(vid, other)))
        similar[m] = [(a, b, 0.8) for a, b in sorted(edges)]
    popular = [u["id"] for u in sorted(users, key=lambda u: -u["engagement"])[: max(1, n_users // 10)]]
    social = [
        (p, u["id"], "POPULAR", 0.5) for p in popular for u in users if u["cold_start"] and u["id"] != p
    ]
    social += [
        (users[a]["id"], users[b]["id"], "JACCARD", 0.6)
        for a in range(n_users)
        for b in range(a + 1, min(n_users, a + 3))
        if user_topic[a] == user_topic[b]
    ]
    uses = [(v["user_id"], v["id"], m) for v in videos for m in units]
    rows = GraphRows(
        videos=videos,
        users=users,
        modalities=tuple(units),
        hashtags=vocab,
        labels=labels,
        similar=similar,
        social=social,
        uses=uses,
        meta={"source": "synthetic"},
    )
    return rows, SyntheticFeatures(topics, units, signal=signal, seed=seed)
