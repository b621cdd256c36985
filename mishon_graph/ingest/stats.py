"""Paper Table 1 per split (videos, hashtags, users, averages), read from Neo4j."""

from __future__ import annotations

from typing import Any

from mishon_graph.constants import SPLITS, TEST, TRAIN, VALID
from mishon_graph.db.protocol import Runner

# (row name, splits, cold_start filter: None = all users)
ROWS: tuple[tuple[str, tuple[str, ...], bool | None], ...] = (
    (TRAIN, (TRAIN,), None),
    (VALID, (VALID,), None),
    (TEST, (TEST,), None),
    ("test (cold-start users)", (TEST,), True),
    ("all", SPLITS, None),
)


def table_row(name: str, counts: dict[str, int]) -> dict[str, Any]:
    """One Table 1 row from the raw counts (pure): averages are 0 for empty splits."""
    videos, users = counts["videos"], counts["users"]
    return {
        "split": name,
        "videos": videos,
        "hashtags": counts["hashtags"],
        "users": users,
        "assignments": counts["assignments"],
        "avg_hashtags_per_video": round(counts["assignments"] / videos, 3) if videos else 0.0,
        "avg_videos_per_user": round(videos / users, 3) if users else 0.0,
    }


def dataset_stats(runner: Runner) -> list[dict[str, Any]]:
    """Rows ``{split, videos, hashtags, users, assignments, avg_hashtags_per_video, avg_videos_per_user}``
    for train, valid, test, the cold-start part of test, and all videos."""
    out = []
    for name, splits, cold in ROWS:
        counts = runner.run_file("ingest/split_stats", {"splits": list(splits), "cold_start": cold})[0]
        out.append(table_row(name, counts))
    return out
