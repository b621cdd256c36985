"""A database that belongs to a test or benchmark harness, never to the user.

Tests and benchmarks empty their database before and after their work, so they never take the
user's ``NEO4J_URI``: they start a throwaway Neo4j of their own, which is always safe to empty,
unless ``MISHON_TEST_NEO4J_URI`` (with ``MISHON_TEST_NEO4J_USER``, ``MISHON_TEST_NEO4J_PASSWORD``,
``MISHON_TEST_NEO4J_DATABASE`` and ``MISHON_TEST_NEO4J_HTTP_URL``) names a server set aside for them.

A server given that way is claimed only when its database is empty or already carries the harness's
marker, an index named ``mishon_test_marker`` that the harness created on an earlier claim. An index
survives :func:`~mishon_graph.db.schema.wipe` and no node count sees it, so tests that count nodes are
unaffected. A database holding nodes without the marker is refused (:class:`ForeignDatabaseError`,
naming the database and its node count) unless ``MISHON_TEST_ALLOW_WIPE=1`` says it may be emptied.
:func:`scratch_wipe` checks the marker again before every wipe.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mishon_graph.db.runner import Runner
from mishon_graph.db.schema import apply_schema, wipe
from mishon_graph.db.server import NEO4J_VERSION, LocalNeo4j
from mishon_graph.errors import MishonError

TEST_URI_VAR = "MISHON_TEST_NEO4J_URI"
TEST_USER_VAR = "MISHON_TEST_NEO4J_USER"
TEST_PASSWORD_VAR = "MISHON_TEST_NEO4J_PASSWORD"
TEST_DATABASE_VAR = "MISHON_TEST_NEO4J_DATABASE"
TEST_HTTP_VAR = "MISHON_TEST_NEO4J_HTTP_URL"
ALLOW_WIPE_VAR = "MISHON_TEST_ALLOW_WIPE"
# The user's own settings: a harness never reads them, and removes them from its children's environment.
USER_VARS = ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE", "NEO4J_HTTP_URL")
MARKER_INDEX = "mishon_test_marker"
# Index names cannot be parameters; both are constants of this module.
_CREATE_MARKER = "CREATE INDEX mishon_test_marker IF NOT EXISTS FOR (n:MishonTestMarker) ON (n.owner)"
_FIND_MARKER = "SHOW INDEXES YIELD name WHERE name = $name RETURN count(*) AS n"
_COUNT_NODES = "MATCH (n) RETURN count(n) AS n"


class ForeignDatabaseError(MishonError):
    """The database holds data the harness did not create; it is left alone."""


@dataclass(frozen=True)
class ScratchServer:
    """Connection details of a harness's server.

    Args:
        uri: Bolt URI.
        user: User name.
        password: Password.
        database: Database name.
        http_url: Neo4j Browser's server (``http://host:port``), when known.
        owned: The harness started this server itself (a throwaway: always safe to empty).
        pid: The server's process id, when it runs on this machine under the harness.
    """

    uri: str
    user: str
    password: str
    database: str = "neo4j"
    http_url: str | None = None
    owned: bool = True
    pid: int | None = None

    def __repr__(self) -> str:  # no password
        return f"ScratchServer(uri={self.uri!r}, database={self.database!r}, owned={self.owned})"

    def describe(self) -> str:
        return f"database {self.database!r} at {self.uri}"

    def env(self) -> dict[str, str]:
        """``NEO4J_*`` variables that point a child process (e.g. the CLI) at this server."""
        env = {
            "NEO4J_URI": self.uri,
            "NEO4J_USER": self.user,
            "NEO4J_PASSWORD": self.password,
            "NEO4J_DATABASE": self.database,
        }
        if self.http_url:
            env["NEO4J_HTTP_URL"] = self.http_url
        return env

    def runner(self) -> Runner:
        return Runner(self.uri, self.user, self.password, self.database)


def given_server(environ: Mapping[str, str] | None = None) -> ScratchServer | None:
    """The server ``MISHON_TEST_NEO4J_URI`` sets aside for tests and benchmarks, or ``None``."""
    env = os.environ if environ is None else environ
    uri = env.get(TEST_URI_VAR)
    if not uri:
        return None
    return ScratchServer(
        uri,
        env.get(TEST_USER_VAR) or "neo4j",
        env.get(TEST_PASSWORD_VAR, ""),
        env.get(TEST_DATABASE_VAR) or "neo4j",
        http_url=env.get(TEST_HTTP_VAR) or None,
        owned=False,
    )


def server_from_flags(
    uri: str | None, user: str | None = None, password: str | None = None, database: str | None = None
) -> ScratchServer | None:
    """A server a benchmark's ``--neo4j-uri`` names (password default: ``MISHON_TEST_NEO4J_PASSWORD``)."""
    if not uri:
        return None
    return ScratchServer(
        uri,
        user or "neo4j",
        password if password is not None else os.environ.get(TEST_PASSWORD_VAR, ""),
        database or "neo4j",
        owned=False,
    )


