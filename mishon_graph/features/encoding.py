"""Batches of media decoded and encoded: here (decoding ahead in a thread or in decode processes), or
whole batches in worker processes that each load the encoders (``mishon features --workers N`` on CPU).

On a CPU the encoders, not the decoding, bound the features step (EfficientNet-Lite0 alone is about
0.5 s of one core per video of 12 frames), so overlapping decoding with one encoding process cannot
use a second core for long. :func:`encoded_batches` with ``workers`` > 1 and a CPU device gives every
worker whole batches instead: it decodes them and encodes them with its share of the torch threads.
A batch holds the same videos in the same order either way and is encoded by the same code
(:func:`encode_batch`), so the stored units are the same. On a GPU the workers only decode, and this
process encodes on the device (one copy of the models on the GPU).
"""

from __future__ import annotations

import multiprocessing
import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mishon_graph.config import Config
from mishon_graph.errors import MishonError
from mishon_graph.features.decoding import Decoded, DecodeSpec, decode_video, decoded_stream
from mishon_graph.features.encoders import Encoder, build_encoders, resolve_device

# (video id, media path, wanted media modalities) per video of a batch
Job = tuple[str, str, frozenset[str]]
MEDIA_INPUTS = (("visual", "frames"), ("acoustic", "audio"))


@dataclass
class EncodedBatch:
    """One batch's outcome: per video its decoding (errors and seconds; no frames or audio), per
    modality each video's units or the reason it has none, and the seconds its encoder took."""

    decoded: dict[str, Decoded]
    results: dict[str, dict[str, np.ndarray | str]] = field(default_factory=dict)
    encode_seconds: dict[str, float] = field(default_factory=dict)


def encode_safely(encoder: Encoder, ids: list[str], items: list[Any]) -> dict[str, np.ndarray | str]:
    """Units per id; when the batch fails, items are retried alone so one bad input fails alone."""
    if not ids:
        return {}
    try:
        return dict(zip(ids, encoder.encode(items), strict=True))
    except (RuntimeError, ValueError) as batch_exc:
        if len(ids) == 1:
            return {ids[0]: f"encoder error: {str(batch_exc).splitlines()[0][:160]}"}
        out: dict[str, np.ndarray | str] = {}
        for video_id, item in zip(ids, items, strict=True):
            out.update(encode_safely(encoder, [video_id], [item]))
        return out


def encode_batch(
    encoders: Mapping[str, Encoder], batch: Sequence[Job], decoded: Mapping[str, Decoded]
) -> EncodedBatch:
    """Encode one decoded batch, one encoder call per modality over the videos that have its input."""
    out = EncodedBatch(decoded={v: Decoded(errors=d.errors, seconds=d.seconds) for v, d in decoded.items()})
    for modality, attr in MEDIA_INPUTS:
        ids = [v for v, _, want in batch if modality in want and getattr(decoded[v], attr) is not None]
        if ids:
            items = [getattr(decoded[v], attr) for v in ids]
            start = time.perf_counter()
            out.results[modality] = encode_safely(encoders[modality], ids, items)
            out.encode_seconds[modality] = time.perf_counter() - start
    return out


def encoded_batches(
    batches: Sequence[Sequence[Job]],
    spec: DecodeSpec,
    encoders: Mapping[str, Encoder],
    config: Config,
    *,
    workers: int = 0,
    threads: int | None = None,
) -> Iterator[EncodedBatch]:
    """One :class:`EncodedBatch` per batch, in order.

    Args:
        batches: The videos to decode and encode, batch by batch.
        spec: How to decode (:func:`~mishon_graph.features.decoding.decode_spec`).
        encoders: This process's loaded encoders (used unless whole batches go to workers).
        config: Encoder profile and device, from which each worker loads its own encoders.
        workers: ``0`` or ``1``: decode in a thread here and encode here; more: on a CPU, that many
            processes decode and encode whole batches; on a GPU, they decode and this process encodes.
        threads: Torch threads of each encoding worker; None: this process's torch threads shared
            among the workers (at least one each).
    """
    if workers > 1 and resolve_device(config.device) == "cpu":
        import torch

        modalities = tuple(m for m, _ in MEDIA_INPUTS if m in encoders)
        each = threads if threads is not None else max(1, torch.get_num_threads() // workers)
        yield from _in_workers(batches, spec, config, modalities, workers, each)
        return
    jobs = [(path, want) for batch in batches for _, path, want in batch]
    ahead = 2 * max((len(b) for b in batches), default=1)
    stream = decoded_stream(jobs, spec, workers=workers, prefetch=ahead)
    for batch in batches:
        decoded = {video_id: next(stream) for video_id, _, _ in batch}
        yield encode_batch(encoders, batch, decoded)


_WORKER_ENCODERS: dict[str, Encoder] = {}


def _load_worker(config: Config, modalities: tuple[str, ...], threads: int) -> None:
    """Worker initializer: its torch threads and its own encoders, loaded once."""
    import torch

    torch.set_num_threads(max(1, threads))
    _WORKER_ENCODERS.update(build_encoders(config, modalities))


def _decode_and_encode(batch: Sequence[Job], spec: DecodeSpec) -> EncodedBatch:
    decoded = {video_id: decode_video(path, want, spec) for video_id, path, want in batch}
    return encode_batch(_WORKER_ENCODERS, batch, decoded)


def _in_workers(
    batches: Sequence[Sequence[Job]], spec: DecodeSpec, config: Config, modalities: tuple[str, ...],
    workers: int, threads: int,
) -> Iterator[EncodedBatch]:
    """Whole batches in ``workers`` ``spawn`` processes (no fork of a process holding torch threads),
    at most ``workers + 1`` batches ahead of the consumer."""
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_load_worker,
                               initargs=(config, modalities, threads))
    with pool:
        pending: deque[Future[EncodedBatch]] = deque()
        try:
            for batch in batches:
                pending.append(pool.submit(_decode_and_encode, list(batch), spec))
                if len(pending) > workers:
                    yield _result(pending.popleft())
            while pending:
                yield _result(pending.popleft())
        finally:
            for future in pending:
                future.cancel()


def _result(future: Future[EncodedBatch]) -> EncodedBatch:
    try:
        return future.result()
    except BrokenProcessPool as exc:
        raise MishonError(
            "a features worker process died (out of memory?); what was stored is kept: run again to "
            "resume, with fewer --workers"
        ) from exc
