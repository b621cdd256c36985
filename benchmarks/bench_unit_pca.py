"""Training to convergence with and without the fixed PCA reduction of unit features (``--unit-pca``).

Same synthetic TMALL-shape graph as ``bench_train.py`` (paper-sized 768-d units by default), trained
full-batch with early stopping (the product's model selection) once per reduction width, side by side
in one process: seconds per epoch, best epoch, best validation F1@5, and each reduced run's ratios
to the unreduced one (time per epoch; F1, where the target is within 1%).

Prints one JSON line per run and a summary line.

Usage:
    python benchmarks/bench_unit_pca.py                          # widths 0 (off) and 64, 2 threads
    python benchmarks/bench_unit_pca.py --dims 0,32,64,128 --videos 4000
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_train import PAPER_SECONDS, synthetic_graph  # noqa: E402

from mishon_graph.config import Config  # noqa: E402
from mishon_graph.learn.train import train_graph  # noqa: E402


def run(graph, dim: int, args: argparse.Namespace, home: Path) -> dict:
    config = Config(
        home=home,
        hidden_dim=args.hidden_dim,
        epochs=args.epochs,
        patience=args.patience,
        device="cpu",
        unit_pca=dim,
    )
    t0 = time.perf_counter()
    res = train_graph(graph, config, out=home / f"pca{dim}.pt", progress=False, minibatch=False)
    per_epoch = [h.seconds for h in res.history]
    return {
        "unit_pca": dim,
        "epochs_run": res.epochs_run,
        "best_epoch": res.best_epoch,
        "best_valid_f1": round(res.best_valid_f1, 4),
        "seconds_per_epoch": round(sum(per_epoch) / len(per_epoch), 3),
        "seconds_total": round(time.perf_counter() - t0, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=13140)
    parser.add_argument("--users", type=int, default=839)
    parser.add_argument("--hashtags", type=int, default=3354)
    parser.add_argument("--units", default="visual:12x768,acoustic:12x768,textual:30x768")
    parser.add_argument("--similar", type=int, default=10)
    parser.add_argument("--dims", default="0,64", help="Reduction widths to train with (0: off).")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--patience", type=int, default=10)
    parser.add_argument("--hidden-dim", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    graph = synthetic_graph(args)
    runs = []
    with tempfile.TemporaryDirectory() as home:
        for dim in (int(d) for d in args.dims.split(",")):
            r = run(graph, dim, args, Path(home))
            runs.append(r)
            print(json.dumps(r), flush=True)
    base = next((r for r in runs if r["unit_pca"] == 0), None)
    parts = []
    for r in runs:
        line = f"pca {r['unit_pca'] or 'off'}: {r['seconds_per_epoch']} s/epoch, F1 {r['best_valid_f1']}"
        if base and r is not base and base["best_valid_f1"] > 0:
            f1 = r["best_valid_f1"] / base["best_valid_f1"]
            speed = base["seconds_per_epoch"] / r["seconds_per_epoch"]
            line += f" (F1 x{f1:.3f}, {speed:.1f}x faster per epoch)"
        parts.append(line)
    print(
        f"SUMMARY unit PCA, {args.videos} videos, units {args.units}, {args.threads} threads: "
        + " | ".join(parts)
        + f" | paper {PAPER_SECONDS} s/epoch, target {PAPER_SECONDS / 100} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
