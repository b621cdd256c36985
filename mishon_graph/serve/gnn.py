"""The trained GNN's probabilities for a new video, computed on what changes around it (no I/O).

Adding a video to the graph changes the vectors of few nodes: at SAGE depth ``l`` only the nodes
within ``l`` hops of the new nodes (its modality nodes, and its user when new). At load,
:class:`InductiveGNN` runs the model once over the whole graph and keeps every depth's node
vectors; for a new video it recomputes, depth by depth, only the vectors its own output needs
that the new edges touch, with the model's own layers on a small local graph (the nodes to update
and their in-neighbours, every in-edge kept, so each aggregation is the one the full graph would
do). The result is the full-graph forward of the graph plus the video, up to float summation order.

The new video is attached as :func:`mishon_graph.learn.inductive.add_video` does: its modality nodes
get SIMILAR edges to the given neighbours and USES/used-by edges to its user; a new user gets the
"new user" vector and POPULAR links from the popular users (both directions). A modality the
upload lacks is a node with no unit (it pools to zero) and no edge, so it does not move its user.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from torch import Tensor

from mishon_graph.constants import PYG_USER
from mishon_graph.learn.artifact import Artifact
from mishon_graph.learn.batches import full_input
from mishon_graph.learn.data import ExportedGraph, pad_units


def _csr(src: np.ndarray, dst: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(ptr, col)``: for node ``i``, ``col[ptr[i]:ptr[i + 1]]`` are the ``src`` of edges into ``i``."""
    order = np.argsort(dst, kind="stable")
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(dst, minlength=n), out=ptr[1:])
    return ptr, src[order]


