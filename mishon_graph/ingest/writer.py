"""Batched writes: named steps of ``UNWIND $rows`` files, each batch one managed transaction.

Steps run in the order given (the pipeline puts nodes before relationships). With
``batch_rows=1`` the same code is the naive one-transaction-per-row writer the benchmark compares.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn

from mishon_graph.db.protocol import Row, Runner
from mishon_graph.progress import progress as progress_bars


@dataclass
class WriteStep:
    """One Cypher file applied to rows.

    Args:
        label: Shown on the progress bar and in the report.
        query: Cypher file name, e.g. ``"ingest/videos"``.
        rows: Row dicts (may be a generator, e.g. features computed on the fly).
        total: Number of rows (for the progress bar).
    """

    label: str
    query: str
    rows: Iterable[Row]
    total: int


def write_steps(
    runner: Runner,
    steps: Sequence[WriteStep],
    *,
    batch_rows: int,
    progress: bool = True,
    console: Console | None = None,
) -> dict[str, int]:
    """Run every step in order; returns rows written per step label."""
    written: dict[str, int] = {}
    columns = (
        TextColumn("{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with progress_bars(*columns, enabled=progress, console=console) as bar:
        tasks = {step.label: bar.add_task(step.label, total=step.total) for step in steps}
        for step in steps:
            task = tasks[step.label]
            written[step.label] = runner.run_file_batched(
                step.query,
                step.rows,
                batch_size=batch_rows,
                on_batch=lambda n, task=task: bar.advance(task, n),
            )
    return written
