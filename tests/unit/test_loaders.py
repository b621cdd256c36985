"""Loaders on the real shared files and on small hand-written files (good, bad and hostile)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mishon_graph.loaders import FORMATS, canonical, load_dataset, stackexchange, twitter, video_folder, yfcc

from mishon_graph.errors import MishonError

HOSTILE = [
    'it\'s "quoted" `backtick`',
    "'}) MATCH (n) DETACH DELETE n //",
    "emoji 🎬🔥 and 中文",
    "x" * 20000,
]


def test_formats_registry() -> None:
    assert sorted(FORMATS) == ["canonical", "stackexchange", "twitter", "video_folder", "yfcc"]
    with pytest.raises(MishonError, match="unknown format"):
        load_dataset(Path("."), "nope")


def test_twitter_real_files(shared_data: Path) -> None:
    data = twitter.load(shared_data / "twitter-howyoutag")
    assert data.has_own_split and not data.rejects
    assert len(data.posts) == 33881 and len(data.users) == 2571
    by_split = {s: sum(1 for p in data.posts if p.split == s) for s in ("train", "valid", "test")}
    assert by_split == {"train": 21226, "valid": 6235, "test": 6420}
    # SOURCE.md counts: 68,384 tag assignments, 22,319 hashtags (254 lines end in an empty field)
    assert sum(1 for p in data.posts for t in p.hashtags if t) == 68384
    assert len({t for p in data.posts for t in p.hashtags if t}) == 22319
    first = data.posts[0]
    assert first.id == "train:1" and first.user_id == "458716389"
    assert first.hashtags == ("rupee", "gain", "india", "inflow", "economy", "budget")
    times = [p.created_at for p in data.posts]
    assert times == sorted(times) and len(set(times)) == len(times)


def test_stackexchange_real_files(shared_data: Path) -> None:
    data = stackexchange.load(shared_data / "stackexchange-cardano")
    # 1,042 questions; 2 have no owner (deleted users) and are rejected with the field named
    assert len(data.posts) + len(data.rejects) == 1042
    assert {r.field for r in data.rejects} == {"OwnerUserId"}
    assert data.skipped == {"non-question posts": 1588}
    assert len({p.user_id for p in data.posts}) == 533  # SOURCE.md: 533 askers
    assert sum(len(p.hashtags) for p in data.posts) == 2408 - 7  # minus the ownerless questions' 7 tags
    first = data.posts[0]
    assert first.hashtags == ("proof-of-work", "governance", "ethereum")
    assert first.text.startswith("How Cardano is different from Ethereum (2.0)? As far as I know")
    assert "<p>" not in first.text
    users = {u.id: u for u in data.users}
    assert users["1"].followers is not None and users["1"].likes == 101  # likes := Reputation


def test_parse_tags() -> None:
    assert stackexchange.parse_tags("<a><b-c>") == ["a", "b-c"]
    assert stackexchange.parse_tags("|a|b-c|") == ["a", "b-c"]


def test_canonical_jsonl_hostile_content_verbatim(tmp_path: Path) -> None:
    lines = [{"type": "user", "id": "u1", "followers": 10, "likes": 3}]
    for i, text in enumerate(HOSTILE):
        lines.append(
            {
                "type": "post",
                "id": f"p{i}",
                "user_id": "u1",
                "created_at": "2020-01-01T00:00:00+02:00",
                "text": text,
                "hashtags": ["#Ok", "", "x'y`z"],
            }
        )
    (tmp_path / "data.jsonl").write_text(
        "\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8"
    )
    data = canonical.load(tmp_path / "data.jsonl")
    assert [p.text for p in data.posts] == HOSTILE
    assert data.posts[0].hashtags == ("#Ok", "", "x'y`z")
    assert data.posts[0].created_at == "2019-12-31T22:00:00.000+00:00"
    assert data.users[0].followers == 10 and not data.has_own_split


def test_canonical_rejects_bad_records_and_keeps_the_rest(tmp_path: Path) -> None:
    rows = [
        {"type": "post", "id": "ok", "user_id": "u", "created_at": "2020-01-01", "hashtags": ["a"]},
        {"type": "post", "id": "t", "user_id": "u", "created_at": "yesterday", "hashtags": ["a"]},
        {"type": "post", "id": "n", "created_at": "2020-01-01", "hashtags": ["a"]},
        {"type": "post", "id": "ok", "user_id": "u", "created_at": "2020-01-02"},
        {"type": "user", "id": "u2", "followers": -3},
        {"type": "video", "id": "z"},
        {
            "type": "post",
            "id": "f",
            "user_id": "u",
            "created_at": "2020-01-01",
            "features": {"visual": "no.npy#1"},
        },
    ]
    (tmp_path / "posts.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    data = canonical.load(tmp_path / "posts.jsonl")
    assert [p.id for p in data.posts] == ["ok"]
    got = [(r.origin.rsplit(":", 1)[1], r.field) for r in data.rejects]
    assert got == [
        ("2", "created_at"),
        ("3", "user_id"),
        ("5", "followers"),
        ("6", "type"),
        ("7", "features.visual"),
        ("4", "id"),
    ]
    assert all(r.origin.startswith(str(tmp_path / "posts.jsonl")) for r in data.rejects)
    assert [u.id for u in data.users] == ["u"]  # implicit user for the poster


def test_canonical_csv_directory(tmp_path: Path) -> None:
    (tmp_path / "users.csv").write_text(
        "id,followers,likes,created_at,cold_start\nu1,5,1,,false\nu2,,,,true\n"
    )
    (tmp_path / "posts.csv").write_text(
        "id,user_id,created_at,text,hashtags,split\n"
        'p1,u1,2020-01-01,"hello, ""world""",#a b,train\n'
        "p2,u2,1577836800,bye,c,test\n"
    )
    data = canonical.load(tmp_path)
    assert data.name == tmp_path.name and data.has_own_split
    assert [(p.id, p.text, p.hashtags, p.split) for p in data.posts] == [
        ("p1", 'hello, "world"', ("#a", "b"), "train"),
        ("p2", "bye", ("c",), "test"),
    ]
    assert data.posts[1].created_at == "2020-01-01T00:00:00.000+00:00"
    assert [(u.id, u.followers, u.cold_start) for u in data.users] == [("u1", 5, False), ("u2", None, True)]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("posts.jsonl", b'{"id": "a"}\n{"id": "b", "user_id', "posts.jsonl:2: invalid JSON"),
        ("posts.jsonl", b'{"id": "a"}\n[1, 2]\n', "posts.jsonl:2: expected a JSON object"),
        ("posts.jsonl", b'{"id": "a"}\n{"id": "\xff\xfe"}\n', "posts.jsonl:2: not valid UTF-8"),
        (
            "posts.csv",
            b"id,user_id,created_at\np1,u1,2020\np2,u1\n",
            "posts.csv:3: expected 3 columns, got 2",
        ),
    ],
)
def test_malformed_files_fail_with_file_and_position(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(MishonError, match=message.replace(".", r"\.")) as info:
        canonical.load(tmp_path)
    assert "\n" not in str(info.value)


def test_malformed_xml_and_twitter(tmp_path: Path) -> None:
    (tmp_path / "Posts.xml").write_text('<?xml version="1.0"?>\n<posts>\n  <row Id="1" \n</posts>\n')
    with pytest.raises(MishonError, match=r"Posts\.xml:4:\d+: XML error"):
        stackexchange.load(tmp_path)
    for split in ("train", "valid", "test"):
        (tmp_path / f"{split}.csv").write_text("text\tuser\ttag\n")
    (tmp_path / "valid.csv").write_text("text\tuser\ttag\nno tabs here\n")
    with pytest.raises(MishonError, match=r"valid\.csv:2: expected text"):
        twitter.load(tmp_path)


def _yfcc_line(line: int, vid: str, user: str, tags: str, marker: str, title: str = "A+title") -> str:
    fields = [
        str(line),
        vid,
        "hash",
        user,
        "nick",
        "2008-01-01 10:00:00.0",
        "1199181600",
        "cam",
        title,
        "A+%3Cb%3Edescription%3C%2Fb%3E",
        tags,
        "",
        "",
        "",
        "",
        "page",
        "dl",
        "lic",
        "licurl",
        "1",
        "2",
        "s",
        "so",
        "mp4",
        marker,
    ]
    return "\t".join(fields)


def test_yfcc_hand_written(tmp_path: Path) -> None:
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "101.mp4").write_bytes(b"")
    lines = [
        _yfcc_line(0, "100", "12%40N00", "beach,summer+holiday", "0"),
        _yfcc_line(1, "101", "12%40N00", "beach,summer+holiday,", "1"),
        _yfcc_line(2, "102", "99%40N01", "", "1", title="Cat%27s+%60video%60"),
        _yfcc_line(3, "103", "99%40N01", "x", "7"),
    ]
    (tmp_path / "yfcc.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = yfcc.load(tmp_path / "yfcc.tsv", media_dir=tmp_path / "media")
    assert [p.id for p in data.posts] == ["101", "102"]
    assert data.posts[0].hashtags == ("beach", "summer holiday")
    assert data.posts[0].user_id == "12@N00"
    assert data.posts[0].text == "A title A description"
    assert data.posts[0].created_at == "2008-01-01T10:00:00.000+00:00"
    assert data.posts[0].media_path == str((tmp_path / "media" / "101.mp4").resolve())
    assert data.posts[1].text == "Cat's `video` A description" and data.posts[1].media_path is None
    assert data.skipped == {"photos": 1}
    assert [(r.field, r.record_id) for r in data.rejects] == [("marker", "103")]
    (tmp_path / "bad.tsv").write_text("1\t2\t3\n")
    with pytest.raises(MishonError, match=r"bad\.tsv:1: expected 25 tab-separated fields, got 3"):
        yfcc.load(tmp_path / "bad.tsv")


def test_video_folder(tmp_path: Path) -> None:
    for name in ("a.mp4", "b.mp4", "orphan.mov"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "metadata.csv").write_text(
        "file,user_id,created_at,caption,followers,likes\n"
        "a.mp4,u1,2021-05-01T10:00:00Z,Sunset #Beach #summer vibes,100,7\n"
        "b.mp4,u1,2021-05-02T10:00:00Z,no tags,,\n"
        "missing.mp4,u2,2021-05-02T10:00:00Z,#x,,\n",
        encoding="utf-8",
    )
    data = video_folder.load(tmp_path)
    assert [(p.id, p.text, p.hashtags) for p in data.posts] == [
        ("a", "Sunset vibes", ("Beach", "summer")),
        ("b", "no tags", ()),
    ]
    assert data.posts[0].media_path == str((tmp_path / "a.mp4").resolve())
    assert [(r.field, r.reason.split(":")[0]) for r in data.rejects] == [
        ("file", "file not found"),
        ("file", "video file has no metadata row"),
    ]
    assert [(u.id, u.followers, u.likes) for u in data.users] == [("u1", 100, 7)]
