"""The ``mishon`` command line: thin click commands over the library.

Each command parses options, builds the :class:`Config`, calls one library function and prints a
short summary. Command groups live in :mod:`mishon_graph.commands`.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

import click

from mishon_graph import __version__
from mishon_graph.commands import db as db_commands
from mishon_graph.commands import features as features_commands
from mishon_graph.commands import graph as graph_commands
from mishon_graph.commands import ingest as ingest_commands
from mishon_graph.commands import learn as learn_commands
from mishon_graph.commands import recommend as recommend_commands
from mishon_graph.commands import serve as serve_commands
from mishon_graph.commands.common import State
from mishon_graph.config import Config
from mishon_graph.errors import MishonError


class _Group(click.Group):
    """Turns :class:`MishonError` into a one-line message, and any other exception into one line
    plus the path of a log file holding its traceback, unless ``--debug``."""

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except MishonError as exc:
            if _debug(ctx):
                raise
            raise click.ClickException(_one_line(str(exc))) from None
        except KeyboardInterrupt:
            click.echo("interrupted; rerun the same command to resume", err=True)
            sys.exit(130)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            if _debug(ctx):
                raise
            log = write_crash_log(exc, _log_dir(ctx))
            where = f"traceback in {log}" if log else "the traceback could not be saved"
            raise click.ClickException(
                f"unexpected {type(exc).__name__}: {_one_line(str(exc))} ({where}; "
                "rerun with --debug to print it)"
            ) from None


def _debug(ctx: click.Context) -> bool:
    return isinstance(ctx.obj, State) and ctx.obj.debug


def _one_line(text: str) -> str:
    """``text`` on one line, printable whatever it holds."""
    line = " ".join(text.split()) or "(no message)"
    return line.encode("utf-8", "backslashreplace").decode("utf-8")


def _log_dir(ctx: click.Context) -> Path:
    """``<home>/logs`` (home from ``--home`` or the environment), the temp dir when unknown."""
    state = ctx.obj if isinstance(ctx.obj, State) else State()
    try:
        home = Path(state.home).expanduser() if state.home else Config.from_env().home
    except Exception:  # a broken environment must not hide the original error
        return Path(tempfile.gettempdir())
    return home / "logs"


def write_crash_log(exc: BaseException, directory: Path) -> Path | None:
    """Write ``exc``'s traceback to a new owner-only file in ``directory``; its path, or ``None``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    path = directory / f"mishon-error-{stamp}-{os.getpid()}.log"
    text = "".join(traceback.format_exception(exc))
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(f"mishon {__version__}: {' '.join(sys.argv)}\n{text}")
    except OSError:
        return None
    return path


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
    serve_commands,
):
    module.register(cli)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="mishon")
