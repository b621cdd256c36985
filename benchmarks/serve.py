"""Latency of hashtag suggestions for a new upload: the library call and ``POST /suggest``, in one run.

    python benchmarks/serve.py --home DIR [--uploads 200] [--out docs/results/serve.jsonl]

``DIR`` is a home whose graph is built and trained, with its Neo4j running (``mishon generate D
--preset tmall``, ``ingest``, ``features``, ``graph build``, ``train``, ``db start``). The benchmark
loads :class:`~mishon_graph.serve.suggester.Suggester` once (as ``mishon serve`` does), then times

- ``features``: uploads with precomputed unit features for every modality plus a caption: the test
  videos' own unit features with Gaussian noise (so no upload is a node of the graph) and fresh
  ids, posted alternately by the video's poster (existing user) and by a new user;
- ``caption``: the same uploads with the caption only (the graph's modalities all missing);

each through the library (``suggest()`` from 1 and from 8 threads) and over HTTP (the app of ``mishon
serve`` under uvicorn on loopback in this process; 1 and 8 concurrent keep-alive clients in a
separate process, so client work does not share the server's interpreter). Library and HTTP calls
alternate in ``--rounds`` blocks, so a change in the machine's load hits both alike. With ``--text-encoder``
the time to encode a caption with the offline profile's token encoder (MiniLM) is measured too,
as caption-only uploads would add it when the graph's text features come from that encoder.

With ``--check-run RUN`` it first sends test videos of the graph again (their own ids, posters,
captions and stored unit features) and compares the answers with run ``RUN`` of ``mishon recommend``.

One JSON line per setting: ``{"mode", "path", "concurrency", "n", "p50_ms", "p99_ms", "mean_ms",
"throughput_per_s", ...}``, then a summary line with the HTTP overhead at p50 (HTTP p50 minus library
p50, 1 client); to stdout and appended to ``--out``. The machine's load average is recorded with each.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
K = 5


def percentiles(ms: list[float]) -> dict[str, float]:
    a = np.asarray(ms)
    return {
        "n": len(ms),
        "p50_ms": round(float(np.percentile(a, 50)), 2),
        "p99_ms": round(float(np.percentile(a, 99)), 2),
        "mean_ms": round(float(a.mean()), 2),
        "max_ms": round(float(a.max()), 2),
    }


def uploads(runner, config, suggester, n: int, seed: int) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Request bodies of ``n`` new uploads made from test videos (see the module docstring)."""
    from mishon_graph.features.store import FeatureStore

    rng = np.random.default_rng(seed)
    rows = runner.run_file("recommend/target_posts", {"split": "test", "users": "existing"})
    picked = [rows[int(i)] for i in rng.choice(len(rows), size=min(n, len(rows)), replace=False)]
    store = FeatureStore(config.feature_dir)
    out = []
    for i, r in enumerate(picked):
        features = {}
        for m in suggester.dims:
            units = np.asarray(store.get(r["video_id"], m), dtype=np.float64)
            noise = rng.normal(scale=0.1 * float(units.std() or 1.0), size=units.shape)
            features[m] = (units + noise).astype(np.float32).tolist()
        user = r["user_id"] if i % 2 == 0 else f"bench-new-user-{i}"
        out.append(
            {
                "video_id": f"bench-{i}",
                "user_id": user,
                "caption": r["text"] or "",
                "features": features,
                "k": K,
            }
        )
    return out


