"""Synthetic graphs at a chosen shape (benchmarks, scale tests): pure, seeded, no I/O.

Users follow topics: each topic owns a slice of the hashtag vocabulary and a cluster centre in
embedding space; a user draws most hashtags from their topic (Zipf-like within it) and some from
anywhere, and their videos' embeddings are the topic centre plus noise, so Jaccard and cosine
edges have realistic, skewed structure.
"""

from __future__ import annotations

import numpy as np

from mishon_graph.constants import MODALITIES, TEST, TRAIN, VALID
from mishon_graph.testing.reference import UserInfo
from mishon_graph.testing.seed import SeedGraph, SeedVideo

TMALL_SHAPE = {"users": 839, "videos": 13140, "hashtags": 3354}


def synthetic_graph(
    users: int,
    videos: int,
    hashtags: int,
    *,
    dim: int = 64,
    topics: int = 40,
    cold_start_frac: float = 0.1,
    tags_per_video: int = 3,
    seed: int = 0,
) -> SeedGraph:
    """A topic-structured random graph with ``users`` users, ``videos`` videos and ``hashtags`` tags.

    Args:
        users: Number of users (10% cold-start by default: all their videos are test).
        videos: Number of videos, spread over users (each user gets at least one).
        hashtags: Vocabulary size.
        dim: Embedding width of each modality.
        topics: Number of topics (hashtag slices and embedding clusters); default one per ~21
            users (40 at the TMALL shape), so a larger graph has more communities of the same size.
        cold_start_frac: Fraction of users held out as cold-start.
        tags_per_video: Mean hashtags per video (at least one).
        seed: Random seed.
    """
    rng = np.random.default_rng(seed)
    topics = topics or max(1, round(users / 21))
    topic_of_user = rng.integers(0, topics, users)
    bounds = np.linspace(0, hashtags, topics + 1).astype(int)
    centres = {label: rng.normal(size=(topics, dim)) for label in MODALITIES.values()}
    user_ids = [f"u{i:07d}" for i in range(users)]
    cold = set(rng.choice(users, int(round(cold_start_frac * users)), replace=False).tolist())
    infos = []
    for i, uid in enumerate(user_ids):
        followers = int(rng.integers(0, 5000)) if rng.random() > 0.05 else None
        likes = int(rng.integers(0, 20000)) if followers is not None else None
        infos.append(UserInfo(uid, followers, likes, i in cold))
    owner = np.concatenate([np.arange(users), rng.integers(0, users, max(0, videos - users))])[:videos]
    order = np.argsort(owner, kind="stable")
    graph = SeedGraph(users=infos, embeddings={label: {} for label in MODALITIES.values()})
    position: dict[int, int] = {}
    counts = np.bincount(owner, minlength=users)
    for n, vi in enumerate(order):
        u = int(owner[vi])
        k = position.get(u, 0)
        position[u] = k + 1
        split = TEST if u in cold or k >= 0.8 * counts[u] else (VALID if k >= 0.7 * counts[u] else TRAIN)
        t = int(topic_of_user[u])
        lo, hi = bounds[t], max(bounds[t] + 1, bounds[t + 1])
        n_tags = max(1, int(rng.poisson(tags_per_video)))
        tags = set()
        for _ in range(n_tags):
            if rng.random() < 0.8:
                tags.add(int(lo + min(hi - lo - 1, int(rng.zipf(1.6)) - 1)))
            else:
                tags.add(int(rng.integers(0, hashtags)))
        vid = f"v{n:08d}"
        graph.videos.append(SeedVideo(vid, user_ids[u], split, tuple(f"h{x:06d}" for x in sorted(tags))))
        for label, c in centres.items():
            if rng.random() < 0.97:  # a few videos lack each modality
                graph.embeddings[label][vid] = (c[t] + rng.normal(scale=0.8, size=dim)).tolist()
    return graph
