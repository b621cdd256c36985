"""``mishon evaluate`` and ``mishon query`` through the CLI on the tiny seeded graph."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner
from recommend_graph import seed

from mishon_graph.cli import cli
from mishon_graph.db.runner import Runner
from mishon_graph.recommend.write import write_recommendations


def test_evaluate_and_query_commands(db: Runner, neo4j_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    seed(db)
    scores = np.array([[0.9, 0.5, 0.1, 0.0], [0.1, 0.8, 0.7, 0.6], [0.2, 0.1, 0.9, 0.3]])
    write_recommendations(
        db, ["x1", "x2", "y1"], ["cat", "cute", "dog", "park"], scores, k=4, model="mishon", run_id="r1"
    )
    env = {**neo4j_server.env(), "MISHON_HOME": str(tmp_path / "home")}
    run = CliRunner().invoke

    out = tmp_path / "report"
    result = run(cli, ["evaluate", "--k", "1..4", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert "| MISHON (paper) | 1.000 | 0.500 | 0.750 | 0.600 | 2 |" not in result.output  # table is at K = 4
    assert "| method (K = 4) |" in result.output and "| content kNN |" in result.output
    assert "Cold-start users" in result.output
    with (out / "existing" / "results.csv").open() as f:
        rows = {(r["method"], int(r["k"])): r for r in csv.DictReader(f)}
    assert (
        float(rows[("MISHON (paper)", 2)]["recall"]) == 0.75
        and float(rows[("MISHON (paper)", 2)]["hit"]) == 1.0
    )
    assert len(rows) == 5 * 4
    assert (out / "cold_start" / "f1_at_k.png").is_file()

    bad = run(cli, ["evaluate", "--run-id", "nothing", "--no-baselines"], env=env)
    assert bad.exit_code != 0 and "run 'nothing' has no RECOMMENDS relationships" in bad.output
    assert len(bad.output.strip().splitlines()) == 1

    result = run(cli, ["query", "top_hashtags", "-p", "video_id=x1", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["hashtag"] for line in result.output.splitlines()][:2] == ["cat", "cute"]
    missing = run(cli, ["query", "why", "-p", "video_id=x1"], env=env)
    assert missing.exit_code != 0 and "needs parameter 'hashtag'" in missing.output
