"""Every command reaches Neo4j through a routing URI (``neo4j://``) as through ``bolt://``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from click.testing import CliRunner
from recommend_graph import seed

from mishon_graph.cli import cli
from mishon_graph.db.protocol import Runner
from mishon_graph.recommend.write import write_recommendations


def test_commands_work_through_a_routing_uri(db: Runner, neo4j_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    seed(db)
    scores = np.array([[0.9, 0.5, 0.1, 0.0], [0.1, 0.8, 0.7, 0.6], [0.2, 0.1, 0.9, 0.3]])
    write_recommendations(
        db, ["x1", "x2", "y1"], ["cat", "cute", "dog", "park"], scores, k=4, model="mishon", run_id="r1"
    )
    bolt = {**neo4j_server.env(), "MISHON_HOME": str(tmp_path / "home")}
    assert bolt["NEO4J_URI"].startswith("bolt://")
    routed = {**bolt, "NEO4J_URI": "neo4j://" + bolt["NEO4J_URI"].removeprefix("bolt://")}
    run = CliRunner().invoke
    count = ["db", "cypher", "MATCH (v:Video) RETURN count(v) AS n"]
    direct, via_router = run(cli, count, env=bolt), run(cli, count, env=routed)
    assert via_router.exit_code == 0, via_router.output
    assert via_router.output == direct.output
    # evaluate reads (read transactions) and writes the baselines' runs (write transactions)
    result = run(cli, ["evaluate", "--k", "1..4", "--out", str(tmp_path / "report")], env=routed)
    assert result.exit_code == 0, result.output
    assert "| MISHON (paper)" in result.output and "| content kNN |" in result.output
    models = "MATCH ()-[r:RECOMMENDS]->() RETURN count(DISTINCT r.model) AS n"
    runs = run(cli, ["db", "cypher", models], env=bolt)
    assert int(runs.output.strip()) > 1  # the baselines were written through the router
