"""Resolve a :class:`~mishon_graph.db.runner.Neo4jRunner` from a :class:`Config`: an existing server or the
managed one."""

from __future__ import annotations

from collections.abc import Callable

from mishon_graph.config import Config
from mishon_graph.db.runner import CredentialsRejected, Runner
from mishon_graph.db.schema import apply_schema
from mishon_graph.db.server import LocalNeo4j
from mishon_graph.errors import MishonError


def local_server(config: Config) -> LocalNeo4j:
    """The managed server whose instance lives under ``config.home``."""
    return LocalNeo4j(
        config.neo4j_dir, config.neo4j_dist, heap=config.neo4j_heap, pagecache=config.neo4j_pagecache
    )


def connect(
    config: Config,
    *,
    autostart: bool = True,
    schema: bool = True,
    notify: Callable[[str], None] | None = None,
) -> Runner:
    """Open a verified runner; start the managed server first when needed and allowed.

    Args:
        config: Connection settings (``neo4j_uri`` set means an existing server).
        autostart: Start the managed server when it is not running.
        schema: Apply constraints and indexes (idempotent).
        notify: Called with a one-line message when a server is started.
    """
    server: LocalNeo4j | None = None
    if config.neo4j_uri:
        if not config.neo4j_password:
            raise MishonError("NEO4J_URI is set but NEO4J_PASSWORD is not")
        runner = Runner(config.neo4j_uri, config.neo4j_user, config.neo4j_password, config.neo4j_database)
    else:
        server = local_server(config)
        state = server.state()
        if state is None:
            if not autostart:
                raise MishonError("no local Neo4j is running: run `mishon db start` or set NEO4J_URI")
            state, _ = server.start()
            if notify:
                notify(f"started Neo4j {state.version} at {state.bolt_uri}")
        runner = Runner(state.bolt_uri, server.user, server.password(), config.neo4j_database)
    try:
        runner.verify()
        if schema:
            apply_schema(runner)
    except CredentialsRejected as exc:
        runner.close()
        if server is None:
            raise  # an external server: the message names NEO4J_USER/NEO4J_PASSWORD
        # The managed server reads no NEO4J_* variable: say where its password lives and how to recover.
        raise MishonError(
            f"the local Neo4j ({server.dir}) rejected the password in {server.password_file}: "
            "run `mishon db reset-password` to set a new one"
        ) from exc
    except BaseException:
        runner.close()
        raise
    return runner
