"""Data-parallel training (DDP): how rows are dealt to ranks, and 2 processes against 1."""

from pathlib import Path

import pytest
import torch

from mishon_graph.config import Config
from mishon_graph.learn.artifact import load_artifact
from mishon_graph.learn.data import build_graph
from mishon_graph.learn.distributed import Group, shard, spawn_training
from mishon_graph.learn.train import train_graph
from mishon_graph.testing.learn_rows import legacy_rows


def _perm(n: int, seed: int) -> list[int]:
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()


def test_shard_deals_one_permutation_padded_to_the_world_size() -> None:
    rows = torch.arange(10, 15)
    perm = [10 + i for i in _perm(5, 3)]
    got = [shard(rows, Group(r, 2), torch.Generator().manual_seed(3)).tolist() for r in range(2)]
    assert got == [[perm[0], perm[2], perm[4]], [perm[1], perm[3], perm[0]]]
    # one process: the permutation itself, as before distributed training existed
    assert shard(rows, Group(), torch.Generator().manual_seed(3)).tolist() == perm


def test_shard_with_fewer_rows_than_ranks_gives_every_rank_a_row() -> None:
    rows = torch.tensor([7])
    assert [shard(rows, Group(r, 3), torch.Generator()).tolist() for r in range(3)] == [[7], [7], [7]]


@pytest.mark.slow
def test_two_processes_reach_the_validation_f1_of_one(tmp_path: Path) -> None:
    rows, feats = legacy_rows(
        240, 12, 40, units={"visual": (3, 12), "textual": (4, 10)}, n_topics=6, cold_users=2, seed=1
    )
    graph = build_graph(rows, feats)
    cfg = Config(
        home=tmp_path, epochs=15, patience=50, hidden_dim=16, lr=1e-2, device="cpu", batch_size=64, k=3
    )
    one = train_graph(graph, cfg, out=tmp_path / "one.pt", progress=False, minibatch=True)
    two = spawn_training(graph, cfg, 2, out=tmp_path / "two.pt", progress=False, variant="mishon")
    # Same data seen per step, other samples: equal within noise (both far above chance, ~0.2).
    assert two.best_valid_f1 > 0.6
    assert abs(two.best_valid_f1 - one.best_valid_f1) < 0.06
    assert two.epochs_run == one.epochs_run
    a, b = load_artifact(tmp_path / "one.pt"), load_artifact(tmp_path / "two.pt")
    assert a.state_dict.keys() == b.state_dict.keys()  # same format: no DDP "module." prefix
    assert (a.meta["nproc"], b.meta["nproc"]) == (1, 2)
    assert not list(tmp_path.glob(".ddp-*"))  # the shared graph file is removed
