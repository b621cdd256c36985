"""The real shared datasets through the CLI; `mishon stats` against counts computed from the files."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import pytest
import simplemma
from click.testing import CliRunner

from mishon_graph.cli import cli
from mishon_graph.db.runner import Runner
from mishon_graph.ingest.stats import dataset_stats

pytestmark = pytest.mark.slow


def _norm(tag: str) -> str:
    tag = tag.strip().lstrip("#").strip().lower()
    return simplemma.lemmatize(tag, lang="en").lower() if tag else ""


def _invoke(neo4j_server, home: Path, *args: str) -> str:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(cli, ["--home", str(home), *args], env=neo4j_server.env())
    assert result.exit_code == 0, result.output
    return result.output


def test_twitter_cli_counts_match_the_files(
    db: Runner, neo4j_server, shared_data: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = shared_data / "twitter-howyoutag"
    out = _invoke(
        neo4j_server,
        tmp_path,
        "ingest",
        str(folder),
        "--format",
        "twitter",
        "--min-hashtag-freq",
        "1",
        "--min-user-posts",
        "1",
        "--no-progress",
        "--rejects",
        str(tmp_path / "rej.jsonl"),
    )
    assert "twitter-howyoutag" in out
    # Independent count: own split; vocabulary = normalised hashtags of train lines (frequency >= 1)
    rows: dict[str, list[tuple[str, set[str]]]] = {}
    for split in ("train", "valid", "test"):
        rows[split] = []
        for line in (folder / f"{split}.csv").read_text(encoding="utf-8").splitlines():
            fields = line.split("\t")
            rows[split].append((fields[1], {t for t in map(_norm, fields[2:]) if t}))
    vocab = set().union(*(tags for _, tags in rows["train"]))
    expected = {}
    for split, items in rows.items():
        kept = [(u, tags & vocab) for u, tags in items if tags & vocab]
        expected[split] = {
            "videos": len(kept),
            "users": len({u for u, _ in kept}),
            "hashtags": len(set().union(*(t for _, t in kept))),
            "assignments": sum(len(t) for _, t in kept),
        }
    stats = {r["split"]: r for r in dataset_stats(db)}
    for split, exp in expected.items():
        assert {k: stats[split][k] for k in exp} == exp, split
    assert stats["all"]["videos"] == sum(e["videos"] for e in expected.values())
    printed = _invoke(neo4j_server, tmp_path, "stats")
    assert re.search(
        rf"train\s*│\s*{expected['train']['videos']}\s*│\s*{expected['train']['hashtags']}", printed
    )


def test_stackexchange_cli_graph_matches_the_files(
    db: Runner, neo4j_server, shared_data: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = shared_data / "stackexchange-cardano"
    _invoke(
        neo4j_server,
        tmp_path,
        "ingest",
        str(folder),
        "--format",
        "stackexchange",
        "--min-hashtag-freq",
        "2",
        "--min-user-posts",
        "2",
        "--cold-start-frac",
        "0.1",
        "--no-progress",
        "--rejects",
        str(tmp_path / "rej.jsonl"),
    )
    rejects = [json.loads(x) for x in (tmp_path / "rej.jsonl").read_text().splitlines()]
    assert [r["field"] for r in rejects] == ["OwnerUserId", "OwnerUserId"]
    questions = {
        r.get("Id"): r.attrib for r in ET.parse(folder / "Posts.xml").getroot() if r.get("PostTypeId") == "1"
    }
    users = {r.get("Id"): r.attrib for r in ET.parse(folder / "Users.xml").getroot()}
    videos = db.run(
        "MATCH (u:User)-[:POSTED]->(v:Video) OPTIONAL MATCH (v)-[:TAGGED]->(h:Hashtag) "
        "RETURN v.id AS id, u.id AS user, v.split AS split, v.created_at AS t, collect(h.name) AS tags, "
        "u.followers AS followers, u.likes AS likes, u.cold_start AS cold"
    )
    assert videos
    vocab = {r["n"]: r["c"] for r in db.run("MATCH (h:Hashtag) RETURN h.name AS n, h.train_count AS c")}
    by_user = defaultdict(list)
    train_freq: dict[str, int] = defaultdict(int)
    for v in videos:
        q = questions[v["id"]]
        assert v["user"] == q["OwnerUserId"]
        tags = {_norm(t) for t in re.findall(r"<([^>]+)>", q["Tags"])}
        assert set(v["tags"]) == tags & set(vocab)  # the file's tags minus those outside the vocabulary
        assert v["followers"] == int(users[v["user"]]["Views"]) and v["likes"] == int(
            users[v["user"]]["Reputation"]
        )
        by_user[v["user"]].append(v)
        if v["split"] == "train":
            for t in v["tags"]:
                train_freq[t] += 1
    assert train_freq == vocab and min(vocab.values()) >= 2
    for user, own in by_user.items():
        assert len(own) >= 2
        if own[0]["cold"]:
            assert {v["split"] for v in own} == {"test"}  # cold-start users have no training posts
            continue
        train = [v["t"] for v in own if v["split"] == "train"]
        later = [v["t"] for v in own if v["split"] != "train"]
        assert train and all(t >= max(train) for t in later), user  # no test post older than training
    stats = {r["split"]: r for r in dataset_stats(db)}
    assert stats["all"]["videos"] == len(videos) and stats["all"]["users"] == len(by_user)
    assert stats["all"]["hashtags"] == len(vocab)
