"""The MISHON model: attention pooling, GraphSAGE refinement, concatenation, hashtag head (4.1.2-4.3).

The graph is the paper's one undirected graph over ``V u A u T u U`` (eq. 11): Algorithm 2 has one
weight matrix ``W^j`` per depth shared by every node, so refinement runs PyG ``SAGEConv`` on the
homogeneous view of the selected edge families (one layer per depth, all node types together).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import SAGEConv
from torch_geometric.typing import EdgeType

from mishon_graph.constants import (
    MODALITY_NAMES,
    PYG_EDGE_JACCARD,
    PYG_EDGE_POPULAR,
    PYG_EDGE_SIMILAR,
    PYG_EDGE_USED_BY,
    PYG_EDGE_USES,
    PYG_USER,
)
from mishon_graph.errors import MishonError
from mishon_graph.learn.labels import SparseLabels
from mishon_graph.learn.pooling import AttentionPooling, UnitReduction

VARIANTS = ("mishon", "no_attention", "no_refinement", "homogeneous", "heterogeneous", "content_only")
_SIMILAR = {"similar"}
_SOCIAL = {"jaccard", "popular"}
_USES = {"uses", "used_by"}
VARIANT_EDGES: dict[str, set[str]] = {
    "mishon": _SIMILAR | _SOCIAL | _USES,
    "no_attention": _SIMILAR | _SOCIAL | _USES,
    "no_refinement": set(),
    "homogeneous": _SIMILAR | _SOCIAL,  # same-type edges only
    "heterogeneous": set(_USES),  # user-modality edges only
    "content_only": set(_SIMILAR),  # no user vector, no social edges (cold-start "C")
}


def edge_types(modalities: tuple[str, ...], variant: str) -> list[EdgeType]:
    """The PyG edge types a variant passes messages over."""
    families = VARIANT_EDGES[variant]
    out: list[EdgeType] = []
    for m in modalities:
        out += [t for t in (PYG_EDGE_SIMILAR[m], PYG_EDGE_USES[m], PYG_EDGE_USED_BY[m]) if t[1] in families]
    out += [t for t in (PYG_EDGE_JACCARD, PYG_EDGE_POPULAR) if t[1] in families]
    return out


def sample_in_edges(dst: Tensor, num_nodes: int, fanout: int) -> Tensor:
    """Mask of the edges kept when every node keeps at most ``fanout`` of its in-edges (``dst``: each
    edge's target), uniformly at random (torch's global generator)."""
    if dst.numel() == 0:
        return torch.zeros(0, dtype=torch.bool, device=dst.device)
    keys = torch.rand(dst.numel(), dtype=torch.float64, device=dst.device)
    order = torch.argsort(dst.double() * 2.0 + keys)  # by target, random within a target
    counts = torch.bincount(dst, minlength=num_nodes)
    first = torch.cumsum(counts, 0) - counts
    rank = torch.empty_like(order)
    rank[order] = torch.arange(dst.numel(), device=dst.device) - first[dst[order]]
    return rank < fanout


class RefineLayer(nn.Module):
    r"""One depth of Algorithm 2: :math:`h_n = \sigma(W [h_n \| \mathrm{AGG}_{n' \in F(n)} h_{n'}])`, then
    :math:`h_n / \|h_n\|_2`.

    PyG's ``SAGEConv`` computes ``W_r h_n + W_l AGG(h) + b``, which is ``W [h_n || AGG]`` with
    ``W = [W_r  W_l]``; sigma is ReLU.

    Args:
        in_dim: Input width.
        out_dim: Output width.
        aggregator: ``mean`` (paper), ``max``, ``min`` or ``sum``.
        normalize: L2-normalise the output (Algorithm 2, line 6).
    """

    def __init__(self, in_dim: int, out_dim: int, aggregator: str = "mean", normalize: bool = True) -> None:
        super().__init__()
        self.conv = SAGEConv(in_dim, out_dim, aggr=aggregator)
        self.normalize = normalize

    def reset_parameters(self) -> None:
        self.conv.reset_parameters()

    def forward(self, x: Tensor | tuple[Tensor, Tensor], edge_index: Tensor) -> Tensor:
        """``x``: node vectors, or ``(sources, targets)`` to compute only the targets' outputs;
        ``edge_index``: ``[2, E]`` (source, target) rows of ``x``."""
        h = F.relu(self.conv(x, self.adjacency(x, edge_index)))
        return F.normalize(h, p=2.0, dim=-1) if self.normalize else h

    def adjacency(self, x: Tensor | tuple[Tensor, Tensor], edge_index: Tensor) -> Tensor:
        """The edges as a CSR adjacency ``[targets, sources]``, so ``SAGEConv`` aggregates by one
        sparse-dense product instead of gathering a ``[E, hidden]`` message per edge (8.4M edges x
        128 floats, 4.3 GB, at the 10x benchmark's first layer). The same sums: the outputs are
        bitwise equal to the per-edge path's, and 3.6x faster with the backward pass on one thread
        (2M random edges); the per-edge path stays where torch has no such product (``max``/``min``
        on CUDA)."""
        if edge_index.is_cuda and self.conv.aggr in ("max", "min"):
            return edge_index
        src, dst = x if isinstance(x, tuple) else (x, x)
        n_dst = dst.shape[0] if dst is not None else src.shape[0]
        order = torch.argsort(edge_index[1], stable=True)
        rowptr = torch.zeros(n_dst + 1, dtype=torch.long, device=edge_index.device)
        rowptr[1:] = torch.cumsum(torch.bincount(edge_index[1], minlength=n_dst), 0)
        ones = torch.ones(edge_index.shape[1], dtype=src.dtype, device=src.device)
        # Built sorted by target from valid rows: the invariant checks would only cost time.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
            return torch.sparse_csr_tensor(
                rowptr, edge_index[0][order], ones, size=(n_dst, src.shape[0]), check_invariants=False
            )

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.conv}, normalize={self.normalize})"


class MishonModel(nn.Module):
    """Hashtag scores for videos from their unit features, their users and the graph.

    Args:
        in_dims: Unit feature dimension per modality present (keys in ``MODALITY_NAMES``).
        num_users: Users with a learned embedding (users with training videos). Every other user
            (cold-start, or new at inference) starts from one shared, zero-initialised "new user"
            vector, so their representation comes from their neighbours (POPULAR links) via SAGE.
        num_hashtags: Vocabulary size ``|H|``.
        hidden_dim: Width of pooled modality vectors, user embeddings and SAGE layers.
        depth: GraphSAGE depth ``J`` (ignored by ``no_refinement``).
        aggregator: SAGE aggregator: ``mean``, ``max``, ``min`` or ``sum``.
        normalize: L2-normalise after each SAGE layer.
        dropout: Dropout on the concatenated representation during training.
        variant: ``mishon`` or an ablation in ``VARIANTS``.
        reduce_dim: Modalities whose units are wider first go through a fixed linear map to this
            width (:class:`UnitReduction`, a PCA basis set by the trainer and saved with the
            weights); inputs already that wide are taken as reduced. ``None``: no reduction.
    """

    def __init__(
        self,
        in_dims: dict[str, int],
        num_users: int,
        num_hashtags: int,
        hidden_dim: int = 128,
        depth: int = 2,
        aggregator: str = "mean",
        normalize: bool = True,
        dropout: float = 0.2,
        variant: str = "mishon",
        reduce_dim: int | None = None,
    ) -> None:
        super().__init__()
        if variant not in VARIANTS:
            raise MishonError(f"unknown variant {variant!r}; expected one of {VARIANTS}")
        self.modalities = tuple(m for m in MODALITY_NAMES if m in in_dims)
        if not self.modalities:
            raise MishonError("the model needs at least one modality")
        self.in_dims = {m: int(in_dims[m]) for m in self.modalities}
        self.num_users = num_users
        self.num_hashtags = num_hashtags
        self.hidden_dim = hidden_dim
        self.depth = 0 if variant == "no_refinement" else depth
        self.aggregator = aggregator
        self.variant = variant
        self.use_user = variant != "content_only"
        self.edge_families = VARIANT_EDGES[variant]
        self.reduce_dim = reduce_dim
        wide = {m: d for m, d in self.in_dims.items() if reduce_dim and d > reduce_dim}
        self.reduce = nn.ModuleDict({m: UnitReduction(d, reduce_dim) for m, d in wide.items()})
        self.pool = nn.ModuleDict(
            {
                m: AttentionPooling(
                    reduce_dim if m in self.reduce else d, hidden_dim, attention=variant != "no_attention"
                )
                for m, d in self.in_dims.items()
            }
        )
        self.user_emb = nn.Embedding(max(num_users, 1), hidden_dim)
        self.new_user = nn.Parameter(torch.zeros(hidden_dim))
        self.layers = nn.ModuleList(
            [RefineLayer(hidden_dim, hidden_dim, aggregator, normalize) for _ in range(self.depth)]
        )
        self.dropout = nn.Dropout(dropout)
        parts = len(self.modalities) + (1 if self.use_user else 0)
        self.head = nn.Linear(parts * hidden_dim, num_hashtags)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for p in self.pool.values():
            p.reset_parameters()
        nn.init.normal_(self.user_emb.weight, std=0.1)
        nn.init.zeros_(self.new_user)
        for layer in self.layers:
            layer.reset_parameters()
        self.head.reset_parameters()

    def initial(
        self,
        x: dict[str, Tensor],
        mask: dict[str, Tensor],
        user: Tensor,
        stale: dict[str, Tensor] | None = None,
        video: Tensor | None = None,
    ) -> dict[str, Tensor]:
        """``h^0`` per node type: pooled modality vectors; user vectors (``user``: embedding row, -1 new).

        With ``stale`` (historical embeddings, per modality ``[n_videos, hidden]`` pooled earlier),
        ``x``/``mask`` hold the units of the rows ``video`` only (or nothing): those rows are pooled
        now, every other row keeps its ``stale`` vector.
        """
        if stale is None:
            h = {m: self._pool(m, x[m], mask[m]) for m in self.modalities}
        else:
            h = {}
            for m in self.modalities:
                h[m] = stale[m]
                if m in x and video is not None:
                    h[m] = stale[m].index_copy(0, video, self._pool(m, x[m], mask[m]).to(stale[m].dtype))
        h[PYG_USER] = self._user_vectors(user)
        return h

    def _user_vectors(self, user: Tensor) -> Tensor:
        """``h^0`` of user nodes from their embedding rows (-1: the shared "new user" vector)."""
        emb = self.user_emb(user.clamp(min=0))
        return torch.where((user >= 0).unsqueeze(-1), emb, self.new_user.expand_as(emb))

    def homogeneous(
        self, h: dict[str, Tensor], edge_index: dict[EdgeType, Tensor]
    ) -> tuple[dict[str, int], Tensor, Tensor]:
        """The homogeneous view Algorithm 2 runs on: each node type's row offset, the stacked node
        vectors ``h`` and the edges of the variant's families (message from ``[0]`` to ``[1]``)."""
        types = list(self.modalities) + ([PYG_USER] if self.use_user else [])
        offsets, _ = self._offsets(types, {t: h[t].shape[0] for t in types})
        homo_ei = self._homogeneous_edges(edge_index, offsets, h[types[0]].device)
        return offsets, torch.cat([h[t] for t in types], dim=0), homo_ei

    @staticmethod
    def _offsets(types: list[str], sizes: dict[str, int]) -> tuple[dict[str, int], int]:
        """Each node type's first row in the homogeneous view (types stacked in order) and the total."""
        offsets, start = {}, 0
        for t in types:
            offsets[t], start = start, start + sizes[t]
        return offsets, start

    def _homogeneous_edges(
        self, edge_index: dict[EdgeType, Tensor], offsets: dict[str, int], device: torch.device
    ) -> Tensor:
        """The variant's edges between node types in ``offsets``, in homogeneous ids (``[2, E]``)."""
        parts = []
        for etype, ei in edge_index.items():
            src, rel, dst = etype
            if rel in self.edge_families and src in offsets and dst in offsets and ei.numel() > 0:
                parts.append(torch.stack([ei[0] + offsets[src], ei[1] + offsets[dst]]))
        return torch.cat(parts, dim=1) if parts else torch.zeros(2, 0, dtype=torch.long, device=device)

    def refine(
        self,
        h: dict[str, Tensor],
        edge_index: dict[EdgeType, Tensor],
        needed: dict[str, Tensor] | None = None,
        fanout: int | None = None,
    ) -> dict[str, Tensor]:
        """Algorithm 2 on the homogeneous view of the variant's edge families.

        ``needed``: rows per node type whose refined vectors are read afterwards. Then each layer
        computes only what the next needs (the last layer: ``needed``; the one before: those plus
        their in-neighbours; ...), with every in-edge of those nodes, so the needed rows are exactly
        what refining every node gives; the other rows keep their unrefined vectors. ``fanout``
        (with ``needed``): each node aggregates at most that many in-edges, drawn at random.
        """
        if self.depth == 0:
            return h
        offsets, z, homo_ei = self.homogeneous(h, edge_index)
        if needed is None:
            for layer in self.layers:
                z = layer(z, homo_ei)
            out = dict(h)
            for t, start in offsets.items():
                out[t] = z[start : start + h[t].shape[0]]
            return out
        rows = {t: torch.unique(r) for t, r in needed.items() if t in offsets}
        targets = torch.cat([r + offsets[t] for t, r in rows.items()])
        z = self._refine_to(z, homo_ei, targets, fanout)
        out, start = dict(h), 0
        for t, r in rows.items():
            out[t] = h[t].index_copy(0, r, z[start : start + r.numel()].to(h[t].dtype))
            start += r.numel()
        return out

    def _refine_to(self, z: Tensor, ei: Tensor, targets: Tensor, fanout: int | None = None) -> Tensor:
        """The last layer's vectors of homogeneous nodes ``targets`` (in that order), each layer
        computed only for the nodes the following layers read (``fanout``: each of those nodes
        aggregates at most that many of its in-edges, drawn at random, as GraphSAGE samples)."""
        n = z.shape[0]
        sets, edges = [], []  # per layer, last first: the nodes it outputs and the edges into them
        dst = targets
        for _ in range(self.depth):
            inside = torch.zeros(n, dtype=torch.bool, device=z.device)
            inside[dst] = True
            e = ei[:, inside[ei[1]]]
            if fanout is not None:
                e = e[:, sample_in_edges(e[1], n, fanout)]
            sets.append(dst)
            edges.append(e)
            dst = torch.unique(torch.cat([dst, e[0]]))
        return self._layers(z[dst], dst, sets, edges, n)

    def _layers(self, h: Tensor, src_ids: Tensor, sets: list[Tensor], edges: list[Tensor], n: int) -> Tensor:
        """Run the layers bottom-up: ``h`` holds the input vectors of homogeneous nodes ``src_ids``;
        ``sets``/``edges`` (last layer first) the nodes each layer outputs and the edges into them."""
        for layer, dst_ids, e in zip(self.layers, reversed(sets), reversed(edges), strict=True):
            pos_src = torch.full((n,), -1, dtype=torch.long, device=h.device)
            pos_src[src_ids] = torch.arange(src_ids.numel(), device=h.device)
            pos_dst = torch.full((n,), -1, dtype=torch.long, device=h.device)
            pos_dst[dst_ids] = torch.arange(dst_ids.numel(), device=h.device)
            local = torch.stack([pos_src[e[0]], pos_dst[e[1]]])
            h = layer((h, h[pos_src[dst_ids]]), local)
            src_ids = dst_ids
        return h

    def readout(
        self, h: dict[str, Tensor], video: Tensor, video_user: Tensor, columns: Tensor | None = None
    ) -> Tensor:
        """Hashtag logits from refined vectors: each modality node of the videos, then their poster's
        (``columns``: of those hashtag columns only, for a sampled softmax; ``None``: all)."""
        parts = [h[m][video] for m in self.modalities]
        if self.use_user:
            parts.append(h[PYG_USER][video_user])
        z = self.dropout(torch.cat(parts, dim=-1))
        if columns is None:
            return self.head(z)
        return F.linear(z, self.head.weight[columns], self.head.bias[columns])

    def forward(
        self,
        x: dict[str, Tensor],
        mask: dict[str, Tensor],
        user: Tensor,
        edge_index: dict[EdgeType, Tensor],
        video: Tensor,
        video_user: Tensor,
        stale: dict[str, Tensor] | None = None,
        fanout: int | None = None,
        columns: Tensor | None = None,
    ) -> Tensor:
        """Hashtag logits ``[len(video), |H|]`` (softmax gives eq. 19's probabilities).

        Args:
            x: Per modality, padded unit features ``[n_videos, units, dim]`` (rows are videos).
            mask: Per modality, ``[n_videos, units]`` True on real units.
            user: ``[n_users]`` embedding row per user node, -1 for users without one.
            edge_index: Edges per PyG edge type (both directions for undirected families).
            video: Rows of the videos to score.
            video_user: User-node row of each scored video's poster.
            stale: Historical embeddings (see :meth:`initial`): then ``x``/``mask`` hold the units
                of the ``video`` rows only, or are empty to use ``stale`` for every row.
            fanout: Aggregate at most this many in-edges per node and layer, drawn at random
                (mini-batch training); ``None``: every in-edge (exact).
            columns: Score these hashtag columns only (``[len(video), len(columns)]``; a sampled
                softmax, see :func:`~mishon_graph.learn.labels.sample_columns`).
        """
        if stale is not None and self.depth > 0:
            h = self._refine_stale(x, mask, user, stale, edge_index, video, video_user, fanout)
            return self.readout(h, torch.arange(video.numel(), device=video.device),
                                torch.arange(video_user.numel(), device=video.device), columns)
        h = self.initial(x, mask, user, stale, video)
        needed = {m: video for m in self.modalities} | ({PYG_USER: video_user} if self.use_user else {})
        return self.readout(self.refine(h, edge_index, needed, fanout), video, video_user, columns)

    def _refine_stale(
        self,
        x: dict[str, Tensor],
        mask: dict[str, Tensor],
        user: Tensor,
        stale: dict[str, Tensor],
        edge_index: dict[EdgeType, Tensor],
        video: Tensor,
        video_user: Tensor,
        fanout: int | None,
    ) -> dict[str, Tensor]:
        """:meth:`refine` of the ``video`` rows (and ``video_user``) with historical embeddings, at a
        cost set by their neighbourhoods, not by the graph: the in-edges of the nodes each layer needs
        come from a CSR index of the graph built once (:meth:`_in_edges`), and only the input vectors
        of the nodes reached are formed (``stale`` rows, the ``video`` rows pooled afresh when ``x``
        holds their units). Returns per node type the refined vectors in the order of ``video``
        (modalities) and ``video_user`` (users): what :meth:`readout` reads at rows ``0..n-1``."""
        types = list(self.modalities) + ([PYG_USER] if self.use_user else [])
        sizes = {m: stale[m].shape[0] for m in self.modalities} | {PYG_USER: user.shape[0]}
        offsets, start = self._offsets(types, sizes)
        fresh = {m: self._pool(m, x[m], mask[m]) for m in self.modalities if m in x}
        rows_max = max(sizes[m] for m in self.modalities)
        seat = torch.full((rows_max,), -1, dtype=torch.long, device=video.device)
        seat[video] = torch.arange(video.numel(), device=video.device)

        def inputs(ids: Tensor) -> Tensor:
            """``h^0`` of homogeneous nodes ``ids``, in that order."""
            out = stale[self.modalities[0]].new_zeros((ids.numel(), self.hidden_dim))
            for t in types:
                inside = (ids >= offsets[t]) & (ids < offsets[t] + sizes[t])
                local = ids[inside] - offsets[t]
                if t == PYG_USER:
                    vec = self._user_vectors(user[local])
                else:
                    vec = stale[t][local]
                    if t in fresh:
                        pos = seat[local]
                        now = fresh[t][pos.clamp(min=0)].to(vec.dtype)
                        vec = torch.where((pos >= 0).unsqueeze(-1), now, vec)
                out = out.index_put((torch.nonzero(inside).flatten(),), vec.to(out.dtype))
            return out

        targets = torch.cat([video + offsets[m] for m in self.modalities]
                            + ([video_user + offsets[PYG_USER]] if self.use_user else []))
        unique, back = torch.unique(targets, return_inverse=True)
        rowptr, col = self._in_edges(edge_index, offsets, start)
        z = self._refine_csr(inputs, rowptr, col, unique, start, fanout)[back]
        out, at = {}, 0
        for t in types:
            n = video.numel() if t != PYG_USER else video_user.numel()
            out[t], at = z[at : at + n], at + n
        return out

    def _in_edges(
        self, edge_index: dict[EdgeType, Tensor], offsets: dict[str, int], n: int
    ) -> tuple[Tensor, Tensor]:
        """CSR by target of the homogeneous view's edges (``rowptr``, sources), built once per graph
        (cached while the edge tensors and node counts stay the same)."""
        tensors = tuple((et, e.data_ptr(), e.numel()) for et, e in edge_index.items())
        key = (n, tuple(offsets.items()), tensors)
        cached = getattr(self, "_csr_cache", None)
        if cached is not None and cached[0] == key:
            return cached[1], cached[2]
        device = next(iter(edge_index.values())).device if edge_index else self.new_user.device
        ei = self._homogeneous_edges(edge_index, offsets, device)
        col = ei[0][torch.argsort(ei[1], stable=True)]
        rowptr = torch.zeros(n + 1, dtype=torch.long, device=device)
        rowptr[1:] = torch.cumsum(torch.bincount(ei[1], minlength=n), 0)
        self._csr_cache = (key, rowptr, col)
        return rowptr, col

    def _refine_csr(
        self, inputs: Callable[[Tensor], Tensor], rowptr: Tensor, col: Tensor, targets: Tensor, n: int,
        fanout: int | None,
    ) -> Tensor:
        """As :meth:`_refine_to`, reading each layer's in-edges from the CSR index and only the
        input vectors (``inputs(ids)``) of the nodes reached."""
        sets, edges = [], []
        dst = targets
        for _ in range(self.depth):
            start = rowptr[dst]
            deg = rowptr[dst + 1] - start
            total = int(deg.sum())
            first = torch.repeat_interleave(torch.cumsum(deg, 0) - deg, deg, output_size=total)
            pos = torch.arange(total, device=dst.device) - first
            e = torch.stack([col[torch.repeat_interleave(start, deg, output_size=total) + pos],
                             torch.repeat_interleave(dst, deg, output_size=total)])
            if fanout is not None:
                e = e[:, sample_in_edges(e[1], n, fanout)]
            sets.append(dst)
            edges.append(e)
            dst = torch.unique(torch.cat([dst, e[0]]))
        return self._layers(inputs(dst), dst, sets, edges, n)

    def reduced(self, modality: str, x: Tensor) -> Tensor:
        """Units of ``modality`` through its fixed reduction (unchanged when it has none, or when
        ``x`` is already reduced)."""
        if modality in self.reduce and x.shape[-1] == self.in_dims[modality]:
            return self.reduce[modality](x)
        return x

    def _pool(self, modality: str, x: Tensor, mask: Tensor) -> Tensor:
        return self.pool[modality](self.reduced(modality, x), mask)

    @torch.no_grad()
    def pooled(self, x: Tensor, mask: Tensor, modality: str) -> Tensor:
        """Pooled vectors of one modality's units (no gradient), for historical embeddings."""
        return self._pool(modality, x, mask)

    @torch.no_grad()
    def pooled_rows(
        self, x: dict[str, Tensor], mask: dict[str, Tensor], step: int, device: torch.device
    ) -> dict[str, Tensor]:
        """Every row's pooled vector per modality (no gradient), ``step`` rows at a time on ``device``:
        the ``[rows, units, hidden]`` projections exist for one chunk, never for the whole graph."""
        out = {}
        for m in self.modalities:
            n = x[m].shape[0]
            rows = torch.empty(n, self.hidden_dim, device=device)
            for i in range(0, n, step):
                chunk = slice(i, i + step)
                rows[chunk] = self.pooled(x[m][chunk].to(device), mask[m][chunk].to(device), m)
            out[m] = rows
        return out

    def __repr__(self) -> str:
        dims = ", ".join(f"{m}={d}" for m, d in self.in_dims.items())
        return (
            f"{self.__class__.__name__}({dims}; users={self.num_users}, hashtags={self.num_hashtags}, "
            f"hidden={self.hidden_dim}, depth={self.depth}, aggr={self.aggregator}, variant={self.variant})"
        )


class _SparseEq21(torch.autograd.Function):
    """Eq. 21 from logits and CSR labels, with a backward that builds one ``[n, |H|]`` tensor.

    Forward keeps only ``logsumexp`` per row (``[n]``); backward writes the gradient
    ``(|G_i| softmax(logits_i) - 1[g in G_i]) / n`` into a single fresh buffer, in place.
    """

    @staticmethod
    def forward(ctx, logits: Tensor, ptr: Tensor, idx: Tensor) -> Tensor:  # type: ignore[override]
        n = logits.shape[0]
        counts = ptr[1:] - ptr[:-1]
        rows = torch.repeat_interleave(torch.arange(n, device=logits.device), counts, output_size=idx.numel())
        lse = torch.logsumexp(logits, dim=-1)
        total = (counts.double() * lse.double()).sum() - logits[rows, idx].double().sum()
        ctx.save_for_backward(logits, lse, counts, rows, idx)
        return (total / n).to(logits.dtype)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None, None]:  # type: ignore[override]
        logits, lse, counts, rows, idx = ctx.saved_tensors
        scale = grad / logits.shape[0]
        g = (logits - lse.unsqueeze(-1)).exp_()
        g.mul_((counts.to(g.dtype) * scale).unsqueeze(-1))
        g.index_put_((rows, idx), (-scale).to(g.dtype).expand(idx.numel()), accumulate=True)
        return g, None, None


def mishon_loss(logits: Tensor, labels: SparseLabels | Tensor) -> Tensor:
    r"""Eq. 21: :math:`J = \frac{1}{|Z|} \sum_i \sum_{g \in G_i} -\log P(g \mid mv_i)`.

    Computed as :math:`\frac{1}{n}\big(\sum_i |G_i| \operatorname{logsumexp}(z_i) - \sum_{(i, g)} z_{ig}\big)`
    by gathering the logits at the label pairs, so neither a dense label matrix nor a
    ``log_softmax`` matrix is built (the backward allocates just the ``[n, |H|]`` gradient).

    Args:
        logits: ``[n, |H|]`` scores before softmax.
        labels: Ground truth ``G_i``: sparse rows, or a ``[n, |H|]`` multi-hot matrix (converted).

    Returns:
        The sum over each video's ground-truth hashtags of ``-log softmax``, averaged over the
        ``n = |Z|`` videos.
    """
    if logits.shape[0] == 0:
        return logits.sum() * 0.0
    if isinstance(labels, Tensor):
        labels = SparseLabels.from_dense(labels)
    labels = labels.to(logits.device)
    return _SparseEq21.apply(logits, labels.ptr, labels.idx)
