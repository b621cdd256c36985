"""CLI commands for the learn stage."""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    """Attach this stage's commands to the `mishon` group."""
