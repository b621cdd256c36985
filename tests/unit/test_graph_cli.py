"""``mishon graph build`` rejects bad options with one line, before touching any database."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from mishon_graph.cli import cli
from mishon_graph.errors import MishonError
from mishon_graph.graph.build import parse_families


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
