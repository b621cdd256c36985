"""The README's main job, end to end through the CLI: synthetic videos with real media -> ingest ->
features -> graph -> train -> recommend -> evaluate, on a real Neo4j (a smaller preset than the
README's `demo` so CI stays short; same code path)."""

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from mishon_graph.cli import cli
from mishon_graph.db.runner import Runner

REPO = Path(__file__).resolve().parents[2]


def test_readme_names_the_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "./scripts/demo.sh" in readme and "./scripts/test.sh" in readme
    assert "./scripts/test.sh" in (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "mishon demo" in (REPO / "scripts" / "demo.sh").read_text(encoding="utf-8")


@pytest.mark.slow
def test_demo_end_to_end(neo4j_server, db: Runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {**neo4j_server.env(), "MISHON_HOME": str(tmp_path)}
    result = CliRunner().invoke(
        cli, ["demo", "--preset", "smoke", "--epochs", "30", "--no-progress"], env=env, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert re.search(r"MISHON", result.output) and "Neo4j Browser" in result.output
    counts = db.run(
        "MATCH (v:Video {split: 'test'}) OPTIONAL MATCH (v)-[r:RECOMMENDS]->(:Hashtag) "
        "RETURN count(DISTINCT v) AS videos, count(r) AS recs"
    )[0]
    assert counts["videos"] > 0 and counts["recs"] >= counts["videos"]
    embedded = db.run(
        "MATCH (m) WHERE (m:Visual OR m:Acoustic OR m:Textual) AND m.embedding IS NOT NULL "
        "RETURN count(m) AS n"
    )[0]["n"]
    assert embedded >= 3 * counts["videos"]
    reports = list(tmp_path.rglob("results.md"))
    assert reports, "the demo writes a Markdown results table"