def allow_wipe_from_env(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``MISHON_TEST_ALLOW_WIPE`` says a given database may be emptied whatever it holds."""
    env = os.environ if environ is None else environ
    return env.get(ALLOW_WIPE_VAR, "").strip().lower() in ("1", "true", "yes")


def child_env(
    server: ScratchServer | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment for a child process: the user's ``NEO4J_*`` removed, ``server``'s set."""
    env = {k: v for k, v in (os.environ if environ is None else environ).items() if k not in USER_VARS}
    if server is not None:
        env.update(server.env())
    return env


# The guard ------------------------------------------------------------------------------------
def node_count(runner: Runner) -> int:
    return int(runner.run(_COUNT_NODES)[0]["n"])


def is_claimed(runner: Runner) -> bool:
    """Whether the database carries the harness's marker."""
    return int(runner.run(_FIND_MARKER, {"name": MARKER_INDEX})[0]["n"]) > 0


def claim(runner: Runner, server: ScratchServer, *, allow_wipe: bool = False) -> None:
    """Mark the database as the harness's, or refuse when it holds someone else's nodes.

    Args:
        runner: A runner on ``server``.
        server: Where ``runner`` points (an ``owned`` server is always claimed).
        allow_wipe: Claim a database holding unmarked nodes too (they will be deleted).

    Raises:
        ForeignDatabaseError: The database holds nodes, has no marker and ``allow_wipe`` is false.
    """
    if not (server.owned or allow_wipe or is_claimed(runner)):
        nodes = node_count(runner)
        if nodes:
            raise ForeignDatabaseError(
                f"refusing to use {server.describe()} for tests or benchmarks: it holds {nodes} nodes "
                f"that they did not create (no {MARKER_INDEX!r} index), and they empty their database. "
                f"Point {TEST_URI_VAR} at an empty database, or set {ALLOW_WIPE_VAR}=1 to let them "
                "delete everything in it."
            )
    runner.run(_CREATE_MARKER, write=True)


def scratch_wipe(runner: Runner, batch: int = 10000) -> None:
    """:func:`~mishon_graph.db.schema.wipe`, only on a database this harness claimed.

    Raises:
        ForeignDatabaseError: The database carries no marker (it was never claimed).
    """
    if not is_claimed(runner):
        raise ForeignDatabaseError(
            f"refusing to wipe database {runner.database!r} at {runner.uri}: it was not claimed by the "
            "test or benchmark harness (see mishon_graph.db.scratch)"
        )
    wipe(runner, batch=batch)


# Servers --------------------------------------------------------------------------------------
def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@contextmanager
def scratch_server(
    tmp_dir: Path,
    *,
    given: ScratchServer | None = None,
    environ: Mapping[str, str] | None = None,
    docker: bool = False,
    heap: str | None = None,
    pagecache: str | None = None,
) -> Iterator[ScratchServer]:
    """The harness's server: the one ``MISHON_TEST_NEO4J_URI`` names, else a throwaway one.

    ``NEO4J_URI`` and the other ``NEO4J_*`` variables are never read. The throwaway server is a
    testcontainers Neo4j when ``docker`` is true and a Docker engine answers, else a local Neo4j
    Community in ``tmp_dir/neo4j`` on free ports; it is stopped on exit.

    Args:
        tmp_dir: Directory for the throwaway server's instance.
        given: A server set aside explicitly (e.g. a benchmark's ``--neo4j-uri``); wins over the
            environment.
        environ: Environment to read ``MISHON_TEST_*`` from (default ``os.environ``).
        docker: Prefer a testcontainers Neo4j when Docker answers.
        heap: Java heap of the local server (default: ``MISHON_NEO4J_HEAP`` or 1g).
        pagecache: Page cache of the local server.
    """
    given = given or given_server(environ)
    if given is not None:
        yield given
        return
    if docker and _docker_answers():
        try:
            from testcontainers.neo4j import Neo4jContainer
        except ImportError:
            pass
        else:
            with Neo4jContainer(f"neo4j:{NEO4J_VERSION}-community") as container:
                yield ScratchServer(container.get_connection_url(), "neo4j", container.password)
            return
    server = LocalNeo4j(Path(tmp_dir) / "neo4j", heap=heap, pagecache=pagecache)
    state, _ = server.start(ports=(0, 0))
    try:
        yield ScratchServer(
            state.bolt_uri,
            server.user,
            server.password(),
            http_url=f"http://127.0.0.1:{state.http_port}",
            pid=state.pid,
        )
    finally:
        server.stop()


@contextmanager
def scratch_database(
    tmp_dir: Path,
    *,
    given: ScratchServer | None = None,
    environ: Mapping[str, str] | None = None,
    allow_wipe: bool | None = None,
    docker: bool = False,
    heap: str | None = None,
    pagecache: str | None = None,
    schema: bool = True,
) -> Iterator[tuple[ScratchServer, Runner]]:
    """:func:`scratch_server`, connected, verified and claimed (schema applied unless ``schema=False``).

    Args:
        tmp_dir: Directory for a throwaway server's instance.
        given: A server set aside explicitly; wins over ``MISHON_TEST_NEO4J_URI``.
        environ: Environment to read ``MISHON_TEST_*`` from (default ``os.environ``).
        allow_wipe: Claim a given database that holds unmarked nodes (default: ``MISHON_TEST_ALLOW_WIPE``).
        docker: Prefer a testcontainers Neo4j when Docker answers.
        heap: Java heap of a local server.
        pagecache: Page cache of a local server.
        schema: Apply the project's constraints and indexes.

    Raises:
        ForeignDatabaseError: The given database holds data the harness did not create.
    """
    if allow_wipe is None:
        allow_wipe = allow_wipe_from_env(environ)
    with scratch_server(
        tmp_dir, given=given, environ=environ, docker=docker, heap=heap, pagecache=pagecache
    ) as server:
        runner = server.runner()
        try:
            runner.verify()
            claim(runner, server, allow_wipe=allow_wipe)
            if schema:
                apply_schema(runner)
            yield server, runner
        finally:
            runner.close()
