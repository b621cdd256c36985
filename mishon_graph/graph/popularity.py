"""Popularity links for cold-start users (Algorithm 1), computed in Cypher.

Engagement Er = likes / followers is stored on every User (0 for cold-start users, unknown likes
or followers, and followers <= 0). Users are ranked by Er descending, ties by id ascending; the
first ceil(alpha * number of users) are popular (the product is rounded to 9 decimals first, so
0.1 * 30 is 3). Each popular user gets a POPULAR edge to every cold-start user (or, with
``popular_to_all``, to every other user, as the pseudo-code reads) with weight = the popular
user's Er.
"""

from __future__ import annotations

import time

from mishon_graph.config import Config
from mishon_graph.db.protocol import Runner
from mishon_graph.graph.family import FamilyResult, delete_family

POPULAR_PER_TRANSACTION = 20


def popular_users(runner: Runner, alpha: float) -> list[tuple[str, float]]:
    """Algorithm 1's popular users, ``(id, engagement)`` in rank order (the rule lives in
    ``cypher/edges/popular_users.cypher``; run after engagement is set)."""
    rows = runner.run_file("edges/popular_users", {"alpha": alpha})
    return [(r["id"], float(r["engagement"])) for r in rows]


def build_popularity(runner: Runner, config: Config) -> FamilyResult:
    """Set ``User.engagement`` and replace every POPULAR edge."""
    t0 = time.perf_counter()
    delete_family(runner, "popular", config.batch_rows * 10)
    eng = runner.run_file("edges/popularity_engagement", write=True)
    popular = [p for p, _ in popular_users(runner, config.alpha)]
    rows = runner.run_file_autocommit(
        "edges/popular_links",
        {"popular": popular, "to_all": config.popular_to_all, "batch": POPULAR_PER_TRANSACTION},
    )
    edges = int(rows[0]["edges"] or 0) if rows else 0
    return FamilyResult(
        "popularity",
        edges,
        time.perf_counter() - t0,
        details={
            "users": int(eng[0]["users"]) if eng else 0,
            "users_with_engagement": int(eng[0]["engaged"]) if eng else 0,
            "popular": len(popular),
        },
    )
