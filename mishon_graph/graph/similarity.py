"""Same-modality cosine edges by exact, row-blocked matrix products (numpy/torch, no I/O).

Rule (the same as :func:`mishon_graph.graph.reference.similar_edges`): zero vectors get no edges;
a node's candidates are the other nodes with cosine >= theta; with a cap k each node keeps its k
best candidates (cosine descending, then id ascending); a pair is an edge when either endpoint
keeps the other (the symmetrised k-NN graph, so a hub's degree may exceed k, and there are at most
n * k edges). Edges are returned once per pair, lower id first.

Scaling: rows are processed in blocks of ``B`` (torch matmul and top-k on the CPU, multi-threaded)
so that only a ``B x n`` float32 score block lives in memory (never ``n x n``). Selection uses
float32 scores with a safety margin; the threshold test and the weights are then recomputed
exactly in float64 for the few candidates, so the result does not depend on float32 rounding.
Compute grows as n^2 * d (exact); memory and written edges grow as n * k.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

_MARGIN = 1e-5  # float32 dot products of unit vectors are off by far less than this
# A cosine that is theta up to float64 rounding (e.g. 1/(sqrt(2)*sqrt(2))) counts as >= theta.
TOLERANCE = 1e-12
_BLOCK_BYTES = 64 * 1024 * 1024
_GATHER_BYTES = 32 * 1024 * 1024  # float64 rows gathered at once to recompute pair cosines


@dataclass(frozen=True)
class SimilarPairs:
    """Result of :func:`similar_pairs`.

    Attributes:
        a: Lower ids of the pairs.
        b: Higher ids of the pairs.
        weight: Cosine of each pair (float64).
        before_cap: Number of unordered pairs with cosine >= theta (edges without a cap).
        zero_vectors: Nodes skipped because their embedding is all zeros.
        mode: ``exact`` (this module) or ``approx`` (:mod:`mishon_graph.graph.similarity_approx`).
        recall: Approximate only: share of a row sample's exact k best that were kept.
        before_cap_estimated: ``before_cap`` was estimated from a row sample (approximate only).
    """

    a: list[str]
    b: list[str]
    weight: np.ndarray
    before_cap: int
    zero_vectors: int
    mode: str = "exact"
    recall: float | None = None
    before_cap_estimated: bool = False

    def __len__(self) -> int:
        return len(self.a)

    def rows(self) -> list[dict[str, object]]:
        """``{a, b, weight}`` dicts for an ``UNWIND $rows`` write."""
        return [
            {"a": a, "b": b, "weight": float(w)} for a, b, w in zip(self.a, self.b, self.weight, strict=True)
        ]


def passes_theta(cosine: np.ndarray, theta: float) -> np.ndarray:
    """The threshold test of every SIMILAR edge: ``cosine >= theta`` up to float64 rounding."""
    return np.asarray(cosine) >= theta - TOLERANCE


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows in float64 divided by their L2 norm (zero rows stay zero): what cosines are computed on."""
    x = np.asarray(x, dtype=np.float64)
    norms = np.linalg.norm(x, axis=1)
    out = np.zeros_like(x)
    nonzero = norms > 0
    out[nonzero] = x[nonzero] / norms[nonzero, None]
    return out


