"""Synthetic graph rows with a learnable signal, for tests and the training benchmark (no I/O).

Each video has a "topic"; its hashtags are the topic's tags plus a random one, and its unit
features are a topic direction plus noise, so content predicts hashtags. Users post mostly one
topic. Similar edges link videos of the same topic (plus some noise edges).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from mishon_graph.learn.data import GraphRows


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
    """Rows of a synthetic graph (videos split train/valid/test 70/10/20 per user) and its features."""
    rng = np.random.default_rng(seed)
    user_topic = rng.integers(0, n_topics, n_users)
    users = [
        {"id": f"u{j:05d}", "cold_start": j >= n_users - cold_users, "engagement": float(rng.random())}
        for j in range(n_users)
    ]
    topic_tags = [
        rng.choice(n_hashtags, size=min(tags_per_video, n_hashtags), replace=False) for _ in range(n_topics)
    ]
    videos, labels, topics = [], {}, {}
    per_user: dict[int, int] = {}
    for i in range(n_videos):
        j = i % n_users
        k = per_user.get(j, 0)
        per_user[j] = k + 1
        vid = f"v{i:06d}"
        topic = int(user_topic[j]) if rng.random() < 0.7 else int(rng.integers(n_topics))
        topics[vid] = topic
        total = n_videos // n_users + (1 if j < n_videos % n_users else 0)
        frac = k / max(total, 1)
        cold = users[j]["cold_start"]
        split = "test" if cold or frac >= 0.8 else ("valid" if frac >= 0.7 else "train")
        videos.append({"id": vid, "user_id": users[j]["id"], "split": split})
        tags = {int(t) for t in topic_tags[topic]} | {int(rng.integers(n_hashtags))}
        labels[vid] = [f"h{t:05d}" for t in sorted(tags)]
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
