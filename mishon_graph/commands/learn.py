"""``mishon train`` and ``mishon infer``: train a MISHON model on the graph; score a new video."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np
from rich.table import Table

from mishon_graph.commands.common import build_config, console, database, device_option, err_console
from mishon_graph.config import AGGREGATORS
from mishon_graph.constants import MODALITY_NAMES
from mishon_graph.errors import MishonError
from mishon_graph.learn.model import VARIANTS


@click.command("train")
@click.option(
    "--variant",
    type=click.Choice(VARIANTS),
    default="mishon",
    show_default=True,
    help="The model or one of the paper's ablations.",
)
@click.option("--epochs", type=int, help="Maximum epochs (default 100; early stopping on validation F1@K).")
@click.option("--patience", type=int, help="Stop after this many epochs without a better validation F1@K.")
@device_option("Where to train (default auto).")
@click.option("--hidden-dim", "hidden_dim", type=int, help="Width of modality, user and SAGE vectors (128).")
@click.option("--depth", type=int, help="GraphSAGE depth J (default 2).")
@click.option("--aggregator", type=click.Choice(AGGREGATORS), help="SAGE aggregator.")
@click.option("--lr", type=float, help="Adam learning rate.")
@click.option("--seed", type=int, help="Random seed (same seed, same numbers).")
@click.option(
    "--minibatch/--full-batch",
    default=None,
    help="Neighbour-sampled mini-batches or the whole graph per step (default: by memory).",
)
@click.option(
    "--feature-dtype",
    "feature_dtype",
    type=click.Choice(["float32", "bfloat16"]),
    help="Storage type of unit features: bfloat16 halves their memory; it also speeds up the projection "
    "only where the hardware has bf16 arithmetic (CUDA, or a CPU with AVX512-BF16/AMX), elsewhere "
    "batches are projected in float32.",
)
@click.option(
    "--unit-pca",
    "unit_pca",
    type=click.IntRange(min=0),
    help="Reduce wider unit features to N dimensions with a PCA basis fit once on the training videos "
    "(saved with the model; 0: off, the default). Cuts the pooling's cost for wide encoders.",
)
@click.option("--resume", is_flag=True, help="Continue from the checkpoint next to --out.")
@click.option(
    "--nproc",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Data-parallel (DDP) processes on this machine, each training on its share of the videos "
    "(gloo on CPU, NCCL on GPU; implies --minibatch).",
)
@click.option(
    "--distributed",
    is_flag=True,
    help="This process is one rank of a torchrun job across machines (reads RANK, WORLD_SIZE, "
    "MASTER_ADDR and MASTER_PORT; implies --minibatch). See docs/SCALING.md.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Artifact path (default: <home>/models/<variant>.pt).",
)
@click.pass_context
def train_cmd(
    ctx: click.Context,
    variant: str,
    resume: bool,
    minibatch: bool | None,
    out: Path | None,
    nproc: int,
    distributed: bool,
    **options: object,
) -> None:
    """Export the graph from Neo4j, train, and save the best-validation model artifact."""
    from mishon_graph.learn import distributed as ddp
    from mishon_graph.learn.train import train
    from mishon_graph.learn.trainer import choose_device

    config = build_config(ctx, **options)
    group = ddp.from_env() if distributed else ddp.SINGLE
    ddp.join(group, choose_device(config))
    try:
        with database(config, autostart=True) as runner:
            res = train(
                runner,
                config,
                out=out,
                variant=variant,
                resume=resume,
                minibatch=minibatch,
                nproc=nproc,
                group=group,
            )
    finally:
        ddp.leave(group)
    if not group.leader:
        return
    mode = "mini-batch" if res.minibatch else "full-batch"
    console.print(
        f"{res.variant}: {res.epochs_run} epochs ({mode}, {res.device}, {res.seconds:.1f} s); "
        f"best epoch {res.best_epoch}, {res.monitored} F1@{config.k} {res.best_valid_f1:.4f}, "
        f"loss {res.best_valid_loss:.4f}"
        + (" (early stop)" if res.stopped_early else "")
    )
    console.print(f"artifact: {res.artifact}")


def read_unit_features(folder: Path) -> dict[str, np.ndarray]:
    """``<modality>.npy`` files (``[units, dim]``) from a folder."""
    feats = {m: np.load(folder / f"{m}.npy") for m in MODALITY_NAMES if (folder / f"{m}.npy").is_file()}
    if not feats:
        raise MishonError(f"no visual.npy, acoustic.npy or textual.npy in {folder}")
    return feats


@click.command("infer")
@click.option(
    "--features",
    "features",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder with the new video's unit features: visual.npy, acoustic.npy, textual.npy.",
)
@click.option("--user", "user_id", help="Id of the posting user; omit (or unknown) for a new user.")
@click.option(
    "--artifact",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Model artifact (default: <home>/models/mishon.pt).",
)
@click.option("--top", "top", type=int, help="How many hashtags to print (default K).")
@device_option("Where to run the model (default auto).")
@click.pass_context
def infer_cmd(
    ctx: click.Context,
    features: Path,
    user_id: str | None,
    artifact: Path | None,
    top: int | None,
    device: str | None,
) -> None:
    """Recommend hashtags for a video not in the graph, without retraining (Problems 1 and 2)."""
    from mishon_graph.learn.infer import score_new_video

    config = build_config(ctx, device=device)
    path = artifact or config.model_dir / "mishon.pt"
    unit_features = read_unit_features(features)
    with database(config, autostart=True) as runner:
        scores = score_new_video(runner, config, path, unit_features=unit_features, user_id=user_id)
    who = f"user {user_id}" if user_id else "a new user"
    err_console.print(f"[dim]{path.name}: scoring a new video by {who}[/dim]")
    table = Table("rank", "hashtag", "score", title=f"new video by {'new user' if not user_id else who}")
    for rank, (tag, score) in enumerate(list(scores.items())[: top or config.k], start=1):
        table.add_row(str(rank), tag, f"{score:.4f}")
    console.print(table)


@click.command("tune")
@click.option("--minutes", type=float, default=10.0, show_default=True, help="Time budget of the search.")
@click.option("--trials", type=int, help="Stop after this many trials (default: only the time budget).")
@click.option(
    "--model",
    "model_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="GNN artifact whose scores mishon+ reads (default: <home>/models/mishon.pt when present).",
)
@click.pass_context
def tune_cmd(ctx: click.Context, minutes: float, trials: int | None, model_path: Path | None) -> None:
    """Search mishon+ settings on the validation split (Optuna) and store the best for recommend."""
    from rich.progress import BarColumn, TextColumn, TimeElapsedColumn

    from mishon_graph.progress import progress as progress_bars
    from mishon_graph.recommend.hybrid import tune_and_store

    config = build_config(ctx)
    if minutes <= 0 and not trials:
        raise MishonError("--minutes must be > 0 (or give --trials)")
    artifact = model_path or config.model_dir / "mishon.pt"
    if model_path is not None and not artifact.is_file():
        raise MishonError(f"{artifact}: no such model artifact")
    bar = progress_bars(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with database(config) as runner, bar:
        task = bar.add_task("tuning mishon+", total=trials or None)

        def on_trial(number: int, value: float, best: float) -> None:
            bar.update(task, advance=1,
                       description=f"trial {number}: valid F1@{config.k} {value:.4f} (best {best:.4f})")

        path, summary = tune_and_store(
            runner, config, minutes=minutes, artifact=artifact if artifact.is_file() else None,
            max_trials=trials, say=lambda m: err_console.print(f"[dim]{m}[/dim]"), on_trial=on_trial,
        )
    console.print(
        f"{summary['trials']} trials in {summary['seconds']:.0f} s: "
        f"cross-fitted validation F1@{summary['k']} "
        f"{summary['start_valid_f1']:.4f} -> {summary['valid_f1']:.4f}; settings in {path}"
    )


def register(cli: click.Group) -> None:
    """Attach ``mishon train``, ``mishon infer`` and ``mishon tune`` to the top-level group."""
    cli.add_command(train_cmd)
    cli.add_command(infer_cmd)
    cli.add_command(tune_cmd)
