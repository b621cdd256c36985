"""Values no database can store become rejects; unexpected errors reach the user as one line."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from mishon_graph.loaders import canonical
from mishon_graph.loaders._common import FieldError, to_count, to_iso

from mishon_graph.cli import cli
from mishon_graph.ingest.records import Reject
from mishon_graph.ingest.report import write_rejects


def test_counts_beyond_64_bits_are_field_errors() -> None:
    assert to_count(2**63 - 1, "followers") == 2**63 - 1
    assert to_count("9223372036854775807", "likes") == 2**63 - 1
    for value in (2**63, 2**70, "99999999999999999999999", 1e300):
        with pytest.raises(FieldError, match="too large to store"):
            to_count(value, "followers")


def test_times_out_of_range_in_utc_are_field_errors() -> None:
    assert to_iso("9999-12-31T23:30:00+00:00") == "9999-12-31T23:30:00.000+00:00"
    with pytest.raises(FieldError, match="out of range"):
        to_iso("9999-12-31T23:30:00-05:00")
    with pytest.raises(FieldError, match="out of range"):
        to_iso("0001-01-01T00:30:00+01:00")


def test_lone_surrogates_are_rejects_naming_the_field(tmp_path: Path) -> None:
    rows = [
        {"type": "user", "id": "u\ud800"},
        {"type": "post", "id": "p1", "user_id": "u1", "created_at": 1, "text": "a\udc00b", "hashtags": ["x"]},
        {"type": "post", "id": "p2", "user_id": "u1", "created_at": 2, "hashtags": ["ok", "t\ud83d"]},
        {"type": "post", "id": "p3", "user_id": "u1", "created_at": 3, "hashtags": ["fine"]},
    ]
    src = tmp_path / "set.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    data = canonical.load(src)
    got = [(r.origin.rsplit(":", 1)[1], r.field, r.reason) for r in data.rejects]
    assert got == [
        ("1", "id", "not valid Unicode (lone surrogate)"),
        ("2", "text", "not valid Unicode (lone surrogate)"),
        ("3", "hashtags", "not valid Unicode (lone surrogate)"),
    ]
    assert [p.id for p in data.posts] == ["p3"] and [u.id for u in data.users] == ["u1"]


def test_rejects_file_keeps_surrogates_as_json_escapes(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    write_rejects(path, [Reject("f.jsonl:3", "id", "bad", "id-\udfff")])
    raw = path.read_bytes()
    raw.decode("utf-8")  # valid UTF-8
    assert json.loads(raw)["record_id"] == "id-\udfff"


def test_file_named_posts_takes_its_directory_name(tmp_path: Path) -> None:
    folder = tmp_path / "my-set"
    folder.mkdir()
    (folder / "posts.jsonl").write_text("", encoding="utf-8")
    (folder / "extra.jsonl").write_text("", encoding="utf-8")
    assert canonical.load(folder / "posts.jsonl").name == "my-set" == canonical.load(folder).name
    assert canonical.load(folder / "extra.jsonl").name == "extra"


def test_unexpected_exception_is_one_line_and_a_log_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk\non fire")

    monkeypatch.setattr("mishon_graph.commands.ingest.load_dataset", boom)
    (tmp_path / "data.jsonl").write_text("", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["--home", str(tmp_path / "home"), "ingest", str(tmp_path / "data.jsonl")]
    )
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "Error: unexpected RuntimeError: disk on fire (traceback in "
    )
    logs = list((tmp_path / "home" / "logs").glob("mishon-error-*.log"))
    assert len(logs) == 1 and str(logs[0]) in lines[0]
    assert "Traceback" in logs[0].read_text() and "RuntimeError: disk" in logs[0].read_text()
    assert stat.S_IMODE(logs[0].stat().st_mode) == 0o600
    debug = CliRunner().invoke(
        cli, ["--debug", "--home", str(tmp_path / "home"), "ingest", str(tmp_path / "data.jsonl")]
    )
    assert isinstance(debug.exception, RuntimeError)


def test_cypher_parameters_beyond_64_bits_are_one_line_errors(tmp_path: Path) -> None:
    from mishon_graph.commands.db import parse_params
    from mishon_graph.errors import MishonError

    assert parse_params(("limit=9223372036854775807", "name=x", "xs=[1, -2]")) == {
        "limit": 2**63 - 1,
        "name": "x",
        "xs": [1, -2],
    }
    for pair in (
        "limit=99999999999999999999999",
        "xs=[1, -9223372036854775809]",
        'm={"a": [2e0, 18446744073709551616]}',
    ):
        with pytest.raises(MishonError, match="beyond 64 bits"):
            parse_params((pair,))
    result = CliRunner().invoke(
        cli, ["--home", str(tmp_path), "db", "cypher", "RETURN $limit", "-p", "limit=99999999999999999999999"]
    )
    assert result.exit_code == 1 and "beyond 64 bits" in result.output and "Traceback" not in result.output
