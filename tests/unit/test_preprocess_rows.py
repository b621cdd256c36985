"""Records -> Cypher parameter rows, stats rows and the CLI generate command (pure, no server)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from mishon_graph.cli import cli
from mishon_graph.ingest import rows as R
from mishon_graph.ingest.records import PostRecord, UserRecord
from mishon_graph.ingest.stats import table_row

POSTS = [
    PostRecord("v1", "a", "2020-01-01", "hi", ("x", "y"), media_path="/m.mp4"),
    PostRecord("v2", "a", "2020-01-02", "", ("x",), features={"textual": "t.npy#0"}),
    PostRecord("v3", "b", "2020-01-03", "yo", ("z",)),
]
SPLITS = {"v1": "train", "v2": "train", "v3": "test"}


def test_rows() -> None:
    assert R.user_rows([UserRecord("a", 10, 2), UserRecord("b")], frozenset({"b"}), "s") == [
        {"id": "a", "followers": 10, "likes": 2, "created_at": None, "cold_start": False, "source": "s"},
        {"id": "b", "followers": None, "likes": None, "created_at": None, "cold_start": True, "source": "s"},
    ]
    assert R.video_rows(POSTS[:1], SPLITS, "s") == [
        {
            "id": "v1",
            "user_id": "a",
            "created_at": "2020-01-01",
            "text": "hi",
            "split": "train",
            "media_path": "/m.mp4",
            "source": "s",
        }
    ]
    # no leakage: z is only used by a test video, so its training count is 0
    assert R.hashtag_rows(POSTS, SPLITS) == [
        {"name": "x", "train_count": 2},
        {"name": "y", "train_count": 1},
        {"name": "z", "train_count": 0},
    ]
    assert R.posted_rows(POSTS[2:]) == [{"user_id": "b", "video_id": "v3"}]
    assert R.tagged_rows(POSTS[:1]) == [{"id": "v1", "hashtags": ["x", "y"]}]
    assert R.modality_ids(POSTS, "visual") == ["v1"]
    assert R.modality_ids(POSTS, "textual") == ["v1", "v2", "v3"]
    assert R.stale(["a", "b", "c"], ["b"]) == [{"id": "a"}, {"id": "c"}]


def test_table_row() -> None:
    row = table_row("train", {"videos": 4, "users": 2, "hashtags": 3, "assignments": 6})
    assert row == {
        "split": "train",
        "videos": 4,
        "hashtags": 3,
        "users": 2,
        "assignments": 6,
        "avg_hashtags_per_video": 1.5,
        "avg_videos_per_user": 2.0,
    }
    assert (
        table_row("valid", {"videos": 0, "users": 0, "hashtags": 0, "assignments": 0})["avg_videos_per_user"]
        == 0.0
    )


def test_cli_generate(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["generate", str(tmp_path / "d"), "--preset", "tiny", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "400 videos, 40 users (4 cold-start)" in result.output
    assert (tmp_path / "d" / "posts.jsonl").is_file() and (
        tmp_path / "d" / "features" / "visual.npy"
    ).is_file()