class InductiveGNN:
    """A trained MISHON model over one graph, ready to score videos added to it.

    Args:
        artifact: The trained model (vocabulary and modalities must match ``graph``).
        graph: The whole exported graph with its unit features.
    """

    def __init__(self, artifact: Artifact, graph: ExportedGraph) -> None:
        self.model = artifact.build_model()
        self.hashtags = artifact.hashtags
        self.graph = graph
        self.modalities = self.model.modalities
        self.families = self.model.edge_families
        user_rows = artifact.user_rows(graph.user_ids)
        with torch.no_grad():
            inp = full_input(graph, user_rows, torch.zeros(0, dtype=torch.long))
            h0 = self.model.initial(inp.x, inp.mask, inp.user)
            self.offsets, z, ei = self.model.homogeneous(h0, inp.edge_index)
            self.h = [z]
            for layer in self.model.layers:
                z = layer(z, ei)
                self.h.append(z)
        self.n = self.h[0].shape[0]
        src, dst = ei[0].numpy(), ei[1].numpy()
        self._in = _csr(src, dst, self.n)
        self._out = _csr(dst, src, self.n)
        self._units_dtype = graph.data[self.modalities[0]].x.dtype

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.model}, nodes={self.n})"

    def node_of_video(self, modality: str, video_id: str) -> int:
        return self.offsets[modality] + self.graph.video_index[video_id]

    def node_of_user(self, user_id: str) -> int | None:
        row = self.graph.user_index.get(user_id)
        if row is None or PYG_USER not in self.offsets:
            return None
        return self.offsets[PYG_USER] + row

    @torch.no_grad()
    def graph_probabilities(self, video_id: str) -> np.ndarray:
        """Softmax over the artifact's hashtags for a video of the graph (the full-graph forward)."""
        row = self.graph.video_index[video_id]
        depth = len(self.h) - 1
        rows = {m: self.h[depth][self.offsets[m] + row].unsqueeze(0) for m in self.modalities}
        if self.model.use_user:
            user = self.offsets[PYG_USER] + int(self.graph.video_user[row])
            rows[PYG_USER] = self.h[depth][user].unsqueeze(0)
        zero = torch.zeros(1, dtype=torch.long)
        return torch.softmax(self.model.readout(rows, zero, zero), dim=-1)[0].numpy()

    @torch.no_grad()
    def probabilities(
        self,
        units: Mapping[str, np.ndarray | None],
        similar: Mapping[str, Sequence[str]],
        user_id: str | None,
        popular: Sequence[str] = (),
    ) -> np.ndarray:
        """Softmax over the artifact's hashtags for one new video.

        Args:
            units: ``[units, dim]`` per modality; ``None`` or absent: the video lacks it.
            similar: Per modality, the ids of the graph videos its node gets SIMILAR edges to.
            user_id: Its poster; ``None`` or an id not in the graph: a new user.
            popular: Popular users a new user is linked to (POPULAR, both directions).
        """
        model = self.model
        # h^0 of the new nodes, by the model's own pooling (an absent modality pools to zero).
        x, mask = {}, {}
        for m in self.modalities:
            a = units.get(m)
            dim = model.in_dims[m]
            if a is None:
                x[m], mask[m] = torch.zeros(1, 1, dim), torch.zeros(1, 1, dtype=torch.bool)
            else:
                x[m], mask[m] = pad_units([np.asarray(a, dtype=np.float32)], self._units_dtype)
        h0 = model.initial(x, mask, torch.tensor([-1]))
        user = self.node_of_user(user_id) if user_id is not None else None
        new_user = model.use_user and user is None
        video_nodes = {m: self.n + i for i, m in enumerate(self.modalities)}
        fresh = [h0[m] for m in self.modalities]
        if new_user:
            user = self.n + len(video_nodes)
            fresh.append(h0[PYG_USER])
        new_h0 = torch.cat(fresh)
        edges = self._new_edges(units, similar, video_nodes, user, new_user, popular)
        targets = list(video_nodes.values()) + ([user] if model.use_user and user is not None else [])
        h = self._refined(targets, new_h0, edges)
        rows = {m: h[video_nodes[m]].unsqueeze(0) for m in self.modalities}
        if model.use_user:
            rows[PYG_USER] = h[user].unsqueeze(0)
        zero = torch.zeros(1, dtype=torch.long)
        return torch.softmax(model.readout(rows, zero, zero), dim=-1)[0].numpy()

    def _new_edges(
        self,
        units: Mapping[str, np.ndarray | None],
        similar: Mapping[str, Sequence[str]],
        video_nodes: dict[str, int],
        user: int | None,
        new_user: bool,
        popular: Sequence[str],
    ) -> list[tuple[int, int]]:
        """``(src, dst)`` edges the new video (and a new user) add, in the variant's families."""
        out: list[tuple[int, int]] = []
        for m, q in video_nodes.items():
            if units.get(m) is None:
                continue
            if "similar" in self.families:
                for v in similar.get(m, ()):
                    j = self.node_of_video(m, v)
                    out += [(q, j), (j, q)]
            if user is not None:
                if "uses" in self.families:
                    out.append((user, q))
                if "used_by" in self.families:
                    out.append((q, user))
        if new_user and user is not None and "popular" in self.families:
            for p in popular:
                j = self.node_of_user(p)
                if j is not None:
                    out += [(j, user), (user, j)]
        return out

    def _entries(
        self, csr: tuple[np.ndarray, np.ndarray], nodes: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(owner, entry)`` for every CSR entry of the graph's ``nodes`` (new nodes have none)."""
        ptr, col = csr
        old = nodes[nodes < self.n]
        counts = ptr[old + 1] - ptr[old]
        total = int(counts.sum())
        first = np.repeat(ptr[old] - (np.cumsum(counts) - counts), counts)
        return np.repeat(old, counts), col[first + np.arange(total)]

    def _refined(self, targets: list[int], new_h0: Tensor, edges: list[tuple[int, int]]) -> dict[int, Tensor]:
        """Depth-``J`` vectors of ``targets`` in the graph plus ``edges`` (new nodes from ``self.n``)."""
        depth = len(self.model.layers)
        new = np.arange(self.n, self.n + new_h0.shape[0])
        extra = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
        # changed[l]: nodes whose depth-l vector differs from the cached one.
        changed = [new]
        for _ in range(depth - 1):
            c = changed[-1]
            _, reached = self._entries(self._out, c)
            changed.append(np.union1d(c, np.union1d(reached, extra[np.isin(extra[:, 0], c), 1])))
        # need[l]: changed nodes whose depth-l vector the targets' depth-J vectors read; in-edges[l]:
        # every edge into need[l] (the graph's, in stored order, then the new ones).
        need: list[np.ndarray] = [new] * (depth + 1)
        need[depth] = np.unique(np.asarray(targets, dtype=np.int64))
        in_edges: list[tuple[np.ndarray, np.ndarray]] = [(new, new)] * (depth + 1)
        for level in range(depth, 0, -1):
            dst, src = self._entries(self._in, need[level])
            mine = np.isin(extra[:, 1], need[level])
            dst, src = np.concatenate([dst, extra[mine, 1]]), np.concatenate([src, extra[mine, 0]])
            in_edges[level] = (src, dst)
            reach = np.union1d(need[level], src)
            need[level - 1] = reach[np.isin(reach, changed[level - 1])]
        done_nodes, done = new, new_h0  # sorted node ids and their vectors at the depth below
        for level in range(1, depth + 1):
            src, dst = in_edges[level]
            local = np.union1d(need[level], src)
            z = torch.empty(len(local), done.shape[1], dtype=done.dtype)
            known = np.isin(local, done_nodes)
            z[torch.from_numpy(~known)] = self.h[level - 1][torch.from_numpy(local[~known])]
            z[torch.from_numpy(known)] = done[torch.from_numpy(np.searchsorted(done_nodes, local[known]))]
            # bipartite: messages from every local node, outputs only for the nodes to update
            ei = torch.from_numpy(np.stack([np.searchsorted(local, src), np.searchsorted(need[level], dst)]))
            targets_z = z[torch.from_numpy(np.searchsorted(local, need[level]))]
            done_nodes, done = need[level], self.model.layers[level - 1]((z, targets_z), ei)
        at = {int(v): i for i, v in enumerate(done_nodes)}
        return {v: done[at[v]] if v in at else self.h[depth][v] for v in targets}
