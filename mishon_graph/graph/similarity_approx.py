"""Same-modality cosine edges by approximate k-NN (faiss HNSW), and their recall of the exact edges.

Rule: the same as :func:`mishon_graph.graph.similarity.similar_pairs` with a cap k (zero vectors
get no edges; each node keeps its k best candidates with cosine >= theta, cosine descending then id
ascending; a pair is an edge when either endpoint keeps the other). Only the candidate search is
approximate: an HNSW graph over the L2-normalised float32 vectors (inner product = cosine) proposes
each node's ``k + extra`` nearest neighbours; their cosines are then recomputed exactly in float64,
tested against theta and ranked exactly as the exact path does, so every returned pair is >= theta
and every weight is the true cosine. What can differ from the exact result is a missed neighbour
(the candidate list lacked it), which the recall sample measures. Exact ties wider than the
candidate list (many identical vectors) are broken by id among the candidates found, not among all
tied nodes; that too shows as recall below 1.

Recall and ``before_cap``: ``sample`` random rows (seeded) get their exact k best by blocked
products over all n (the exact path's own selection code); recall is the share of those directed
entries (row keeps neighbour) that the approximate search kept for the same rows. The exact path
counts every pair >= theta; here that count is estimated from the same rows (directed entries >=
theta per sampled row, times n / 2), exact when the sample is every row.

Search breadth: the sampled rows' exact k best are computed first; their approximate search starts at
``efSearch`` 64 and doubles (up to 1024) until their recall reaches :data:`RECALL_TARGET`, then every
row is searched at that breadth (a row's kept neighbours depend on its own candidates only, so the
sampled rows get the same result in both searches). Data whose neighbourhoods are crowded (many
near-identical vectors) thus costs more search time instead of losing edges.

Scaling: HNSW build and search grow as about n log n * d (M links per node: memory n * (d + 2M)
floats); the exact path's n^2 * d is avoided. The sample costs ``sample * n * d``.
When faiss reports GPUs, the candidates come from a brute-force GPU index instead (exact top-k in
float32, same refinement).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from mishon_graph.graph.similarity import (
    SimilarPairs,
    block_rows,
    count_directed,
    kept_neighbours,
    pair_cosines,
    pair_keys,
    top_candidates,
    unit_rows,
)

# Smallest modality (nodes with an embedding) for which ``auto`` picks the approximate path. Chosen by
# measurement (benchmarks/bench_similar.py style data: clustered unit vectors, theta 0.5, k 10, one
# thread of the 2-core development machine): exact vs approx seconds were, at d = 128, 1.2 vs 1.4
# (10k), 4.8 vs 3.7 (20k), 19.6 vs 8.4 (40k); at d = 384, 2.0 vs 3.6 (10k), 8.1 vs 7.9 (20k). Approx
# overtakes exact between 10k and 20k rows, at 20k for the widest embeddings; below that exact is
# as fast or faster and has no recall loss.
APPROX_MIN_ROWS = 20_000
HNSW_M = 32  # links per node
HNSW_EF_CONSTRUCTION = 40
HNSW_EF_SEARCH = 64  # first search breadth; doubled while the sampled recall is under the target
RECALL_TARGET = 0.97
EF_SEARCH_MAX = 1024
EXTRA = 10  # candidates beyond k per query, so a near-tie just past the k-th is still seen
RECALL_SAMPLE = 500
_GATHER_BYTES = 32 * 1024 * 1024  # float64 rows gathered at once to recompute candidate cosines


def resolve_knn_mode(n: int, mode: str, knn_cap: int | None) -> str:
    """``exact`` or ``approx`` for ``n`` nodes: ``auto`` is approx from :data:`APPROX_MIN_ROWS` nodes up,
    and never without a cap (every pair >= theta is what the exact path is for).

    Raises:
        ValueError: for an unknown mode, or ``approx`` without a cap.
    """
    if mode not in ("auto", "exact", "approx"):
        raise ValueError(f"unknown k-NN mode {mode!r}")
    if mode == "approx" and knn_cap is None:
        raise ValueError("approximate k-NN needs a cap")
    if mode == "auto":
        return "approx" if knn_cap is not None and n >= APPROX_MIN_ROWS else "exact"
    return mode


def approx_similar_pairs(
    ids: Sequence[str],
    embeddings: np.ndarray,
    theta: float,
    knn_cap: int,
    *,
    sample: int = RECALL_SAMPLE,
    seed: int = 0,
    ef_search: int = HNSW_EF_SEARCH,
) -> SimilarPairs:
    """Cosine pairs >= theta, each node keeping its ``knn_cap`` best found by approximate k-NN.

    Args:
        ids: Node ids, one per embedding row (any order; pairs come out lower id first).
        embeddings: ``[n, d]`` array.
        theta: Cosine threshold in [0, 1].
        knn_cap: Keep at most this many neighbours per node (a cap is required).
        sample: Rows whose exact k best are computed to measure recall and estimate ``before_cap``
            (0: no recall, ``before_cap`` is then the count of found pairs >= theta).
        seed: Seed of the sampled rows.
        ef_search: HNSW search breadth (at least ``knn_cap + EXTRA + 1`` is used).

    Returns:
        The pairs with exact weights, ``mode="approx"``, the sampled ``recall`` and ``before_cap``
        (estimated unless the sample covers every row: ``before_cap_estimated``).
    """
    if knn_cap is None or knn_cap < 1:
        raise ValueError("approximate k-NN needs a cap >= 1")
    x = np.asarray(embeddings)
    if x.ndim != 2 or x.shape[0] != len(ids):
        raise ValueError(f"embeddings must be [{len(ids)}, d], got {x.shape}")
    order = sorted(range(len(ids)), key=ids.__getitem__)
    sorted_ids = [ids[i] for i in order]
    # Same float64 unit rows as the exact path (float32 -> float64 is exact), without its extra copies.
    xs = x[order]
    keep = np.flatnonzero(np.linalg.norm(np.asarray(xs, dtype=np.float64), axis=1) > 0)
    zero_vectors = len(ids) - len(keep)
    xn = unit_rows(xs[keep])
    del xs
    n = len(keep)
    if n < 2:
        return SimilarPairs([], [], np.zeros(0), 0, zero_vectors, mode="approx", recall=1.0)
    width = min(n, knn_cap + EXTRA + 1)  # + 1: a node finds itself
    rows = _sample_rows(n, sample, seed)
    truth, directed = _sample_truth(xn, rows, theta, knn_cap) if len(rows) else (None, 0)
    index, ef = _index(xn, width, max(ef_search, width))
    while truth is not None and ef < EF_SEARCH_MAX and hasattr(index, "hnsw"):
        gr, c = _search(index, xn, rows, width, theta, knn_cap)
        if _recall(truth, rows, gr, c, n) >= RECALL_TARGET:
            break
        ef = min(2 * ef, EF_SEARCH_MAX)
        index.hnsw.efSearch = ef
    gr, c = _search(index, xn, np.arange(n), width, theta, knn_cap)
    keys = np.unique(pair_keys(gr, c, n))
    lo, hi = keys // n, keys % n
    weight = pair_cosines(xn, lo, hi)
    if truth is not None:
        recall, before_cap = _recall(truth, rows, gr, c, n), round(directed * n / len(rows) / 2)
    else:
        recall, before_cap = None, len(keys)
    kept_ids = [sorted_ids[i] for i in keep]
    return SimilarPairs(
        [kept_ids[i] for i in lo],
        [kept_ids[i] for i in hi],
        weight,
        before_cap,
        zero_vectors,
        mode="approx",
        recall=recall,
        before_cap_estimated=len(rows) < n,
    )


def _step(width: int, d: int) -> int:
    return max(1, _GATHER_BYTES // (8 * width * d))  # the exact recomputation gathers rows * width * d


def _index(xn: np.ndarray, width: int, ef_search: int):
    """An inner-product index over the rows of ``xn`` (HNSW; a brute-force GPU index when faiss sees
    GPUs) and its search breadth."""
    import faiss  # lazy: importing the package stays cheap

    d = xn.shape[1]
    if faiss.get_num_gpus() > 0:
        index = faiss.index_cpu_to_all_gpus(faiss.IndexFlatIP(d))
    else:
        index = faiss.IndexHNSWFlat(d, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = ef_search
    # Every row in one insertion: faiss HNSW fed chunk by chunk builds a worse graph. Measured on the
    # 10x synthetic visual embeddings (131,400 x 64, crowded topics): sampled recall at efSearch 64 was
    # 0.90 with 3,120-row chunks against 0.99 in one call, so the chunked index needed efSearch 512 and
    # 7x the search time for the same recall. The float32 copy is half the float64 rows already held.
    index.add(np.ascontiguousarray(xn, dtype=np.float32))
    return index, ef_search


def _search(
    index, xn: np.ndarray, queries: np.ndarray, width: int, theta: float, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Directed entries (row, neighbour) each row of ``queries`` keeps among its ``width`` nearest."""
    step = _step(width, xn.shape[1])
    rows: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    cols: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    for start in range(0, len(queries), step):
        block = queries[start : start + step]
        _, found = index.search(np.ascontiguousarray(xn[block], dtype=np.float32), width)
        r = np.repeat(block, width)
        f = found.reshape(-1)
        ok = (f >= 0) & (f != r)  # -1: fewer than width found; a node is not its own neighbour
        r, f = kept_neighbours(r[ok], f[ok], xn, theta, k)  # a row's candidates all lie in this chunk
        rows.append(r)
        cols.append(f)
    return np.concatenate(rows), np.concatenate(cols)