def exact_cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise dot products of unit rows ``a[i] . b[i]`` (float64): the weights SIMILAR edges store."""
    return np.einsum("ij,ij->i", a, b)


def pair_cosines(xn: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``exact_cosines(xn[lo], xn[hi])`` in chunks (row-wise, so the same values), without gathering
    two ``[pairs, d]`` float64 copies at once (2 GiB at 130k nodes, d = 128)."""
    out = np.empty(len(lo), dtype=np.float64)
    step = max(1, _GATHER_BYTES // (16 * max(1, xn.shape[1])))
    for start in range(0, len(lo), step):
        stop = start + step
        out[start:stop] = exact_cosines(xn[lo[start:stop]], xn[hi[start:stop]])
    return out


def block_rows(n: int, budget_bytes: int = _BLOCK_BYTES) -> int:
    """Rows per block so that a float32 ``rows x n`` block stays within ``budget_bytes``."""
    return max(1, min(max(n, 1), budget_bytes // (4 * max(n, 1))))


def similar_pairs(
    ids: Sequence[str],
    embeddings: np.ndarray,
    theta: float,
    knn_cap: int | None,
    *,
    rows_per_block: int | None = None,
) -> SimilarPairs:
    """Cosine pairs >= theta, optionally capped to k nearest neighbours per node.

    Args:
        ids: Node ids, one per embedding row (any order; pairs come out lower id first).
        embeddings: ``[n, d]`` array.
        theta: Cosine threshold in [0, 1].
        knn_cap: Keep at most this many neighbours per node (``None``: no cap).
        rows_per_block: Rows per score block (default: about 64 MiB of float32 scores).

    Returns:
        The pairs, their weights, the uncapped pair count and the number of zero vectors.
    """
    x = np.asarray(embeddings, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] != len(ids):
        raise ValueError(f"embeddings must be [{len(ids)}, d], got {x.shape}")
    order = sorted(range(len(ids)), key=ids.__getitem__)
    x = x[order]
    sorted_ids = [ids[i] for i in order]
    keep = np.flatnonzero(np.linalg.norm(x, axis=1) > 0)
    zero_vectors = len(ids) - len(keep)
    xn = unit_rows(x[keep])
    n = len(keep)
    if n < 2:
        return SimilarPairs([], [], np.zeros(0), 0, zero_vectors)
    x32 = torch.from_numpy(xn.astype(np.float32))
    step = rows_per_block or block_rows(n)
    picked: list[np.ndarray] = []
    directed = 0
    for start in range(0, n, step):
        stop = min(n, start + step)
        rows = np.arange(start, stop)
        scores = x32[start:stop] @ x32.T
        scores[:, start:stop].fill_diagonal_(-math.inf)  # a node is not its own neighbour
        directed += count_directed(scores, rows, xn, theta)
        if knn_cap is None:
            r, c = _nonzero(scores >= theta - _MARGIN)
        else:
            r, c = top_candidates(scores, theta, knn_cap)
        picked.append(_keep(rows[r], c, xn, theta, knn_cap, n))
    keys = np.unique(np.concatenate(picked))
    lo, hi = keys // n, keys % n
    weight = pair_cosines(xn, lo, hi)
    kept_ids = [sorted_ids[i] for i in keep]
    return SimilarPairs(
        [kept_ids[i] for i in lo], [kept_ids[i] for i in hi], weight, directed // 2, zero_vectors
    )


def _nonzero(mask: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    idx = torch.nonzero(mask).numpy()
    return idx[:, 0], idx[:, 1]


def _exact(xn: np.ndarray, r: np.ndarray, c: np.ndarray) -> np.ndarray:
    return pair_cosines(xn, r, c)


def count_directed(scores: torch.Tensor, rows: np.ndarray, xn: np.ndarray, theta: float) -> int:
    """Entries (i, j != i) of this block with exact cosine >= theta (each pair counts from both ends)."""
    sure = int(torch.count_nonzero(scores >= theta + _MARGIN))
    if int(torch.count_nonzero(scores >= theta - _MARGIN)) == sure:
        return sure  # nothing close enough to theta to need the exact test
    r, c = _nonzero((scores >= theta - _MARGIN) & (scores < theta + _MARGIN))
    return sure + int(np.count_nonzero(passes_theta(_exact(xn, rows[r], c), theta)))


def top_candidates(scores: torch.Tensor, theta: float, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(row, col) entries that could be among a row's k best >= theta once recomputed exactly."""
    n = scores.shape[1]
    width = min(n, 2 * k + 16)
    values, cols = torch.topk(scores, width, dim=1)
    kth = values[:, min(k, n) - 1]
    floor = torch.clamp(kth, min=theta) - _MARGIN
    ok = values >= floor[:, None]
    r, j = _nonzero(ok)
    c = cols.numpy()[r, j]
    # Rows whose near-ties may run past the top-k window: take every entry above the floor.
    spill = np.flatnonzero((values[:, -1] >= floor).numpy()) if width < n else np.zeros(0, dtype=np.int64)
    if len(spill):
        keep = ~np.isin(r, spill)
        r, c = r[keep], c[keep]
        extra_r, extra_c = _nonzero(scores[torch.from_numpy(spill)] >= floor[torch.from_numpy(spill), None])
        r, c = np.concatenate([r, spill[extra_r]]), np.concatenate([c, extra_c])
    return r, c


def _keep(gr: np.ndarray, c: np.ndarray, xn: np.ndarray, theta: float, k: int | None, n: int) -> np.ndarray:
    """Pair keys ``lo * n + hi`` that rows ``gr`` keep among candidates ``c`` (exact float64 test)."""
    gr, c = kept_neighbours(gr, c, xn, theta, k)
    return pair_keys(gr, c, n)


def kept_neighbours(
    gr: np.ndarray, c: np.ndarray, xn: np.ndarray, theta: float, k: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Directed entries (row, neighbour) that rows ``gr`` keep among candidates ``c``: exact float64
    cosine >= theta, then each row's k best (cosine descending, then id ascending)."""
    exact = _exact(xn, gr, c)
    ok = passes_theta(exact, theta)
    gr, c, exact = gr[ok], c[ok], exact[ok]
    if k is not None:
        idx = np.lexsort((c, -exact, gr))  # by row, then cosine desc, then id asc
        gr, c = gr[idx], c[idx]
        rank = np.arange(len(gr)) - np.searchsorted(gr, gr, side="left")
        gr, c = gr[rank < k], c[rank < k]
    return gr, c


def pair_keys(gr: np.ndarray, c: np.ndarray, n: int) -> np.ndarray:
    lo, hi = np.minimum(gr, c), np.maximum(gr, c)
    return lo.astype(np.int64) * n + hi
