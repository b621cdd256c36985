"""Shared CLI plumbing: global state, config building and the database context."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from mishon_graph.config import DEVICES, Config
from mishon_graph.db.connect import connect
from mishon_graph.db.protocol import Runner
from mishon_graph.ingest.state import require_complete

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

console = Console(stderr=False)
err_console = Console(stderr=True)


def no_progress_option(help_text: str = "No progress bar.") -> Decorator:
    """The ``--no-progress`` flag every long-running command takes."""
    return click.option("--no-progress", is_flag=True, help=help_text)


def device_option(help_text: str) -> Decorator:
    """``--device auto|cpu|cuda`` (``None`` when not given: the configuration decides)."""
    return click.option("--device", type=click.Choice(DEVICES), help=help_text)


@dataclass
class State:
    """What the top-level ``mishon`` options set."""

    debug: bool = False
    home: str | None = None


def build_config(ctx: click.Context, **overrides: Any) -> Config:
    """Config from the environment, then ``--home``, then the command's own options."""
    state: State = ctx.find_object(State) or State()
    config = Config.from_env()
    if state.home:
        config = config.with_overrides(home=Path(state.home))
    return config.with_overrides(**overrides)


@contextmanager
def database(
    config: Config, *, autostart: bool = True, schema: bool = True, complete: bool = True
) -> Iterator[Runner]:
    """A connected runner (schema applied unless ``schema=False``), closed on exit.

    ``complete``: refuse a graph whose last ingest did not finish (commands that read the graph);
    ``False`` for the commands that write it from scratch or only administer the server.
    """
    runner = connect(
        config, autostart=autostart, schema=schema, notify=lambda m: err_console.print(f"[dim]{m}[/dim]")
    )
    try:
        if complete:
            require_complete(runner)
        yield runner
    finally:
        runner.close()