def _sample_rows(n: int, sample: int, seed: int) -> np.ndarray:
    if sample <= 0:
        return np.zeros(0, dtype=np.int64)
    if sample >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=sample, replace=False))


def _sample_truth(xn: np.ndarray, rows: np.ndarray, theta: float, k: int) -> tuple[np.ndarray, int]:
    """The sampled rows' exact k best as ``row * n + neighbour`` keys, and their directed entries
    >= theta (for the ``before_cap`` estimate)."""
    n = len(xn)
    x32 = torch.from_numpy(xn.astype(np.float32))
    step = block_rows(n)
    truth: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    directed = 0
    for start in range(0, len(rows), step):
        block = rows[start : start + step]
        scores = x32[torch.from_numpy(block)] @ x32.T
        scores[torch.arange(len(block)), torch.from_numpy(block)] = -math.inf  # not its own neighbour
        directed += count_directed(scores, block, xn, theta)
        r, cc = top_candidates(scores, theta, k)
        er, ec = kept_neighbours(block[r], cc, xn, theta, k)
        truth.append(er.astype(np.int64) * n + ec)
    return np.concatenate(truth), directed


def _recall(exact: np.ndarray, rows: np.ndarray, gr: np.ndarray, c: np.ndarray, n: int) -> float:
    """Share of the sampled rows' exact entries ``exact`` that ``(gr, c)`` kept too."""
    if not len(exact):
        return 1.0
    mine = np.isin(gr, rows)
    found = gr[mine].astype(np.int64) * n + c[mine]
    return float(np.isin(exact, found).mean())
