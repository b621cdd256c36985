"""Ingestion writer: batched ``UNWIND`` transactions vs one transaction per row, same data, same run.

Data: the synthetic ``tmall`` preset (13,140 videos, 839 users), preprocessed and split as
``mishon ingest`` does, with precomputed features left out (so both writers only talk to Neo4j:
users, videos, hashtags, textual nodes, POSTED, TAGGED, HAS_MODALITY). The batched writer writes
every post; the naive writer (the same steps with ``batch_rows=1``: one transaction per row) writes
the posts of the first users until ``--naive-posts`` is reached, and its time for the full data is
extrapolated step by step (full rows x its seconds per row in that step). The two writers alternate
for `--rounds` rounds (median per step), so load on the machine hits both alike. Both start empty, after
one untimed batched pass over the data (``--warmup``, on by default) so that neither writer pays the
server's query planning and JIT warm-up; the cold first pass is reported too.

Prints one JSON document and a summary line.

Usage:
    python benchmarks/bench_ingest.py                  # throwaway local Neo4j in a temp dir
    MISHON_TEST_NEO4J_PASSWORD=... python benchmarks/bench_ingest.py --neo4j-uri bolt://127.0.0.1:7687

``NEO4J_URI`` is never used. A server given with ``--neo4j-uri`` (or ``MISHON_TEST_NEO4J_URI``) is
emptied, so it must be empty or claimed by an earlier test or benchmark run (``--wipe-ok`` or
``MISHON_TEST_ALLOW_WIPE=1`` to empty one that holds other data; see ``mishon_graph/testing/neo4j.py``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from mishon_graph.loaders import canonical
from mishon_graph.loaders.synthetic import SyntheticSpec, generate

from mishon_graph.config import Config
from mishon_graph.db import scratch
from mishon_graph.db.runner import Runner
from mishon_graph.db.schema import apply_schema
from mishon_graph.features.store import FeatureStore
from mishon_graph.ingest.pipeline import build_steps
from mishon_graph.ingest.preprocess import preprocess
from mishon_graph.ingest.split import assign_splits
from mishon_graph.ingest.writer import write_steps
from mishon_graph.testing.neo4j import add_server_options, benchmark_database


def _time_write(
    runner: Runner, posts: list, users: list, config: Config, batch_rows: int, store: FeatureStore
) -> dict[str, tuple[int, float]]:
    """Write from an empty database; ``{step: (rows, seconds)}``."""
    scratch.scratch_wipe(runner)
    splits, cold = assign_splits(posts, users, config)
    out = {}
    for step in build_steps(posts, users, splits, cold, "bench", store):
        t0 = time.perf_counter()
        rows = write_steps(runner, [step], batch_rows=batch_rows, progress=False)[step.label]
        out[step.label] = (rows, time.perf_counter() - t0)
    return out


def _median_steps(runs: list[dict[str, tuple[int, float]]]) -> dict[str, tuple[int, float]]:
    """Per step: rows and the median seconds over the runs."""
    first = runs[0]
    return {label: (rows, statistics.median(r[label][1] for r in runs)) for label, (rows, _) in first.items()}


def _ratio(batched: dict[str, tuple[int, float]], naive: dict[str, tuple[int, float]]) -> float:
    """Batched throughput over the naive writer's, extrapolated per step to the full data."""
    naive_full = sum(rows * naive[label][1] / max(1, naive[label][0]) for label, (rows, _) in batched.items())
    return naive_full / sum(t for _, t in batched.values())


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="tmall", choices=SyntheticSpec.PRESETS)
    parser.add_argument("--naive-posts", type=int, default=300, help="posts written by the naive writer")
    parser.add_argument("--batch-rows", type=int, default=1000)
    parser.add_argument("--min-hashtag-freq", type=int, default=2)
    add_server_options(parser, wipe_ok=True)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved batched/naive rounds (medians)")
    parser.add_argument(
        "--warmup", action=argparse.BooleanOptionalAction, default=True,
        help="one untimed batched pass first (JIT and query plans warm for both writers)",
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp_name:
        tmp = Path(tmp_name)
        spec = SyntheticSpec.preset(args.preset, media=False)
        t0 = time.perf_counter()
        data = canonical.load(generate(tmp / "data", spec))
        data.posts = [dataclasses.replace(p, features={}) for p in data.posts]
        config = Config(home=tmp / "home", min_hashtag_freq=args.min_hashtag_freq)
        posts, users, _ = preprocess(data, config)
        prep_s = time.perf_counter() - t0
        store = FeatureStore(config.feature_dir)
        with benchmark_database(args, tmp) as (_, runner):
            apply_schema(runner)
            cold = _time_write(runner, posts, users, config, args.batch_rows, store) if args.warmup else None
            # The naive writer gets whole users (their posts) until --naive-posts is reached.
            subset, sub_users = [], []
            for user in users:
                if len(subset) >= args.naive_posts:
                    break
                sub_users.append(user)
                subset += [p for p in posts if p.user_id == user.id]
            # Interleaved rounds: load on the machine hits both writers alike; medians per step.
            rounds = []
            for _ in range(args.rounds):
                b = _time_write(runner, posts, users, config, args.batch_rows, store)
                n = _time_write(runner, subset, sub_users, config, 1, store)
                rounds.append((b, n))
            batched = _median_steps([b for b, _ in rounds])
            naive = _median_steps([n for _, n in rounds])
            scratch.scratch_wipe(runner)
    batched_s = sum(t for _, t in batched.values())
    naive_s = sum(t for _, t in naive.values())
    # Extrapolate per step: the full data's rows at the naive writer's rows/s for that step.
    naive_full_s = sum(
        rows * naive[label][1] / max(1, naive[label][0]) for label, (rows, _) in batched.items()
    )
    batched_rate = len(posts) / batched_s
    naive_rate = len(posts) / naive_full_s
    result = {
        "benchmark": "ingest_writer",
        "preset": args.preset,
        "generate_and_preprocess_s": round(prep_s, 2),
        "batched": {
            "posts": len(posts),
            "users": len(users),
            "batch_rows": args.batch_rows,
            "seconds": round(batched_s, 3),
            "posts_per_s": round(batched_rate, 1),
            "warmed_up": args.warmup,
            "cold_first_pass_s": round(sum(t for _, t in cold.values()), 3) if cold else None,
        },
        "naive": {
            "posts": len(subset),
            "users": len(sub_users),
            "batch_rows": 1,
            "seconds": round(naive_s, 3),
            "extrapolated": True,
            "full_data_seconds_estimate": round(naive_full_s, 1),
            "posts_per_s": round(naive_rate, 1),
            "note": "one transaction per row on the posts of the first users; the full-data time is "
            "extrapolated step by step from that step's seconds per row",
        },
        "steps": {
            label: {
                "rows": rows,
                "batched_s": round(t, 3),
                "naive_rows": naive[label][0],
                "naive_s": round(naive[label][1], 3),
            }
            for label, (rows, t) in batched.items()
        },
        "ratio": round(batched_rate / naive_rate, 1),
        "ratio_per_round": [round(_ratio(b, n), 1) for b, n in rounds],
        "rounds": args.rounds,
        "target_ratio": 50,
    }
    print(json.dumps(result, indent=2))
    print(
        f"ingest writer: batched {batched_rate:.0f} posts/s, naive {naive_rate:.1f} posts/s, "
        f"ratio {result['ratio']}x (target >= 50x)"
    )
    return result


if __name__ == "__main__":
    main()
