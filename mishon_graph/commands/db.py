"""``mishon db``: install, start, stop and inspect Neo4j; run ad-hoc Cypher."""

from __future__ import annotations

import json
import time

import click
from rich.table import Table

from mishon_graph.commands.common import build_config, console, database
from mishon_graph.db import server as server_mod
from mishon_graph.db.connect import local_server
from mishon_graph.db.schema import apply_schema
from mishon_graph.errors import MishonError


def parse_params(pairs: tuple[str, ...]) -> dict[str, object]:
    """``k=v`` pairs to Cypher parameters; values are JSON when they parse, else strings."""
    params: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise MishonError(f"parameter {pair!r} is not of the form name=value")
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            params[key] = value
        if _too_large(params[key]):
            raise MishonError(f"parameter {key!r}: integer beyond 64 bits (Neo4j integers are signed 64-bit)")
    return params


def _too_large(value: object) -> bool:
    """Whether ``value`` holds an integer outside the signed 64-bit range (at any depth)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not -(2**63) <= value < 2**63
    if isinstance(value, list):
        return any(_too_large(v) for v in value)
    if isinstance(value, dict):
        return any(_too_large(v) for v in value.values())
    return False


@click.group("db")
def db_group() -> None:
    """Manage the Neo4j server (local, or the one NEO4J_URI names)."""


@db_group.command("install")
@click.pass_context
def install_cmd(ctx: click.Context) -> None:
    """Resolve the Neo4j Community server and Browser jars with mvn (once)."""
    t0 = time.monotonic()
    lib = server_mod.install(build_config(ctx).neo4j_dist)
    console.print(f"Neo4j {server_mod.NEO4J_VERSION} jars in {lib} ({time.monotonic() - t0:.1f} s)")


@db_group.command("start")
@click.pass_context
def start_cmd(ctx: click.Context) -> None:
    """Start the local Neo4j (no-op when it runs or NEO4J_URI is set)."""
    config = build_config(ctx)
    if config.neo4j_uri:
        console.print(f"NEO4J_URI is set: using {config.neo4j_uri}; nothing to start")
        return
    t0 = time.monotonic()
    state, started = local_server(config).start()
    verb = "started" if started else "already running"
    console.print(f"Neo4j {state.version} {verb} (pid {state.pid}, {time.monotonic() - t0:.1f} s)")
    console.print(f"  bolt:    {state.bolt_uri}")
    console.print(f"  browser: {state.browser_url}")


@db_group.command("stop")
@click.pass_context
def stop_cmd(ctx: click.Context) -> None:
    """Stop the local Neo4j; the data stays for the next start."""
    config = build_config(ctx)
    stopped = local_server(config).stop()
    console.print("Neo4j stopped" if stopped else "no local Neo4j was running")


@db_group.command("status")
@click.pass_context
def status_cmd(ctx: click.Context) -> None:
    """Say where Neo4j runs and how to open Neo4j Browser."""
    config = build_config(ctx)
    table = Table(show_header=False, box=None)
    if config.neo4j_uri:
        table.add_row("server", f"external (NEO4J_URI) {config.neo4j_uri}")
        table.add_row("user", config.neo4j_user)
        table.add_row("database", config.neo4j_database)
        console.print(table)
        return
    server = local_server(config)
    state = server.state()
    if state is None:
        console.print(f"local Neo4j is not running (instance {server.dir}); run `mishon db start`")
        raise SystemExit(3)
    table.add_row("server", f"Neo4j {state.version} Community, pid {state.pid}")
    table.add_row("bolt", state.bolt_uri)
    table.add_row("browser", f"{state.browser_url}  (connect to {state.bolt_uri}, user neo4j)")
    if server.password_file.is_file():
        table.add_row("password", f"in {server.password_file} (readable only by you)")
    else:
        table.add_row("password", f"missing ({server.password_file}): run `mishon db reset-password`")
    table.add_row("data", str(server.dir / "data"))
    console.print(table)


@db_group.command("reset-password")
@click.pass_context
def reset_password_cmd(ctx: click.Context) -> None:
    """Give the local Neo4j a new password (when its password file was lost); the data stays."""
    config = build_config(ctx)
    if config.neo4j_uri:
        raise MishonError(
            f"NEO4J_URI is set ({config.neo4j_uri}): reset-password only manages the local Neo4j; "
            "change an external server's password there"
        )
    server = local_server(config)
    t0 = time.monotonic()
    restarted = server.reset_password()
    console.print(f"new Neo4j password in {server.password_file} ({time.monotonic() - t0:.1f} s)")
    console.print("Neo4j started again" if restarted else "Neo4j is stopped: `mishon db start` starts it")


@db_group.command("init")
@click.pass_context
def init_cmd(ctx: click.Context) -> None:
    """Create constraints and indexes (idempotent)."""
    config = build_config(ctx)
    with database(config, autostart=True, complete=False) as runner:
        names = apply_schema(runner)
    console.print(f"schema ready: {len(names)} constraints/indexes")


@db_group.command("cypher")
@click.argument("query")
@click.option("--param", "-p", "params", multiple=True, help="Query parameter name=value (repeatable).")
@click.option("--write", is_flag=True, help="Run in a write transaction.")
@click.pass_context
def cypher_cmd(ctx: click.Context, query: str, params: tuple[str, ...], write: bool) -> None:
    """Run one Cypher statement and print its rows (one value per line when single-column)."""
    config = build_config(ctx)
    parameters = parse_params(params)
    with database(config, autostart=False, schema=False, complete=False) as runner:
        rows = runner.run(query, parameters, write=write)
    if rows and all(len(r) == 1 for r in rows):
        for r in rows:
            click.echo(_fmt(next(iter(r.values()))))
        return
    for r in rows:
        click.echo(json.dumps(r, default=str))


def _fmt(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def register(cli: click.Group) -> None:
    """Attach ``mishon db`` to the top-level group."""
    cli.add_command(db_group)
