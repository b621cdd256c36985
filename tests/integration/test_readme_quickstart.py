"""The README's main job, end to end through the CLI: synthetic videos with real media -> ingest ->
features -> graph -> train -> recommend -> evaluate, on the demo's own Neo4j as ``scripts/demo.sh``
runs it (a smaller preset than the README's `demo` so CI stays short; same code path). The run is
the session's shared ``demo_run`` (tests/integration/conftest.py, demo_run.py)."""

import re
from pathlib import Path

import pytest
from demo_run import DemoRun

REPO = Path(__file__).resolve().parents[2]


def test_readme_names_the_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "./scripts/demo.sh" in readme and "./scripts/test.sh" in readme
    assert "./scripts/test.sh" in (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "mishon demo" in (REPO / "scripts" / "demo.sh").read_text(encoding="utf-8")


@pytest.mark.slow
def test_demo_end_to_end(demo_run: DemoRun) -> None:
    """``mishon demo`` as ``scripts/demo.sh`` runs it (its own Neo4j), shared with test_demo_safety.py."""
    result = demo_run
    assert result.exit_code == 0, result.output
    assert re.search(r"MISHON", result.output) and "Neo4j Browser" in result.output
    counts = demo_run.recommended
    assert counts["videos"] > 0 and counts["recs"] >= counts["videos"]
    embedded = demo_run.embedded
    assert embedded >= 3 * counts["videos"]
    reports = list(demo_run.home.rglob("results.md"))
    assert reports, "the demo writes a Markdown results table"
