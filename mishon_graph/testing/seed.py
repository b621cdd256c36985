"""Writing a small in-memory graph into Neo4j, for tests and benchmarks (ingestion writes real data).

The same :class:`SeedGraph` feeds the independent computations of
:mod:`mishon_graph.testing.reference`, so a test can compare Neo4j's edges with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from mishon_graph.db.protocol import Runner
from mishon_graph.testing.reference import UserInfo


@dataclass(frozen=True)
class SeedVideo:
    """One video: id, poster, split and hashtags."""

    id: str
    user_id: str
    split: str
    hashtags: tuple[str, ...] = ()


@dataclass
class SeedGraph:
    """Users, videos with hashtags, and per-modality-label embeddings (video id -> vector)."""

    users: list[UserInfo] = field(default_factory=list)
    videos: list[SeedVideo] = field(default_factory=list)
    embeddings: dict[str, dict[str, Sequence[float]]] = field(default_factory=dict)

    def posts(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """``(user_id, split, hashtags)`` per video (input of the reference Jaccard)."""
        return [(v.user_id, v.split, v.hashtags) for v in self.videos]


def seed_graph(runner: Runner, graph: SeedGraph, batch_rows: int = 5000) -> None:
    """CREATE the graph's nodes and relationships (into a database without them)."""
    users = [
        {"id": u.id, "followers": u.followers, "likes": u.likes, "cold_start": u.cold_start}
        for u in graph.users
    ]
    runner.run_file_batched("testing/seed_users", users, batch_size=batch_rows)
    videos = [{"id": v.id, "user_id": v.user_id, "split": v.split} for v in graph.videos]
    runner.run_file_batched("testing/seed_videos", videos, batch_size=batch_rows)
    tags = sorted({t for v in graph.videos for t in v.hashtags})
    runner.run_file_batched("testing/seed_hashtags", [{"name": t} for t in tags], batch_size=batch_rows)
    tagged = [{"video": v.id, "tag": t} for v in graph.videos for t in dict.fromkeys(v.hashtags)]
    runner.run_file_batched("testing/seed_tagged", tagged, batch_size=batch_rows)
    for label, vectors in graph.embeddings.items():
        rows = [{"id": vid, "embedding": [float(x) for x in vec]} for vid, vec in vectors.items()]
        runner.run_file_batched(f"testing/seed_{label.lower()}", rows, batch_size=batch_rows)
