"""Results of several methods as a Markdown table, a CSV and one PNG per metric against K.

``results`` maps a method name to ``{K: Metrics}``; the table shows one K (the paper's K = 5), the
CSV and the plots every K (the paper's Tables 2-8 and Figure 4).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

from mishon_graph.errors import MishonError
from mishon_graph.evaluation.metrics import Metrics

Results = Mapping[str, Mapping[int, Metrics]]
METRICS: tuple[str, ...] = ("hit", "precision", "recall", "f1")
_TITLES = {"hit": "Hit rate", "precision": "Precision", "recall": "Recall", "f1": "F1"}


def markdown_table(results: Results, k: int = 5) -> str:
    """A Markdown table ``| method | hit | P | R | F1 | videos |`` at one K (3 decimals)."""
    lines = [f"| method (K = {k}) | hit | P | R | F1 | test videos |", "|---|---|---|---|---|---|"]
    for method, by_k in results.items():
        if k not in by_k:
            raise MishonError(f"method {method!r} was not evaluated at K = {k}")
        m = by_k[k]
        lines.append(
            f"| {method} | {m.hit:.3f} | {m.precision:.3f} | {m.recall:.3f} | {m.f1:.3f} | {m.n_videos} |"
        )
    return "\n".join(lines) + "\n"


def csv_rows(results: Results) -> list[dict[str, object]]:
    """One row per method and K: method, k, hit, precision, recall, f1, n_videos, n_unranked."""
    return [
        {"method": method, **m.as_row()} for method, by_k in results.items() for _, m in sorted(by_k.items())
    ]


def write_report(results: Results, out_dir: Path, *, k: int = 5, title: str = "Results") -> dict[str, Path]:
    """Write ``results.md``, ``results.csv`` and ``<metric>_at_k.png`` under ``out_dir``.

    Returns:
        Artifact name -> path (``markdown``, ``csv`` and one entry per metric).
    """
    if not results:
        raise MishonError("nothing to report: no method was evaluated")
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {"markdown": out_dir / "results.md", "csv": out_dir / "results.csv"}
    paths["markdown"].write_text(f"# {title}\n\n" + markdown_table(results, k), encoding="utf-8")
    rows = csv_rows(results)
    with paths["csv"].open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    for metric in METRICS:
        paths[metric] = _plot(results, metric, out_dir / f"{metric}_at_k.png", title)
    return paths


def _plot(results: Results, metric: str, path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    for method, by_k in results.items():
        ks = sorted(by_k)
        ax.plot(ks, [getattr(by_k[k], metric) for k in ks], marker="o", label=method)
    ax.set_xlabel("K")
    ax.set_ylabel(_TITLES[metric])
    ax.set_title(f"{title}: {_TITLES[metric]} at K")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
