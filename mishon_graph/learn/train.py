"""``mishon train``: export, train with early stopping, checkpoint every epoch, save the artifact.

Model selection: the epoch with the best validation F1@K (the metric users are served on; the
validation loss breaks ties; a gain under ``MIN_GAIN`` of the best is a plateau, not a better epoch)
is kept, training stops after ``patience`` epochs without one, and the learning rate halves after
``lr_patience`` such epochs (``ReduceLROnPlateau``). The per-epoch curves (losses, recall, F1,
learning rate) are stored in the artifact's metadata (``history``).

A checkpoint (model, Adam state, scheduler, best weights, history) is written atomically after every epoch;
``resume=True`` continues from it. Each epoch is seeded by (seed, epoch), so a run killed after
epoch N and resumed ends exactly where an uninterrupted run ends.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

import mishon_graph
from mishon_graph.config import Config
from mishon_graph.db.protocol import Runner
from mishon_graph.errors import MishonError
from mishon_graph.features.store import FeatureStore
from mishon_graph.learn.artifact import atomic_save, save_artifact
from mishon_graph.learn.data import (
    DTYPES,
    ExportedGraph,
    GraphRows,
    build_graph,
    check_trainable,
    stats,
    valid_or_train,
)
from mishon_graph.learn.distributed import SINGLE, Group, check_replicas, from_leader
from mishon_graph.learn.export import read_rows
from mishon_graph.learn.model import VARIANTS
from mishon_graph.learn.trainer import MIN_GAIN, Trainer, choose_device, full_batch_bytes, step_bytes
from mishon_graph.progress import progress as progress_bars


@dataclass
class EpochStats:
    """What one epoch reports."""

    epoch: int
    train_loss: float
    valid_loss: float
    valid_recall: float
    seconds: float
    best: bool
    valid_f1: float = 0.0
    lr: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass
class TrainResult:
    """Summary of a training run."""

    artifact: Path
    variant: str
    device: str
    minibatch: bool
    epochs_run: int
    best_epoch: int
    best_valid_loss: float
    monitored: str
    stopped_early: bool
    seconds: float
    history: list[EpochStats] = field(default_factory=list)
    graph: dict[str, int] = field(default_factory=dict)
    best_valid_f1: float = 0.0


def checkpoint_path(out: Path) -> Path:
    """Where the per-epoch checkpoint of artifact ``out`` lives."""
    return out.with_name(out.stem + ".ckpt")


def default_artifact(config: Config, variant: str) -> Path:
    return config.model_dir / f"{variant}.pt"


def _fingerprint(
    graph: ExportedGraph, config: Config, variant: str, minibatch: bool, nproc: int = 1
) -> dict[str, Any]:
    return {
        "variant": variant,
        "nproc": nproc,
        "minibatch": minibatch,
        "hashtags": len(graph.hashtags),
        "videos": graph.num_videos,
        "dims": graph.unit_dims(),
        "seed": config.seed,
        "hidden_dim": config.hidden_dim,
        "depth": config.depth,
        "lr": config.lr,
        "lr_patience": config.lr_patience,
        "unit_pca": config.unit_pca,
        "sampled_negatives": config.sampled_negatives,
    }


def _meta(
    trainer: Trainer, config: Config, variant: str, encoders: dict[str, str], extra: dict
) -> dict[str, Any]:
    m = trainer.model
    return {
        "version": mishon_graph.__version__,
        "variant": variant,
        "hashtags": list(trainer.graph.hashtags),
        "user_ids": list(trainer.user_ids),
        "in_dims": dict(m.in_dims),
        "reduce_dim": m.reduce_dim if len(m.reduce) else None,
        "hidden_dim": m.hidden_dim,
        "depth": config.depth,
        "aggregator": m.aggregator,
        "normalize": True,
        "dropout": config.dropout,
        "encoders": dict(encoders),
        "encoder_profile": config.encoder_profile,
        "graph_params": dict(trainer.graph.meta),
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in config.describe().items()},
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **extra,
    }


def better(f1: float, loss: float, best_f1: float, best_loss: float) -> bool:
    """Model selection: a validation F1@K higher by more than ``MIN_GAIN`` (relative) wins; at equal
    F1 (within 1e-6) the lower loss."""
    if f1 > best_f1 + max(MIN_GAIN * best_f1, 1e-6):
        return True
    return abs(f1 - best_f1) <= 1e-6 and loss < best_loss


def train_graph(
    graph: ExportedGraph,
    config: Config,
    *,
    out: Path,
    variant: str = "mishon",
    resume: bool = False,
    minibatch: bool | None = None,
    progress: bool = True,
    encoders: dict[str, str] | None = None,
    on_epoch: Callable[[EpochStats], None] | None = None,
    group: Group = SINGLE,
) -> TrainResult:
    """Train on an already exported graph (see :func:`train`); ``on_epoch`` runs after each checkpoint.

    Memory-mapped unit features (``graph.feature_files``) stay on disk for mini-batch training and
    are copied into RAM (in place) for full-batch training. ``group``: this rank of a DDP job
    (:mod:`mishon_graph.learn.distributed`): mini-batches; rank 0 evaluates, checkpoints and
    writes the artifact.
    """
    if variant not in VARIANTS:
        raise MishonError(f"unknown variant {variant!r}; expected one of {VARIANTS}")
    check_trainable(graph)
    t0 = time.monotonic()
    device = choose_device(config)
    if group.active:
        minibatch = True
    if minibatch is None:
        minibatch = full_batch_bytes(graph, config.hidden_dim) > config.full_batch_gb * 2**30
    if not minibatch:
        graph.load_features()  # full-batch reads every row every epoch: keep them in RAM
    trainer = Trainer(graph, config, variant, minibatch, device, group)
    valid_rows, monitored = valid_or_train(graph)
    ckpt = checkpoint_path(out)
    fingerprint = _fingerprint(graph, config, variant, minibatch, group.world)
    start, best_loss, best_f1, best_epoch, bad = 1, float("inf"), -1.0, 0, 0
    best_state = copy.deepcopy(trainer.model.state_dict())
    history: list[EpochStats] = []
    done = False
    if resume and ckpt.is_file():
        state = torch.load(ckpt, map_location=device, weights_only=True)
        if state["fingerprint"] != fingerprint:
            raise MishonError(
                f"checkpoint {ckpt} was made with other settings or another graph; rerun without --resume"
            )
        trainer.model.load_state_dict(state["model"])
        trainer.optim.load_state_dict(state["optim"])
        trainer.scheduler.load_state_dict(state["scheduler"])
        best_state, best_loss, best_f1, best_epoch, bad = (
            state["best_state"],
            state["best_loss"],
            state["best_f1"],
            state["best_epoch"],
            state["bad"],
        )
        history = [EpochStats(**h) for h in state["history"]]
        start, done = state["epoch"] + 1, state["done"]

    bar = progress_bars(enabled=progress and group.leader)
    with bar:
        task = bar.add_task(f"training {variant}", total=config.epochs, completed=start - 1)
        epoch = start
        while not done and epoch <= config.epochs:
            te = time.monotonic()
            train_loss = trainer.train_epoch(epoch)
            figures = trainer.evaluate(valid_rows) if group.leader else (0.0, 0.0, 0.0)
            v_loss, v_recall, v_f1 = from_leader(list(figures), group)
            lr = float(trainer.optim.param_groups[0]["lr"])
            improved = better(v_f1, v_loss, best_f1, best_loss)
            if improved:
                best_loss, best_f1, best_epoch, bad = v_loss, v_f1, epoch, 0
                best_state = copy.deepcopy(trainer.model.state_dict())
            else:
                bad += 1
            trainer.scheduler.step(v_f1)
            es = EpochStats(epoch, train_loss, v_loss, v_recall, time.monotonic() - te, improved, v_f1, lr)
            history.append(es)
            done = bad >= config.patience or epoch == config.epochs
            if group.leader:
                atomic_save(
                    {
                        "fingerprint": fingerprint,
                        "epoch": epoch,
                        "done": done,
                        "model": trainer.model.state_dict(),
                        "optim": trainer.optim.state_dict(),
                        "scheduler": trainer.scheduler.state_dict(),
                        "best_state": best_state,
                        "best_loss": best_loss,
                        "best_f1": best_f1,
                        "best_epoch": best_epoch,
                        "bad": bad,
                        "history": [h.as_dict() for h in history],
                    },
                    ckpt,
                )
            bar.update(
                task,
                completed=epoch,
                description=(
                    f"{variant} epoch {epoch}: train {train_loss:.3f}  {monitored} loss {v_loss:.3f}  "
                    f"F1@{config.k} {v_f1:.3f}  lr {lr:.2g}{' *' if improved else ''}"
                ),
            )
            if on_epoch is not None:
                on_epoch(es)
            epoch += 1

    check_replicas(trainer.model, group)
    trainer.model.load_state_dict(best_state)
    extra = {
        "nproc": group.world,
        "best_epoch": best_epoch,
        "best_valid_loss": best_loss,
        "best_valid_f1": best_f1,
        "monitored": monitored,
        "minibatch": minibatch,
        "history": [h.as_dict() for h in history],
    }
    if group.leader:
        save_artifact(out, trainer.model, _meta(trainer, config, variant, encoders or {}, extra))
    return TrainResult(
        artifact=out,
        variant=variant,
        device=str(device),
        minibatch=minibatch,
        epochs_run=len(history),
        best_epoch=best_epoch,
        best_valid_loss=best_loss,
        monitored=monitored,
        best_valid_f1=best_f1,
        stopped_early=bool(history) and history[-1].epoch < config.epochs,
        seconds=time.monotonic() - t0,
        history=history,
        graph=dict(stats(graph)),
    )


def stored_encoders(config: Config, graph: ExportedGraph) -> dict[str, str]:
    """Encoder the features were made with (recorded with the first video's features), per modality
    (:func:`mishon_graph.features.encoders.encoder_names` is what the configuration would use now)."""
    store = FeatureStore(config.feature_dir)
    return {m: store.stored_encoder(graph.video_ids[0], m) or "" for m in graph.modalities}


_SAMPLE_VIDEOS = 32


def estimated_bytes(rows: GraphRows, store: FeatureStore, config: Config) -> int:
    """Full-batch memory estimate before any feature is loaded (units and width from a sample)."""
    element = torch.empty(0, dtype=DTYPES[config.feature_dtype]).element_size()
    sample = [str(v["id"]) for v in rows.videos[:_SAMPLE_VIDEOS]]
    total = 0
    for m in rows.modalities:
        shapes = [store.get(v, m).shape for v in sample if store.has(v, m)]
        if shapes:
            units, dim = max(s[0] for s in shapes), shapes[0][1]
            total += step_bytes(len(rows.videos), units, dim, element, config.hidden_dim)
    return total


def export_for_training(runner: Runner, config: Config, *, minibatch: bool | None = None) -> ExportedGraph:
    """Export the whole graph through the feature cache (see
    :func:`~mishon_graph.learn.export.export_whole`); the unit features stay memory-mapped when
    training will be mini-batch (asked, or the estimate exceeds ``config.full_batch_gb``) and are
    copied into RAM otherwise."""
    rows = read_rows(runner, config)
    store = FeatureStore(config.feature_dir)
    if minibatch is None:
        minibatch = estimated_bytes(rows, store, config) > config.full_batch_gb * 2**30
    graph = build_graph(rows, store, dtype=config.feature_dtype, cache_dir=config.feature_cache_dir)
    if not minibatch:
        graph.load_features()
    return graph


def train(
    runner: Runner,
    config: Config,
    *,
    out: Path | None = None,
    variant: str = "mishon",
    resume: bool = False,
    minibatch: bool | None = None,
    progress: bool = True,
    on_epoch: Callable[[EpochStats], None] | None = None,
    graph: ExportedGraph | None = None,
    nproc: int = 1,
    group: Group = SINGLE,
) -> TrainResult:
    """Export the graph from Neo4j and train one model variant.

    Args:
        runner: The database seam.
        config: Hyper-parameters, device and paths.
        out: Artifact path (default ``<model_dir>/<variant>.pt``); the checkpoint sits next to it.
        variant: ``mishon`` or an ablation in ``VARIANTS``.
        resume: Continue from the checkpoint of ``out`` when there is one.
        minibatch: ``True`` neighbour-sampled batches, ``False`` full-batch, ``None`` by memory estimate.
            For mini-batch training the export memory-maps the unit features from
            ``config.feature_cache_dir`` (see :func:`export_for_training`); mini-batches then read
            only their sampled rows.
        progress: Show a progress bar.
        on_epoch: Called after each epoch's checkpoint is written.
        graph: The graph :func:`export_for_training` returned earlier in this process, used
            instead of exporting again (the ablation loop trains several variants on one export).
        nproc: DDP ranks to start on this machine (:func:`~mishon_graph.learn.distributed.spawn_training`;
            1: this process trains). Distributed training runs on mini-batches.
        group: This process's rank when ``torchrun`` started it (``mishon train --distributed``).

    Returns:
        The :class:`TrainResult`; the artifact holds the weights of the best validation epoch.
    """
    if nproc < 1:
        raise MishonError(f"--nproc must be >= 1, got {nproc}")
    if nproc > 1 and group.active:
        raise MishonError("--nproc starts ranks on this machine; under torchrun use --distributed alone")
    if nproc > 1 or group.active:
        minibatch = True
    if graph is None:
        graph = export_for_training(runner, config, minibatch=minibatch)
    kwargs = dict(
        out=out or default_artifact(config, variant),
        variant=variant,
        resume=resume,
        minibatch=minibatch,
        progress=progress,
        encoders=stored_encoders(config, graph),
    )
    if nproc > 1:
        from mishon_graph.learn.distributed import spawn_training

        return spawn_training(graph, config, nproc, **kwargs)
    return train_graph(graph, config, on_epoch=on_epoch, group=group, **kwargs)
