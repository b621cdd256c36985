"""Decoding videos in process with PyAV (FFmpeg's libraries): a probe, N equally spaced frames in one
pass through FFmpeg's own ``fps`` and ``scale`` filters, mono float audio through its resampler.

Nothing is written to disk and no process is started: an ``ffprobe`` or ``ffmpeg`` process costs
70-90 ms just to start on a small machine, and a video with sound needed three. Every read has a
deadline, checked at each decoded frame, so a huge or pathological file ends in a ``timeout`` error
instead of holding the run. Problems with a file raise :class:`MediaError` whose ``reason`` is a
short, stable phrase (``"missing file"``, ``"no audio track"``, ...) that reports can group by.
The frames and samples are those the ``ffmpeg`` command line gives for the same filters (same
filter graph, same resampler, rotation metadata applied the way ``ffmpeg`` autorotates).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from mishon_graph.errors import MishonError

# Longer videos are sampled from key frames only (the decoder skips the others): decoding every
# frame of an hour-long video would take minutes; key frames keep it to seconds, at the cost of each
# frame being the last key frame before its sample time.
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


class _Deadline:
    """Raises a ``timeout`` :class:`MediaError` once ``timeout`` seconds have passed since it was made."""

    def __init__(self, path: str | Path, timeout: float) -> None:
        self.path, self.timeout = path, timeout
        self.end = time.monotonic() + timeout

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise MediaError(self.path, "timeout", f"decoding ran longer than {self.timeout:g} s")


def _check_file(path: str | Path) -> Path:
    p = Path(path)
    if not p.is_file():
        raise MediaError(path, "missing file")
    if p.stat().st_size == 0:
        raise MediaError(path, "empty file")
    return p


@contextmanager
def _opened(path: str | Path) -> Iterator[av.container.InputContainer]:
    """The file opened for demuxing; FFmpeg's errors (on opening or decoding) become ``unreadable media``."""
    p = _check_file(path)
    try:
        container = av.open(str(p), metadata_errors="ignore")
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise MediaError(p, "unreadable media", str(exc)[:200]) from exc
    try:
        yield container
    except (av.FFmpegError, ValueError) as exc:
        raise MediaError(p, "unreadable media", str(exc)[:200]) from exc
    finally:
        container.close()


def _is_cover_art(stream: av.stream.Stream) -> bool:
    return bool(stream.disposition & av.stream.Disposition.attached_pic)


def _probe_data(container: av.container.InputContainer) -> dict:
    """The fields of ffprobe's JSON (``-show_format -show_streams``) that :func:`parse_probe` reads."""
    streams = []
    for s in container.streams:
        row: dict = {"codec_type": s.type}
        if s.duration and s.time_base:
            row["duration"] = float(s.duration * s.time_base)
        if s.type == "video":
            row["width"], row["height"] = s.codec_context.width, s.codec_context.height
            row["disposition"] = {"attached_pic": int(_is_cover_art(s))}
        streams.append(row)
    duration = container.duration / av.time_base if container.duration else "N/A"
    return {"format": {"duration": duration}, "streams": streams}


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
    """Duration, resolution and which streams a file has (read from the container, nothing decoded).

    Raises:
        MediaError: missing, empty or unreadable file, or a timeout.
    """
    deadline = _Deadline(path, timeout)
    with _opened(path) as container:
        data = _probe_data(container)
    deadline.check()
    return parse_probe(data)


def frame_rate_for(num_frames: int, duration: float) -> str:
    """The ``fps`` filter rate that yields ``num_frames`` frames spread over ``duration`` seconds."""
    return f"{num_frames}/{duration:.6f}"


def spread_indices(available: int, wanted: int) -> np.ndarray:
    """``wanted`` indices into ``available`` items, equally spaced (repeats when too few)."""
    return np.linspace(0, available - 1, wanted).round().astype(np.int64)


def _rotation_filters(degrees: float) -> list[tuple[str, str]]:
    """The filters ``ffmpeg`` inserts to show a frame upright (its autorotation), from the frame's
    display rotation (counter-clockwise degrees, as PyAV reports it)."""
    theta = (-degrees) % 360
    if abs(theta - 90) < 1:
        return [("transpose", "clock")]
    if abs(theta - 180) < 1:
        return [("hflip", ""), ("vflip", "")]
    if abs(theta - 270) < 1:
        return [("transpose", "cclock")]
    return []


def _frame_graph(frame: av.VideoFrame, stream: av.stream.Stream, rate: str, size: int) -> av.filter.Graph:
    """``[autorotation,] fps=rate:round=down, scale=size:size, format=rgb24`` for this stream's frames."""
    graph = av.filter.Graph()
    chain = [graph.add_buffer(template=stream)]
    for name, args in _rotation_filters(frame.rotation):
        chain.append(graph.add(name, args) if args else graph.add(name))
    chain += [
        graph.add("fps", fps=rate, round="down"),
        graph.add("scale", f"{size}:{size}"),
        graph.add("format", "rgb24"),
        graph.add("buffersink"),
    ]
    for left, right in zip(chain, chain[1:], strict=False):
        left.link_to(right)
    graph.configure()
    return graph


def _pull(graph: av.filter.Graph, out: list[np.ndarray]) -> None:
    while True:
        try:
            out.append(graph.pull().to_ndarray())
        except (av.BlockingIOError, av.EOFError):
            return


def _decode_frames(
    path: str | Path, info: MediaInfo, num_frames: int, size: int, timeout: float, *, key_frames_only: bool
) -> np.ndarray:
    deadline = _Deadline(path, timeout)
    out: list[np.ndarray] = []
    with _opened(path) as container:
        stream = next(s for s in container.streams.video if not _is_cover_art(s))
        stream.codec_context.skip_frame = "NONKEY" if key_frames_only else "DEFAULT"
        graph = None
        for frame in container.decode(stream):
            deadline.check()
            if graph is None:
                graph = _frame_graph(frame, stream, frame_rate_for(num_frames, info.duration), size)
            graph.push(frame)
            _pull(graph, out)
            if len(out) >= num_frames:
                break
        else:
            if graph is not None:
                graph.push(None)  # end of stream: the fps filter emits what it still holds
                _pull(graph, out)
    if not out:
        return np.zeros((0, size, size, 3), dtype=np.uint8)
    return np.stack(out[:num_frames])


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
        sample_rate: Output rate in Hz (FFmpeg's resampler resamples and downmixes).
        timeout: Seconds before decoding is abandoned.
        max_seconds: Keep at most the first this many seconds (``None``: all).

    Raises:
        MediaError: no audio track, silent-length audio, undecodable audio, or a timeout.
    """
    if not info.has_audio:
        raise MediaError(path, "no audio track")
    deadline = _Deadline(path, timeout)
    limit = None if max_seconds is None else round(max_seconds * sample_rate)
    chunks: list[np.ndarray] = []
    have = 0
    with _opened(path) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        frames = container.decode(container.streams.audio[0])
        for frame in itertools.chain(frames, [None]):  # None flushes the resampler
            deadline.check()
            for part in resampler.resample(frame):
                chunks.append(part.to_ndarray().reshape(-1))
                have += chunks[-1].size
            if limit is not None and have >= limit:
                break
    samples = np.concatenate(chunks).astype(np.float32, copy=False) if chunks else np.zeros(0, np.float32)
    if limit is not None:
        samples = samples[:limit]
    if samples.size == 0:
        raise MediaError(path, "empty audio track")
    if not np.isfinite(samples).all():
        raise MediaError(path, "unreadable media", "audio samples are not finite")
    return samples
