"""Model inputs from an exported graph: the full graph, or neighbour-sampled induced subgraphs.

PyG's ``NeighborLoader`` needs ``pyg-lib`` or ``torch-sparse``, neither of which has wheels for this
torch; :class:`NeighborSampler` does the same job in plain torch (per seed video, up to ``fanout``
random neighbours per node and hop, ``depth`` hops, over the variant's edge families; the batch is
the subgraph induced by the sampled nodes, like ``NeighborLoader(subgraph_type="induced")``).
Sampling is seeded by a ``torch.Generator``, so the same seed gives the same batches. With historical
embeddings (:func:`seeds_input`) nothing is sampled here: the model draws each needed node's in-edges.
An input's ``labels`` are the sparse rows (:class:`~mishon_graph.learn.labels.SparseLabels`) of
the videos it scores, in the order of ``video``; no dense label matrix is built.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor
from torch_geometric.typing import EdgeType

from mishon_graph.constants import PYG_USER
from mishon_graph.learn.data import ExportedGraph
from mishon_graph.learn.labels import SparseLabels


@dataclass
class ModelInput:
    """The arguments of :meth:`MishonModel.forward` plus the targets' labels (one row per ``video``)."""

    x: dict[str, Tensor]
    mask: dict[str, Tensor]
    user: Tensor
    edge_index: dict[EdgeType, Tensor]
    video: Tensor
    video_user: Tensor
    labels: SparseLabels
    stale: dict[str, Tensor] | None = None
    fanout: int | None = None

    def to(self, device: torch.device) -> ModelInput:
        return ModelInput(
            x={k: v.to(device) for k, v in self.x.items()},
            mask={k: v.to(device) for k, v in self.mask.items()},
            user=self.user.to(device),
            edge_index={k: v.to(device) for k, v in self.edge_index.items()},
            video=self.video.to(device),
            video_user=self.video_user.to(device),
            labels=self.labels.to(device),
            stale=None if self.stale is None else {k: v.to(device) for k, v in self.stale.items()},
            fanout=self.fanout,
        )

    def args(self) -> tuple:
        base = (self.x, self.mask, self.user, self.edge_index, self.video, self.video_user)
        return base if self.stale is None and self.fanout is None else (*base, self.stale, self.fanout)


def full_input(graph: ExportedGraph, user_rows: Tensor, video: Tensor) -> ModelInput:
    """The whole graph, scoring the rows ``video``."""
    data = graph.data
    return ModelInput(
        x={m: data[m].x for m in graph.modalities},
        mask={m: data[m].mask for m in graph.modalities},
        user=user_rows,
        edge_index={et: data[et].edge_index for et in data.edge_types},
        video=video,
        video_user=graph.video_user[video],
        labels=graph.labels[video],
    )


def induced_input(
    graph: ExportedGraph,
    user_rows: Tensor,
    videos: Tensor,
    users: Tensor,
    targets: Tensor,
    *,
    units: bool = True,
) -> ModelInput:
    """The subgraph induced by video rows ``videos`` and user rows ``users``, scoring ``targets``.

    ``targets`` must be among ``videos`` and their posters among ``users``. ``units=False`` leaves
    the unit features out (empty ``x`` and ``mask``).
    """
    data = graph.data
    vmap = torch.full((graph.num_videos,), -1, dtype=torch.long)
    vmap[videos] = torch.arange(videos.numel())
    umap = torch.full((len(graph.user_ids),), -1, dtype=torch.long)
    umap[users] = torch.arange(users.numel())
    maps = {m: vmap for m in graph.modalities} | {PYG_USER: umap}
    edges = {}
    for et in data.edge_types:
        ei = data[et].edge_index
        src, dst = maps[et[0]][ei[0]], maps[et[2]][ei[1]]
        keep = (src >= 0) & (dst >= 0)
        edges[et] = torch.stack([src[keep], dst[keep]])
    return ModelInput(
        x={m: data[m].x[videos] for m in graph.modalities} if units else {},
        mask={m: data[m].mask[videos] for m in graph.modalities} if units else {},
        user=user_rows[users],
        edge_index=edges,
        video=vmap[targets],
        video_user=umap[graph.video_user[targets]],
        labels=graph.labels[targets],
    )


