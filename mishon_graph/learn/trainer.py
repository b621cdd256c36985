"""One training setup on an exported graph: model, optimiser, epoch step and evaluation (no I/O).

Labels stay sparse throughout (:class:`~mishon_graph.learn.labels.SparseLabels`): the loss and
recall@K gather at the label pairs, so no ``[n, |H|]`` label matrix is ever built.
"""

from __future__ import annotations

import copy
import dataclasses

import torch
from torch import Tensor

from mishon_graph.config import Config
from mishon_graph.constants import TRAIN
from mishon_graph.evaluation.metrics import f1_score
from mishon_graph.features.encoders import resolve_device
from mishon_graph.learn.batches import (
    ModelInput,
    NeighborSampler,
    full_input,
    induced_input,
    seeds_input,
)
from mishon_graph.learn.data import ExportedGraph
from mishon_graph.learn.distributed import SINGLE, Group, all_sum, shard
from mishon_graph.learn.labels import SparseLabels, sample_columns
from mishon_graph.learn.model import VARIANT_EDGES, MishonModel, mishon_loss

# An epoch is better only when its validation F1@K beats the best by more than this fraction of it:
# smaller gains are below the noise of any validation split (a plateau creeping up by 0.1% an epoch
# is converged). The learning-rate schedule counts epochs without a better F1 the same way.
MIN_GAIN = 0.01


def choose_device(config: Config) -> torch.device:
    """``config.device`` resolved by :func:`~mishon_graph.features.encoders.resolve_device`."""
    return torch.device(resolve_device(config.device))


def step_bytes(videos: int, units: int, dim: int, element_size: int, hidden_dim: int) -> int:
    """Rough memory of one full-batch step for one modality: its unit features plus the projected
    units kept for backward."""
    return videos * units * (dim * element_size + hidden_dim * 4 * 4)


def full_batch_bytes(graph: ExportedGraph, hidden_dim: int) -> int:
    """:func:`step_bytes` summed over the modalities of an exported graph."""
    return sum(
        step_bytes(x.shape[0], x.shape[1], x.shape[2], x.element_size(), hidden_dim)
        for x in (graph.data[m].x for m in graph.modalities)
    )


def reduce_units(graph: ExportedGraph, model: MishonModel, rows: Tensor, seed: int) -> ExportedGraph:
    """Fit each of ``model.reduce``'s PCA bases on the units of video rows ``rows`` (buffers set in
    place) and return the graph with those modalities' units reduced once (a shallow copy: the
    caller's graph is untouched; the reduced units live in RAM)."""
    from mishon_graph.learn.pooling import fit_unit_pca

    data = copy.copy(graph.data)
    for m, reduction in model.reduce.items():
        x, mask = graph.data[m].x, graph.data[m].mask
        mean, basis = fit_unit_pca(x, mask, rows, reduction.basis.shape[1], seed=seed)
        reduction.mean.copy_(mean)
        reduction.basis.copy_(basis)
        out = torch.empty(x.shape[0], x.shape[1], basis.shape[1])
        step = 4096
        with torch.no_grad():
            for i in range(0, x.shape[0], step):
                out[i : i + step] = reduction(x[i : i + step])
        data[m].x = out
    files = {m: f for m, f in graph.feature_files.items() if m not in model.reduce}
    return dataclasses.replace(graph, data=data, feature_files=files)


def precision_recall_at_k(logits: Tensor, labels: SparseLabels | Tensor, k: int) -> tuple[float, float]:
    """Mean over videos with ground truth of ``|top-K n G| / K`` and of ``|top-K n G| / |G|``.

    Args:
        logits: ``[n, |H|]`` scores.
        labels: Ground truth: sparse rows, or a ``[n, |H|]`` multi-hot matrix (converted).
        k: Cut-off.
    """
    if isinstance(labels, Tensor):
        labels = SparseLabels.from_dense(labels)
    labels = labels.to(logits.device)
    counts = labels.counts()
    has = counts > 0
    if not bool(has.any()):
        return 0.0, 0.0
    top = torch.topk(logits, min(k, logits.shape[1]), dim=1).indices
    rows = labels.row_of()
    hit = (top[rows] == labels.idx.unsqueeze(1)).any(dim=1).to(torch.float32)
    hits = torch.zeros(labels.num_rows, dtype=torch.float32, device=logits.device).index_add_(0, rows, hit)
    return float((hits[has] / k).mean()), float((hits[has] / counts[has].to(torch.float32)).mean())


