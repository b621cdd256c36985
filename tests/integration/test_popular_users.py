"""Algorithm 1's popular users, read by graph build, inference and serve from one Cypher file."""

from __future__ import annotations

from mishon_graph.db.runner import Runner
from mishon_graph.graph.popularity import popular_users

_USERS = "UNWIND $rows AS row CREATE (:User {id: row.id, engagement: row.engagement})"


def _users(db: Runner, ids: list[str], engagement: list[float]) -> None:
    db.run("MATCH (u:User) DETACH DELETE u", write=True)
    db.run(
        _USERS,
        {"rows": [{"id": i, "engagement": e} for i, e in zip(ids, engagement, strict=True)]},
        write=True,
    )


def test_popular_users_rank_by_engagement_then_id(db: Runner) -> None:
    _users(db, ["b", "a", "c"], [0.5, 0.5, 0.1])
    assert [u for u, _ in popular_users(db, 0.5)] == ["a", "b"]
    assert popular_users(db, 0.5) == [("a", 0.5), ("b", 0.5)]
    _users(db, ["a"] * 1 + [f"x{i}" for i in range(9)], [0.0] * 10)
    assert [u for u, _ in popular_users(db, 0.1)] == ["a"]