def seeds_input(
    graph: ExportedGraph,
    user_rows: Tensor,
    seeds: Tensor,
    history: dict[str, Tensor],
    edge_index: dict[EdgeType, Tensor],
) -> ModelInput:
    """The whole graph, scoring the rows ``seeds``: only their unit features are read (pooled now);
    every other video enters with its ``history`` vector (pooled earlier, see ``MishonModel.initial``).

    Nothing is sampled or copied here: ``MishonModel.refine`` computes each layer only for the nodes
    the seeds read through the following layers, with at most ``fanout`` in-edges each, so a batch
    costs what the seeds' neighbourhoods cost, whatever the size of the graph.
    """
    return ModelInput(
        x={m: graph.data[m].x[seeds] for m in graph.modalities},
        mask={m: graph.data[m].mask[seeds] for m in graph.modalities},
        user=user_rows,
        edge_index=edge_index,
        video=seeds,
        video_user=graph.video_user[seeds],
        labels=graph.labels[seeds],
        stale=history,
    )


class NeighborSampler:
    """Samples ``depth``-hop neighbourhoods of seed videos on the video/user "bundle" graph.

    A video stands for its modality nodes (they share a row), so a hop from any of its modality
    nodes reaches the video. Node ids: videos ``0..n_videos-1``, users after them.

    Args:
        graph: The exported graph.
        relations: Edge relations to follow (e.g. ``{"similar", "uses", "used_by"}``).
        fanout: Neighbours kept per node and hop (all when it has fewer).
        depth: Number of hops.
    """

    def __init__(self, graph: ExportedGraph, relations: set[str], fanout: int, depth: int) -> None:
        self.graph = graph
        self.fanout = fanout
        self.depth = depth
        nv = graph.num_videos
        self.num_nodes = nv + len(graph.user_ids)
        src, dst = [], []
        for et in graph.data.edge_types:
            if et[1] not in relations:
                continue
            ei = graph.data[et].edge_index
            src.append(ei[0] + (nv if et[0] == PYG_USER else 0))
            dst.append(ei[1] + (nv if et[2] == PYG_USER else 0))
        s = torch.cat(src) if src else torch.zeros(0, dtype=torch.long)
        d = torch.cat(dst) if dst else torch.zeros(0, dtype=torch.long)
        order = torch.argsort(s * self.num_nodes + d)
        self.col = d[order]
        counts = torch.bincount(s, minlength=self.num_nodes)
        self.rowptr = torch.zeros(self.num_nodes + 1, dtype=torch.long)
        self.rowptr[1:] = torch.cumsum(counts, 0)

    def _hop(self, frontier: Tensor, gen: torch.Generator) -> Tensor:
        start = self.rowptr[frontier]
        deg = self.rowptr[frontier + 1] - start
        total = int(deg.sum())
        if total == 0:
            return torch.zeros(0, dtype=torch.long)
        group = torch.repeat_interleave(torch.arange(frontier.numel()), deg)
        first = torch.repeat_interleave(torch.cumsum(deg, 0) - deg, deg)
        pos = torch.arange(total) - first
        cand = self.col[start[group] + pos]
        keys = torch.rand(total, generator=gen, dtype=torch.float64)
        order = torch.argsort(group.double() * 2.0 + keys)  # by group, random within a group
        rank = torch.empty(total, dtype=torch.long)
        rank[order] = torch.arange(total) - first[order]
        return torch.unique(cand[rank < self.fanout])

    def sample(self, seeds: Tensor, gen: torch.Generator) -> tuple[Tensor, Tensor]:
        """Video rows and user rows of the sampled neighbourhood of seed video rows ``seeds``."""
        nv = self.graph.num_videos
        posters = self.graph.video_user[seeds] + nv
        seen = torch.zeros(self.num_nodes, dtype=torch.bool)
        frontier = torch.unique(torch.cat([seeds, posters]))
        seen[frontier] = True
        for _ in range(self.depth):
            nxt = self._hop(frontier, gen)
            nxt = nxt[~seen[nxt]]
            seen[nxt] = True
            frontier = nxt
            if frontier.numel() == 0:
                break
        nodes = torch.nonzero(seen).flatten()
        return nodes[nodes < nv], nodes[nodes >= nv] - nv
