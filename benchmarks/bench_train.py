"""Time and peak memory per MISHON training epoch at the paper's TMALL shape (CPU, or CUDA with --device).

Three modes, each in a child process of its own so that its peak memory is its own:

* ``full``: full-batch, unit features in RAM;
* ``mini-ram``: neighbour-sampled mini-batches, unit features in RAM (the old mini-batch path);
* ``mini``: neighbour-sampled mini-batches, unit features memory-mapped from the on-disk cache
  (:mod:`mishon_graph.learn.feature_cache`), each batch reading only its seeds' rows: the other
  sampled videos enter with pooled vectors from the epoch's start (``minibatch_history``, the default);
* ``mini-exact``: as ``mini``, but every batch pools every sampled video (``minibatch_history=False``).

The validation F1@5 after the timed epochs is recorded per mode (few epochs: a sanity check that the
modes learn alike, not a converged figure).

Memory is reported as the peak ``ru_maxrss`` of the child and as peaks of anonymous (``RssAnon``)
and file-backed (``RssFile``) resident memory, sampled from ``/proc/self/status`` every 5 ms, for
the graph build and for training separately. File-backed pages of a memory map count in RSS but are
clean and dropped by the kernel under memory pressure; anonymous memory is what must fit.

The graph is synthetic (random unit features with the shapes, topic-clustered hashtags and
SIMILAR edges) and built in-process with the same pure builder the Neo4j export uses
(:func:`mishon_graph.learn.data.build_graph`); no Neo4j is needed. Compared with the paper's
479 s per epoch on TMALL (Table 11, Tesla T4); the target is 100x that, <= 4.8 s on 2 CPU cores.

Prints one JSON document and a summary line.

Usage:
    python benchmarks/bench_train.py                      # TMALL shape, 2 threads
    python benchmarks/bench_train.py --videos 2000 --epochs 1 --modes full,mini
    python benchmarks/bench_train.py --dtypes float32 --modes full,mini-ram,mini --batch-size 256 --fanout 2
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import torch

from mishon_graph.config import Config
from mishon_graph.learn.data import build_graph, stats
from mishon_graph.learn.trainer import Trainer, choose_device
from mishon_graph.testing.learn_rows import synthetic_rows

PAPER_SECONDS = 479.0
TARGET_SECONDS = PAPER_SECONDS / 100


def _units(spec: str) -> dict[str, tuple[int, int]]:
    out = {}
    for part in spec.split(","):
        name, shape = part.split(":")
        n, d = shape.split("x")
        out[name] = (int(n), int(d))
    return out


MODES = ("full", "mini-ram", "mini", "mini-exact")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _resident_mb() -> tuple[float, float]:
    """Current anonymous and file-backed resident memory of this process, in MiB."""
    out = {"RssAnon:": 0.0, "RssFile:": 0.0}
    with open("/proc/self/status") as f:
        for line in f:
            parts = line.split()
            if parts and parts[0] in out:
                out[parts[0]] = int(parts[1]) / 1024
    return out["RssAnon:"], out["RssFile:"]


class ResidentPeak:
    """Peaks of ``RssAnon`` and ``RssFile`` sampled every 5 ms by a thread, per phase."""

    def __init__(self) -> None:
        self.anon = self.file = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            time.sleep(0.005)

    def sample(self) -> None:
        anon, file = _resident_mb()
        self.anon, self.file = max(self.anon, anon), max(self.file, file)

    def take(self) -> tuple[float, float]:
        """The peaks since the last call (then starts a new phase)."""
        self.sample()
        out = (round(self.anon, 1), round(self.file, 1))
        self.anon = self.file = 0.0
        return out

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _sync(device: torch.device) -> None:
    """Wait for queued CUDA work, so a wall-clock reading covers it (no-op on CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _time_mode(graph, config: Config, minibatch: bool, epochs: int, warmup: int) -> dict[str, Any]:
    device = choose_device(config)
    trainer = Trainer(graph, config, "mishon", minibatch, device)
    for e in range(warmup):
        trainer.train_epoch(e + 1)
    _sync(device)
    times, cpu = [], []
    for e in range(epochs):
        t0, c0 = time.perf_counter(), time.process_time()
        trainer.train_epoch(warmup + e + 1)
        _sync(device)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    t0 = time.perf_counter()
    _, _, valid_f1 = trainer.evaluate(graph.split_index("valid"))
    _sync(device)
    eval_s = time.perf_counter() - t0
    per_epoch = sum(times) / len(times)
    cuda = device.type == "cuda"
    out: dict[str, Any] = {
        "device": str(device),
        "gpu": torch.cuda.get_device_name(device) if cuda else None,
        "peak_cuda_mb": round(torch.cuda.max_memory_allocated(device) / 2**20, 1) if cuda else None,
        "minibatch": minibatch,
        "epoch_seconds": [round(t, 3) for t in times],
        "seconds_per_epoch": round(per_epoch, 3),
        # CPU seconds of this process per epoch: wall time on an idle machine with N threads is
        # about cpu / N; it does not grow when other processes share the cores.
        "cpu_seconds_per_epoch": round(sum(cpu) / len(cpu), 3),
        "validation_seconds": round(eval_s, 3),
        "valid_f1_after_timed_epochs": round(valid_f1, 4),
        "minibatch_history": trainer.use_history,
        "speedup_vs_paper": round(PAPER_SECONDS / per_epoch, 1),
        "meets_target": per_epoch <= TARGET_SECONDS,
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    if minibatch:
        gen = torch.Generator().manual_seed(0)
        seeds = trainer.train_rows[torch.randperm(trainer.train_rows.numel(), generator=gen)]
        # With historical embeddings a batch reads its seeds' units only (the whole graph's edges);
        # without, every video of its sampled neighbourhood.
        read = seeds[: config.batch_size] if trainer.use_history else \
            trainer.sampler.sample(seeds[: config.batch_size], gen)[0]
        row_bytes = sum(graph.data[m].x[0].numel() * graph.data[m].x.element_size() for m in graph.modalities)
        out["videos_read_per_batch"] = int(read.numel())
        out["batch_feature_mb"] = round(read.numel() * row_bytes / 2**20, 1)
    return out


def synthetic_graph(args: argparse.Namespace, *, dtype: str = "float32", cache: Path | None = None):
    """The synthetic TMALL-shape graph of ``args`` (videos, users, hashtags, units, similar)."""
    rows, feats = synthetic_rows(
        args.videos,
        args.users,
        args.hashtags,
        units=_units(args.units),
        n_topics=50,
        tags_per_video=15,
        similar_per_video=args.similar,
        cold_users=args.users // 10,
        seed=0,
    )
    # Padded to the full TMALL vocabulary size (the generator's tags are words: no "h..." name clashes).
    rows.hashtags += [f"h{i:05d}" for i in range(args.hashtags - len(rows.hashtags))]
    return build_graph(rows, feats, dtype=dtype, cache_dir=cache)


def _child(args: argparse.Namespace) -> dict[str, Any]:
    """One (dtype, mode) run: build the graph, train, report time and memory."""
    torch.set_num_threads(args.threads)
    peak = ResidentPeak()
    t0 = time.perf_counter()
    mode, dtype = args.modes, args.dtypes
    cache = Path(args.cache_dir) if mode in ("mini", "mini-exact") else None
    graph = synthetic_graph(args, dtype=dtype, cache=cache)
    build_s = time.perf_counter() - t0
    build_anon, build_file = peak.take()
    config = Config(
        home=Path(args.cache_dir),
        hidden_dim=args.hidden_dim,
        batch_size=args.batch_size,
        fanout=args.fanout,
        device=args.device,
        feature_dtype=dtype,
        minibatch_history=mode != "mini-exact",
        unit_pca=args.unit_pca,
    )
    r = _time_mode(graph, config, mode != "full", args.epochs, args.warmup)
    train_anon, train_file = peak.take()
    peak.stop()
    feature_bytes = sum(graph.data[m].x.numel() * graph.data[m].x.element_size() for m in graph.modalities)
    return r | {
        "dtype": dtype,
        "mode": mode,
        "features_memory_mapped": bool(graph.feature_files),
        "feature_mb": round(feature_bytes / 2**20, 1),
        "graph": dict(stats(graph)),
        "build_seconds": round(build_s, 1),
        "peak_anon_mb_build": build_anon,
        "peak_file_mb_build": build_file,
        "peak_anon_mb_train": train_anon,
        "peak_file_mb_train": train_file,
        "peak_rss_mb": round(_peak_mb(), 1),
    }


def _ratios(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per dtype: full-batch and in-RAM mini-batch peaks divided by the memory-mapped mini-batch peaks."""
    out: dict[str, dict[str, float]] = {}
    for dtype in {r["dtype"] for r in runs}:
        by_mode = {r["mode"]: r for r in runs if r["dtype"] == dtype}
        mini = by_mode.get("mini")
        for other in ("full", "mini-ram") if mini is not None else ():
            if other in by_mode:
                o = by_mode[other]
                out[f"{dtype} {other} / mini"] = {
                    key: round(o[key] / mini[key], 2)
                    for key in (
                        "peak_anon_mb_train",
                        "peak_anon_mb_build",
                        "peak_rss_mb",
                        "seconds_per_epoch",
                    )
                    if mini[key] > 0
                }
        if "full" in by_mode:
            full = by_mode["full"]["seconds_per_epoch"]
            for m in ("mini", "mini-ram", "mini-exact"):
                if m in by_mode and full > 0:
                    out[f"{dtype} {m} / full epoch seconds"] = {
                        "seconds_per_epoch": round(by_mode[m]["seconds_per_epoch"] / full, 2)
                    }
    return out


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
    parser.add_argument("--modes", default="full,mini", help=f"Comma-separated, of {', '.join(MODES)}.")
    parser.add_argument("--dtypes", default="float32,bfloat16", help="Unit feature storage types to time.")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"), help="Where to train.")
    parser.add_argument("--hidden-dim", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--fanout", type=int, default=10)
    parser.add_argument("--unit-pca", type=int, default=0, help="Config.unit_pca (0: off).")
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cache-dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args)))
        return 0
    modes = args.modes.split(",")
    if any(m not in MODES for m in modes):
        parser.error(f"--modes must be of {MODES}, got {args.modes!r}")

    t0 = time.perf_counter()
    doc: dict[str, Any] = {
        "shape": {"videos": args.videos, "users": args.users, "hashtags": args.hashtags, "units": args.units},
        "threads": args.threads,
        "hidden_dim": args.hidden_dim,
        "depth": 2,
        "batch_size": args.batch_size,
        "fanout": args.fanout,
        "unit_pca": args.unit_pca,
        "paper_seconds_per_epoch": PAPER_SECONDS,
        "target_seconds_per_epoch": TARGET_SECONDS,
        "runs": [],
    }
    base = list(argv if argv is not None else sys.argv[1:])
    with tempfile.TemporaryDirectory() as home:
        for dtype in args.dtypes.split(","):
            for mode in modes:
                cmd = [sys.executable, __file__, *base, "--child", "--modes", mode, "--dtypes", dtype]
                cmd += ["--cache-dir", home]
                done = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
                r = json.loads(done.stdout.strip().splitlines()[-1])
                print(
                    f"  {dtype} {mode}: {r['seconds_per_epoch']} s/epoch, "
                    f"peak anon {r['peak_anon_mb_train']} MB (train), ru_maxrss {r['peak_rss_mb']} MB",
                    file=sys.stderr,
                )
                doc["runs"].append(r)
    doc["graph"] = doc["runs"][0]["graph"] if doc["runs"] else {}
    doc["ratios"] = _ratios(doc["runs"])
    doc["seconds"] = round(time.perf_counter() - t0, 1)
    text = json.dumps(doc, indent=2)
    print(text)
    if args.json_out:
        args.json_out.write_text(text + "\n")
    parts = [
        f"{r['dtype']}/{r['mode']} {r['seconds_per_epoch']} s, anon {r['peak_anon_mb_train']} MB"
        for r in doc["runs"]
    ]
    ratios = [
        f"{k}: x{v['seconds_per_epoch']}"
        if "epoch seconds" in k
        else f"{k}: anon x{v.get('peak_anon_mb_train')}"
        for k, v in doc["ratios"].items()
    ]
    where = f"{args.threads} CPU threads" if args.device == "cpu" else f"device {args.device}"
    print(
        f"SUMMARY TMALL-shape epoch on {where}: "
        + " | ".join(parts + ratios)
        + f" | paper {PAPER_SECONDS} s, target {TARGET_SECONDS} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
