"""Same-modality SIMILAR edges: exact cosine in row-blocked numpy products (or, for large modalities
with a cap, approximate k-NN with exact weights), written back with UNWIND.

Why not the Neo4j vector index: it is approximate (HNSW), returns a rescaled score ((1 + cos) / 2)
rather than the cosine, needs a k even without a cap, and measured slower at the TMALL shape (see
``benchmarks/bench_graph.py --vector-index``). Exact blocked products find every pair >= theta and
the exact top k, and scale as n^2 * d flops with memory of one ``B x n`` block. Past
``similarity_approx.APPROX_MIN_ROWS`` nodes (``--knn auto``) or with ``--knn approx``, faiss HNSW
proposes the candidates (about n log n), the cosines are still exact, and the recall of the exact
top k on a row sample is reported.
"""

from __future__ import annotations

import time

import numpy as np

from mishon_graph.config import Config
from mishon_graph.constants import ACOUSTIC, MODALITIES, TEXTUAL, VISUAL, one_per_modality
from mishon_graph.db.protocol import Runner
from mishon_graph.errors import MishonError
from mishon_graph.graph.family import FamilyResult, delete_family
from mishon_graph.graph.similarity import SimilarPairs, similar_pairs
from mishon_graph.graph.similarity_approx import approx_similar_pairs, resolve_knn_mode
from mishon_graph.progress import progress_bar

# One file per label: a dynamic label loses the label scan and the id index (constants.one_per_modality).
EMBEDDINGS_QUERIES = one_per_modality(
    {
        VISUAL: "edges/similar_embeddings_visual",
        ACOUSTIC: "edges/similar_embeddings_acoustic",
        TEXTUAL: "edges/similar_embeddings_textual",
    },
    MODALITIES.values(),
)
WRITE_QUERIES = one_per_modality(
    {
        VISUAL: "edges/similar_write_visual",
        ACOUSTIC: "edges/similar_write_acoustic",
        TEXTUAL: "edges/similar_write_textual",
    },
    MODALITIES.values(),
)


def load_embeddings(runner: Runner, label: str) -> tuple[list[str], np.ndarray]:
    """Ids and ``[n, d]`` embeddings of the nodes of one modality label that have an embedding.

    Raises:
        MishonError: when the embeddings of the label do not all have the same length.
    """
    ids: list[str] = []
    vectors: list[list[float]] = []
    for row in runner.stream_file(EMBEDDINGS_QUERIES[label]):
        ids.append(row["id"])
        vectors.append(row["embedding"])
    if not ids:
        return ids, np.zeros((0, 0), dtype=np.float32)
    dims = {len(v) for v in vectors}
    if len(dims) != 1:
        raise MishonError(f"{label} embeddings have mixed lengths {sorted(dims)}: recompute the features")
    return ids, np.asarray(vectors, dtype=np.float32)


def write_pairs(runner: Runner, label: str, pairs: SimilarPairs, batch_rows: int, progress: bool) -> int:
    """Write ``pairs`` as SIMILAR edges between ``label`` nodes in ``UNWIND $rows`` batches."""
    with progress_bar(progress, f"SIMILAR {label}", len(pairs)) as advance:
        return runner.run_file_batched(
            WRITE_QUERIES[label], pairs.rows(), batch_size=batch_rows, on_batch=advance
        )


def compute_pairs(ids: list[str], x: np.ndarray, config: Config) -> SimilarPairs:
    """The SIMILAR pairs of one modality by the k-NN mode ``config.knn_mode`` resolves to for ``len(ids)``."""
    mode = resolve_knn_mode(len(ids), config.knn_mode, config.knn_cap)
    if mode == "approx" and config.knn_cap is not None:
        return approx_similar_pairs(ids, x, config.theta, config.knn_cap, seed=config.seed)
    return similar_pairs(ids, x, config.theta, config.knn_cap)


def build_similar(runner: Runner, config: Config, *, progress: bool = False) -> FamilyResult:
    """Replace every SIMILAR edge: cosine >= ``config.theta``, at most ``config.knn_cap`` neighbours each.

    ``details`` holds, per modality label, ``zero_vectors``, ``knn`` (the mode used) and ``recall``
    (approximate modalities: the sampled recall of the exact top k; ``None`` when exact).
    """
    t0 = time.perf_counter()
    delete_family(runner, "similar", config.batch_rows * 10)
    result = FamilyResult("similar")
    zero: dict[str, int] = {}
    knn: dict[str, str] = {}
    recall: dict[str, float | None] = {}
    for label in MODALITIES.values():
        ids, x = load_embeddings(runner, label)
        if len(ids) < 2:
            result.per_modality[label] = result.before_cap[label] = zero[label] = 0
            knn[label], recall[label] = "exact", None
            continue
        pairs = compute_pairs(ids, x, config)
        result.per_modality[label] = write_pairs(runner, label, pairs, config.batch_rows, progress)
        result.before_cap[label] = pairs.before_cap
        zero[label] = pairs.zero_vectors
        knn[label], recall[label] = pairs.mode, pairs.recall
    result.edges = sum(result.per_modality.values())
    result.details["zero_vectors"] = zero
    result.details["knn"] = knn
    result.details["recall"] = recall
    result.seconds = time.perf_counter() - t0
    return result
