"""The media decoding the features step used before PyAV: an ``ffprobe`` and one ``ffmpeg`` process
per read (probe, frames, audio), output through pipes. Kept as the side-by-side baseline of
``bench_features.py`` and to check that the in-process decoding gives the same frames and samples.
"""

from __future__ import annotations

import json
import subprocess

import numpy as np

from mishon_graph.features.media import (
    LONG_VIDEO_SECONDS,
    MediaError,
    MediaInfo,
    frame_rate_for,
    parse_probe,
    spread_indices,
)


def _run(args: list[str], path: str, timeout: float) -> bytes:
    try:
        done = subprocess.run(args, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise MediaError(path, "timeout") from exc
    if done.returncode != 0:
        raise MediaError(path, "unreadable media", done.stderr.decode("utf-8", "replace")[-200:])
    return done.stdout


def probe(path: str, timeout: float) -> MediaInfo:
    args = ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", path]
    out = _run(args, path, timeout)
    return parse_probe(json.loads(out.decode("utf-8", "replace") or "{}"))


def _frames(path: str, info: MediaInfo, n: int, size: int, timeout: float, key_only: bool) -> np.ndarray:
    args = ["ffmpeg", "-nostdin", "-v", "error", *(["-skip_frame", "nokey"] if key_only else [])]
    args += ["-i", path, "-filter_complex", f"[0]fps=fps={frame_rate_for(n, info.duration)}:round=down"
             f"[s0];[s0]scale={size}:{size}[s1]", "-map", "[s1]", "-f", "rawvideo", "-pix_fmt", "rgb24",
             "-vframes", str(n), "pipe:"]
    raw = _run(args, path, timeout)
    count = len(raw) // (size * size * 3)
    return np.frombuffer(raw[: count * size * size * 3], dtype=np.uint8).reshape(count, size, size, 3)


def read_frames(path: str, info: MediaInfo, n: int, size: int, timeout: float) -> np.ndarray:
    frames = None
    if info.duration > LONG_VIDEO_SECONDS:
        frames = _frames(path, info, n, size, timeout, True)
        if len(frames) < n // 2:
            frames = None
    if frames is None:
        frames = _frames(path, info, n, size, timeout, False)
    if len(frames) == 0:
        raise MediaError(path, "no decodable frames")
    return frames if len(frames) == n else frames[spread_indices(len(frames), n)]


def read_audio(path: str, rate: int, timeout: float, max_seconds: float | None) -> np.ndarray:
    args = ["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:a:0", "-f", "f32le",
            "-acodec", "pcm_f32le", "-ac", "1", "-ar", str(rate)]
    args += (["-t", f"{max_seconds:g}"] if max_seconds is not None else []) + ["pipe:"]
    raw = _run(args, path, timeout)
    return np.frombuffer(raw[: len(raw) // 4 * 4], dtype="<f4").astype(np.float32)
