"""Test tiers: unit tests need nothing; integration tests get a real Neo4j from a session fixture.

Server choice: an existing server when ``NEO4J_URI`` is set; else a testcontainers Neo4j when a
Docker engine answers; else a local Neo4j Community resolved with mvn (``mishon db install``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mishon_graph.config import Config
from mishon_graph.db.runner import Runner
from mishon_graph.db.schema import apply_schema, wipe
from mishon_graph.db.server import NEO4J_VERSION, LocalNeo4j

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MISHON_SHARED", REPO.parent / "shared")).resolve()
ARTIFACTS = REPO / "test-artifacts"


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


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jServer]:
    if os.environ.get("NEO4J_URI"):
        yield Neo4jServer(
            os.environ["NEO4J_URI"], os.environ.get("NEO4J_USER", "neo4j"),
            os.environ.get("NEO4J_PASSWORD", ""), os.environ.get("NEO4J_DATABASE", "neo4j"),
            http_url=os.environ.get("NEO4J_HTTP_URL") or None,
        )
        return
    if _docker_answers():
        try:
            from testcontainers.neo4j import Neo4jContainer
        except ImportError:
            pass
        else:
            with Neo4jContainer(f"neo4j:{NEO4J_VERSION}-community") as container:
                yield Neo4jServer(container.get_connection_url(), "neo4j", container.password)
            return
    server = LocalNeo4j(tmp_path_factory.mktemp("neo4j"))
    state, _ = server.start(ports=(0, 0))
    try:
        yield Neo4jServer(
            state.bolt_uri, server.user, server.password(), http_url=f"http://127.0.0.1:{state.http_port}"
        )
    finally:
        server.stop()


@pytest.fixture(scope="session")
def _session_runner(neo4j_server: Neo4jServer) -> Iterator[Runner]:
    runner = Runner(neo4j_server.uri, neo4j_server.user, neo4j_server.password, neo4j_server.database)
    runner.verify()
    apply_schema(runner)
    yield runner
    runner.close()


@pytest.fixture
def db(_session_runner: Runner) -> Iterator[Runner]:
    """A runner on an empty database (schema in place); cleaned after the test."""
    wipe(_session_runner)
    yield _session_runner
    wipe(_session_runner)


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