def recall_at_k(logits: Tensor, labels: SparseLabels | Tensor, k: int) -> float:
    """Mean over videos with ground truth of ``|top-K n G| / |G|``."""
    return precision_recall_at_k(logits, labels, k)[1]


def f1_at_k(logits: Tensor, labels: SparseLabels | Tensor, k: int) -> float:
    """F1 of the mean precision and mean recall at ``k`` (as the evaluation computes it)."""
    return f1_score(*precision_recall_at_k(logits, labels, k))


class Trainer:
    """Model, Adam and the data for one variant on one graph.

    Args:
        graph: The exported graph (labels of training and validation videos).
        config: Hyper-parameters (hidden dim, depth, aggregator, lr, dropout, batch size, fanout, seed).
        variant: ``mishon`` or an ablation.
        minibatch: Neighbour-sampled mini-batches instead of one full-graph step per epoch.
        device: Where the model runs.
        group: This rank of a DDP job (:mod:`mishon_graph.learn.distributed`; mini-batch only):
            each epoch it trains on its share of the training videos, ``batch_size // world`` seeds
            a step.
    """

    def __init__(
        self,
        graph: ExportedGraph,
        config: Config,
        variant: str,
        minibatch: bool,
        device: torch.device,
        group: Group = SINGLE,
    ) -> None:
        if group.active and not minibatch:
            raise ValueError("distributed training runs on mini-batches")
        self.graph = graph
        self.group = group
        self.config = config
        self.minibatch = minibatch
        self.device = device
        # Users with training videos get a learned embedding; the rest share the "new user" vector.
        known = ~graph.user_cold
        self.user_ids = [u for u, k in zip(graph.user_ids, known.tolist(), strict=True) if k]
        self.user_rows = torch.where(
            known, torch.cumsum(known.long(), 0) - 1, torch.full_like(known, -1, dtype=torch.long)
        )
        torch.manual_seed(config.seed)
        self.model = MishonModel(
            in_dims=graph.unit_dims(),
            num_users=len(self.user_ids),
            num_hashtags=len(graph.hashtags),
            hidden_dim=config.hidden_dim,
            depth=config.depth,
            aggregator=config.aggregator,
            dropout=config.dropout,
            variant=variant,
            reduce_dim=config.unit_pca or None,
        )
        self.train_rows = graph.split_index(TRAIN)
        if self.model.reduce:
            self.graph = graph = reduce_units(graph, self.model, self.train_rows, config.seed)
        self.model = self.model.to(device)
        self.step_model: torch.nn.Module = self.model
        if group.active:
            from torch.nn.parallel import DistributedDataParallel

            self.step_model = DistributedDataParallel(
                self.model, device_ids=[device] if device.type == "cuda" else None
            )
        self.optim = torch.optim.Adam(self.model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        # Halve the learning rate after ``lr_patience`` epochs without a better validation F1.
        self.scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            self.optim,
            mode="max",
            factor=0.5,
            patience=config.lr_patience,
            threshold=MIN_GAIN,
            threshold_mode="rel",
            min_lr=config.lr / 64,
        )
        relations = VARIANT_EDGES[variant] if self.model.depth > 0 else set()
        self.sampler = NeighborSampler(graph, relations, config.fanout, self.model.depth)
        self._full: ModelInput | None = None
        # Historical embeddings: mini-batches pool their seeds only; every other video uses the
        # pooled vectors of the epoch's start (refreshed by one no-gradient pass per epoch), and the
        # model refines only what the seeds need, on the whole graph's edges (no subgraph is built).
        self.use_history = minibatch and config.minibatch_history and self.model.depth > 0
        self.history: dict[str, Tensor] = {}
        self._edges: dict | None = None

    @torch.no_grad()
    def refresh_history(self) -> None:
        """Pool every video's units with the current weights (eval mode, no gradient), in chunks."""
        was = self.model.training
        self.model.eval()
        data = self.graph.data
        self.history = self.model.pooled_rows(
            {m: data[m].x for m in self.graph.modalities},
            {m: data[m].mask for m in self.graph.modalities},
            self.config.pool_chunk_rows,
            self.device,
        )
        self.model.train(was)

    def _graph_edges(self) -> dict:
        """The whole graph's edges on the training device (moved once)."""
        if self._edges is None:
            data = self.graph.data
            self._edges = {et: data[et].edge_index.to(self.device) for et in data.edge_types}
        return self._edges

    def _full_input(self) -> ModelInput:
        if self._full is None:
            all_rows = torch.arange(self.graph.num_videos)
            self._full = full_input(self.graph, self.user_rows, all_rows).to(self.device)
        return self._full

    def _batches(self, rows: Tensor, gen: torch.Generator, shuffle: bool, size: int | None = None):
        if shuffle:
            rows = shard(rows, self.group, gen)
        size = size or self.config.batch_size
        for i in range(0, rows.numel(), size):
            seeds = rows[i : i + size]
            if self.use_history:
                inp = seeds_input(self.graph, self.user_rows, seeds, self.history, self._graph_edges())
                inp.fanout = self.config.fanout if shuffle else None  # sampled aggregation in training
            else:
                videos, users = self.sampler.sample(seeds, gen)
                inp = induced_input(self.graph, self.user_rows, videos, users, seeds)
            yield inp.to(self.device)

    def _step(self, args: tuple, labels: SparseLabels, gen: torch.Generator) -> float:
        """One optimizer step on model inputs ``args`` (full or sampled softmax, see ``Config``)."""
        if self.config.sampled_negatives:
            sampled = sample_columns(labels, self.config.sampled_negatives, gen)
            logits = self.step_model(*args, columns=sampled.columns) + sampled.offset
            loss = mishon_loss(logits, sampled.labels)
        else:
            loss = mishon_loss(self.step_model(*args), labels)
        self.optim.zero_grad(set_to_none=True)
        loss.backward()
        self.optim.step()
        return float(loss.detach())

    def train_epoch(self, epoch: int, max_batches: int | None = None) -> float:
        """One epoch (seeded by ``seed`` and ``epoch``, so a resumed run repeats it exactly); mean loss.

        ``max_batches`` stops a mini-batch epoch after that many batches (benchmarks time batches).
        """
        torch.manual_seed(self.config.seed * 100_003 + epoch + 7_919 * self.group.rank)  # dropout
        self.model.train()
        gen = torch.Generator().manual_seed(self.config.seed * 100_003 + epoch)
        if not self.minibatch:
            inp = self._full_input()
            rows = self.train_rows.to(self.device)
            args = (inp.x, inp.mask, inp.user, inp.edge_index, rows, inp.video_user[rows])
            return self._step(args, inp.labels[rows], gen)
        if self.use_history:
            self.refresh_history()
        size = max(1, self.config.batch_size // self.group.world)
        total, n = 0.0, 0
        for i, batch in enumerate(self._batches(self.train_rows, gen, shuffle=True, size=size)):
            if max_batches is not None and i >= max_batches:
                break
            total += self._step(batch.args(), batch.labels, gen) * batch.video.numel()
            n += batch.video.numel()
        total, n = all_sum([total, float(n)], self.group)
        return total / max(n, 1)

    @torch.no_grad()
    def predict(self, rows: Tensor) -> tuple[Tensor, SparseLabels]:
        """Logits and (sparse) labels of video rows ``rows`` (eval mode), on CPU."""
        self.model.eval()
        if rows.numel() == 0:
            return torch.zeros(0, len(self.graph.hashtags)), SparseLabels.empty(0, len(self.graph.hashtags))
        if not self.minibatch:
            inp = self._full_input()
            r = rows.to(self.device)
            return self.model(
                inp.x, inp.mask, inp.user, inp.edge_index, r, inp.video_user[r]
            ).cpu(), inp.labels[r].cpu()
        if self.use_history:  # layer-wise: pool everything once, refine the whole graph once
            self.refresh_history()
            edges = self._graph_edges()
            r = rows.to(self.device)
            user = self.user_rows.to(self.device)
            logits = self.model(
                {}, {}, user, edges, r, self.graph.video_user.to(self.device)[r], self.history
            )
            return logits.cpu(), self.graph.labels[rows]
        gen = torch.Generator().manual_seed(self.config.seed)
        outs, labels = [], []
        for batch in self._batches(rows, gen, shuffle=False):
            outs.append(self.model(*batch.args()).cpu())
            labels.append(batch.labels.cpu())
        return torch.cat(outs), SparseLabels.cat(labels)

    def evaluate(self, rows: Tensor) -> tuple[float, float, float]:
        """Eq. 21 loss, recall@K and F1@K on video rows ``rows``."""
        logits, labels = self.predict(rows)
        precision, recall = precision_recall_at_k(logits, labels, self.config.k)
        return float(mishon_loss(logits, labels)), recall, f1_score(precision, recall)
