"""The harness's database guard (mishon_graph.db.scratch) without a server: queries are recorded."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from mishon_graph.db import scratch
from mishon_graph.db.cypher_files import load_query
from mishon_graph.db.scratch import ForeignDatabaseError, ScratchServer

REPO = Path(__file__).resolve().parents[2]
USER = {"NEO4J_URI": "bolt://users-server:7687", "NEO4J_USER": "me", "NEO4J_PASSWORD": "secret"}


class FakeRunner:
    """Answers the guard's queries from ``nodes`` and ``marked``; records every statement."""

    uri = "bolt://fake:7687"
    database = "neo4j"

    def __init__(self, nodes: int = 0, marked: bool = False) -> None:
        self.nodes, self.marked = nodes, marked
        self.queries: list[tuple[str, dict[str, Any], bool]] = []

    def run(self, query: str, params: dict[str, Any] | None = None, *, write: bool = False) -> list[dict]:
        self.queries.append((query, params or {}, write))
        if query.startswith("SHOW INDEXES"):
            return [{"n": int(self.marked)}]
        if query.startswith("MATCH (n) RETURN count(n)"):
            return [{"n": self.nodes}]
        if query.startswith("CREATE INDEX mishon_test_marker"):
            self.marked = True
        return []

    def run_autocommit(self, query: str, params: dict[str, Any] | None = None) -> list[dict]:
        self.queries.append((query, params or {}, True))
        if "DETACH DELETE" in query:
            self.nodes = 0
        return []

    def run_file_autocommit(self, name: str, params: dict[str, Any] | None = None) -> list[dict]:
        return self.run_autocommit(load_query(name), params)

    def writes(self) -> list[str]:
        return [q for q, _, write in self.queries if write]


GIVEN = ScratchServer("bolt://test-server:7687", "neo4j", "pw", "scratchdb", owned=False)
OWNED = ScratchServer("bolt://127.0.0.1:1234", "neo4j", "pw")


def test_the_users_neo4j_variables_are_never_read() -> None:
    assert scratch.given_server(USER) is None
    env = {
        "MISHON_TEST_NEO4J_URI": "bolt://t:1",
        "MISHON_TEST_NEO4J_PASSWORD": "tp",
        "MISHON_TEST_NEO4J_DATABASE": "tests",
        "MISHON_TEST_NEO4J_HTTP_URL": "http://t:2",
        **USER,
    }
    server = scratch.given_server(env)
    assert server == ScratchServer("bolt://t:1", "neo4j", "tp", "tests", "http://t:2", owned=False)
    assert "tp" not in repr(server)


def test_a_given_database_holding_unmarked_nodes_is_refused_and_not_written() -> None:
    runner = FakeRunner(nodes=42)
    with pytest.raises(ForeignDatabaseError) as info:
        scratch.claim(runner, GIVEN)  # type: ignore[arg-type]
    message = str(info.value)
    assert "'scratchdb'" in message and "bolt://test-server:7687" in message and "42 nodes" in message
    assert "MISHON_TEST_ALLOW_WIPE=1" in message
    assert runner.writes() == []


@pytest.mark.parametrize(
    ("nodes", "marked", "allow", "server"),
    [
        (0, False, False, GIVEN),  # empty: nothing to lose
        (7, True, False, GIVEN),  # marked by an earlier harness run
        (7, False, True, GIVEN),  # told explicitly
        (7, False, False, OWNED),  # a throwaway server the harness started
    ],
)
def test_claim_marks_the_database(nodes: int, marked: bool, allow: bool, server: ScratchServer) -> None:
    runner = FakeRunner(nodes=nodes, marked=marked)
    scratch.claim(runner, server, allow_wipe=allow)  # type: ignore[arg-type]
    assert runner.marked
    assert runner.writes() == [scratch._CREATE_MARKER]


def test_wipe_needs_the_marker() -> None:
    foreign = FakeRunner(nodes=5)
    with pytest.raises(ForeignDatabaseError, match="not claimed"):
        scratch.scratch_wipe(foreign)  # type: ignore[arg-type]
    assert foreign.writes() == [] and foreign.nodes == 5
    ours = FakeRunner(nodes=5, marked=True)
    scratch.scratch_wipe(ours)  # type: ignore[arg-type]
    assert ours.nodes == 0


@pytest.mark.parametrize(("value", "allowed"), [("1", True), ("yes", True), ("0", False), ("", False)])
def test_allow_wipe_from_env(value: str, allowed: bool) -> None:
    assert scratch.allow_wipe_from_env({"MISHON_TEST_ALLOW_WIPE": value}) is allowed


def test_child_env_drops_the_users_variables() -> None:
    env = scratch.child_env(OWNED, {**USER, "NEO4J_DATABASE": "prod", "PATH": "/bin"})
    assert (
        env["NEO4J_URI"] == OWNED.uri and env["NEO4J_PASSWORD"] == "pw" and env["NEO4J_DATABASE"] == "neo4j"
    )
    assert env["PATH"] == "/bin"
    assert scratch.child_env(None, USER) == {}


def test_the_test_session_hides_the_users_settings() -> None:
    """conftest.py removes NEO4J_* and points MISHON_HOME at a session temp dir, for every test."""
    assert not [name for name in scratch.USER_VARS if name in os.environ]
    assert "MISHON_FEATURE_CACHE" not in os.environ
    assert Path(os.environ["MISHON_HOME"]).name.startswith("mishon-test-home-")


def test_no_benchmark_reads_the_users_neo4j_variables() -> None:
    reads = re.compile(r"""environ(?:\.get\(|\[)\s*["']NEO4J_|getenv\(\s*["']NEO4J_""")
    found = [p.name for p in sorted((REPO / "benchmarks").glob("*.py")) if reads.search(p.read_text("utf-8"))]
    assert found == [], f"benchmarks must use mishon_graph.db.scratch, not NEO4J_*: {found}"
