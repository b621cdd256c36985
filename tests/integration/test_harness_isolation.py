"""A tester's finding, reproduced: with ``NEO4J_URI`` pointing at the user's database, running the tests
or a benchmark emptied that database. Here a second throwaway Neo4j plays the user's server, holding a
sentinel node; a pytest session and a benchmark run in subprocesses with its details exported as
``NEO4J_*``, and the sentinel must survive. Given to them as ``MISHON_TEST_NEO4J_URI`` instead, the
user's database is refused (it holds nodes the harness did not create) and still survives.

The subprocesses get this session's server through ``MISHON_TEST_NEO4J_*`` (it carries the harness's
marker), so they start no server of their own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mishon_graph.db.scratch import MARKER_INDEX, ScratchServer
from mishon_graph.db.server import LocalNeo4j

REPO = Path(__file__).resolve().parents[2]
SENTINEL = "CREATE (:Sentinel {owner: 'the user', note: 'must survive'})"
A_DB_TEST = "tests/integration/test_db.py::test_create_read_back_and_delete_nodes"


@pytest.fixture(scope="module")
def users_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScratchServer]:
    """The user's own server, holding one sentinel node."""
    server = LocalNeo4j(tmp_path_factory.mktemp("users-neo4j"))
    state, _ = server.start(ports=(0, 0))
    try:
        users = ScratchServer(state.bolt_uri, server.user, server.password(), owned=False)
        with users.runner() as runner:
            runner.run(SENTINEL, write=True)
        yield users
    finally:
        server.stop()


def _survives(server: ScratchServer) -> None:
    with server.runner() as runner:
        assert runner.run("MATCH (s:Sentinel) RETURN count(s) AS n") == [{"n": 1}]
        assert runner.run("MATCH (n) RETURN count(n) AS n") == [{"n": 1}]
        marker = runner.run(
            "SHOW INDEXES YIELD name WHERE name = $name RETURN count(*) AS n", {"name": MARKER_INDEX}
        )
        assert marker == [{"n": 0}], "the harness marked the user's database"


def _test_vars(server) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        "MISHON_TEST_NEO4J_URI": server.uri,
        "MISHON_TEST_NEO4J_USER": server.user,
        "MISHON_TEST_NEO4J_PASSWORD": server.password,
        "MISHON_TEST_NEO4J_DATABASE": server.database,
    }


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )


def _users_env(users: ScratchServer, **extra: str) -> dict[str, str]:
    """This process's environment with the user's server exported, as the README suggests."""
    return {**os.environ, **users.env(), **extra}


def test_a_test_session_leaves_the_users_database_alone(  # type: ignore[no-untyped-def]
    users_server: ScratchServer, neo4j_server, tmp_path: Path
) -> None:
    env = _users_env(users_server, **_test_vars(neo4j_server))
    inner = ["-m", "pytest", "-q", "-p", "no:cacheprovider", f"--basetemp={tmp_path / 'inner'}", A_DB_TEST]
    proc = _run(inner, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout
    _survives(users_server)


def test_a_test_session_refuses_a_given_database_holding_other_data(  # type: ignore[no-untyped-def]
    users_server: ScratchServer, tmp_path: Path
) -> None:
    env = _users_env(users_server, **_test_vars(users_server))
    env.pop("MISHON_TEST_ALLOW_WIPE", None)
    inner = ["-m", "pytest", "-q", "-p", "no:cacheprovider", f"--basetemp={tmp_path / 'inner'}", A_DB_TEST]
    proc = _run(inner, env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 3, out
    assert f"refusing to use database 'neo4j' at {users_server.uri}" in out and "holds 1 nodes" in out
    _survives(users_server)


def test_a_benchmark_leaves_the_users_database_alone(  # type: ignore[no-untyped-def]
    users_server: ScratchServer, neo4j_server
) -> None:
    env = _users_env(users_server, **_test_vars(neo4j_server))
    bench = ["benchmarks/bench_ingest.py", "--preset", "tiny", "--rounds", "1", "--no-warmup"]
    proc = _run([*bench, "--naive-posts", "20"], env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ingest writer: batched" in proc.stdout
    _survives(users_server)


def test_a_benchmark_refuses_a_given_database_holding_other_data(users_server: ScratchServer) -> None:
    env = _users_env(users_server, **_test_vars(users_server))
    env.pop("MISHON_TEST_ALLOW_WIPE", None)
    proc = _run(["benchmarks/bench_ingest.py", "--preset", "tiny", "--rounds", "1"], env)
    assert proc.returncode != 0
    assert "refusing to use database 'neo4j'" in proc.stderr and "Traceback" not in proc.stderr
    _survives(users_server)
