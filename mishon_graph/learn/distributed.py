"""Data-parallel training with ``torch.distributed`` (DDP): ``mishon train --nproc N`` and ``torchrun``.

Every rank holds the whole exported graph and a replica of the model; each epoch the training
videos are permuted the same way on every rank (seeded by seed and epoch), padded to a multiple of
the world size and dealt out (``rows[rank::world]``, as ``DistributedSampler`` does), and each rank
samples mini-batches of ``batch_size // world`` seeds from its share, so one step of N ranks sees as
many videos as one step of one process. DDP averages the gradients; the replicas stay identical.
Rank 0 evaluates on validation and broadcasts the figures, so every rank takes the same early-stop
and learning-rate decisions; only rank 0 writes the checkpoint and the artifact (same format as a
one-process run). Backend: NCCL on CUDA, gloo on CPU.

On one machine, :func:`spawn_training` starts the ranks; across machines, ``torchrun`` starts
``mishon train --distributed`` on each and :func:`from_env` reads the rank from its environment.
"""

from __future__ import annotations

import os
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
import torch.distributed as dist
from torch import Tensor

from mishon_graph.errors import MishonError

if TYPE_CHECKING:
    from mishon_graph.config import Config
    from mishon_graph.learn.data import ExportedGraph
    from mishon_graph.learn.train import TrainResult


@dataclass(frozen=True)
class Group:
    """This process's place in the training job (``world == 1``: not distributed)."""

    rank: int = 0
    world: int = 1

    @property
    def active(self) -> bool:
        return self.world > 1

    @property
    def leader(self) -> bool:
        return self.rank == 0


SINGLE = Group()


def shard(rows: Tensor, group: Group, gen: torch.Generator) -> Tensor:
    """This rank's share of ``rows`` for one epoch: one permutation drawn from ``gen`` (the same on
    every rank), padded by wrapping around to a multiple of the world size, every ``world``-th row
    from ``rank`` (every rank gets as many rows, so all take the same number of steps)."""
    perm = rows[torch.randperm(rows.numel(), generator=gen)]
    if not group.active or perm.numel() == 0:
        return perm
    total = -(-perm.numel() // group.world) * group.world
    padded = torch.cat([perm, perm[: total - perm.numel()]]) if total > perm.numel() else perm
    while padded.numel() < total:  # fewer rows than ranks
        padded = torch.cat([padded, perm])[:total]
    return padded[group.rank :: group.world]


def backend(device: torch.device) -> str:
    return "nccl" if device.type == "cuda" else "gloo"


def all_sum(values: list[float], group: Group) -> list[float]:
    """Element-wise sum of ``values`` over the ranks (unchanged when not distributed)."""
    if not group.active:
        return list(values)
    t = torch.tensor(values, dtype=torch.float64)
    dist.all_reduce(t)
    return t.tolist()


def from_leader(values: list[float], group: Group) -> list[float]:
    """Rank 0's ``values`` on every rank."""
    if not group.active:
        return list(values)
    t = torch.tensor(values, dtype=torch.float64)
    dist.broadcast(t, src=0)
    return t.tolist()


def check_replicas(model: torch.nn.Module, group: Group) -> None:
    """Raise when the ranks' model weights differ (DDP keeps them equal; a rank that skipped a step
    or trained alone would not be)."""
    if not group.active:
        return
    with torch.no_grad():
        flat = torch.cat([p.detach().double().flatten().cpu() for p in model.parameters()])
    lo, hi = flat.clone(), flat.clone()
    dist.all_reduce(lo, op=dist.ReduceOp.MIN)
    dist.all_reduce(hi, op=dist.ReduceOp.MAX)
    gap = float((hi - lo).abs().max()) if flat.numel() else 0.0
    if gap > 1e-5:
        raise MishonError(f"DDP ranks ended with different weights (largest gap {gap:.3g})")


def from_env() -> Group:
    """The rank ``torchrun`` gave this process (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``/``PORT``);
    joins the process group. Raises when the variables are missing."""
    try:
        rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    except (KeyError, ValueError):
        raise MishonError(
            "--distributed expects to be started by torchrun (RANK and WORLD_SIZE are not set); "
            "on one machine use --nproc N"
        ) from None
    return Group(rank, world)


def join(group: Group, device: torch.device, init_method: str = "env://") -> None:
    """Join the process group (no-op when not distributed or already joined)."""
    if group.active and not dist.is_initialized():
        dist.init_process_group(
            backend(device), init_method=init_method, rank=group.rank, world_size=group.world
        )


def leave(group: Group) -> None:
    if group.active and dist.is_initialized():
        dist.destroy_process_group()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rank_main(
    rank: int, world: int, port: int, graph_file: str, kwargs: dict[str, Any], result: str
) -> None:
    from mishon_graph.learn.train import train_graph

    threads = max(1, (os.cpu_count() or 1) // world)
    torch.set_num_threads(threads)
    graph = torch.load(graph_file, mmap=True, weights_only=False)
    group = Group(rank, world)
    kwargs = dict(kwargs)
    config = kwargs.pop("config")
    from mishon_graph.learn.trainer import choose_device

    join(group, choose_device(config), f"tcp://127.0.0.1:{port}")
    try:
        res = train_graph(graph, config, group=group, **kwargs)
        if group.leader:
            torch.save(res, result)
    finally:
        leave(group)


def spawn_training(graph: ExportedGraph, config: Config, nproc: int, **kwargs: Any) -> TrainResult:
    """Train with ``nproc`` DDP ranks on this machine; returns rank 0's result.

    The graph goes to the ranks through one file next to the artifact's folder, memory-mapped by
    each (no copy per rank); it is removed afterwards.
    """
    if nproc < 2:
        raise MishonError(f"--nproc must be >= 2 to spawn ranks, got {nproc}")
    import torch.multiprocessing as mp

    out = Path(kwargs["out"])
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".ddp-") as tmp:
        graph_file, result = str(Path(tmp) / "graph.pt"), str(Path(tmp) / "result.pt")
        torch.save(graph, graph_file)
        kwargs = {**kwargs, "config": config, "progress": kwargs.get("progress", True)}
        mp.spawn(_rank_main, args=(nproc, free_port(), graph_file, kwargs, result), nprocs=nproc, join=True)
        return torch.load(result, weights_only=False)
