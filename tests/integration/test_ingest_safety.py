"""Ingest never loses data it was not asked to remove (issue #13's table, one test per row).

Each test first ingests a small sentinel dataset through the CLI, then tries a broken or
different input and checks the exit code, the one-line message and that the sentinel is intact.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result

from mishon_graph.cli import cli
from mishon_graph.db.runner import Runner


def _posts(
    prefix: str, users: int = 3, per_user: int = 8, tags: tuple[str, ...] = ("cat", "dog")
) -> list[dict]:
    rows: list[dict[str, Any]] = [
        {"type": "user", "id": f"{prefix}u{u}", "followers": u} for u in range(users)
    ]
    for u in range(users):
        for i in range(per_user):
            rows.append(
                {
                    "type": "post",
                    "id": f"{prefix}p{u}_{i}",
                    "user_id": f"{prefix}u{u}",
                    "created_at": f"2021-01-{i + 1:02d}T00:00:00Z",
                    "text": f"caption {u} {i}",
                    "hashtags": [tags[(u + i) % len(tags)], tags[0]],
                }
            )
    return rows


def _write(directory: Path, rows: list[dict[str, Any]]) -> Path:
    """``users.jsonl`` and ``posts.jsonl`` in ``directory`` (JSON escapes keep it ASCII)."""
    directory.mkdir(parents=True, exist_ok=True)
    for kind in ("user", "post"):
        lines = "".join(
            json.dumps({k: v for k, v in r.items() if k != "type"}) + "\n" for r in rows if r["type"] == kind
        )
        (directory / f"{kind}s.jsonl").write_text(lines, encoding="utf-8")
    return directory


def _mishon(neo4j_server, home: Path, *args: str) -> Result:  # type: ignore[no-untyped-def]
    env = {**neo4j_server.env(), "MISHON_HOME": str(home)}
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def _ingest(neo4j_server, home: Path, source: Path, *extra: str) -> Result:  # type: ignore[no-untyped-def]
    return _mishon(
        neo4j_server,
        home,
        "ingest",
        str(source),
        "--min-hashtag-freq",
        "1",
        "--min-user-posts",
        "1",
        "--no-progress",
        *extra,
    )


def _counts(db: Runner) -> dict[str, int]:
    row = db.run(
        "CALL () { MATCH (v:Video) RETURN count(v) AS videos } "
        "CALL () { MATCH (u:User) RETURN count(u) AS users } "
        "CALL () { MATCH (h:Hashtag) RETURN count(h) AS hashtags } "
        "CALL () { MATCH ()-[r]->() RETURN count(r) AS rels } RETURN videos, users, hashtags, rels"
    )[0]
    return dict(row)


@pytest.fixture
def sentinel(db: Runner, neo4j_server, tmp_path: Path) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The sentinel dataset ingested; its counts."""
    result = _ingest(neo4j_server, tmp_path / "home", _write(tmp_path / "sentinel", _posts("s")))
    assert result.exit_code == 0, result.output
    counts = _counts(db)
    assert counts["videos"] == 24 and counts["users"] == 3
    return counts


