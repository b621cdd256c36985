"""A tester's finding, reproduced: `mishon demo` on a home holding the user's data replaced their graph
and overwrote ``models/mishon.pt``. Now the demo keeps to its own home (``<home>/demo``) and its own
managed Neo4j, and writes into a ``NEO4J_URI`` database only when it is empty or holds the demo's
dataset, unless ``--replace``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from demo_run import GRAPH, USERS_GRAPH, DemoRun
from demo_run import USERS_MODEL as MODEL
from demo_run import users_home as _users_home

from mishon_graph.cli import cli
from mishon_graph.db.runner import Runner
from mishon_graph.demo import Occupancy, check_target, demo_place, occupancy


def _graph(runner: Runner) -> list[dict]:
    return runner.run(GRAPH)


def test_occupancy_reads_the_last_ingest(db: Runner) -> None:
    assert occupancy(db) == Occupancy(0, None)
    db.run(USERS_GRAPH, write=True)
    assert occupancy(db) == Occupancy(3, "my-videos", ("my-videos",))


def test_demo_refuses_a_server_holding_another_dataset(  # type: ignore[no-untyped-def]
    neo4j_server, db: Runner, tmp_path: Path
) -> None:
    db.run(USERS_GRAPH, write=True)
    before = _graph(db)
    model = _users_home(tmp_path)
    env = {**neo4j_server.env(), "MISHON_HOME": str(tmp_path)}
    result = CliRunner().invoke(cli, ["demo", "--preset", "smoke", "--no-progress"], env=env)
    assert result.exit_code == 1, result.output
    assert "would replace your work" in result.output and "'my-videos'" in result.output
    assert "unset NEO4J_URI" in result.output and "--replace" in result.output
    assert "Traceback" not in result.output
    assert _graph(db) == before
    assert model.read_bytes() == MODEL
    assert not (tmp_path / "demo" / "smoke-data").exists(), "nothing generated before the check"


def test_replace_empties_the_server_first(neo4j_server, db: Runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db.run(USERS_GRAPH, write=True)
    place = demo_place(neo4j_server.config(tmp_path))
    assert not place.own_database
    check_target(db, place, "smoke-data", replace=True)
    assert _graph(db) == []


@pytest.mark.slow
def test_demo_on_a_home_with_the_users_graph_keeps_it(demo_run: DemoRun) -> None:
    """The shared demo run (tests/integration/conftest.py) on a home holding the user's graph and model."""
    home, result = demo_run.home, demo_run
    assert result.exit_code == 0, result.output
    assert demo_run.users_graph_after == demo_run.users_graph_before
    assert demo_run.model.read_bytes() == MODEL
    assert sorted(p.name for p in (home / "models").iterdir()) == ["mishon.pt"]
    assert (home / "demo" / "models" / "mishon.pt").is_file()
    assert list((home / "demo" / "runs").rglob("results.md"))
    assert f"demo data: {home / 'demo'}" in result.output
    assert demo_run.demo_server_left_running  # the demo's own Neo4j, left running for the Browser
