"""Time per MISHON training epoch at the paper's TMALL shape, on CPU, full-batch and mini-batch.

The graph is synthetic (random unit features with the shapes, topic-clustered hashtags and
SIMILAR edges) and built in-process with the same pure builder the Neo4j export uses
(:func:`mishon_graph.learn.data.build_graph`); no Neo4j is needed. Compared with the paper's
479 s per epoch on TMALL (Table 11, Tesla T4); the target is 100x that, <= 4.8 s on 2 CPU cores.

Prints one JSON document and a summary line.

Usage:
    python benchmarks/bench_train.py                      # TMALL shape, 2 threads
    python benchmarks/bench_train.py --videos 2000 --epochs 1 --modes full
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from mishon_graph.config import Config
from mishon_graph.learn.data import build_graph, stats
from mishon_graph.learn.synthetic import synthetic_rows
from mishon_graph.learn.trainer import Trainer

PAPER_SECONDS = 479.0
TARGET_SECONDS = PAPER_SECONDS / 100


def _units(spec: str) -> dict[str, tuple[int, int]]:
    out = {}
    for part in spec.split(","):
        name, shape = part.split(":")
        n, d = shape.split("x")
        out[name] = (int(n), int(d))
    return out


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _time_mode(graph, config: Config, minibatch: bool, epochs: int, warmup: int) -> dict[str, Any]:
    trainer = Trainer(graph, config, "mishon", minibatch, torch.device("cpu"))
    for e in range(warmup):
        trainer.train_epoch(e + 1)
    times, cpu = [], []
    for e in range(epochs):
        t0, c0 = time.perf_counter(), time.process_time()
        trainer.train_epoch(warmup + e + 1)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    t0 = time.perf_counter()
    trainer.evaluate(graph.split_index("valid"))
    eval_s = time.perf_counter() - t0
    per_epoch = sum(times) / len(times)
    return {
        "minibatch": minibatch,
        "epoch_seconds": [round(t, 3) for t in times],
        "seconds_per_epoch": round(per_epoch, 3),
        # CPU seconds of this process per epoch: wall time on an idle machine with N threads is
        # about cpu / N; it does not grow when other processes share the cores.
        "cpu_seconds_per_epoch": round(sum(cpu) / len(cpu), 3),
        "validation_seconds": round(eval_s, 3),
        "speedup_vs_paper": round(PAPER_SECONDS / per_epoch, 1),
        "meets_target": per_epoch <= TARGET_SECONDS,
        "peak_rss_mb_so_far": round(_peak_mb(), 1),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=13140)
    parser.add_argument("--users", type=int, default=839)
    parser.add_argument("--hashtags", type=int, default=3354)
    parser.add_argument(
        "--units",
        default="visual:12x768,acoustic:12x768,textual:30x768",
        help="Per modality UNITSxDIM (paper: 12 ViT frames, audio segments, 30 BERT tokens).",
    )
    parser.add_argument("--similar", type=int, default=10, help="SIMILAR edges drawn per video and modality.")
    parser.add_argument("--epochs", type=int, default=2, help="Timed epochs per mode.")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--modes", default="full,mini", help="full and/or mini (neighbour-sampled).")
    parser.add_argument("--dtypes", default="float32,bfloat16", help="Unit feature storage types to time.")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--hidden-dim", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--fanout", type=int, default=10)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    t0 = time.perf_counter()
    units = _units(args.units)
    rows, feats = synthetic_rows(
        args.videos,
        args.users,
        args.hashtags,
        units=units,
        n_topics=50,
        tags_per_video=15,
        similar_per_video=args.similar,
        cold_users=args.users // 10,
        seed=0,
    )
    rows.hashtags = [f"h{i:05d}" for i in range(args.hashtags)]  # the full TMALL vocabulary size
    graph = build_graph(rows, feats, dtype="float32")
    build_s = time.perf_counter() - t0
    print(f"built graph in {build_s:.1f} s: {dict(stats(graph))}", file=sys.stderr)
    doc: dict[str, Any] = {
        "shape": {"videos": args.videos, "users": args.users, "hashtags": args.hashtags, "units": args.units},
        "graph": dict(stats(graph)),
        "threads": args.threads,
        "hidden_dim": args.hidden_dim,
        "depth": 2,
        "batch_size": args.batch_size,
        "fanout": args.fanout,
        "build_seconds": round(build_s, 1),
        "peak_rss_mb_after_build": round(_peak_mb(), 1),
        "paper_seconds_per_epoch": PAPER_SECONDS,
        "target_seconds_per_epoch": TARGET_SECONDS,
        "runs": [],
    }
    with tempfile.TemporaryDirectory() as home:
        for dtype in args.dtypes.split(","):
            for m in graph.modalities:
                graph.data[m].x = graph.data[m].x.to(getattr(torch, dtype))
            config = Config(
                home=Path(home),
                hidden_dim=args.hidden_dim,
                batch_size=args.batch_size,
                fanout=args.fanout,
                device="cpu",
                feature_dtype=dtype,
            )
            feature_mb = sum(
                graph.data[m].x.numel() * graph.data[m].x.element_size() for m in graph.modalities
            )
            for mode in args.modes.split(","):
                r = _time_mode(graph, config, mode == "mini", args.epochs, args.warmup)
                r |= {"dtype": dtype, "mode": mode, "feature_mb": round(feature_mb / 2**20, 1)}
                print(f"  {dtype} {mode}: {r['seconds_per_epoch']} s/epoch", file=sys.stderr)
                doc["runs"].append(r)
    doc["peak_rss_mb"] = round(_peak_mb(), 1)
    text = json.dumps(doc, indent=2)
    print(text)
    if args.json_out:
        args.json_out.write_text(text + "\n")
    parts = [
        f"{r['dtype']}/{r['mode']} {r['seconds_per_epoch']} s ({r['speedup_vs_paper']}x)" for r in doc["runs"]
    ]
    print(
        f"SUMMARY TMALL-shape epoch on {args.threads} CPU threads: "
        + " | ".join(parts)
        + f" | paper {PAPER_SECONDS} s, target {TARGET_SECONDS} s | peak RSS {doc['peak_rss_mb']} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
