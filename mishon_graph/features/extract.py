"""The features step: media and captions -> unit features in the store, pooled vectors on modality nodes.

Resumable: :func:`~mishon_graph.features.plan.plan_work` picks only what is missing; units are
written to the store (atomically) before the node, and a node is written per batch, so a crash
loses at most one batch and the next run restores finished store files without re-encoding.
A video whose file is missing or broken, or that lacks a track, is reported with its reason and
its modality node gets ``missing_reason``; the run goes on with the others.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mishon_graph.config import Config
from mishon_graph.constants import CAPTION_MODALITY, MEDIA_MODALITIES, MODALITY_NAMES, one_per_modality
from mishon_graph.db.protocol import Runner
from mishon_graph.errors import MishonError
from mishon_graph.features.decoding import decode_spec, decode_video
from mishon_graph.features.encoders import Encoder, build_encoders, encoder_names, resolve_device
from mishon_graph.features.encoding import MEDIA_INPUTS, encode_safely, encoded_batches
from mishon_graph.features.plan import (
    NO_MEDIA,
    NO_TEXT,
    ModalityPlan,
    Shard,
    VideoInput,
    plan_work,
    training_captions,
)
from mishon_graph.features.store import FeatureStore
from mishon_graph.features.units import mean_units
from mishon_graph.progress import progress as progress_bars

TEXT_BATCH = 64
# One file per modality: a dynamic label loses the id index (constants.one_per_modality).
SET_QUERIES = one_per_modality(
    {"visual": "features/visual_set", "acoustic": "features/acoustic_set", "textual": "features/textual_set"}
)
MISSING_QUERIES = one_per_modality(
    {
        "visual": "features/visual_missing",
        "acoustic": "features/acoustic_missing",
        "textual": "features/textual_missing",
    }
)
# Reasons that mean "the video does not have this modality" rather than "something broke".
ABSENT = {"no audio track", "no video stream", NO_TEXT, NO_MEDIA}


@dataclass
class ModalityCounts:
    """Outcome counts of one modality."""

    encoded: int = 0
    restored: int = 0
    skipped: int = 0
    absent: int = 0
    failed: int = 0


@dataclass
class ExtractReport:
    """What :func:`extract_features` did.

    Attributes:
        profile: Encoder profile used.
        device: ``cpu`` or ``cuda``.
        threads: torch intra-op threads.
        encoders: Encoder name per modality.
        workers: Processes that decoded media, and on a CPU encoded it too (1: this one).
        shard: ``i/n`` when the run covered one shard, else empty.
        loaded: Modalities whose encoder was loaded: only those with something to encode.
        counts: Per modality: encoded, restored from the store, skipped (done before / no input),
            absent (the video lacks it: no audio track, no text, ...) and failed.
        skip_reasons: Per modality, skip reason -> count.
        failures: Video id -> modality -> reason, for absent and failed ones.
        videos: Videos that had something encoded or decoded.
        decode_seconds: Seconds decoding media (summed over the workers).
        encode_seconds: Seconds in the encoders (summed over the workers when they encode).
        load_seconds: Seconds loading (or, for the TF-IDF text encoder, fitting) the encoders.
        wall_seconds: Seconds of the whole step, encoder loading excluded.
    """

    profile: str
    device: str
    threads: int
    encoders: dict[str, str] = field(default_factory=dict)
    workers: int = 1
    shard: str = ""
    loaded: tuple[str, ...] = ()
    counts: dict[str, ModalityCounts] = field(default_factory=dict)
    skip_reasons: dict[str, dict[str, int]] = field(default_factory=dict)
    failures: dict[str, dict[str, str]] = field(default_factory=dict)
    videos: int = 0
    decode_seconds: float = 0.0
    encode_seconds: float = 0.0
    load_seconds: float = 0.0
    wall_seconds: float = 0.0

    @property
    def videos_per_second(self) -> float:
        return self.videos / self.wall_seconds if self.wall_seconds > 0 else 0.0

    def fail(self, video_id: str, modality: str, reason: str) -> None:
        self.failures.setdefault(video_id, {})[modality] = reason
        counts = self.counts[modality]
        if reason in ABSENT:
            counts.absent += 1
        else:
            counts.failed += 1


class _Timer:
    def __init__(self) -> None:
        self.seconds = 0.0

    def add(self, seconds: float) -> None:
        self.seconds += seconds

    @contextmanager
    def __call__(self) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds += time.perf_counter() - start


def _chunks(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


def decode_media(
    path: str, want: set[str], encoders: dict[str, Encoder], config: Config
) -> tuple[np.ndarray | None, np.ndarray | None, dict[str, str]]:
    """Frames and audio of one media file, decoded as the features step decodes them.

    Returns:
        ``(frames or None, audio or None, reason per modality of want that could not be decoded)``.
    """
    decoded = decode_video(path, frozenset(want), decode_spec(encoders, config))
    return decoded.frames, decoded.audio, decoded.errors


class _Writer:
    """Stores units, collects node rows, and writes them to Neo4j once per batch."""

    def __init__(self, runner: Runner, config: Config, store: FeatureStore, report: ExtractReport) -> None:
        self.runner, self.store, self.report = runner, store, report
        self.batch = config.batch_rows
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.marks: dict[str, list[dict[str, Any]]] = {}

    def units(self, video_id: str, modality: str, units: np.ndarray, encoder: str, *, restored: bool) -> None:
        if not restored:
            try:
                self.store.put(video_id, modality, units, encoder)
            except MishonError as exc:
                self.mark(video_id, modality, f"bad features: {exc}")
                return
        self.rows.setdefault(modality, []).append({
            "id": video_id, "embedding": mean_units(units).astype(float).tolist(), "encoder": encoder,
            "dim": int(units.shape[1]), "units": int(units.shape[0]),
        })
        counts = self.report.counts[modality]
        if restored:
            counts.restored += 1
        else:
            counts.encoded += 1

    def mark(self, video_id: str, modality: str, reason: str) -> None:
        self.store.remove(video_id, modality)
        self.marks.setdefault(modality, []).append({"id": video_id, "reason": reason})
        self.report.fail(video_id, modality, reason)

    def flush(self) -> None:
        for modality, rows in self.rows.items():
            if rows:
                self.runner.run_file_batched(SET_QUERIES[modality], rows, batch_size=self.batch)
        for modality, rows in self.marks.items():
            if rows:
                self.runner.run_file_batched(MISSING_QUERIES[modality], rows, batch_size=self.batch)
        self.rows, self.marks = {}, {}


def _run_media(
    plans: dict[str, ModalityPlan], videos: dict[str, VideoInput], encoders: dict[str, Encoder],
    config: Config, writer: _Writer, timers: tuple[_Timer, _Timer], advance: Callable[[int], None],
    workers: int,
) -> int:
    """Decode and encode the visual/acoustic work in batches of ``config.feature_batch`` videos.

    With ``workers`` > 1 on a CPU, worker processes decode and encode whole batches (each with its
    share of the torch threads); on a GPU they decode ahead and this process encodes. The batches,
    and so the stored units, are the same as in process (:mod:`mishon_graph.features.encoding`).
    """
    wanted: dict[str, set[str]] = {}
    for m in MEDIA_MODALITIES:
        if m in plans:
            for video_id in plans[m].encode:
                wanted.setdefault(video_id, set()).add(m)
    order = sorted(wanted)
    decode_t, encode_t = timers
    jobs = [(v, videos[v].media_path or "", frozenset(wanted[v])) for v in order]
    batches = list(_chunks(jobs, config.feature_batch))
    stream = encoded_batches(batches, decode_spec(encoders, config), encoders, config, workers=workers)
    for batch, done in zip(batches, stream, strict=True):
        for video_id, _, _ in batch:
            decode_t.add(done.decoded[video_id].seconds)  # summed over workers when in parallel
            for m, reason in done.decoded[video_id].errors.items():
                writer.mark(video_id, m, reason)
        encode_t.add(sum(done.encode_seconds.values()))  # summed over workers when they encode
        for m, _ in MEDIA_INPUTS:
            for video_id, result in done.results.get(m, {}).items():
                if isinstance(result, str):
                    writer.mark(video_id, m, result)
                else:
                    writer.units(video_id, m, result, encoders[m].name, restored=False)
        writer.flush()
        advance(len(batch))
    return len(order)


def _run_text(
    plan: ModalityPlan, videos: dict[str, VideoInput], encoder: Encoder, writer: _Writer,
    encode_t: _Timer, advance: Callable[[int], None],
) -> int:
    for batch in _chunks(plan.encode, TEXT_BATCH):
        with encode_t():
            results = encode_safely(encoder, batch, [videos[v].text for v in batch])
        for video_id, result in results.items():
            if isinstance(result, str):
                writer.mark(video_id, CAPTION_MODALITY, result)
            else:
                writer.units(video_id, CAPTION_MODALITY, result, encoder.name, restored=False)
        writer.flush()
        advance(len(batch))
    return len(plan.encode)


def _restore_and_mark(plans: dict[str, ModalityPlan], store: FeatureStore, writer: _Writer,
                      names: dict[str, str]) -> None:
    for m, plan in plans.items():
        for video_id in plan.restore:
            try:
                writer.units(video_id, m, store.get(video_id, m), names[m], restored=True)
            except MishonError as exc:
                writer.mark(video_id, m, f"unreadable store file: {exc}")
        for video_id, reason in plan.mark.items():
            writer.mark(video_id, m, reason)
        writer.report.counts[m].skipped = sum(plan.skip.values())
        writer.report.skip_reasons[m] = dict(plan.skip)
    writer.flush()


@contextmanager
def _progress_bar(enabled: bool, total: int) -> Iterator[Callable[[int], None]]:
    """``advance(n)`` for a rich progress bar showing videos/s (a no-op when disabled)."""
    if not enabled or total == 0:
        yield lambda n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn

    columns = (TextColumn("features"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
               TimeRemainingColumn())
    with progress_bars(*columns) as bar:
        task = bar.add_task("features", total=total, rate="")
        start, done = time.perf_counter(), 0

        def advance(n: int) -> None:
            nonlocal done
            done += n
            rate = done / max(time.perf_counter() - start, 1e-9)
            bar.update(task, advance=n, rate=f"{rate:.2f} videos/s")

        yield advance


def extract_features(
    runner: Runner,
    config: Config,
    *,
    modalities: Sequence[str] = MODALITY_NAMES,
    force: bool = False,
    progress: bool = True,
    workers: int = 0,
    shard: Shard | None = None,
) -> ExtractReport:
    """Fill the feature store and the modality nodes for every ingested video that lacks features.

    Args:
        runner: The database seam.
        config: Encoder profile, device, media settings, ``feature_dir``.
        modalities: Subset of ``visual``, ``acoustic``, ``textual``.
        force: Recompute features that are already there (and re-examine marked videos).
        progress: Show a progress bar with videos/s.
        workers: ``0`` or ``1``: decode media in a thread here, overlapped with the encoding here;
            more: on a CPU, that many processes decode and encode whole batches (each with its
            share of the torch threads), on a GPU they decode and this process encodes. The stored
            features are the same.
        shard: Only the videos of this shard (see :class:`~mishon_graph.features.plan.Shard`);
            the other shards' runs, concurrent or later, fill the rest of the same store and graph.

    Returns:
        The :class:`ExtractReport` (counts, failure reasons, timings).
    """
    import torch

    start = time.perf_counter()
    modalities = tuple(dict.fromkeys(modalities))
    rows = runner.run_file("features/videos")
    # Every shard fits on all training captions, so a fitted (TF-IDF) text encoder is the same in each.
    train_captions = training_captions(rows)
    if shard is not None:
        rows = [row for row in rows if shard.holds(str(row["id"]))]
    names = encoder_names(config, modalities, train_captions)
    report = ExtractReport(
        profile=config.encoder_profile, device=resolve_device(config.device), threads=torch.get_num_threads(),
        encoders=names, counts={m: ModalityCounts() for m in modalities}, workers=max(workers, 1),
        shard=str(shard) if shard else "",
    )
    store = FeatureStore(config.feature_dir)
    plans, videos = plan_work(rows, modalities, names, force=force, stored=store.stored_encoder)
    # Only modalities with something to encode load a model (a text-only dataset loads no ViT/wav2vec2).
    report.loaded = tuple(m for m in modalities if plans[m].encode)
    loading = time.perf_counter()
    encoders = build_encoders(config, report.loaded, train_captions)
    report.load_seconds = time.perf_counter() - loading
    start += report.load_seconds
    writer = _Writer(runner, config, store, report)
    _restore_and_mark(plans, store, writer, names)
    media_ids = {v for m in MEDIA_MODALITIES if m in plans for v in plans[m].encode}
    text_ids = set(plans[CAPTION_MODALITY].encode) if CAPTION_MODALITY in plans else set()
    decode_t, encode_t = _Timer(), _Timer()
    with _progress_bar(progress, len(media_ids) + len(text_ids)) as advance:
        if media_ids:
            _run_media(plans, videos, encoders, config, writer, (decode_t, encode_t), advance, workers)
        if text_ids:
            _run_text(plans[CAPTION_MODALITY], videos, encoders[CAPTION_MODALITY], writer, encode_t, advance)
    report.videos = len(media_ids | text_ids)
    report.decode_seconds, report.encode_seconds = decode_t.seconds, encode_t.seconds
    report.wall_seconds = time.perf_counter() - start
    return report
