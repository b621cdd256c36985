"""Test tiers: unit tests need nothing; integration tests get a real Neo4j from a session fixture.

The tests never touch the user's data. ``NEO4J_URI`` and the other ``NEO4J_*`` variables are removed
from the environment for the whole session (so CLI runs, in process or in a subprocess, cannot
inherit them), ``MISHON_HOME`` points at a session temp dir and ``MISHON_FEATURE_CACHE`` is unset.
The session's server comes from :mod:`mishon_graph.testing.neo4j`, guarded by
:mod:`mishon_graph.db.scratch`: the one ``MISHON_TEST_NEO4J_URI`` names (used only when its database
is empty or carries the test marker, unless ``MISHON_TEST_ALLOW_WIPE=1``); else a testcontainers Neo4j
when a Docker engine answers; else a throwaway local Neo4j Community resolved with mvn
(``mishon db install``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

from mishon_graph.config import Config
from mishon_graph.db.runner import Runner
from mishon_graph.db.scratch import scratch_wipe
from mishon_graph.testing.neo4j import hide_user_settings, restore_settings, scratch_database

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MISHON_SHARED", REPO.parent / "shared")).resolve()
ARTIFACTS = REPO / "test-artifacts"
_saved_env: dict[str, str] = {}
_session_home: list[Path] = []


def pytest_configure(config: pytest.Config) -> None:
    _saved_env.update(hide_user_settings())
    home = Path(tempfile.mkdtemp(prefix="mishon-test-home-"))
    _session_home.append(home)
    os.environ["MISHON_HOME"] = str(home)


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    """Name the child processes the session started and never waited for (they would end the run
    with a bare "subprocess N is still running" ResourceWarning), then reap those that have ended."""
    import gc
    import subprocess

    popens = [p for p in gc.get_objects() if issubclass(type(p), subprocess.Popen)]  # type(): no proxies
    unwaited = [p for p in popens if p.returncode is None]
    for proc in unwaited:
        state = "still running" if proc.poll() is None else "ended"
        args = proc.args if isinstance(proc.args, str) else " ".join(map(str, proc.args))
        terminalreporter.write_line(f"child process {proc.pid} never waited for ({state}): {args[:200]}")


def pytest_unconfigure(config: pytest.Config) -> None:
    restore_settings(_saved_env)
    _saved_env.clear()
    while _session_home:
        shutil.rmtree(_session_home.pop(), ignore_errors=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@dataclass
class Neo4jServer:
    """Connection details of the session's test server."""

    uri: str
    user: str
    password: str
    database: str = "neo4j"
    http_url: str | None = None  # Neo4j Browser's server (http://host:port), when known

    def env(self) -> dict[str, str]:
        return {
            "NEO4J_URI": self.uri,
            "NEO4J_USER": self.user,
            "NEO4J_PASSWORD": self.password,
            "NEO4J_DATABASE": self.database,
        }

    def config(self, home: Path, **overrides: object) -> Config:
        return Config(
            neo4j_uri=self.uri, neo4j_user=self.user, neo4j_password=self.password,
            neo4j_database=self.database, home=home,
        ).with_overrides(**overrides)


@pytest.fixture(scope="session")
def _scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Neo4jServer, Runner]]:
    with scratch_database(tmp_path_factory.mktemp("neo4j"), docker=True, refuse=_refuse) as (server, runner):
        yield (
            Neo4jServer(server.uri, server.user, server.password, server.database, server.http_url),
            runner,
        )


def _refuse(message: str) -> NoReturn:
    pytest.exit(message, returncode=3)


@pytest.fixture(scope="session")
def neo4j_server(_scratch: tuple[Neo4jServer, Runner]) -> Neo4jServer:
    return _scratch[0]


@pytest.fixture(scope="session")
def _session_runner(_scratch: tuple[Neo4jServer, Runner]) -> Runner:
    return _scratch[1]


@pytest.fixture
def db(_session_runner: Runner) -> Iterator[Runner]:
    """A runner on an empty database (schema in place); cleaned after the test."""
    scratch_wipe(_session_runner)
    yield _session_runner
    scratch_wipe(_session_runner)


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data``; tests that need it skip with a reason when it is absent."""
    path = SHARED / "data"
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path}")
    return path


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
