"""``mishon ingest``, ``mishon stats`` and ``mishon generate``: datasets into Neo4j."""

from __future__ import annotations

import time
from pathlib import Path

import click
from rich.table import Table

from mishon_graph.commands.common import build_config, console, database, err_console, no_progress_option
from mishon_graph.ingest.pipeline import ingest
from mishon_graph.ingest.stats import dataset_stats
from mishon_graph.loaders import FORMATS, load_dataset
from mishon_graph.loaders.synthetic import SyntheticSpec, generate


@click.command("ingest")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format",
    "format_name",
    type=click.Choice(sorted(FORMATS)),
    default="canonical",
    show_default=True,
    help="Source layout.",
)
@click.option("--min-hashtag-freq", type=int, help="Drop hashtags used by fewer training posts (default 50).")
@click.option("--min-user-posts", type=int, help="Keep users with at least this many posts (default 4).")
@click.option("--cold-start-frac", type=float, help="Fraction of users held out as cold-start (default 0.1).")
@click.option("--seed", type=int, help="Seed for the cold-start draw (default 42).")
@click.option("--batch-rows", type=int, help="Rows per UNWIND transaction (default 1000).")
@click.option(
    "--rejects",
    "rejects_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write rejected records here (JSON lines; default: <home>/rejects-<dataset>.jsonl).",
)
@click.option(
    "--replace",
    is_flag=True,
    help="Replace the graph when it holds another dataset (without it, ingest refuses and says what).",
)
@no_progress_option()
@click.pass_context
def ingest_cmd(
    ctx: click.Context,
    source: Path,
    format_name: str,
    min_hashtag_freq: int | None,
    min_user_posts: int | None,
    cold_start_frac: float | None,
    seed: int | None,
    batch_rows: int | None,
    rejects_path: Path | None,
    replace: bool,
    no_progress: bool,
) -> None:
    """Load SOURCE, preprocess and split it, and write it into Neo4j (idempotent, resumable).

    Nothing is written when no post is kept, and a graph holding another dataset is kept unless
    --replace is given; records of this dataset that are gone are removed after the new ones are
    written.
    """
    config = build_config(
        ctx,
        min_hashtag_freq=min_hashtag_freq,
        min_user_posts=min_user_posts,
        cold_start_frac=cold_start_frac,
        seed=seed,
        batch_rows=batch_rows,
    )
    t0 = time.monotonic()
    dataset = load_dataset(source, format_name)
    err_console.print(
        f"[dim]loaded {len(dataset.posts)} posts, {len(dataset.users)} users, {len(dataset.rejects)} rejects "
        f"from {source} in {time.monotonic() - t0:.1f} s[/dim]"
    )
    if rejects_path is None:
        rejects_path = config.home / f"rejects-{dataset.name}.jsonl"
    with database(config, complete=False) as runner:
        report = ingest(
            runner,
            dataset,
            config,
            rejects_path=rejects_path,
            replace=replace,
            progress=not no_progress,
            console=err_console,
        )
    table = Table(title="ingest", show_header=False)
    for what, value in report.summary():
        table.add_row(what, value)
    console.print(table)


@click.command("stats")
@click.pass_context
def stats_cmd(ctx: click.Context) -> None:
    """Print the dataset table (paper Table 1) per split, read from Neo4j."""
    config = build_config(ctx)
    with database(config, autostart=False, schema=False) as runner:
        rows = dataset_stats(runner)
    table = Table(title="dataset")
    for column in ("split", "videos", "hashtags", "users", "avg hashtags/video", "avg videos/user"):
        table.add_column(column, justify="left" if column == "split" else "right")
    for r in rows:
        table.add_row(
            r["split"],
            str(r["videos"]),
            str(r["hashtags"]),
            str(r["users"]),
            f"{r['avg_hashtags_per_video']:.2f}",
            f"{r['avg_videos_per_user']:.2f}",
        )
    console.print(table)


@click.command("generate")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--preset", type=click.Choice(SyntheticSpec.PRESETS), default="tiny", show_default=True)
@click.option("--seed", type=int, help="Random seed (default: the preset's).")
def generate_cmd(out_dir: Path, preset: str, seed: int | None) -> None:
    """Write a synthetic micro-video dataset (canonical format) into OUT_DIR."""
    spec = SyntheticSpec.preset(preset, **({"seed": seed} if seed is not None else {}))
    t0 = time.monotonic()
    path = generate(out_dir, spec)
    kind = "video files" if spec.media else "precomputed features"
    console.print(
        f"{preset}: {spec.n_videos} videos, {spec.n_users} users ({spec.cold_start_users} cold-start), "
        f"{spec.n_hashtags} hashtags, {kind} in {path} ({time.monotonic() - t0:.1f} s)"
    )
    console.print(f"next: mishon ingest {path} --format canonical --min-hashtag-freq 2")


def register(cli: click.Group) -> None:
    """Attach ``ingest``, ``stats`` and ``generate`` to the ``mishon`` group."""
    cli.add_command(ingest_cmd)
    cli.add_command(stats_cmd)
    cli.add_command(generate_cmd)