def _one_line_error(result: Result) -> str:
    assert result.exit_code != 0
    lines = [x for x in result.output.splitlines() if x.startswith("Error:")]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_an_empty_file_fails_and_keeps_the_graph(db: Runner, neo4j_server, sentinel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "elsewhere" / "empty.jsonl"
    empty.parent.mkdir()
    empty.write_text("", encoding="utf-8")
    message = _one_line_error(_ingest(neo4j_server, tmp_path / "home", empty))
    assert "no post left to ingest" in message and "not changed" in message
    assert _counts(db) == sentinel


def test_users_only_and_nothing_kept_fail_before_writing(
    db: Runner, neo4j_server, sentinel, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    only_users = tmp_path / "sentinel2"
    only_users.mkdir()
    (only_users / "users.jsonl").write_text('{"id": "x", "followers": 1}\n', encoding="utf-8")
    assert "no post left" in _one_line_error(_ingest(neo4j_server, tmp_path / "home", only_users))
    rare = _write(tmp_path / "sentinel", _posts("s", tags=tuple(f"t{i}" for i in range(40))))
    result = _mishon(neo4j_server, tmp_path / "home", "ingest", str(rare), "--no-progress")
    message = _one_line_error(result)  # default --min-hashtag-freq 50 keeps nothing
    assert "no post left" in message and "min hashtag frequency 50" in message
    assert _counts(db) == sentinel


def test_another_dataset_needs_replace(db: Runner, neo4j_server, sentinel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    other = _write(tmp_path / "other", _posts("o", users=2, per_user=5))
    message = _one_line_error(_ingest(neo4j_server, tmp_path / "home", other))
    assert "dataset 'sentinel' (24 videos, 3 users)" in message and "--replace" in message
    assert _counts(db) == sentinel
    assert _ingest(neo4j_server, tmp_path / "home", other, "--replace").exit_code == 0
    counts = _counts(db)
    assert (counts["videos"], counts["users"]) == (10, 2)
    assert db.run("MATCH (n) WHERE n.source = 'sentinel' RETURN count(n) AS n")[0]["n"] == 0


def test_unstorable_values_are_rejects_and_nothing_is_lost(
    db: Runner, neo4j_server, sentinel, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    rows = _posts("s")
    rows[0]["followers"] = 2**70
    rows[4]["text"] = "bad \ud800 caption"
    rows[5]["created_at"] = "9999-12-31T23:30:00-05:00"
    rows[6]["id"] = "id-\udfff"
    rows[6]["created_at"] = "never"
    src = _write(tmp_path / "sentinel", rows)
    rejects = tmp_path / "rejects.jsonl"
    result = _ingest(neo4j_server, tmp_path / "home", src, "--rejects", str(rejects))
    assert result.exit_code == 0, result.output
    found = {
        (r["origin"].rsplit(":", 1)[1], r["field"]) for r in map(json.loads, rejects.read_text().splitlines())
    }
    assert found == {("1", "followers"), ("2", "text"), ("3", "created_at"), ("4", "created_at")}
    stored = [json.loads(x)["record_id"] for x in rejects.read_text().splitlines()]
    assert "id-\udfff" in stored
    counts = _counts(db)
    # user s u0 rejected: it comes back as an implicit user of its posts (no followers)
    assert (counts["videos"], counts["users"]) == (21, 3)
    assert db.run("MATCH (u:User {id: 'su0'}) RETURN u.followers AS f") == [{"f": None}]
    assert db.run("MATCH (m:GraphMeta {name: 'ingest'}) RETURN m.status AS s") == [{"s": "complete"}]


def test_nan_features_are_rejects_with_file_and_line(db: Runner, neo4j_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = _posts("f", users=2, per_user=4)
    feats = tmp_path / "feat"
    feats.mkdir()
    for n, row in enumerate(r for r in rows if r["type"] == "post"):
        array = np.ones((3, 4), dtype=np.float32) * n
        if n == 2:
            array[1, 1] = np.nan
        if n == 5:
            array = np.ones((3, 5), dtype=np.float32)
        np.save(feats / f"{n}.npy", array)
        row["features"] = {"visual": str(feats / f"{n}.npy")}
    src = _write(tmp_path / "featset", rows)
    rejects = tmp_path / "rejects.jsonl"
    result = _ingest(neo4j_server, tmp_path / "home", src, "--rejects", str(rejects))
    assert result.exit_code == 0, result.output
    got = sorted(
        (r["origin"].rsplit(":", 1)[1], r["field"], r["reason"].split(": ")[-1])
        for r in map(json.loads, rejects.read_text().splitlines())
    )
    assert got == [
        ("3", "features.visual", "contains NaN values"),
        ("6", "features.visual", "dimension 5 differs from 4 of the others"),
    ]
    assert _counts(db)["videos"] == 6


def test_an_incomplete_graph_is_refused_by_readers(
    db: Runner, neo4j_server, sentinel, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    db.run("MATCH (m:GraphMeta {name: 'ingest'}) SET m.status = 'running'", write=True)
    for args in (("stats",), ("graph", "build"), ("recommend",)):
        message = _one_line_error(_mishon(neo4j_server, tmp_path / "home", *args))
        assert "graph is incomplete" in message and "rerun the same `mishon ingest`" in message
    assert _ingest(neo4j_server, tmp_path / "home", tmp_path / "sentinel").exit_code == 0
    assert _mishon(neo4j_server, tmp_path / "home", "stats").exit_code == 0


def test_same_dataset_prunes_only_after_writing(db: Runner, neo4j_server, sentinel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [r for r in _posts("s") if r["type"] == "user" or not r["id"].startswith("sp2_")]
    src = _write(tmp_path / "sentinel", rows)
    order: list[str] = []
    original = Runner.run_file_batched

    def spy(self, name, rows, **kw):  # type: ignore[no-untyped-def]
        order.append(name)
        return original(self, name, rows, **kw)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Runner, "run_file_batched", spy)
        result = _ingest(neo4j_server, tmp_path / "home", src)
    assert result.exit_code == 0, result.output
    assert order.index("ingest/delete_videos") > max(
        i for i, n in enumerate(order) if not n.startswith("ingest/delete")
    )
    assert _counts(db)["videos"] == 16