def check_run(runner, config, suggester, run_id: str, n: int, seed: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Test videos of the graph sent again (own id, poster, caption, unit features) against run
    ``run_id`` of ``mishon recommend``: same top-K lists, largest score difference."""
    from mishon_graph.features.store import FeatureStore
    from mishon_graph.serve.suggester import Upload

    rng = np.random.default_rng(seed)
    rows = runner.run_file("recommend/target_posts", {"split": "test", "users": "all"})
    picked = [rows[int(i)] for i in rng.choice(len(rows), size=min(n, len(rows)), replace=False)]
    stored: dict[str, list[tuple[int, str, float]]] = {}
    for r in runner.run_file("serve/run_scores", {"run_id": run_id, "ids": [p["video_id"] for p in picked]}):
        stored.setdefault(r["video_id"], []).append((int(r["rank"]), r["hashtag"], float(r["score"])))
    store = FeatureStore(config.feature_dir)
    same = new_users = 0
    diff = 0.0
    for p in picked:
        want = sorted(stored.get(p["video_id"], []))
        units = {m: store.get(p["video_id"], m) for m in suggester.dims}
        upload = Upload(caption=p["text"] or "", user_id=p["user_id"], video_id=p["video_id"], units=units)
        got = suggester.suggest(upload, k=len(want) or 1)
        new_users += got.new_user
        same += [h.hashtag for h in got.hashtags] == [h for _, h, _ in want]
        diff = max([diff] + [abs(h.score - w) for h, (_, _, w) in zip(got.hashtags, want, strict=False)])
    return {
        "check": "graph videos sent again vs mishon recommend",
        "run_id": run_id,
        "videos": len(picked),
        "new_users": new_users,
        "same_top_k": same,
        "max_abs_score_diff": diff,
    }


def caption_only(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "features"}


def library(suggester, bodies: list[dict[str, Any]], concurrency: int) -> tuple[list[float], float]:  # type: ignore[no-untyped-def]
    from mishon_graph.serve.suggester import Upload

    def one(body: dict[str, Any]) -> float:
        upload = Upload(
            caption=body["caption"],
            user_id=body["user_id"],
            video_id=body["video_id"],
            units=body.get("features", {}),
        )
        t0 = time.perf_counter()
        suggester.suggest(upload, k=body["k"])
        return (time.perf_counter() - t0) * 1000

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        ms = list(pool.map(one, bodies))
    return ms, time.perf_counter() - t0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(app) -> tuple[Any, str]:  # type: ignore[no-untyped-def]
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def http(url: str, bodies: list[dict[str, Any]], concurrency: int) -> tuple[list[float], float]:
    """Latencies measured by ``concurrency`` clients in a child process (see :func:`client_main`)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(bodies, f)
    try:
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--client",
                url,
                "--bodies",
                f.name,
                "--concurrency",
                str(concurrency),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(f.name)
    result = json.loads(proc.stdout)
    return result["ms"], result["seconds"]


def client_main(url: str, bodies_path: str, concurrency: int) -> None:
    """Child process: POST every body with ``concurrency`` keep-alive clients; print the latencies."""
    import httpx

    bodies = json.loads(Path(bodies_path).read_text())
    encoded = [json.dumps(b).encode() for b in bodies]
    parts = [encoded[i::concurrency] for i in range(concurrency)]
    results: list[list[float]] = [[] for _ in parts]

    def run(i: int) -> None:
        with httpx.Client(base_url=url, timeout=60, headers={"content-type": "application/json"}) as c:
            c.get("/health")
            for body in parts[i]:
                t0 = time.perf_counter()
                r = c.post("/suggest", content=body)
                results[i].append((time.perf_counter() - t0) * 1000)
                if r.status_code != 200:
                    raise SystemExit(f"/suggest answered {r.status_code}: {r.text[:200]}")

    t0 = time.perf_counter()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(parts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps({"ms": [x for r in results for x in r], "seconds": time.perf_counter() - t0}))


def text_encoding(config, captions: list[str]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Caption encoding by the offline profile's token encoder, one caption at a time, on one thread
    as :meth:`Suggester.suggest` runs it."""
    from mishon_graph.features.encoders import build_encoders
    from mishon_graph.serve.suggester import one_thread

    encoder = build_encoders(config.with_overrides(encoder_profile="offline", device="cpu"), ["textual"])[
        "textual"
    ]
    ms = []
    with one_thread():
        for c in captions[:5]:
            encoder.encode([c])
        for c in captions:
            t0 = time.perf_counter()
            encoder.encode([c or " "])
            ms.append((time.perf_counter() - t0) * 1000)
    return {"mode": "text_encoding", "path": "library", "encoder": encoder.name, **percentiles(ms)}


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="MISHON_HOME with a built, trained graph and running Neo4j")
    parser.add_argument("--uploads", type=int, default=200, help="uploads timed per setting")
    parser.add_argument("--concurrency", default="1,8", help="clients / threads, comma-separated")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=4, help="library/HTTP alternations per setting")
    parser.add_argument("--text-encoder", action="store_true", help="also time MiniLM caption encoding")
    parser.add_argument("--label", default="", help="free text stored with every line (e.g. the preset)")
    parser.add_argument("--check-run", help="also compare graph videos sent again with this mishon+ run")
    parser.add_argument("--check-videos", type=int, default=300)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "results" / "serve.jsonl")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--bodies", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.client:
        client_main(args.client, args.bodies, int(args.concurrency))
        return []
    if args.home is None:
        parser.error("--home is required")

    from mishon_graph.config import Config
    from mishon_graph.db.connect import connect
    from mishon_graph.serve.app import create_app
    from mishon_graph.serve.suggester import Suggester

    config = Config.from_env().with_overrides(home=args.home)
    runner = connect(config, autostart=False)
    artifact = config.model_dir / "mishon.pt"
    t0 = time.perf_counter()
    suggester = Suggester.load(runner, config, artifact=artifact if artifact.is_file() else None)
    load_s = time.perf_counter() - t0
    bodies = uploads(runner, config, suggester, args.uploads, args.seed)
    check = None
    if args.check_run:
        check = check_run(runner, config, suggester, args.check_run, args.check_videos, args.seed)
    runner.close()
    server, url = start_server(create_app(suggester, timeout_s=60, workers=8))
    common = {
        "label": args.label,
        "cpus": os.cpu_count(),
        "videos": suggester.info.get("videos"),
        "training_videos": suggester.info["training_videos"],
        "hashtags": suggester.info["hashtags"],
        "gnn": suggester.info["gnn"],
        "load_seconds": round(load_s, 1),
        "k": K,
    }
    lines: list[dict[str, Any]] = []
    if check is not None:
        lines.append({**common, **check})
        print(json.dumps(lines[-1]), flush=True)
    concurrency = [int(c) for c in args.concurrency.split(",")]
    for mode, batch in (("features", bodies), ("caption", [caption_only(b) for b in bodies])):
        library(suggester, batch[:20], 1)  # warm up both paths
        http(url, batch[:20], 1)
        for c in concurrency:
            # library and HTTP alternate over rounds, so both see the same (shared) machine
            times: dict[str, tuple[list[float], float]] = {"library": ([], 0.0), "http": ([], 0.0)}
            for r in range(args.rounds):
                part = batch[r :: args.rounds]
                for path in ("library", "http"):
                    ms, seconds = library(suggester, part, c) if path == "library" else http(url, part, c)
                    times[path] = (times[path][0] + ms, times[path][1] + seconds)
            for path, (ms, seconds) in times.items():
                line = {
                    "mode": mode,
                    "path": path,
                    "concurrency": c,
                    **percentiles(ms),
                    "throughput_per_s": round(len(ms) / seconds, 1),
                    "load_avg_1m": round(os.getloadavg()[0], 2),
                    **common,
                }
                lines.append(line)
                print(json.dumps(line), flush=True)
    if args.text_encoder:
        line = {**text_encoding(config, [b["caption"] for b in bodies]), **common}
        lines.append(line)
        print(json.dumps(line), flush=True)
    server.should_exit = True
    by = {(x["mode"], x["path"], x.get("concurrency")): x for x in lines if "mode" in x}
    summary = {"summary": "http overhead at p50, 1 client", **common}
    for mode in ("features", "caption"):
        if (mode, "http", 1) in by and (mode, "library", 1) in by:
            summary[f"{mode}_http_minus_library_p50_ms"] = round(
                by[(mode, "http", 1)]["p50_ms"] - by[(mode, "library", 1)]["p50_ms"], 2
            )
    summary["library_features_p99_ms"] = by.get(("features", "library", 1), {}).get("p99_ms")
    lines.append(summary)
    print(json.dumps(summary), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("a", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps(line) + "\n")
    return lines


if __name__ == "__main__":
    main()
