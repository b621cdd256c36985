"""``mishon serve``: hashtag suggestions for new uploads over HTTP (loopback by default)."""

from __future__ import annotations

from pathlib import Path

import click

from mishon_graph.commands.common import build_config, console, database, err_console
from mishon_graph.errors import MishonError

LOOPBACK = ("127.0.0.1", "::1", "localhost")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--model",
    "model_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="GNN artifact mishon+ reads (default: <home>/models/mishon.pt when present).",
)
@click.option(
    "--store",
    is_flag=True,
    help='Let POST /suggest {"store": true} write the upload into the graph (video, modality nodes, '
    "SIMILAR/USES edges, RECOMMENDS), one transaction per upload.",
)
@click.option(
    "--run-id", default="serve-mishon+", show_default=True, help="RECOMMENDS run of stored uploads."
)
@click.option(
    "--max-body-mb", type=click.FloatRange(0.001, 100), default=2.0, show_default=True, help="JSON bodies."
)
@click.option(
    "--max-media-mb",
    type=click.FloatRange(0.001, 10_000),
    default=100.0,
    show_default=True,
    help="Video files sent to /suggest/media.",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(0.01),
    default=5.0,
    show_default=True,
    help="Seconds a suggestion may take before the answer is 503.",
)
@click.option(
    "--media-timeout",
    "media_timeout_s",
    type=click.FloatRange(0.01),
    default=60.0,
    show_default=True,
    help="The same for a video file (decoding and encoding included).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Suggestions computed at once.",
)
@click.pass_context
def serve_cmd(
    ctx: click.Context,
    host: str,
    port: int,
    model_path: Path | None,
    store: bool,
    run_id: str,
    max_body_mb: float,
    max_media_mb: float,
    timeout_s: float,
    media_timeout_s: float,
    workers: int,
) -> None:
    """Serve hashtag suggestions for new uploads: POST /suggest, POST /suggest/media, GET /health,
    docs at /docs. Loads the graph once (as `recommend` does) and answers from memory."""
    import uvicorn

    from mishon_graph.serve.app import create_app
    from mishon_graph.serve.store import storer
    from mishon_graph.serve.suggester import Suggester

    config = build_config(ctx)
    artifact = model_path or config.model_dir / "mishon.pt"
    if model_path is not None and not artifact.is_file():
        raise MishonError(f"{artifact}: no such model artifact")
    gnn = artifact if artifact.is_file() else None
    if host not in LOOPBACK:
        err_console.print(f"[yellow]listening on {host}: anyone who reaches it can query the graph[/yellow]")
    with database(config) as runner:
        suggester = Suggester.load(
            runner, config, artifact=gnn, say=lambda m: err_console.print(f"[dim]{m}[/dim]")
        )
        app = create_app(
            suggester,
            store=storer(runner, suggester, run_id=run_id) if store else None,
            max_body_bytes=int(max_body_mb * 1_000_000),
            max_media_bytes=int(max_media_mb * 1_000_000),
            timeout_s=timeout_s,
            media_timeout_s=media_timeout_s,
            workers=workers,
        )
        info = suggester.info
        console.print(
            f"mishon+ ready in {info['load_seconds']} s: {info['hashtags']} hashtags, "
            f"{info['training_videos']} training videos, GNN {'on' if info['gnn'] else 'off'}, "
            f"store {'on (run ' + run_id + ')' if store else 'off'}"
        )
        console.print(f"http://{host}:{port}/docs  (POST /suggest, GET /health; Ctrl-C stops)")
        uvicorn.run(app, host=host, port=port, log_level="warning")


def register(cli: click.Group) -> None:
    """Attach ``mishon serve`` to the top-level group."""
    cli.add_command(serve_cmd)
