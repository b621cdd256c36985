"""Peak memory of one full-batch eq. 21 training step: dense multi-hot labels vs sparse CSR labels.

Two variants, each in a child process of its own so that its peak RSS (``ru_maxrss``) is its own:

* ``dense``: the former path: a ``[n, |H|]`` float32 multi-hot label matrix and the loss
  ``-(labels * log_softmax(logits)).sum() / n``;
* ``sparse``: :class:`~mishon_graph.learn.labels.SparseLabels` (CSR pairs) and
  :func:`~mishon_graph.learn.model.mishon_loss` (logsumexp per row minus the gathered logits).

The step is the part of a MISHON training step whose memory grows with ``n x |H|``: video vectors
``[n, dim]`` (the concatenated refined modality and user vectors) through the hashtag head
(``Linear(dim, |H|)``), the loss, backward and an Adam update. Labels are random (``--tags`` distinct
hashtags per video, seeded), identical in both variants; the parent checks that both losses agree.
The former export also kept a second copy of the matrix (the whole graph's and the training rows'
slice); the dense variant here holds one, so the ratio is a lower bound.

Prints one JSON document and a summary line.

Usage:
    python benchmarks/bench_loss_memory.py                       # n = 70,000 x |H| = 7,876
    python benchmarks/bench_loss_memory.py --videos 10000 --hashtags 2000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from typing import Any

import psutil
import torch

from mishon_graph.learn.labels import SparseLabels
from mishon_graph.learn.model import mishon_loss

VARIANTS = ("dense", "sparse")


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def random_labels(n: int, hashtags: int, tags: int, seed: int) -> SparseLabels:
    """``tags`` distinct random hashtags per video (fewer where draws collide), as CSR."""
    gen = torch.Generator().manual_seed(seed)
    cols = torch.randint(0, hashtags, (n, tags), generator=gen)
    keys = torch.unique(torch.arange(n).unsqueeze(1) * hashtags + cols)  # sorted: by row, then column
    ptr = torch.zeros(n + 1, dtype=torch.long)
    ptr[1:] = torch.cumsum(torch.bincount(keys // hashtags, minlength=n), 0)
    return SparseLabels(ptr, keys % hashtags, hashtags)


def run_variant(variant: str, n: int, hashtags: int, dim: int, tags: int, seed: int) -> dict[str, Any]:
    """One step of ``variant`` in this process; returns its loss, time and peak RSS (MiB): ``base``
    after imports, ``setup`` with labels, vectors and head built, ``peak`` after the step."""
    base_mib = _peak_mib()
    torch.manual_seed(seed)
    sparse = random_labels(n, hashtags, tags, seed)
    labels: SparseLabels | torch.Tensor = sparse.to_dense() if variant == "dense" else sparse
    del sparse
    h = torch.randn(n, dim)
    head = torch.nn.Linear(dim, hashtags)
    optim = torch.optim.Adam(head.parameters(), lr=1e-3)
    setup_mib = _peak_mib()
    t0 = time.perf_counter()
    logits = head(h)
    if variant == "dense":
        loss = -(labels * torch.log_softmax(logits, dim=-1)).sum() / n
    else:
        loss = mishon_loss(logits, labels)
    optim.zero_grad(set_to_none=True)
    loss.backward()
    optim.step()
    return {
        "variant": variant,
        "loss": float(loss.detach()),
        "seconds": time.perf_counter() - t0,
        "base_mib": base_mib,
        "setup_peak_mib": setup_mib,
        "peak_mib": _peak_mib(),
        "grown_mib": _peak_mib() - base_mib,
    }


# Rough peak growth of a variant, in label-matrix sizes (measured at n = 10,000: 5.0 and 2.1).
_MATRICES = {"dense": 5.5, "sparse": 2.5}


def _available_mib() -> float:
    return psutil.virtual_memory().available / 2**20


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--videos", type=int, default=70_000, help="training videos n")
    p.add_argument("--hashtags", type=int, default=7_876, help="vocabulary |H|")
    p.add_argument("--dim", type=int, default=256, help="width of the video vectors fed to the head")
    p.add_argument("--tags", type=int, default=4, help="hashtags drawn per video")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--variants", default=",".join(VARIANTS))
    p.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.child:
        print(json.dumps(run_variant(a.child, a.videos, a.hashtags, a.dim, a.tags, a.seed)))
        return
    results: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    matrix_mib = a.videos * a.hashtags * 4 / 2**20
    for v in a.variants.split(","):
        need, avail = _MATRICES[v] * matrix_mib + 1024, _available_mib()
        if need > avail:  # never push a shared machine into the OOM killer
            skipped[v] = f"needs about {need:.0f} MiB, {avail:.0f} MiB available"
            continue
        cmd = [sys.executable, __file__, "--child", v] + [
            f"--{k}={getattr(a, k)}" for k in ("videos", "hashtags", "dim", "tags", "seed", "threads")
        ]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        results[v] = json.loads(out.strip().splitlines()[-1])
    doc: dict[str, Any] = {
        "shape": {"videos": a.videos, "hashtags": a.hashtags, "dim": a.dim, "tags": a.tags},
        "matrix_mib": matrix_mib,
        "results": results,
        "skipped": skipped,
    }
    if {"dense", "sparse"} <= results.keys():
        d, s = results["dense"], results["sparse"]
        doc["peak_ratio"] = d["peak_mib"] / s["peak_mib"]
        doc["grown_ratio"] = d["grown_mib"] / s["grown_mib"]
        doc["loss_rel_diff"] = abs(d["loss"] - s["loss"]) / abs(d["loss"])
    print(json.dumps(doc, indent=2))
    line = ", ".join(
        f"{v} peak {r['peak_mib']:.0f} MiB (+{r['grown_mib']:.0f} over imports, {r['seconds']:.2f} s)"
        for v, r in results.items()
    )
    line += "".join(f", {v} skipped ({why})" for v, why in skipped.items())
    if "peak_ratio" in doc:
        line += (
            f"; dense/sparse peak {doc['peak_ratio']:.2f}x, growth {doc['grown_ratio']:.2f}x, "
            f"loss rel diff {doc['loss_rel_diff']:.1e}"
        )
    print(f"n={a.videos} x |H|={a.hashtags}: {line}")


if __name__ == "__main__":
    main()
