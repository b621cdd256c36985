"""The one place tests and benchmarks get a throwaway Neo4j (the guard is :mod:`mishon_graph.db.scratch`).

- :func:`hide_user_settings` / :func:`restore_settings`: the user's ``NEO4J_*``, ``MISHON_HOME`` and
  ``MISHON_FEATURE_CACHE`` out of this process's environment (so a CLI run cannot inherit them);
- :func:`scratch_server`: the server ``MISHON_TEST_NEO4J_URI`` (or a benchmark's ``--neo4j-uri``) sets
  aside, else a throwaway one (testcontainers when asked for and Docker answers, else a local Neo4j
  Community on free ports, :func:`start_local`), stopped on exit;
- :func:`scratch_database`: that server connected, verified and claimed by the guard;
- :func:`add_server_options` / :func:`benchmark_database`: the same for a benchmark's command line,
  a refusal ending the run with the guard's message.

``NEO4J_URI`` and the other ``NEO4J_*`` variables are never read here.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import NoReturn

from mishon_graph.config import Config
from mishon_graph.db.protocol import Runner
from mishon_graph.db.schema import apply_schema
from mishon_graph.db.scratch import (
    USER_VARS,
    ForeignDatabaseError,
    ScratchServer,
    allow_wipe_from_env,
    claim,
    given_server,
    server_from_flags,
)
from mishon_graph.db.server import NEO4J_VERSION, LocalNeo4j

# Variables that would point the code under test at the user's database, home or feature cache.
HIDDEN_VARS = (*USER_VARS, "MISHON_HOME", "MISHON_FEATURE_CACHE")


def hide_user_settings(environ: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """Remove :data:`HIDDEN_VARS` from ``environ`` (default ``os.environ``); returns what was removed."""
    env = os.environ if environ is None else environ
    return {name: env.pop(name) for name in HIDDEN_VARS if name in env}


def restore_settings(saved: Mapping[str, str], environ: MutableMapping[str, str] | None = None) -> None:
    """Undo :func:`hide_user_settings` (a ``MISHON_HOME`` the harness set is dropped first)."""
    env = os.environ if environ is None else environ
    for name in HIDDEN_VARS:
        env.pop(name, None)
    env.update(saved)


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def start_local(server: LocalNeo4j) -> ScratchServer:
    """Start (or restart) a throwaway local Neo4j on free ports; its connection details."""
    state, _ = server.start(ports=(0, 0))
    return ScratchServer(
        state.bolt_uri,
        server.user,
        server.password(),
        http_url=f"http://127.0.0.1:{state.http_port}",
        pid=state.pid,
    )


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

    The throwaway server is a testcontainers Neo4j when ``docker`` is true and a Docker engine answers,
    else a local Neo4j Community in ``tmp_dir/neo4j`` on free ports; it is stopped on exit.

    Args:
        tmp_dir: Directory for the throwaway server's instance.
        given: A server set aside explicitly (e.g. a benchmark's ``--neo4j-uri``); wins over the
            environment.
        environ: Environment to read ``MISHON_TEST_*`` from (default ``os.environ``).
        docker: Prefer a testcontainers Neo4j when Docker answers.
        heap: Java heap of the local server (default: ``Config``'s, i.e. ``MISHON_NEO4J_HEAP`` or 1g).
        pagecache: Page cache of the local server (default: ``Config``'s).

    The jars come from ``Config.neo4j_dist`` (``MISHON_NEO4J_DIST``), as for the managed server.
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
    config = Config.from_env(os.environ if environ is None else environ)
    server = LocalNeo4j(
        Path(tmp_dir) / "neo4j",
        config.neo4j_dist,
        heap=heap or config.neo4j_heap,
        pagecache=pagecache or config.neo4j_pagecache,
    )
    try:
        yield start_local(server)
    finally:
        server.stop()


@contextmanager
def scratch_database(
    tmp_dir: Path | None = None,
    *,
    given: ScratchServer | None = None,
    environ: Mapping[str, str] | None = None,
    allow_wipe: bool | None = None,
    docker: bool = False,
    heap: str | None = None,
    pagecache: str | None = None,
    schema: bool = True,
    refuse: Callable[[str], NoReturn] | None = None,
) -> Iterator[tuple[ScratchServer, Runner]]:
    """:func:`scratch_server`, connected, verified and claimed (schema applied unless ``schema=False``).

    Args:
        tmp_dir: Directory for a throwaway server's instance (default: a temporary one, removed after).
        given: A server set aside explicitly; wins over ``MISHON_TEST_NEO4J_URI``.
        environ: Environment to read ``MISHON_TEST_*`` from (default ``os.environ``).
        allow_wipe: Claim a given database that holds unmarked nodes (default: ``MISHON_TEST_ALLOW_WIPE``).
        docker: Prefer a testcontainers Neo4j when Docker answers.
        heap: Java heap of a local server.
        pagecache: Page cache of a local server.
        schema: Apply the project's constraints and indexes.
        refuse: Called with the guard's message instead of raising :class:`ForeignDatabaseError`
            (``sys.exit`` for a benchmark, ``pytest.exit`` for a test session).

    Raises:
        ForeignDatabaseError: The given database holds data the harness did not create (no ``refuse``).
    """
    if allow_wipe is None:
        allow_wipe = allow_wipe_from_env(environ)
    try:
        with ExitStack() as stack:
            if tmp_dir is None:
                tmp_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mishon-neo4j-")))
            server = stack.enter_context(
                scratch_server(
                    tmp_dir, given=given, environ=environ, docker=docker, heap=heap, pagecache=pagecache
                )
            )
            runner = stack.enter_context(server.runner())
            runner.verify()
            claim(runner, server, allow_wipe=allow_wipe)
            if schema:
                apply_schema(runner)
            yield server, runner
    except ForeignDatabaseError as exc:
        if refuse is None:
            raise
        refuse(str(exc))


# Benchmarks ------------------------------------------------------------------------------------
def add_server_options(parser: argparse.ArgumentParser, *, wipe_ok: bool = False) -> None:
    """A benchmark's ``--neo4j-uri``, ``--neo4j-user``, ``--neo4j-password`` (and ``--wipe-ok``)."""
    parser.add_argument(
        "--neo4j-uri",
        help="A server set aside for benchmarks, emptied here (default: MISHON_TEST_NEO4J_URI, else a "
        "temporary local Neo4j; NEO4J_URI is never used).",
    )
    parser.add_argument("--neo4j-user", default="neo4j")
    parser.add_argument("--neo4j-password", help="Default: MISHON_TEST_NEO4J_PASSWORD.")
    if wipe_ok:
        parser.add_argument(
            "--wipe-ok",
            action="store_true",
            help="Empty the given database even when it holds data no test or benchmark created "
            "(like MISHON_TEST_ALLOW_WIPE=1).",
        )


