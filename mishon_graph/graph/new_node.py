"""The SIMILAR edges one node gets when it joins a built graph, by the rule of ``graph build`` (no I/O).

The rule is :mod:`mishon_graph.graph.similarity`'s: cosines are computed exactly in float64 on the
L2-normalised float32 embeddings, a pair counts when :func:`~mishon_graph.graph.similarity.passes_theta`
holds, each node keeps its ``k`` best candidates (cosine descending, then id ascending) and a pair is
an edge when either end keeps the other. So the new node ``q`` is linked to

- every node ``q`` itself keeps (its own top ``k``), and
- every node ``j`` that would keep ``q``: ``q`` ranks among ``j``'s ``k`` best once added, which is
  read off ``j``'s own top ``k`` as the graph stores it (the ``k`` best of ``j``'s SIMILAR edges: any
  node ``j`` keeps is one of its edges, and every edge of ``j`` is a candidate of ``j``).

Edges between existing nodes are left as they are (a node that now keeps ``q`` may have dropped its
former ``k``-th neighbour in a full rebuild; ``graph build`` recomputes those).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from mishon_graph.graph.similarity import exact_cosines, passes_theta, unit_rows

_SCREEN = 1e-5  # float32 dot products of unit vectors are off by far less than this (as in similarity.py)


@dataclass
class SimilarIndex:
    """One modality's nodes with their embeddings and their own top ``k`` as the graph stores it.

    Args:
        ids: Node ids (= video ids), one per row of ``embeddings``.
        embeddings: ``[n, d]`` pooled embeddings (float32 values, as stored on the nodes).
        theta: The graph's cosine threshold.
        k: The graph's k-NN cap (``None``: no cap, every pair >= theta is an edge).
        edges: The graph's SIMILAR edges among these nodes, ``(a, b, weight)`` once per pair.
    """

    ids: list[str]
    embeddings: np.ndarray
    theta: float
    k: int | None
    edges: Sequence[tuple[str, str, float]] = ()
    unit: np.ndarray = field(init=False, repr=False)
    unit32: np.ndarray = field(init=False, repr=False)
    nonzero: np.ndarray = field(init=False, repr=False)
    rank: np.ndarray = field(init=False, repr=False)
    row_of: dict[str, int] = field(init=False, repr=False)
    kept_count: np.ndarray = field(init=False, repr=False)
    worst_weight: np.ndarray = field(init=False, repr=False)
    worst_id: np.ndarray = field(init=False, repr=False)
    keepers: dict[str, set[str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        x = np.asarray(self.embeddings, dtype=np.float32)
        if x.ndim != 2 or x.shape[0] != len(self.ids):
            raise ValueError(f"embeddings must be [{len(self.ids)}, d], got {x.shape}")
        self.embeddings = x
        self.unit = unit_rows(x)
        self.unit32 = self.unit.astype(np.float32)  # screening only; cosines are recomputed in float64
        self.nonzero = self.unit.any(axis=1)  # zero vectors get no edge
        self.row_of = {v: i for i, v in enumerate(self.ids)}
        n = len(self.ids)
        self.rank = np.empty(n, dtype=np.int64)
        self.rank[sorted(range(n), key=self.ids.__getitem__)] = np.arange(n)
        self.kept_count = np.zeros(n, dtype=np.int64)
        self.worst_weight = np.full(n, np.inf)
        self.worst_id = np.array([""] * n, dtype=object)
        self.keepers = {}
        if self.k is not None:
            self._own_top(list(self.edges))
        self.edges = ()  # only the summary above is kept

    @property
    def dim(self) -> int:
        return int(self.embeddings.shape[1])

    def _own_top(self, edges: list[tuple[str, str, float]]) -> None:
        """Each node's own top ``k`` among its edges: count, k-th weight and id, and who keeps whom."""
        assert self.k is not None
        where = self.row_of
        pairs = [(where[a], where[b], float(w)) for a, b, w in edges if a in where and b in where]
        if not pairs:
            return
        a = np.array([p[0] for p in pairs], dtype=np.int64)
        b = np.array([p[1] for p in pairs], dtype=np.int64)
        w = np.array([p[2] for p in pairs], dtype=np.float64)
        src, dst, weight = np.concatenate([a, b]), np.concatenate([b, a]), np.concatenate([w, w])
        order = np.lexsort((self.rank[dst], -weight, src))  # by node, then weight desc, then id asc
        src, dst, weight = src[order], dst[order], weight[order]
        pos = np.arange(len(src)) - np.searchsorted(src, src, side="left")
        top = pos < self.k
        src, dst, weight, pos = src[top], dst[top], weight[top], pos[top]
        np.add.at(self.kept_count, src, 1)
        last = pos == self.k - 1
        self.worst_weight[src[last]] = weight[last]
        self.worst_id[src[last]] = [self.ids[i] for i in dst[last]]
        for j, x in zip(src.tolist(), dst.tolist(), strict=True):
            self.keepers.setdefault(self.ids[x], set()).add(self.ids[j])

    def neighbours(self, vector: np.ndarray, node_id: str) -> list[tuple[str, float]]:
        """The SIMILAR edges of a node ``node_id`` with embedding ``vector``: ``(id, cosine)``, best first.

        ``node_id`` is never its own neighbour; when it is already a node of the index (a video of
        the graph scored again), the result is the edges ``graph build`` gave it.
        """
        q = unit_rows(np.asarray(vector, dtype=np.float32).reshape(1, -1))
        if q.shape[1] != self.dim:
            raise ValueError(f"embedding has {q.shape[1]} values, the index {self.dim}")
        if not len(self.ids) or not q.any():
            return []
        screen = np.nonzero((self.unit32 @ q[0].astype(np.float32) >= self.theta - _SCREEN) & self.nonzero)[0]
        own = self.row_of.get(node_id)
        if own is not None:
            screen = screen[screen != own]
        cos = exact_cosines(self.unit[screen], np.repeat(q, len(screen), axis=0))
        ok = passes_theta(cos, self.theta)
        rows, cos = screen[ok], cos[ok]
        order = np.lexsort((self.rank[rows], -cos))  # cosine descending, then id ascending
        rows, cos = rows[order], cos[order]
        if self.k is None:
            return [(self.ids[j], float(c)) for j, c in zip(rows.tolist(), cos.tolist(), strict=True)]
        keep = np.arange(len(rows)) < self.k  # what the new node keeps
        worst = self.worst_weight[rows]
        keep |= self.kept_count[rows] < self.k  # ... and the nodes that would keep it
        keep |= cos > worst
        keep |= (cos == worst) & (self.worst_id[rows] > node_id)
        if node_id in self.keepers:
            keep |= np.isin(rows, [self.row_of[j] for j in self.keepers[node_id]])
        rows, cos = rows[keep], cos[keep]
        return [(self.ids[j], float(c)) for j, c in zip(rows.tolist(), cos.tolist(), strict=True)]
