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

Starting the throwaway server and claiming it is test and benchmark scaffolding:
:mod:`mishon_graph.testing.neo4j` (``scratch_database``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from mishon_graph.db.runner import Runner
from mishon_graph.db.schema import wipe
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
