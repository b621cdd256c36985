"""Decoding videos with ffmpeg: a probe, N equally spaced frames in one pass, mono float audio.

Every ffmpeg/ffprobe call runs through :func:`_run` with a timeout and pipes its output: nothing
is written to disk. Problems with a file raise :class:`MediaError` whose ``reason`` is a short,
stable phrase (``"missing file"``, ``"no audio track"``, ...) that reports can group by.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import ffmpeg
import numpy as np

from mishon_graph.errors import MishonError

FFPROBE = "ffprobe"
FFMPEG = "ffmpeg"
# Longer videos are sampled from key frames only (-skip_frame nokey): decoding every frame of an
# hour-long video would take minutes; key frames keep it to seconds, at the cost of each frame
# being the last key frame before its sample time.
LONG_VIDEO_SECONDS = 120.0


class MediaError(MishonError):
    """A media file cannot give what was asked; ``reason`` is a short stable phrase.

    Args:
        path: The file.
        reason: e.g. ``"missing file"``, ``"unreadable media"``, ``"no audio track"``, ``"timeout"``.
        detail: Extra text (ffmpeg's last stderr line), shown after the reason.
    """

    def __init__(self, path: str | Path, reason: str, detail: str = "") -> None:
        self.path = str(path)
        self.reason = reason
        self.detail = detail
        super().__init__(f"{path}: {reason}" + (f" ({detail})" if detail else ""))


@dataclass(frozen=True)
class MediaInfo:
    """What :func:`probe` found in a file.

    Args:
        duration: Seconds (0.0 when unknown).
        width: Width of the first video stream (0 without video).
        height: Height of the first video stream (0 without video).
        has_video: A real video stream (cover art pictures do not count).
        has_audio: At least one audio stream.
    """

    duration: float
    width: int
    height: int
    has_video: bool
    has_audio: bool


def _last_line(stderr: bytes) -> str:
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    return lines[-1][:200] if lines else ""


def _run(args: list[str], path: str | Path, timeout: float) -> bytes:
    """Run one ffmpeg/ffprobe command line; stdout bytes, or a :class:`MediaError`."""
    try:
        done = subprocess.run(args, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise MediaError(path, "timeout", f"ffmpeg ran longer than {timeout:g} s") from exc
    except FileNotFoundError as exc:
        raise MishonError(f"{args[0]} is not installed (apt-get install ffmpeg)") from exc
    if done.returncode != 0:
        raise MediaError(path, "unreadable media", _last_line(done.stderr))
    return done.stdout


def _ffmpeg_args(stream: ffmpeg.nodes.OutputStream) -> list[str]:
    # Global options must precede the inputs; ffmpeg ignores trailing ones.
    return [FFMPEG, "-nostdin", "-v", "error", *ffmpeg.get_args(stream)]


def _check_file(path: str | Path) -> Path:
    p = Path(path)
    if not p.is_file():
        raise MediaError(path, "missing file")
    if p.stat().st_size == 0:
        raise MediaError(path, "empty file")
    return p


def parse_probe(data: dict) -> MediaInfo:
    """:class:`MediaInfo` from ffprobe's JSON (``-show_format -show_streams``)."""
    streams = data.get("streams", [])
    video = [
        s for s in streams
        if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic", 0)
    ]
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    duration = 0.0
    for source in [data.get("format", {}), *video, *audio]:
        try:
            duration = float(source.get("duration", 0.0))
        except (TypeError, ValueError):
            continue
        if duration > 0:
            break
    first = video[0] if video else {}
    return MediaInfo(
        duration=max(duration, 0.0),
        width=int(first.get("width", 0) or 0),
        height=int(first.get("height", 0) or 0),
        has_video=bool(video),
        has_audio=bool(audio),
    )


def probe(path: str | Path, timeout: float) -> MediaInfo:
    """Duration, resolution and which streams a file has.

    Raises:
        MediaError: missing, empty or unreadable file, or a timeout.
    """
    p = _check_file(path)
    out = _run([FFPROBE, "-v", "error", "-show_format", "-show_streams", "-of", "json", str(p)], p, timeout)
    try:
        return parse_probe(json.loads(out.decode("utf-8", "replace") or "{}"))
    except json.JSONDecodeError as exc:
        raise MediaError(p, "unreadable media", "ffprobe printed no JSON") from exc


def frame_rate_for(num_frames: int, duration: float) -> str:
    """The ``fps`` filter rate that yields ``num_frames`` frames spread over ``duration`` seconds."""
    return f"{num_frames}/{duration:.6f}"


def spread_indices(available: int, wanted: int) -> np.ndarray:
    """``wanted`` indices into ``available`` items, equally spaced (repeats when too few)."""
    return np.linspace(0, available - 1, wanted).round().astype(np.int64)


def _decode_frames(
    path: str | Path, info: MediaInfo, num_frames: int, size: int, timeout: float, *, key_frames_only: bool
) -> np.ndarray:
    options = {"skip_frame": "nokey"} if key_frames_only else {}
    stream = (
        ffmpeg.input(str(path), **options)
        .filter("fps", fps=frame_rate_for(num_frames, info.duration), round="down")
        .filter("scale", size, size)
        .output("pipe:", format="rawvideo", pix_fmt="rgb24", vframes=num_frames)
    )
    raw = _run(_ffmpeg_args(stream), path, timeout)
    count = len(raw) // (size * size * 3)
    return np.frombuffer(raw[: count * size * size * 3], dtype=np.uint8).reshape(count, size, size, 3)


def read_frames(path: str | Path, info: MediaInfo, num_frames: int, size: int, timeout: float) -> np.ndarray:
    """``num_frames`` RGB frames at equally spaced times, resized to ``size`` x ``size``.

    One decoding pass: the ``fps`` filter (rate ``num_frames / duration``, rounding down) emits
    the frame on screen at times ``k * duration / num_frames``, ``k = 0 .. num_frames - 1``. The
    frame is squashed to a square (the ViT processor's resize, no crop). A clip that gives fewer
    frames repeats some (still in order, equally spaced over what was decoded). Videos longer than
    :data:`LONG_VIDEO_SECONDS` are sampled from their key frames (all frames when they have
    fewer than half ``num_frames`` key frames).

    Returns:
        uint8 array ``[num_frames, size, size, 3]``.

    Raises:
        MediaError: no video stream, zero duration, undecodable frames, or a timeout.
    """
    if not info.has_video:
        raise MediaError(path, "no video stream")
    if info.duration <= 0:
        raise MediaError(path, "zero duration")
    frames = None
    if info.duration > LONG_VIDEO_SECONDS:
        frames = _decode_frames(path, info, num_frames, size, timeout, key_frames_only=True)
        if len(frames) < num_frames // 2:  # too few key frames to sample from: decode everything
            frames = None
    if frames is None:
        frames = _decode_frames(path, info, num_frames, size, timeout, key_frames_only=False)
    count = len(frames)
    if count == 0:
        raise MediaError(path, "no decodable frames")
    if count != num_frames:
        frames = frames[spread_indices(count, num_frames)]
    return frames


def read_audio(
    path: str | Path, info: MediaInfo, sample_rate: int, timeout: float, max_seconds: float | None = None
) -> np.ndarray:
    """The first audio track as mono float32 samples at ``sample_rate`` Hz.

    Args:
        path: Media file.
        info: Its :func:`probe` result.
        sample_rate: Output rate in Hz (ffmpeg resamples and downmixes).
        timeout: Seconds before ffmpeg is abandoned.
        max_seconds: Keep at most the first this many seconds (``None``: all).

    Raises:
        MediaError: no audio track, silent-length audio, undecodable audio, or a timeout.
    """
    if not info.has_audio:
        raise MediaError(path, "no audio track")
    out_kwargs: dict[str, object] = {"format": "f32le", "acodec": "pcm_f32le", "ac": 1, "ar": sample_rate}
    if max_seconds is not None:
        out_kwargs["t"] = f"{max_seconds:g}"
    stream = ffmpeg.input(str(path))["a:0"].output("pipe:", **out_kwargs)
    raw = _run(_ffmpeg_args(stream), path, timeout)
    samples = np.frombuffer(raw[: len(raw) // 4 * 4], dtype="<f4").astype(np.float32)
    if samples.size == 0:
        raise MediaError(path, "empty audio track")
    if not np.isfinite(samples).all():
        raise MediaError(path, "unreadable media", "audio samples are not finite")
    return samples
