"""Decoding the features step's media ahead of its encoding: in a thread, or in worker processes
(``--workers``).

Decoding (probe, then frames and audio, through PyAV) is independent per video, so
:func:`decoded_stream` runs it ahead of the main thread's encoding; results come back in the order
asked for, and at most ``prefetch`` videos are decoded ahead of the consumer, so memory stays
bounded. :func:`decode_video` is a top-level function of plain arguments: it pickles under the
``spawn`` start method, and the thread calls it too, so every path decodes identically.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mishon_graph.config import Config
from mishon_graph.features import media


@dataclass(frozen=True)
class DecodeSpec:
    """How media is decoded for the current encoders (picklable, sent to the workers)."""

    num_frames: int
    image_size: int
    sample_rate: int
    timeout: float
    max_audio_seconds: float


@dataclass
class Decoded:
    """Frames and audio of one video, a reason per modality that could not be decoded, seconds spent."""

    frames: np.ndarray | None = None
    audio: np.ndarray | None = None
    errors: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def decode_spec(encoders: Mapping[str, Any], config: Config) -> DecodeSpec:
    """Frame size and sample rate the loaded visual/acoustic encoders expect, with the media settings."""
    size = int(encoders["visual"].image_size) if "visual" in encoders else 0
    rate = int(getattr(encoders["acoustic"], "sample_rate", config.sample_rate)) if "acoustic" in encoders \
        else config.sample_rate
    return DecodeSpec(config.num_frames, size, rate, config.ffmpeg_timeout, config.max_audio_seconds)


def decode_video(path: str, want: frozenset[str], spec: DecodeSpec) -> Decoded:
    """Frames (when ``visual`` is wanted) and audio (``acoustic``) of one media file."""
    start = time.perf_counter()
    out = Decoded()
    try:
        info = media.probe(path, spec.timeout)
    except media.MediaError as exc:
        out.errors = {m: exc.reason for m in sorted(want)}
        out.seconds = time.perf_counter() - start
        return out
    if "visual" in want:
        try:
            out.frames = media.read_frames(path, info, spec.num_frames, spec.image_size, spec.timeout)
        except media.MediaError as exc:
            out.errors["visual"] = exc.reason
    if "acoustic" in want:
        try:
            out.audio = media.read_audio(path, info, spec.sample_rate, spec.timeout, spec.max_audio_seconds)
        except media.MediaError as exc:
            out.errors["acoustic"] = exc.reason
    out.seconds = time.perf_counter() - start
    return out


def decoded_stream(
    jobs: Sequence[tuple[str, frozenset[str]]], spec: DecodeSpec, *, workers: int = 0, prefetch: int = 8
) -> Iterator[Decoded]:
    """One :class:`Decoded` per ``(path, wanted modalities)`` job, in the order of ``jobs``.

    Decoding runs ahead of the consumer, overlapped with its encoding: in one thread of this process
    (PyAV releases the GIL while it demuxes, decodes and filters, as torch does while it encodes),
    or in ``workers`` ``spawn`` processes.

    Args:
        jobs: Media path and wanted modalities per video.
        spec: How to decode (:func:`decode_spec`).
        workers: ``0`` or ``1``: a decoding thread in this process; more: that many processes.
        prefetch: How many videos may be decoded (or decoding) ahead of the consumer.
    """
    pool: Executor
    if workers <= 1:
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mishon-decode")
    else:  # no fork of a process holding torch threads
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    with pool:
        pending: deque[Future[Decoded]] = deque()
        window = max(prefetch, workers, 1)
        try:
            for path, want in jobs:
                pending.append(pool.submit(decode_video, path, want, spec))
                if len(pending) >= window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
