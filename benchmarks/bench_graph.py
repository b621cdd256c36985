"""Time each MISHON edge family at the paper's TMALL shape and multiples of it.

Synthetic data (topic-skewed hashtag sets, clustered 64-d embeddings) is seeded straight into
Neo4j; each family is rebuilt on its own and timed; the Cypher Jaccard is compared, in the same
run and on the same data, with an in-memory scipy.sparse Jaccard (same pairs and weights are
checked too). Optionally (``--vector-index``) the Neo4j vector index is timed against the exact
blocked products used for SIMILAR edges, with its recall of the exact top-k.

Prints one JSON document and a summary line; growth exponents log(t2/t1)/log(s2/s1) between sizes.

Usage:
    python benchmarks/bench_graph.py --sizes 1,10
    python benchmarks/bench_graph.py --sizes 1 --vector-index --neo4j-uri bolt://127.0.0.1:7687

The database is the benchmark's own and is emptied: a throwaway local Neo4j, or a server set aside with
``--neo4j-uri`` / ``MISHON_TEST_NEO4J_URI`` that is empty or was claimed by a test or benchmark run
before (``NEO4J_URI`` is never used; see ``mishon_graph/testing/neo4j.py``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from mishon_graph.config import Config
from mishon_graph.constants import TRAIN, VISUAL
from mishon_graph.db import scratch
from mishon_graph.db.runner import Runner
from mishon_graph.db.schema import apply_schema
from mishon_graph.graph.build import FAMILIES, build_graph
from mishon_graph.graph.family import delete_family
from mishon_graph.graph.similarity import similar_pairs
from mishon_graph.testing.graphs import TMALL_SHAPE, synthetic_graph
from mishon_graph.testing.neo4j import add_server_options, benchmark_database
from mishon_graph.testing.seed import seed_graph
from mishon_graph.testing.sparse_jaccard import sparse_jaccard_edges
from mishon_graph.testing.stored import stored_jaccard_edges


def _timed(fn: Any, *a: Any, **kw: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn(*a, **kw)
    return out, time.perf_counter() - t0


def _jaccard_reference(runner: Runner, graph: Any, gamma: float, cypher_edges: dict) -> dict[str, Any]:
    """scipy.sparse Jaccard on the same data: in memory, and with the pairs read from Neo4j."""
    pairs = {(v.user_id, t) for v in graph.videos if v.split == TRAIN for t in v.hashtags}  # No leakage
    ref, compute_s = _timed(sparse_jaccard_edges, pairs, gamma)

    def end_to_end() -> dict:
        rows = runner.run_file("graph/user_training_hashtags", {"train": TRAIN})
        return sparse_jaccard_edges(((r["user"], r["hashtag"]) for r in rows), gamma)

    ref2, e2e_s = _timed(end_to_end)
    same = set(ref) == set(cypher_edges) == set(ref2)
    diff = max((abs(ref[k] - cypher_edges[k]) for k in ref), default=0.0) if same else None
    return {
        "scipy_compute_s": compute_s,
        "scipy_read_and_compute_s": e2e_s,
        "same_pairs": same,
        "max_weight_diff": diff,
        "pairs": len(ref),
    }


def _vector_index(runner: Runner, graph: Any, theta: float, k: int) -> dict[str, Any]:
    """Neo4j vector index (HNSW) top-k for every Visual node vs exact blocked products."""
    vectors = graph.embeddings[VISUAL]
    ids = sorted(vectors)
    x = np.asarray([vectors[i] for i in ids], dtype=np.float32)
    exact, exact_s = _timed(similar_pairs, ids, x, theta, k)
    t0 = time.perf_counter()
    runner.run_file("testing/bench_vector_index_drop", write=True)
    runner.run_file("testing/bench_vector_index_create", {"dim": int(x.shape[1])}, write=True)
    runner.run_file("testing/bench_await_indexes", {"seconds": 600})
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    found: set[tuple[str, str]] = set()
    for start in range(0, len(ids), 500):
        rows = runner.run_file("testing/bench_vector_query", {"ids": ids[start : start + 500], "k": k + 1})
        per: dict[str, list] = {}
        for r in rows:
            if r["cosine"] >= theta:
                per.setdefault(r["id"], []).append((-r["cosine"], r["other"]))
        for a, cands in per.items():
            for _, b in sorted(cands)[:k]:
                found.add((a, b) if a < b else (b, a))
    query_s = time.perf_counter() - t0
    runner.run_file("testing/bench_vector_index_drop", write=True)
    truth = set(zip(exact.a, exact.b, strict=True))
    recall = len(truth & found) / len(truth) if truth else 1.0
    return {
        "nodes": len(ids),
        "exact_numpy_s": exact_s,
        "vector_index_build_s": build_s,
        "vector_index_query_s": query_s,
        "vector_index_recall_of_exact_edges": recall,
    }


def bench_size(runner: Runner, scale: int, args: argparse.Namespace) -> dict[str, Any]:
    """Seed one synthetic graph of ``scale`` x TMALL and time every family on it."""
    shape = {k: v * scale for k, v in TMALL_SHAPE.items()}
    graph, gen_s = _timed(synthetic_graph, shape["users"], shape["videos"], shape["hashtags"], seed=scale)
    if not {"uses", "similar"} & set(args.families):
        graph.embeddings = {}  # no family timed needs modality nodes
    _clear(runner)
    _, seed_s = _timed(seed_graph, runner, graph)
    config = Config(
        home=Path(tempfile.gettempdir()),
        theta=args.theta,
        gamma=args.gamma,
        alpha=args.alpha,
        knn_cap=None if args.top_k == 0 else args.top_k,
    )
    out: dict[str, Any] = {"scale": scale, **shape, "generate_s": gen_s, "seed_s": seed_s, "families": {}}
    for family in args.families:
        report = build_graph(runner, config, families=[family], progress=False)
        r = report.families[family]
        out["families"][family] = {
            "seconds": r.seconds,
            "edges": r.edges,
            "per_modality": r.per_modality,
            "before_cap": r.before_cap,
        }
        print(f"  x{scale} {family}: {r.edges} edges in {r.seconds:.2f} s", file=sys.stderr)
    if "jaccard" not in args.families:
        return out
    jac = _jaccard_reference(runner, graph, args.gamma, stored_jaccard_edges(runner))
    jac["cypher_s"] = out["families"]["jaccard"]["seconds"]
    jac["cypher_over_scipy_read_and_compute"] = jac["cypher_s"] / jac["scipy_read_and_compute_s"]
    jac["cypher_over_scipy_compute"] = jac["cypher_s"] / jac["scipy_compute_s"]
    out["jaccard_vs_scipy"] = jac
    if args.vector_index and scale == args.sizes[0]:
        out["vector_index"] = _vector_index(runner, graph, args.theta, config.knn_cap or 10)
    return out


def _clear(runner: Runner) -> None:
    """Empty the benchmark's database: edge families first (batched), so no wipe transaction grows too
    large. Refused on a database the harness did not claim."""
    if not scratch.is_claimed(runner):
        raise scratch.ForeignDatabaseError(f"refusing to empty {runner!r}: not claimed by a benchmark")
    for name in ("jaccard", "popular", "uses", "similar"):
        delete_family(runner, name, 10000)
    scratch.scratch_wipe(runner, batch=1000)


def growth(results: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Exponent b of t ~ size^b for each family between consecutive sizes."""
    out: dict[str, dict[str, float]] = {}
    for small, big in zip(results, results[1:], strict=False):
        key = f"x{small['scale']}->x{big['scale']}"
        ratio = math.log(big["scale"] / small["scale"])
        out[key] = {
            f: round(math.log(big["families"][f]["seconds"] / small["families"][f]["seconds"]) / ratio, 3)
            for f in small["families"]
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10", help="Multiples of the TMALL shape, e.g. 1,10.")
    add_server_options(parser)
    parser.add_argument("--theta", type=float, default=0.5)
    parser.add_argument("--gamma", type=float, default=0.5)
    parser.add_argument("--alpha", type=float, default=0.1)
    parser.add_argument("--top-k", type=int, default=10, help="k-NN cap (0: no cap).")
    parser.add_argument("--families", default=",".join(FAMILIES), help="Families to time.")
    parser.add_argument("--vector-index", action="store_true", help="Also time the Neo4j vector index.")
    parser.add_argument("--json-out", type=Path, help="Also write the JSON here.")
    args = parser.parse_args(argv)
    args.sizes = [int(s) for s in args.sizes.split(",")]
    args.families = [f for f in FAMILIES if f in args.families.split(",")]
    with benchmark_database(args) as (_, runner):
        apply_schema(runner)
        results = []
        for scale in args.sizes:
            results.append(bench_size(runner, scale, args))
            print(json.dumps(results[-1], default=float), file=sys.stderr)  # kept even if a later size fails
        _clear(runner)
    doc = {"benchmark": "graph", "results": results, "growth_exponents": growth(results)}
    text = json.dumps(doc, indent=2, default=float)
    print(text)
    if args.json_out:
        args.json_out.write_text(text + "\n")
    parts = []
    for r in results:
        fam = " ".join(f"{f}={v['seconds']:.1f}s" for f, v in r["families"].items())
        jac = r.get("jaccard_vs_scipy", {"cypher_over_scipy_read_and_compute": math.nan, "same_pairs": None})
        parts.append(
            f"x{r['scale']}: {fam} jaccard/scipy(read+compute)="
            f"{jac['cypher_over_scipy_read_and_compute']:.1f}x"
            f" same_pairs={jac['same_pairs']}"
        )
    print("SUMMARY " + " | ".join(parts) + f" | growth {doc['growth_exponents']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
