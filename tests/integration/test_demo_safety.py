"""A tester's finding, reproduced: `mishon demo` on a home holding the user's data replaced their graph
and overwrote ``models/mishon.pt``. Now the demo keeps to its own home (``<home>/demo``) and its own
managed Neo4j, and writes into a ``NEO4J_URI`` database only when it is empty or holds the demo's
dataset, unless ``--replace``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from mishon_graph.cli import cli
from mishon_graph.db.runner import Runner
from mishon_graph.db.server import LocalNeo4j
from mishon_graph.recommend.demo import Occupancy, check_target, demo_place, occupancy

USERS_GRAPH = (
    "CREATE (:GraphMeta {name: 'ingest', source: 'my-videos', status: 'complete'}), "
    "(:User {id: 'me', source: 'my-videos'})"
    "-[:POSTED]->(:Video {id: 'my-video', split: 'train', source: 'my-videos'})"
)
MODEL = b"the user's trained model"


def _users_home(home: Path) -> Path:
    model = home / "models" / "mishon.pt"
    model.parent.mkdir(parents=True)
    model.write_bytes(MODEL)
    return model


def _graph(runner: Runner) -> list[dict]:
    return runner.run(
        "MATCH (n) RETURN labels(n)[0] AS label, coalesce(n.id, n.name) AS id ORDER BY label, id"
    )


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
def test_demo_on_a_home_with_the_users_graph_keeps_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    model = _users_home(home)
    users = LocalNeo4j(home / "neo4j")
    demo_server = LocalNeo4j(home / "demo" / "neo4j")
    state, _ = users.start(ports=(0, 0))
    try:
        with Runner(state.bolt_uri, users.user, users.password()) as runner:
            runner.run(USERS_GRAPH, write=True)
            before = _graph(runner)
            result = CliRunner().invoke(
                cli,
                ["demo", "--preset", "smoke", "--epochs", "5", "--no-baselines", "--no-progress"],
                env={"MISHON_HOME": str(home)},
                catch_exceptions=False,
            )
            assert result.exit_code == 0, result.output
            assert _graph(runner) == before
        assert model.read_bytes() == MODEL
        assert sorted(p.name for p in (home / "models").iterdir()) == ["mishon.pt"]
        assert (home / "demo" / "models" / "mishon.pt").is_file()
        assert list((home / "demo" / "runs").rglob("results.md"))
        assert f"demo data: {home / 'demo'}" in result.output
        assert demo_server.state() is not None  # the demo's own Neo4j, left running for the Browser
    finally:
        demo_server.stop()
        users.stop()
