"""The ``mishon`` command line: thin click commands over the library.

Each command parses options, builds the :class:`Config`, calls one library function and prints a
short summary. Command groups live in :mod:`mishon_graph.commands`.
"""

from __future__ import annotations

import logging
import sys

import click

from mishon_graph import __version__
from mishon_graph.commands import db as db_commands
from mishon_graph.commands import features as features_commands
from mishon_graph.commands import graph as graph_commands
from mishon_graph.commands import ingest as ingest_commands
from mishon_graph.commands import learn as learn_commands
from mishon_graph.commands import recommend as recommend_commands
from mishon_graph.commands.common import State
from mishon_graph.errors import MishonError


class _Group(click.Group):
    """Turns :class:`MishonError` into a one-line message unless ``--debug``."""

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except MishonError as exc:
            if ctx.obj is not None and ctx.obj.debug:
                raise
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            click.echo("interrupted; rerun the same command to resume", err=True)
            sys.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.option(
    "--home",
    type=click.Path(file_okay=False),
    help="Data directory (default: MISHON_HOME or the user data dir).",
)
@click.version_option(__version__, prog_name="mishon")
@click.pass_context
def cli(ctx: click.Context, debug: bool, home: str | None) -> None:
    """MISHON hashtag recommendation for micro-videos on a Neo4j graph."""
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    ctx.obj = State(debug=debug, home=home)


for module in (
    db_commands,
    ingest_commands,
    features_commands,
    graph_commands,
    learn_commands,
    recommend_commands,
):
    module.register(cli)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="mishon")
