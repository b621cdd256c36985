"""Paper preprocessing: normalisation, the training-only vocabulary, and the drop reasons."""

from __future__ import annotations

from mishon_graph.config import Config
from mishon_graph.ingest.preprocess import normalise_hashtag, normalise_hashtags, preprocess
from mishon_graph.ingest.records import Dataset, PostRecord, UserRecord
from mishon_graph.ingest.split import assign_splits


def _post(pid: str, user: str, day: int, tags: tuple[str, ...], text: str = "t", **kw: object) -> PostRecord:
    return PostRecord(
        id=pid,
        user_id=user,
        created_at=f"2020-01-{day:02d}T00:00:00.000+00:00",
        text=text,
        hashtags=tags,
        **kw,
    )  # type: ignore[arg-type]


def test_normalise_hashtag() -> None:
    assert normalise_hashtag("#Videos") == "video"
    assert normalise_hashtag("  ##Cats ") == "cat"
    assert normalise_hashtag("#") == ""
    assert normalise_hashtag("nowplaying") == "nowplaying"
    assert normalise_hashtags(("#A", "a", "", "#", "B")) == ("a", "b")


def test_vocabulary_counts_training_posts_only() -> None:
    # user a: 5 posts -> 4 train, 1 test (the latest, day 5); 'rare' only in the test post
    posts = [_post(f"a{d}", "a", d, ("common", "rare") if d == 5 else ("common",)) for d in range(1, 6)]
    config = Config(home="/tmp/x", min_hashtag_freq=1, min_user_posts=1, cold_start_frac=0.0, valid_frac=0.0)
    kept, users, report = preprocess(Dataset("d", [UserRecord("a")], posts), config)
    assert [p.hashtags for p in kept] == [("common",)] * 5
    assert report.hashtags_removed == {"below 1 training uses": 1}
    assert report.vocabulary == 1


def test_drop_reasons_and_fixed_point() -> None:
    config = Config(home="/tmp/x", min_hashtag_freq=2, min_user_posts=4, cold_start_frac=0.0, valid_frac=0.0)
    posts = (
        # a: 5 posts with a frequent tag -> kept (4 train + 1 test)
        [_post(f"a{d}", "a", d, ("#Common",)) for d in range(1, 6)]
        # b: 4 posts, only one-off tags -> all lose their hashtags -> dropped, then b has < 4 posts
        + [_post(f"b{d}", "b", d, (f"solo{d}",)) for d in range(1, 5)]
        # c: 3 posts -> below min posts
        + [_post(f"c{d}", "c", d, ("common",)) for d in range(1, 4)]
        # d: 5 posts but one without hashtags and one without text -> 3 left -> dropped user
        + [_post(f"d{d}", "d", d, ("common",)) for d in range(1, 4)]
        + [_post("d4", "d", 4, ()), _post("d5", "d", 5, ("common",), text="")]
    )
    users = [UserRecord(u) for u in "abcde"]
    kept, kept_users, report = preprocess(Dataset("d", users, posts), config)
    assert [p.id for p in kept] == [f"a{d}" for d in range(1, 6)]
    assert [u.id for u in kept_users] == ["a"]
    assert report.dropped_posts == {
        "missing textual modality": 1,
        "no hashtags": 1,
        "user has fewer than 4 posts": 6,
        "no hashtag left in the training vocabulary": 4,
    }
    assert report.dropped_users == {"fewer than 4 posts": 2, "no usable posts": 2}
    assert report.posts_out == 5 and report.users_out == 1
    # the returned posts are consistent with a fresh split of them
    splits, _ = assign_splits(kept, kept_users, config)
    assert sorted(splits.values()) == ["test"] + ["train"] * 4


def test_missing_media_modality_is_dropped_only_when_the_dataset_has_media() -> None:
    config = Config(home="/tmp/x", min_hashtag_freq=1, min_user_posts=1, cold_start_frac=0.0)
    posts = [_post("1", "a", 1, ("x",), media_path="/v.mp4"), _post("2", "a", 2, ("x",))]
    kept, _, report = preprocess(Dataset("d", [UserRecord("a")], posts), config)
    assert [p.id for p in kept] == ["1"]
    assert report.dropped_posts == {"missing acoustic modality": 1}
    assert report.modalities == ["acoustic", "textual", "visual"]
