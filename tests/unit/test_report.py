"""Report writer: Markdown table, CSV of every K, one PNG per metric."""

import csv
from pathlib import Path

import pytest

from mishon_graph.errors import MishonError
from mishon_graph.evaluation.metrics import Metrics
from mishon_graph.evaluation.report import csv_rows, markdown_table, write_report

RESULTS = {
    "mishon": {k: Metrics(k, 0.5 + k / 100, 0.2, 0.3, 0.24, 10) for k in (1, 5)},
    "popular": {k: Metrics(k, 0.1, 0.05, 0.1, 0.0667, 10) for k in (1, 5)},
}


def test_markdown_table_at_k() -> None:
    table = markdown_table(RESULTS, 5)
    lines = table.strip().splitlines()
    assert lines[0] == "| method (K = 5) | hit | P | R | F1 | test videos |"
    assert lines[2] == "| mishon | 0.550 | 0.200 | 0.300 | 0.240 | 10 |"
    assert lines[3] == "| popular | 0.100 | 0.050 | 0.100 | 0.067 | 10 |"
    with pytest.raises(MishonError, match="not evaluated at K = 3"):
        markdown_table(RESULTS, 3)


def test_csv_rows_every_method_and_k() -> None:
    rows = csv_rows(RESULTS)
    expected = [("mishon", 1), ("mishon", 5), ("popular", 1), ("popular", 5)]
    assert [(r["method"], r["k"]) for r in rows] == expected


def test_write_report_files(tmp_path: Path) -> None:
    paths = write_report(RESULTS, tmp_path / "out", k=5, title="Tiny")
    assert set(paths) == {"markdown", "csv", "hit", "precision", "recall", "f1"}
    assert paths["markdown"].read_text().startswith("# Tiny\n\n| method (K = 5)")
    with paths["csv"].open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 and rows[1]["hit"] == "0.55"
    for metric in ("hit", "precision", "recall", "f1"):
        assert paths[metric].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(MishonError, match="nothing to report"):
        write_report({}, tmp_path)
