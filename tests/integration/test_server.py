"""The managed Neo4j lifecycle through the CLI: start twice, status, Browser, stop/start keeps data."""

import os
import stat
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from mishon_graph.cli import cli
from mishon_graph.db.server import LocalNeo4j


@pytest.mark.slow
def test_lifecycle_keeps_data_and_serves_browser(tmp_path: Path) -> None:
    env = {"MISHON_HOME": str(tmp_path), "NEO4J_URI": ""}
    run = CliRunner().invoke
    server = LocalNeo4j(tmp_path / "neo4j")
    try:
        first = run(cli, ["db", "start"], env=env)
        assert first.exit_code == 0, first.output
        assert "started" in first.output
        password = server.password()
        assert password not in first.output
        assert stat.S_IMODE(os.stat(server.password_file).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(server.dir).st_mode) == 0o700  # the whole instance is private

        again = run(cli, ["db", "start"], env=env)
        assert "already running" in again.output
        state = server.state()
        assert state is not None

        status = run(cli, ["db", "status"], env=env)
        assert status.exit_code == 0 and state.browser_url in status.output and password not in status.output
        with urllib.request.urlopen(state.browser_url, timeout=10) as page:
            assert page.status == 200 and b"Neo4j Browser" in page.read()

        wrote = run(
            cli,
            ["db", "cypher", "CREATE (u:User {id: $id}) RETURN u.id", "-p", "id=keep-me", "--write"],
            env=env,
        )
        assert wrote.output.strip() == "keep-me", wrote.output
        assert run(cli, ["db", "stop"], env=env).exit_code == 0
        assert server.state() is None
        assert run(cli, ["db", "status"], env=env).exit_code == 3

        assert run(cli, ["db", "start"], env=env).exit_code == 0
        back = run(cli, ["db", "cypher", "MATCH (u:User {id: 'keep-me'}) RETURN count(u)"], env=env)
        assert back.output.strip() == "1"
    finally:
        server.stop()
