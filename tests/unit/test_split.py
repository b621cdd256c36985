"""Split rules on tiny hand-made cases with exact expected values."""

from __future__ import annotations

from mishon_graph.config import Config
from mishon_graph.ingest.records import PostRecord, UserRecord
from mishon_graph.ingest.split import assign_splits, pick_cold_start, round_half_up, split_sizes


def _posts(user: str, n: int, start: int = 0) -> list[PostRecord]:
    # created_at in reverse input order, to prove the split sorts by time
    return [
        PostRecord(
            id=f"{user}-{i}",
            user_id=user,
            created_at=f"2020-01-{28 - i:02d}T00:00:00.000+00:00",
            hashtags=("a",),
        )
        for i in range(start, start + n)
    ]


def test_round_half_up() -> None:
    assert [round_half_up(x) for x in (0.4, 0.5, 1.5, 2.5, 15 * 0.2)] == [0, 1, 2, 3, 3]


def test_split_sizes_exact() -> None:
    assert split_sizes(1, 0.2, 0.1) == (1, 0, 0)
    assert split_sizes(2, 0.2, 0.1) == (1, 0, 1)
    assert split_sizes(4, 0.2, 0.1) == (3, 0, 1)
    assert split_sizes(10, 0.2, 0.1) == (7, 1, 2)
    assert split_sizes(15, 0.2, 0.1) == (11, 1, 3)
    assert split_sizes(20, 0.2, 0.1) == (14, 2, 4)
    assert split_sizes(0, 0.2, 0.1) == (0, 0, 0)


def test_per_user_time_order_and_no_cold_start() -> None:
    posts = _posts("u1", 10)
    splits, cold = assign_splits(posts, [UserRecord("u1")], Config(home="/tmp/x", cold_start_frac=0.0))
    assert cold == frozenset()
    # u1-9 is the oldest (2020-01-19), u1-0 the newest (2020-01-28)
    assert [splits[f"u1-{i}"] for i in range(10)] == ["test", "test", "valid"] + ["train"] * 7


def test_test_posts_never_older_than_train_posts() -> None:
    posts = _posts("a", 7) + _posts("b", 13) + _posts("c", 4)
    users = [UserRecord(u) for u in "abc"]
    splits, _ = assign_splits(posts, users, Config(home="/tmp/x", cold_start_frac=0.0))
    for user in "abc":
        own = [p for p in posts if p.user_id == user]
        latest_train = max(p.created_at for p in own if splits[p.id] == "train")
        assert all(p.created_at > latest_train for p in own if splits[p.id] in ("valid", "test"))


def test_cold_start_users_have_only_test_posts_and_are_seeded() -> None:
    posts = [p for u in range(10) for p in _posts(f"u{u}", 5)]
    users = [UserRecord(f"u{u}") for u in range(10)]
    config = Config(home="/tmp/x", cold_start_frac=0.2, seed=3)
    splits, cold = assign_splits(posts, users, config)
    assert len(cold) == 2
    assert cold == pick_cold_start([f"u{u}" for u in range(10)], 0.2, 3)
    assert assign_splits(posts, users, config).cold_start == cold
    for p in posts:
        if p.user_id in cold:
            assert splits[p.id] == "test"
    # 5 posts a user leave no per-user validation post, so the global fallback holds out 3 of 32.
    assert {splits[p.id] for p in posts if p.user_id not in cold} == {"train", "valid", "test"}
    assert sum(1 for v in splits.values() if v == "valid") == 3


def test_declared_cold_start_users_replace_the_sample() -> None:
    posts = _posts("a", 5) + _posts("b", 5)
    users = [UserRecord("a"), UserRecord("b", cold_start=True)]
    splits, cold = assign_splits(posts, users, Config(home="/tmp/x", cold_start_frac=0.5))
    assert cold == frozenset({"b"})
    assert all(splits[p.id] == "test" for p in posts if p.user_id == "b")


def test_own_split_is_kept() -> None:
    posts = [
        PostRecord(id="1", user_id="a", created_at="2020", split="train"),
        PostRecord(id="2", user_id="a", created_at="2021", split="valid"),
        PostRecord(id="3", user_id="b", created_at="2019", split="test"),
    ]
    splits, cold = assign_splits(posts, [UserRecord("a"), UserRecord("b")], Config(home="/tmp/x"))
    assert splits == {"1": "train", "2": "valid", "3": "test"}
    assert cold == frozenset()


def test_validation_falls_back_to_the_latest_posts_when_the_per_user_cut_leaves_too_few() -> None:
    # Twenty one-post creators and one with 6 posts: the per-user cut makes 1 validation post
    # (6 posts -> test 1, valid 1, train 4), under half of the 3 a global cut holds out of 25.
    posts = [p for u in range(20) for p in _posts(f"one{u:02d}", 1)] + _posts("many", 6)
    users = [UserRecord(p.user_id) for p in posts]
    config = Config(home="/tmp/x", cold_start_frac=0.0, valid_frac=0.1, test_frac=0.2)
    result = assign_splits(posts, users, config)
    pool = sorted((p for p in posts if result.splits[p.id] != "test"), key=lambda p: (p.created_at, p.id))
    assert len(pool) == 25
    assert [result.splits[p.id] for p in pool[-3:]] == ["valid"] * 3
    assert all(result.splits[p.id] == "train" for p in pool[:-3])
    assert result.valid_rule.startswith("latest 3 non-test posts")
    assert "left 1" in result.valid_rule
    # test posts are what the per-user cut made them
    assert [p.id for p in posts if result.splits[p.id] == "test"] == ["many-0"]


def test_per_user_validation_is_kept_when_it_is_large_enough() -> None:
    posts = [p for u in range(4) for p in _posts(f"u{u}", 20)]
    users = [UserRecord(f"u{u}") for u in range(4)]
    result = assign_splits(posts, users, Config(home="/tmp/x", cold_start_frac=0.0))
    assert result.valid_rule == "per-user time cut"
    assert sum(1 for v in result.splits.values() if v == "valid") == 4 * 2
