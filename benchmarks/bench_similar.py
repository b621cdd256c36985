"""SIMILAR edges alone (no Neo4j): exact blocked products vs approximate k-NN (faiss HNSW) by size.

Data: seeded clustered unit vectors (``--dim`` wide, about ``--per-cluster`` vectors around each
random centre, cluster sizes drawn power-law so that some clusters are large; cosine within a
cluster about 0.67, across clusters about 0), the shape of modality embeddings at theta 0.5.

Each (size, mode) runs in a child process of its own, so its peak RSS (``ru_maxrss``) is its own;
time covers :func:`~mishon_graph.graph.similarity.similar_pairs` or
:func:`~mishon_graph.graph.similarity_approx.approx_similar_pairs` (index build, search, exact
refinement and the 500-row recall sample that ``graph build`` also runs), not data generation.
Exact runs only up to ``--exact-max`` vectors (n^2 * d). Recall of an approximate run: the share of
the exact edges it found, where exact ran at that size; else (and always, as ``sampled_recall``)
the recall of the exact top k of sampled rows, computed by brute force for those rows only.

Prints one JSON line per run and a summary line with the growth exponent of approximate time
between consecutive sizes, log(t2/t1) / log(n2/n1) (exact all-pairs is about 2).

Usage:
    OMP_NUM_THREADS=1 python benchmarks/bench_similar.py --sizes 13000,130000
    python benchmarks/bench_similar.py --sizes 130000,1300000 --exact-max 130000   # 1.3M: ~2 GiB of
        vectors at d = 384 plus the index; checked against free memory first
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil

MODES = ("exact", "approx")


def clustered_unit_vectors(n: int, d: int, seed: int, per_cluster: int = 50) -> np.ndarray:
    """``[n, d]`` float32 unit vectors around ``n // per_cluster`` random unit centres (seeded)."""
    rng = np.random.default_rng(seed)
    k = max(1, n // per_cluster)
    centres = rng.normal(size=(k, d)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    weights = rng.pareto(1.5, size=k) + 1.0
    labels = rng.choice(k, size=n, p=weights / weights.sum())
    x = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, 65536):  # chunks: no float64 [n, d] temporary
        stop = min(n, start + 65536)
        noise = rng.normal(scale=0.7 / math.sqrt(d), size=(stop - start, d)).astype(np.float32)
        x[start:stop] = centres[labels[start:stop]] + noise
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def run_child(mode: str, n: int, a: argparse.Namespace, out: Path) -> dict[str, Any]:
    """One run in this process; the pairs go to ``out`` (index arrays) for the parent's comparison."""
    from mishon_graph.graph.similarity import similar_pairs
    from mishon_graph.graph.similarity_approx import approx_similar_pairs

    x = clustered_unit_vectors(n, a.dim, a.seed)
    ids = [f"v{i:08d}" for i in range(n)]  # sorted as numbered, so pairs map back by int()
    base = _peak_mib()
    t0 = time.perf_counter()
    if mode == "exact":
        pairs = similar_pairs(ids, x, a.theta, a.top_k)
    else:
        pairs = approx_similar_pairs(ids, x, a.theta, a.top_k, sample=a.sample, seed=a.seed)
    seconds = time.perf_counter() - t0
    lo = np.fromiter((int(s[1:]) for s in pairs.a), dtype=np.int64, count=len(pairs))
    hi = np.fromiter((int(s[1:]) for s in pairs.b), dtype=np.int64, count=len(pairs))
    np.save(out, lo * n + hi)
    return {
        "n": n,
        "d": a.dim,
        "mode": mode,
        "seconds": round(seconds, 3),
        "peak_rss_mib": round(_peak_mib(), 1),
        "data_rss_mib": round(base, 1),
        "edges": len(pairs),
        "before_cap": pairs.before_cap,
        "before_cap_estimated": pairs.before_cap_estimated,
        "sampled_recall": pairs.recall,
    }


def _available_mib() -> float:
    return psutil.virtual_memory().available / 2**20


def _need_mib(mode: str, n: int, d: int) -> float:
    """Rough peak: float32 data + float64 unit rows (+ sorted float64 copies for exact) + index."""
    per_row = d * (4 + 8 + (16 if mode == "exact" else 4 + 4)) + 300  # + ids, links, candidates
    return n * per_row / 2**20 + 600


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="13000,130000", help="Vector counts, e.g. 13000,130000[,1300000].")
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--theta", type=float, default=0.5)
    p.add_argument("--top-k", type=int, default=10)
    p.add_argument("--modes", default=",".join(MODES))
    p.add_argument("--exact-max", type=int, default=130_000, help="Largest n with an exact all-pairs run.")
    p.add_argument("--sample", type=int, default=500, help="Rows of the sampled recall.")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json-out", type=Path, help="Also append the JSON lines here.")
    p.add_argument("--child", nargs=3, metavar=("MODE", "N", "OUT"), help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        print(json.dumps(run_child(a.child[0], int(a.child[1]), a, Path(a.child[2]))))
        return 0
    sizes = [int(s) for s in a.sizes.split(",")]
    modes = [m for m in MODES if m in a.modes.split(",")]
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            keys: dict[str, np.ndarray] = {}
            seconds: dict[str, float] = {}
            for mode in modes:
                if mode == "exact" and n > a.exact_max:
                    continue
                need, avail = _need_mib(mode, n, a.dim), _available_mib()
                if need > avail:  # never push a shared machine into the OOM killer
                    why = f"needs about {need:.0f} MiB, {avail:.0f} MiB available"
                    print(json.dumps({"n": n, "d": a.dim, "mode": mode, "skipped": why}), flush=True)
                    continue
                out = Path(tmp) / f"{mode}-{n}.npy"
                opts = ("dim", "theta", "top_k", "sample", "seed")
                cmd = [sys.executable, __file__, "--child", mode, str(n), str(out)]
                cmd += [f"--{k.replace('_', '-')}={getattr(a, k)}" for k in opts]
                done = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
                r = json.loads(done.strip().splitlines()[-1])
                keys[mode], seconds[mode] = np.load(out), r["seconds"]
                if mode == "approx" and "exact" in keys:
                    truth = keys["exact"]
                    r["recall_vs_exact"] = float(np.isin(truth, keys["approx"]).mean()) if len(truth) else 1.0
                    r["speedup_vs_exact"] = round(seconds["exact"] / r["seconds"], 2)
                results.append(r)
                print(json.dumps(r), flush=True)
                if a.json_out:
                    with a.json_out.open("a") as f:
                        f.write(json.dumps(r) + "\n")
    print(summary(results))
    return 0


def summary(results: list[dict[str, Any]]) -> str:
    """One line: seconds per run and the growth exponents of approximate (and exact) time."""
    parts = [f"n={r['n']} {r['mode']} {r['seconds']:.1f}s" for r in results]
    for mode in MODES:
        runs = [r for r in results if r["mode"] == mode]
        for small, big in zip(runs, runs[1:], strict=False):
            b = math.log(big["seconds"] / small["seconds"]) / math.log(big["n"] / small["n"])
            parts.append(f"{mode} growth {small['n']}->{big['n']}: n^{b:.2f}")
    recalls = [r.get("recall_vs_exact", r["sampled_recall"]) for r in results if r["mode"] == "approx"]
    if recalls:
        parts.append(f"approx recall min {min(recalls):.4f}")
    return "summary: " + "; ".join(parts)


if __name__ == "__main__":
    sys.exit(main())
