"""Synthetic graphs at a chosen shape (benchmarks, scale tests): pure, seeded, no I/O.

A thin adapter over the product's one synthetic generator (``loaders/synthetic.py``, what
``mishon generate`` writes): its canonical users and posts (topic interests, Zipf hashtags within a
topic, recurring per-user favourites, power-law followers and likes), split by ``ingest/split.py``
``assign_splits`` as ingest would, and turned into a :class:`SeedGraph`. Each video's embeddings are
its topic's centre plus noise, so Jaccard and cosine edges have realistic, skewed structure.
"""

from __future__ import annotations

import numpy as np

from mishon_graph.config import Config
from mishon_graph.constants import MODALITIES
from mishon_graph.ingest.split import assign_splits, round_half_up
from mishon_graph.loaders.synthetic import SyntheticSpec, synthetic_records
from mishon_graph.testing.reference import UserInfo
from mishon_graph.testing.seed import SeedGraph, SeedVideo

_TMALL = SyntheticSpec.preset("tmall")
TMALL_SHAPE = {"users": _TMALL.n_users, "videos": _TMALL.n_videos, "hashtags": _TMALL.n_hashtags}


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
        videos: Number of videos, spread over users (at least ``users``: each user posts).
        hashtags: Vocabulary size (at least one per topic).
        dim: Embedding width of each modality.
        topics: Number of topics (hashtag slices and embedding clusters); ``0``: one per ~21 users
            (40 at the TMALL shape), so a larger graph has more communities of the same size.
        cold_start_frac: Fraction of users declared cold-start (at least one user stays warm).
        tags_per_video: Mean hashtags per video (at least one).
        seed: Random seed.
    """
    topics = topics or max(1, round(users / 21))
    cold_users = min(users - 1, round_half_up(cold_start_frac * users))
    spec = SyntheticSpec(
        n_users=users,
        n_videos=videos,
        n_hashtags=hashtags,
        n_topics=min(topics, hashtags),
        cold_start_users=cold_users,
        tags_per_video=float(tags_per_video),
        seed=seed,
    )
    records = synthetic_records(spec)
    splits = assign_splits(records.posts, records.users, Config(seed=seed, cold_start_frac=cold_start_frac))
    rng = np.random.default_rng(seed)
    infos = []
    for user in records.users:
        known = rng.random() > 0.05  # a few users without counts (engagement unknown)
        infos.append(
            UserInfo(
                user.id,
                user.followers if known else None,
                user.likes if known else None,
                user.id in splits.cold_start,
            )
        )
    centres = {label: rng.normal(size=(spec.n_topics, dim)) for label in MODALITIES.values()}
    graph = SeedGraph(users=infos, embeddings={label: {} for label in MODALITIES.values()})
    for post in records.posts:
        graph.videos.append(SeedVideo(post.id, post.user_id, splits.splits[post.id], post.hashtags))
        t = records.topics[post.id]
        for label, c in centres.items():
            if rng.random() < 0.97:  # a few videos lack each modality
                graph.embeddings[label][post.id] = (c[t] + rng.normal(scale=0.8, size=dim)).tolist()
    return graph
