"""``mishon graph build`` rejects bad options with one line, before touching any database; ``--knn``
reaches the build and the sampled recall is printed."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from click.testing import CliRunner

from mishon_graph.cli import cli
from mishon_graph.commands import graph as graph_cmd
from mishon_graph.errors import MishonError
from mishon_graph.graph.build import BuildReport, parse_families
from mishon_graph.graph.family import FamilyResult


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--theta", "1.5"], "theta must be in [0, 1], got 1.5"),
        (["--gamma", "-0.1"], "gamma must be in [0, 1], got -0.1"),
        (["--alpha", "0"], "alpha must be in (0, 1], got 0.0"),
        (["--top-k", "0"], "k-NN cap must be >= 1, got 0"),
        (["--top-k", "3", "--no-cap"], "--top-k and --no-cap exclude each other"),
        (["--edges", "jaccard,bogus"], "unknown edge family 'bogus'"),
    ],
)
def test_bad_options_give_one_line_errors(args: list[str], message: str, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("NEO4J_URI", "bolt://127.0.0.1:1")  # never reached
    result = CliRunner().invoke(cli, ["--home", str(tmp_path), "graph", "build", *args])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.output


def test_parse_families() -> None:
    assert parse_families(None) == ["jaccard", "popularity", "uses", "similar"]
    assert parse_families("similar, JACCARD") == ["jaccard", "similar"]
    assert parse_families(["uses"]) == ["uses"]
    with pytest.raises(MishonError, match="empty"):
        parse_families([])


def test_knn_flag_reaches_the_build_and_recall_is_printed(tmp_path, monkeypatch) -> None:
    seen = {}

    @contextmanager
    def fake_database(config, **_):
        seen["config"] = config
        yield object()

    def fake_build(runner, config, *, families, progress):
        similar = FamilyResult("similar", edges=5, per_modality={"Visual": 5}, before_cap={"Visual": 9})
        similar.details = {"knn": {"Visual": config.knn_mode}, "recall": {"Visual": 0.9876}}
        report = BuildReport(families={"similar": similar})
        report.params = {"theta": config.theta, "knn_cap": config.knn_cap, "knn_mode": config.knn_mode}
        return report

    monkeypatch.setattr(graph_cmd, "database", fake_database)
    monkeypatch.setattr(graph_cmd, "build_graph", fake_build)
    args = ["--edges", "similar", "--knn", "APPROX", "--top-k", "4"]
    result = CliRunner().invoke(cli, ["--home", str(tmp_path), "graph", "build", *args])
    assert result.exit_code == 0, result.output
    assert seen["config"].knn_mode == "approx" and seen["config"].knn_cap == 4
    assert "Visual approx (sampled recall of the exact top k 0.988)" in result.output
    assert "knn_mode=approx" in result.output
    result = CliRunner().invoke(cli, ["--home", str(tmp_path), "graph", "build", "--edges", "similar"])
    assert result.exit_code == 0 and seen["config"].knn_mode == "auto"


def test_knn_flag_values(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("NEO4J_URI", "bolt://127.0.0.1:1")  # never reached
    result = CliRunner().invoke(cli, ["--home", str(tmp_path), "graph", "build", "--knn", "fast"])
    assert result.exit_code == 2 and "Invalid value for '--knn'" in result.output
    args = ["--knn", "approx", "--no-cap"]
    result = CliRunner().invoke(cli, ["--home", str(tmp_path), "graph", "build", *args])
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 1 and len(lines) == 1 and "approximate k-NN needs a cap" in lines[0]
