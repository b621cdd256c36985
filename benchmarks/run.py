"""The whole pipeline, measured stage by stage on the same data in one process.

For each size (multiples of the paper's TMALL shape: 13,140 videos, 839 users, 3,354 hashtags;
synthetic, precomputed unit features) it times and records the peak memory of: generation,
loading, ingestion, each edge family (and the in-memory scipy Jaccard reference on the same data),
export to PyG, training epochs (full-batch and neighbour-sampled mini-batch), scoring + write-back of
recommendations, evaluation, and query latency (p50/p99 of ``top_hashtags`` and ``why`` with
concurrent clients). Side-by-side comparisons at the first size: batched vs naive ingestion writer
(``bench_ingest``) and media decode vs encode for the offline encoders (``bench_features``).
Growth exponents between sizes: log(t2/t1) / log(n2/n1) per stage (1.0 = linear).

Prints one JSON document (also written with ``--out``) and a summary table.

Usage:
    python benchmarks/run.py                     # TMALL shape (1x), CPU; < 15 min on 2 cores
    python benchmarks/run.py --sizes 1,10        # adds 10x and growth exponents

The database is the benchmark's own: a throwaway local Neo4j in a temp dir (``NEO4J_URI`` is never
used), or a server set aside with ``MISHON_TEST_NEO4J_URI`` / ``--neo4j-uri`` that is empty or was
claimed by a test or benchmark run before (see ``mishon_graph/db/scratch.py``); it is emptied.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mishon_graph.loaders import load_dataset  # noqa: E402
from mishon_graph.loaders.synthetic import SyntheticSpec, generate  # noqa: E402

from mishon_graph.config import Config  # noqa: E402
from mishon_graph.constants import TRAIN  # noqa: E402
from mishon_graph.db import scratch  # noqa: E402
from mishon_graph.db.runner import Runner  # noqa: E402
from mishon_graph.db.schema import apply_schema  # noqa: E402
from mishon_graph.graph.build import build_graph  # noqa: E402
from mishon_graph.ingest.pipeline import ingest  # noqa: E402
from mishon_graph.learn.infer import score_videos  # noqa: E402
from mishon_graph.learn.train import export_for_training, train_graph  # noqa: E402
from mishon_graph.learn.trainer import Trainer, choose_device  # noqa: E402
from mishon_graph.recommend.evaluate import evaluate_run  # noqa: E402
from mishon_graph.recommend.queries import run_query  # noqa: E402
from mishon_graph.recommend.write import write_scores  # noqa: E402
from mishon_graph.testing.neo4j import benchmark_database  # noqa: E402
from mishon_graph.testing.sparse_jaccard import sparse_jaccard_edges  # noqa: E402

PRESET_BY_SIZE = {1: "tmall", 10: "tmall10x"}
FAMILIES = ("jaccard", "popularity", "uses", "similar")


class PeakMemory:
    """Samples the RSS of this process and of the Neo4j server every 50 ms."""

    def __init__(self, server_pid: int | None) -> None:
        self.me = psutil.Process()
        self.server = psutil.Process(server_pid) if server_pid else None
        self.peak_py = self.peak_db = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            time.sleep(0.05)

    def sample(self) -> None:
        self.peak_py = max(self.peak_py, self.me.memory_info().rss)
        if self.server is not None:
            try:
                self.peak_db = max(self.peak_db, self.server.memory_info().rss)
            except psutil.Error:
                pass

    def __enter__(self) -> PeakMemory:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


class Stages:
    """Collects one record per (stage, size)."""

    def __init__(self, server_pid: int | None) -> None:
        self.records: list[dict[str, Any]] = []
        self.server_pid = server_pid

    def run(self, name: str, size: int, n_videos: int, fn: Callable[[], Any], **extra: Any) -> Any:
        with PeakMemory(self.server_pid) as mem:
            t0 = time.perf_counter()
            result = fn()
            seconds = time.perf_counter() - t0
        record = {
            "stage": name,
            "size": size,
            "videos": n_videos,
            "seconds": round(seconds, 3),
            "unit": "s",
            "peak_rss_python_mb": round(mem.peak_py / 2**20),
            "peak_rss_neo4j_mb": round(mem.peak_db / 2**20),
            **extra,
        }
        self.records.append(record)
        print(f"  {name:<28} {seconds:9.2f} s  py {record['peak_rss_python_mb']:>6} MB", file=sys.stderr)
        return result


@contextmanager
def neo4j(args: argparse.Namespace, tmp: Path) -> Iterator[tuple[Runner, int | None]]:
    """The benchmark's own database (never ``NEO4J_URI``): a throwaway local Neo4j, or the server that
    ``--neo4j-uri`` / ``MISHON_TEST_NEO4J_URI`` sets aside (refused when it holds data the harness did
    not create, unless ``MISHON_TEST_ALLOW_WIPE=1``)."""
    with benchmark_database(
        args,
        tmp,
        heap=os.environ.get("MISHON_NEO4J_HEAP", "2g"),
        pagecache=os.environ.get("MISHON_NEO4J_PAGECACHE", "1g"),
    ) as (server, runner):
        yield runner, server.pid


def latency(runner: Runner, name: str, params: list[dict[str, Any]], clients: int) -> dict[str, Any]:
    """p50/p99 milliseconds of a named query over ``params`` with ``clients`` concurrent threads."""

    def one(p: dict[str, Any]) -> float:
        t0 = time.perf_counter()
        run_query(runner, name, p)
        return (time.perf_counter() - t0) * 1000

    with ThreadPoolExecutor(clients) as pool:
        t0 = time.perf_counter()
        ms = sorted(pool.map(one, params))
        wall = time.perf_counter() - t0
    return {
        "query": name,
        "requests": len(ms),
        "clients": clients,
        "p50_ms": round(statistics.median(ms), 2),
        "p99_ms": round(ms[min(len(ms) - 1, int(0.99 * len(ms)))], 2),
        "throughput_qps": round(len(ms) / wall, 1),
    }


def bench_size(
    runner: Runner, stages: Stages, size: int, args: argparse.Namespace, tmp: Path
) -> dict[str, Any]:
    spec, min_freq = size_spec(size, args)
    n = spec.n_videos
    home = tmp / f"home{size}"
    config = Config(
        home=home,
        min_hashtag_freq=min_freq,
        epochs=args.epochs,
        patience=args.epochs,
        device=args.device,
        seed=args.seed,
    )
    print(f"== size {size}x: {n} videos, {spec.n_users} users, {spec.n_hashtags} hashtags", file=sys.stderr)
    scratch.scratch_wipe(runner)
    apply_schema(runner)
    data_dir = stages.run("generate", size, n, lambda: generate(tmp / f"data{size}", spec))
    dataset = stages.run("load", size, n, lambda: load_dataset(data_dir, "canonical"))
    report = stages.run("ingest", size, n, lambda: ingest(runner, dataset, config, progress=False))
    out: dict[str, Any] = {"ingest": _plain(report)}
    for family in FAMILIES:
        built = stages.run(
            f"graph.{family}",
            size,
            n,
            lambda f=family: build_graph(runner, config, families=[f], progress=False),
        )
        out[f"graph.{family}"] = built.to_dict()["families"]
    cypher_s = next(
        r["seconds"] for r in stages.records if r["stage"] == "graph.jaccard" and r["size"] == size
    )
    pairs = stages.run(
        "jaccard.reference_read",
        size,
        n,
        lambda: [  # No leakage: training videos only
            (r["user"], r["hashtag"])
            for r in runner.stream_file("graph/user_training_hashtags", {"train": TRAIN})
        ],
    )
    ref = stages.run("jaccard.reference_compute", size, n, lambda: sparse_jaccard_edges(pairs, config.gamma))
    ref_s = sum(
        r["seconds"]
        for r in stages.records
        if r["stage"].startswith("jaccard.reference") and r["size"] == size
    )
    out["jaccard_vs_reference"] = {
        "cypher_s": cypher_s,
        "scipy_incl_read_s": round(ref_s, 3),
        "ratio_cypher_over_reference": round(cypher_s / max(ref_s, 1e-9), 2),
        "edges_reference": len(ref),
    }
    # as `mishon train` exports: through the feature cache, the features then copied into RAM
    graph = stages.run("export", size, n, lambda: export_for_training(runner, config, minibatch=False))
    artifact = home / "models" / "bench.pt"
    res = stages.run(
        f"train.full_batch_{args.epochs}ep",
        size,
        n,
        lambda: train_graph(graph, config, out=artifact, minibatch=False, progress=False),
    )
    per_epoch = res.seconds / max(res.epochs_run, 1)
    out["train.full"] = {
        "seconds_per_epoch": round(per_epoch, 3),
        "epochs": res.epochs_run,
        "paper_t4_seconds_per_epoch": 479,
        "speedup_vs_paper": round(479 / per_epoch, 1),
    }
    if not args.skip_minibatch:
        out["train.mini"] = minibatch_stage(graph, config, stages, size, n, args.mini_batches, per_epoch)
    scores = stages.run("recommend.score", size, n, lambda: score_videos(runner, config, artifact))
    stages.run(
        "recommend.write",
        size,
        n,
        lambda: write_scores(runner, scores, k=10, model="mishon", run_id=f"bench{size}"),
    )
    metrics = stages.run("evaluate", size, n, lambda: evaluate_run(runner, f"bench{size}"))
    m5 = metrics[5]
    out["metrics_at_5"] = (
        {k: round(float(v), 4) for k, v in vars(m5).items() if isinstance(v, int | float)}
        if hasattr(m5, "__dict__")
        else str(m5)
    )
    videos = scores.video_ids[: args.requests]
    top = [{"video_id": v, "limit": 10} for v in videos]
    why = [
        {"video_id": v, "hashtag": h}
        for v, h in zip(
            videos, [scores.hashtags[i] for i in scores.scores[: len(videos)].argmax(1)], strict=True
        )
    ]
    out["queries"] = [
        stages.run("query.top_hashtags", size, n, lambda: latency(runner, "top_hashtags", top, args.clients)),
        stages.run("query.why", size, n, lambda: latency(runner, "why", why, args.clients)),
    ]
    return out


def size_spec(size: int, args: argparse.Namespace) -> tuple[SyntheticSpec, int]:
    """The synthetic spec and minimum hashtag frequency of one size. ``--fixed-vocab``: every size draws
    from the 1x size's hashtags and keeps those used ``min_hashtag_freq x size`` times (each hashtag is
    used about ``size`` times as often), so the kept vocabulary stays about the 1x one and the stages
    that read videos x vocabulary (scoring, write-back) grow with the videos alone."""
    if not args.fixed_vocab:
        return SyntheticSpec.preset(PRESET_BY_SIZE[size], seed=args.seed), args.min_hashtag_freq
    hashtags = SyntheticSpec.preset(PRESET_BY_SIZE[1]).n_hashtags
    spec = SyntheticSpec.preset(PRESET_BY_SIZE[size], seed=args.seed, n_hashtags=hashtags)
    return spec, args.min_hashtag_freq * size


def minibatch_stage(
    graph: Any, config: Config, stages: Stages, size: int, n: int, batches: int, full_epoch_s: float
) -> dict[str, Any]:
    """Time one neighbour-sampled mini-batch epoch (``batches`` > 0: only that many batches, and an
    epoch estimate from them) as the default trainer runs it (historical embeddings refreshed once per
    epoch), side by side with the full-batch epoch ``full_epoch_s`` of the same run."""
    trainer = Trainer(graph, config, "mishon", True, choose_device(config))
    per_epoch = math.ceil(trainer.train_rows.numel() / config.batch_size)
    name = f"train.mini_batch_{batches}batches" if batches else "train.mini_batch_epoch"
    stages.run(name, size, n, lambda: trainer.train_epoch(1, max_batches=batches or None))
    seconds = stages.records[-1]["seconds"]
    timed = min(batches, per_epoch) if batches else per_epoch
    epoch_s = seconds / timed * per_epoch
    seeds = trainer.train_rows[: config.batch_size]
    # With historical embeddings a batch reads its seeds' units only, on the whole graph's edges.
    sampled = (
        seeds.numel()
        if trainer.use_history
        else int(trainer.sampler.sample(seeds, torch.Generator().manual_seed(config.seed))[0].numel())
    )
    return {
        "batches_timed": timed,
        "whole_epoch": timed == per_epoch,
        "seconds_per_batch": round(seconds / timed, 3),
        "batch_size": config.batch_size,
        "fanout": config.fanout,
        "historical_embeddings": trainer.use_history,
        "videos_read_per_batch": sampled,
        "batches_per_epoch": per_epoch,
        "seconds_per_epoch" if timed == per_epoch else "seconds_per_epoch_estimate": round(epoch_s, 1),
        "ratio_to_full_batch_epoch": round(epoch_s / max(full_epoch_s, 1e-9), 2),
    }


def side_by_side(args: argparse.Namespace) -> dict[str, Any]:
    """Batched vs naive ingestion and media decode vs encode (their own scripts, same machine, same run)."""
    out: dict[str, Any] = {}
    import bench_ingest

    out["ingest_batched_vs_naive"] = bench_ingest.main(["--preset", "tmall", "--naive-posts", "300"])
    if not args.skip_features:
        import bench_features

        with tempfile.TemporaryDirectory() as home:
            out["features_offline"] = bench_features.run(
                "offline", args.feature_videos, 8, "cpu", Path(home), workers=args.feature_workers
            )
    return out


def growth(records: list[dict[str, Any]]) -> dict[str, float]:
    by = {(r["stage"], r["size"]): r for r in records}
    sizes = sorted({r["size"] for r in records})
    if len(sizes) < 2:
        return {}
    a, b = sizes[0], sizes[-1]
    out = {}
    for stage in dict.fromkeys(r["stage"] for r in records):
        if (stage, a) in by and (stage, b) in by:
            ra, rb = by[(stage, a)], by[(stage, b)]
            out[stage] = round(
                math.log(max(rb["seconds"], 1e-3) / max(ra["seconds"], 1e-3))
                / math.log(rb["videos"] / ra["videos"]),
                2,
            )
    return out


def _plain(obj: Any) -> Any:
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    if hasattr(obj, "__dataclass_fields__"):
        import dataclasses

        return json.loads(json.dumps(dataclasses.asdict(obj), default=str))
    return str(obj)


def machine() -> dict[str, Any]:
    return {
        "cpu_cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "platform": platform.platform(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "torch": torch.__version__,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1", help="Multiples of the TMALL shape: 1 and/or 10.")
    parser.add_argument("--epochs", type=int, default=2, help="Timed full-batch training epochs.")
    parser.add_argument(
        "--mini-batches", type=int, default=0, help="Timed neighbour-sampled batches (0: a whole epoch)."
    )
    parser.add_argument("--min-hashtag-freq", type=int, default=5)
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--clients", type=int, default=4, help="Concurrent query clients.")
    parser.add_argument("--requests", type=int, default=400, help="Requests per query kind.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--feature-videos", type=int, default=8)
    parser.add_argument("--feature-workers", type=int, default=0, help="as mishon features --workers")
    parser.add_argument("--skip-side-by-side", action="store_true")
    parser.add_argument("--skip-minibatch", action="store_true", help="Do not time a mini-batch epoch.")
    parser.add_argument(
        "--fixed-vocab",
        action="store_true",
        help="Every size uses the 1x hashtags, kept at --min-hashtag-freq x size uses: scoring and "
        "write-back at about the same vocabulary (README: the fixed-vocabulary block).",
    )
    parser.add_argument("--skip-features", action="store_true")
    parser.add_argument(
        "--neo4j-uri",
        help="A server set aside for benchmarks (default: MISHON_TEST_NEO4J_URI, else a throwaway local "
        "Neo4j; NEO4J_URI is never used); password from MISHON_TEST_NEO4J_PASSWORD.",
    )
    parser.add_argument("--neo4j-user", default="neo4j")
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--from-json", type=Path, help="Measure nothing: read the JSON of an earlier run (with --readme)."
    )
    parser.add_argument(
        "--readme", action="store_true", help="Rewrite README.md's performance table from this run's JSON."
    )
    parser.add_argument(
        "--features-from",
        type=Path,
        help="With --from-json: take the features row from this later run's JSON (its side by side), "
        "or from the JSON of benchmarks/bench_features.py.",
    )
    args = parser.parse_args(argv)
    if args.from_json:
        doc = json.loads(args.from_json.read_text(encoding="utf-8"))
        if args.features_from:
            later = json.loads(args.features_from.read_text(encoding="utf-8"))
            own = later.get("benchmark") == "features"  # bench_features.py's JSON itself
            feat = later if own else later["side_by_side"]["features_offline"]
            doc.setdefault("side_by_side", {})["features_offline"] = feat
            doc["features_source"] = args.features_from.name
        if args.readme:
            write_readme(doc)
        print(summary(doc))
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    unknown = [s for s in sizes if s not in PRESET_BY_SIZE]
    if unknown:
        parser.error(f"sizes must be among {sorted(PRESET_BY_SIZE)}, got {unknown}")
    t0 = time.perf_counter()
    doc: dict[str, Any] = {
        "machine": machine(),
        "args": {k: str(v) for k, v in vars(args).items()},
        "sizes": {},
    }
    with (
        tempfile.TemporaryDirectory(prefix="mishon-bench-") as tmpdir,
        neo4j(args, Path(tmpdir)) as (runner, pid),
    ):
        stages = Stages(pid)
        for size in sizes:
            doc["sizes"][str(size)] = bench_size(runner, stages, size, args, Path(tmpdir))
        doc["stages"] = stages.records
    doc["growth_exponent"] = growth(doc["stages"])
    doc["flagged_superlinear"] = {k: v for k, v in doc["growth_exponent"].items() if v > 1.15}
    if not args.skip_side_by_side:
        doc["side_by_side"] = side_by_side(args)
    doc["total_seconds"] = round(time.perf_counter() - t0, 1)
    text = json.dumps(doc, indent=2, default=str)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    print(summary(doc), file=sys.stderr)
    if args.readme:
        write_readme(doc)
    return 0


def write_readme(doc: dict[str, Any]) -> None:
    import perf_readme
    from readme_blocks import replace_block

    readme = Path(__file__).resolve().parent.parent / "README.md"
    if doc["args"].get("fixed_vocab") == "True":
        begin, end = perf_readme.FIXED_BEGIN, perf_readme.FIXED_END
        replace_block(readme, begin, end, perf_readme.fixed_vocab_block(doc))
    else:
        replace_block(readme, perf_readme.BEGIN, perf_readme.END, perf_readme.perf_block(doc))


def summary(doc: dict[str, Any]) -> str:
    lines = ["", f"{'stage':<30}" + "".join(f"{s + 'x s':>12}" for s in doc["sizes"]) + f"{'growth':>9}"]
    by = {(r["stage"], str(r["size"])): r for r in doc["stages"]}
    for stage in dict.fromkeys(r["stage"] for r in doc["stages"]):
        cells = "".join(
            f"{by[(stage, s)]['seconds']:>12.2f}" if (stage, s) in by else f"{'-':>12}" for s in doc["sizes"]
        )
        g = doc["growth_exponent"].get(stage)
        lines.append(f"{stage:<30}{cells}{'' if g is None else f'{g:>9.2f}'}")
    lines.append(
        f"total {doc['total_seconds']} s on {doc['machine']['cpu_cores']} cores, "
        f"GPU: {doc['machine']['gpu'] or 'none'}"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
