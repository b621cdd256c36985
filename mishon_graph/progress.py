"""The one way long work shows progress: a rich bar on stderr, off with ``--no-progress``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

Advance = Callable[[int], None]
_STDERR = Console(stderr=True)
DEFAULT_COLUMNS: tuple[ProgressColumn, ...] = (
    TextColumn("{task.description}"),
    BarColumn(),
    MofNCompleteColumn(),
    TimeElapsedColumn(),
)


def progress(
    *columns: ProgressColumn, enabled: bool = True, transient: bool = False, console: Console | None = None
) -> Progress:
    """A rich ``Progress`` (``DEFAULT_COLUMNS`` unless ``columns``) on stderr; prints nothing when not
    ``enabled``."""
    return Progress(
        *(columns or DEFAULT_COLUMNS), console=console or _STDERR, disable=not enabled, transient=transient
    )


@contextmanager
def progress_bar(
    enabled: bool, description: str, total: int | None, *, transient: bool = True
) -> Iterator[Advance]:
    """One task's bar; yields ``advance(n)`` (a no-op when disabled)."""
    if not enabled:
        yield lambda _n: None
        return
    with progress(transient=transient) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)
