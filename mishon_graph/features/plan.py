"""What the features step must do per (video, modality): a pure function of the graph's state.

For each requested modality a video is, in this order of checks:

- ``skip`` when its node already has an embedding from the current encoder (or from features
  the dataset shipped, encoder ``precomputed``) and the store holds the units, or when an earlier
  run marked it ``missing_reason`` (``force`` re-examines both, except precomputed features
  without media, which cannot be recomputed);
- ``mark`` (node gets ``missing_reason``) when it has a modality node but no input: ``no text``
  or ``no media file``; a video with neither node nor input is skipped as ``no input`` (the
  dataset does not have that modality);
- ``restore`` when the store already holds units from the current encoder (a crash between the
  store write and the graph write): the node is refilled without re-encoding;
- ``encode`` otherwise.

With a :class:`Shard` (``mishon features --shard i/n``) a run sees only the videos whose stable
hash of the id is ``i`` modulo ``n``: shards are disjoint and together cover every video, so
several processes can split one dataset over one feature store and graph.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mishon_graph.constants import PRECOMPUTED_ENCODER, TRAIN
from mishon_graph.errors import MishonError

NO_TEXT = "no text"
NO_MEDIA = "no media file"
ALREADY = "already encoded"
NO_INPUT = "no input"


@dataclass(frozen=True)
class VideoInput:
    """What a video offers the encoders."""

    id: str
    text: str
    media_path: str | None


@dataclass
class ModalityPlan:
    """Work for one modality: ids to encode or restore, ids to mark (reason), skip reasons counted."""

    encode: list[str] = field(default_factory=list)
    restore: list[str] = field(default_factory=list)
    mark: dict[str, str] = field(default_factory=dict)
    skip: Counter[str] = field(default_factory=Counter)


def shard_of(video_id: str, count: int) -> int:
    """The shard (``0 .. count - 1``) of a video: SHA-1 of the id, not Python's per-process ``hash``."""
    return int.from_bytes(hashlib.sha1(video_id.encode("utf-8")).digest()[:8], "big") % count


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count``: the videos with :func:`shard_of` equal to ``index``."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 0 <= self.index < self.count:
            raise MishonError(f"shard must be i/n with 0 <= i < n, got {self.index}/{self.count}")

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"0/2"`` -> ``Shard(0, 2)``; anything else is a :class:`MishonError`."""
        index, sep, count = text.strip().partition("/")
        if not (sep and index.strip().isdigit() and count.strip().isdigit()):
            raise MishonError(f"--shard takes i/n (e.g. 0/2), got {text!r}")
        return cls(int(index), int(count))

    def holds(self, video_id: str) -> bool:
        return shard_of(video_id, self.count) == self.index


def video_input(row: Mapping[str, Any]) -> VideoInput:
    """A :class:`VideoInput` from a ``features/videos`` row."""
    media = row.get("media_path")
    return VideoInput(str(row["id"]), str(row.get("text") or "").strip(), str(media) if media else None)


def training_captions(rows: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """``(id, caption)`` of the training videos that have a caption, what a fitted text encoder may see.

    No leakage: validation and test captions are left out (they are encoded, never fitted on).
    """
    out = []
    for row in rows:
        video = video_input(row)
        if row.get("split") == TRAIN and video.text:
            out.append((video.id, video.text))
    return out


def _decide(
    row: Mapping[str, Any], video: VideoInput, modality: str, name: str, force: bool, stored: str | None
) -> tuple[str, str]:
    node, done = bool(row.get(f"{modality}_node")), bool(row.get(f"{modality}_done"))
    encoder, missing = row.get(f"{modality}_encoder"), row.get(f"{modality}_missing")
    has_input = bool(video.text) if modality == "textual" else video.media_path is not None
    if done and encoder == PRECOMPUTED_ENCODER and stored == PRECOMPUTED_ENCODER and not has_input:
        return "skip", PRECOMPUTED_ENCODER
    if not force:
        if done and encoder in (name, PRECOMPUTED_ENCODER) and stored == encoder:
            return "skip", ALREADY
        if missing and not done:
            return "skip", f"lacks it: {missing}"
    if not has_input:
        if node:
            return "mark", NO_TEXT if modality == "textual" else NO_MEDIA
        return "skip", NO_INPUT
    if not force and stored == name:
        return "restore", ""
    return "encode", ""


def plan_work(
    rows: Iterable[Mapping[str, Any]],
    modalities: Sequence[str],
    encoder_names: Mapping[str, str],
    *,
    force: bool,
    stored: Callable[[str, str], str | None],
) -> tuple[dict[str, ModalityPlan], dict[str, VideoInput]]:
    """The work per modality and the inputs of every video.

    Args:
        rows: ``features/videos`` rows.
        modalities: Modalities to extract.
        encoder_names: The current encoder name per modality.
        force: Recompute what is already there.
        stored: ``stored(video_id, modality)`` -> encoder name of the stored units, or ``None``.
    """
    plans = {m: ModalityPlan() for m in modalities}
    videos: dict[str, VideoInput] = {}
    for row in rows:
        video = video_input(row)
        videos[video.id] = video
        for m in modalities:
            action, reason = _decide(row, video, m, encoder_names[m], force, stored(video.id, m))
            plan = plans[m]
            if action == "skip":
                plan.skip[reason] += 1
            elif action == "mark":
                plan.mark[video.id] = reason
            elif action == "restore":
                plan.restore.append(video.id)
            else:
                plan.encode.append(video.id)
    return plans, videos