@contextmanager
def benchmark_database(
    args: argparse.Namespace,
    tmp_dir: Path | None = None,
    *,
    heap: str | None = None,
    pagecache: str | None = None,
    schema: bool = False,
) -> Iterator[tuple[ScratchServer, Runner]]:
    """A benchmark's own database (never ``NEO4J_URI``): the server its ``--neo4j-uri`` /
    ``MISHON_TEST_NEO4J_URI`` sets aside, else a throwaway local Neo4j.

    A given database holding data the harness did not create is refused, unless ``--wipe-ok`` or
    ``MISHON_TEST_ALLOW_WIPE=1``: the run ends with the guard's message (``sys.exit``).

    Args:
        args: Parsed options with ``neo4j_uri`` and ``neo4j_user`` (``neo4j_password`` and ``wipe_ok``
            when the benchmark has them; see :func:`add_server_options`).
        tmp_dir: Directory for a throwaway server's instance (default: a temporary one).
        heap: Java heap of a local server.
        pagecache: Page cache of a local server.
        schema: Apply the project's constraints and indexes.
    """
    given = server_from_flags(args.neo4j_uri, args.neo4j_user, getattr(args, "neo4j_password", None))
    allow = getattr(args, "wipe_ok", False) or allow_wipe_from_env()
    with scratch_database(
        tmp_dir, given=given, allow_wipe=allow, heap=heap, pagecache=pagecache, schema=schema, refuse=_exit
    ) as found:
        yield found


def _exit(message: str) -> NoReturn:
    sys.exit(message)
