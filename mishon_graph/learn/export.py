"""Neo4j -> PyG: batched reads of the graph (whole or a J-hop subgraph) plus unit features.

All reads are ``cypher/export/*.cypher`` files: pages in id order for the whole graph, ``UNWIND
$ids`` chunks for a node set. The bulk reads (video pages, edges, labels) return compact rows of
parallel lists, a few per chunk, because the driver's cost is per record. The rows go to the pure
:func:`mishon_graph.learn.data.build_graph`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from mishon_graph.config import Config
from mishon_graph.constants import MODALITIES, TRAIN, VALID
from mishon_graph.db.meta import read_meta as read_meta_node
from mishon_graph.db.protocol import Row, Runner
from mishon_graph.errors import MishonError
from mishon_graph.features.store import FeatureStore
from mishon_graph.learn.data import ExportedGraph, FeatureSource, GraphRows, build_graph

LABEL_TO_MODALITY = {label: name for name, label in MODALITIES.items()}
META_NAME = "graph"


def pages(
    runner: Runner,
    name: str,
    size: int,
    unpack: Callable[[list[Row]], list[Row]] = lambda rows: rows,
    **params: Any,
) -> Iterator[Row]:
    """Keyset pagination by ``id``: pages of ``size`` rows (``unpack`` turns a compact page into rows)."""
    after = ""
    while True:
        rows = unpack(runner.run_file(name, {**params, "after": after, "limit": size}))
        yield from rows
        if len(rows) < size:
            return
        after = max(r["id"] for r in rows)


def _video_rows(page: list[Row]) -> list[Row]:
    """A compact ``export/videos_page`` result as ``{id, user_id, split}`` rows."""
    return [{"id": vid, "user_id": user, "split": split} for vid, user, split in page[0]["videos"]]


def _by_ids(runner: Runner, name: str, ids: Sequence[str], size: int, **params: Any) -> Iterator[Row]:
    for i in range(0, len(ids), size):
        yield from runner.run_file(name, {**params, "ids": list(ids[i : i + size])})


def _modality(labels: list[str]) -> str | None:
    return next((LABEL_TO_MODALITY[label] for label in labels if label in LABEL_TO_MODALITY), None)


def read_vocabulary(runner: Runner) -> list[str]:
    """Hashtags of training videos, sorted by name (the model's output order)."""
    # No leakage: the vocabulary comes from training videos only.
    return [r["name"] for r in runner.run_file("export/vocabulary", {"split": TRAIN})]


def read_meta(runner: Runner) -> dict[str, Any]:
    """Graph parameters on ``(:GraphMeta {name: 'graph'})``; JSON strings decoded; empty when absent."""
    out: dict[str, Any] = {}
    for k, v in read_meta_node(runner, META_NAME).items():
        if isinstance(v, str):
            try:
                v = json.loads(v)
            except json.JSONDecodeError:
                pass
        out[k] = v if isinstance(v, (str, int, float, bool, list, dict)) or v is None else str(v)
    return out


def read_modalities(runner: Runner) -> tuple[str, ...]:
    """Modalities with at least one node in the graph."""
    present = {_modality([r["label"]]) for r in runner.run_file("export/modalities")}
    return tuple(m for m in MODALITIES if m in present)


def expand(
    runner: Runner, video_ids: Sequence[str], user_ids: Sequence[str], hops: int, size: int
) -> tuple[list[str], list[str]]:
    """Video and user ids within ``hops`` hops of the seeds (a video stands for its modality nodes)."""
    videos, users = set(video_ids), set(user_ids)
    fv, fu = sorted(videos), sorted(users)
    for _ in range(hops):
        found: dict[str, set[str]] = {"video": set(), "user": set()}
        for r in _by_ids(runner, "export/video_neighbours", fv, size):
            found[r["kind"]].add(r["id"])
        for r in _by_ids(runner, "export/user_neighbours", fu, size):
            found[r["kind"]].add(r["id"])
        fv, fu = sorted(found["video"] - videos), sorted(found["user"] - users)
        videos |= found["video"]
        users |= found["user"]
        if not fv and not fu:
            break
    return sorted(videos), sorted(users)


def read_rows(
    runner: Runner,
    config: Config,
    *,
    video_ids: Sequence[str] | None = None,
    user_ids: Sequence[str] | None = None,
    hops: int | None = None,
    labels: bool = True,
    progress: Callable[[str], None] | None = None,
) -> GraphRows:
    """Read everything :func:`build_graph` needs; a subgraph when ``video_ids``/``user_ids`` are given."""
    size = config.batch_rows
    say = progress or (lambda _m: None)
    if video_ids is None and user_ids is None:
        say("reading videos and users")
        videos = list(pages(runner, "export/videos_page", size, _video_rows))
        users = list(pages(runner, "export/users_page", size))
    else:
        seeds_v, seeds_u = sorted(set(video_ids or [])), sorted(set(user_ids or []))
        known = {r["id"] for r in _by_ids(runner, "export/videos_by_id", seeds_v, size)}
        missing = [v for v in seeds_v if v not in known]
        if missing:
            raise MishonError(
                f"video {missing[0]!r} is not in the graph ({len(missing)} of the ids are unknown)"
            )
        say(f"expanding {len(seeds_v)} videos and {len(seeds_u)} users by {hops} hops")
        vids, uids = expand(runner, seeds_v, seeds_u, config.depth if hops is None else hops, size)
        videos = list(_by_ids(runner, "export/videos_by_id", vids, size))
        posters = {v["user_id"] for v in videos}
        users = list(_by_ids(runner, "export/users_by_id", sorted(set(uids) | posters), size))
    videos.sort(key=lambda r: r["id"])
    users.sort(key=lambda r: r["id"])
    vids = [v["id"] for v in videos]
    uids = [u["id"] for u in users]
    say(f"reading edges of {len(vids)} videos and {len(uids)} users")
    # Edge reads return a few rows of parallel lists per chunk (one per modality or type): the
    # driver's cost is per record, so this is several times faster than a record per edge.
    similar: dict[str, list[tuple[str, str, float]]] = {}
    for r in _by_ids(runner, "export/similar_edges", vids, size):
        m = _modality(r["labels"])
        if m is not None:
            similar.setdefault(m, []).extend(zip(r["a"], r["b"], map(float, r["weight"]), strict=True))
    social: list[tuple[str, str, str, float]] = []
    for r in _by_ids(runner, "export/social_edges", uids, size):
        kind = r["type"]
        social.extend((a, b, kind, float(w)) for a, b, w in zip(r["a"], r["b"], r["weight"], strict=True))
    uses: list[tuple[str, str, str]] = []
    for r in _by_ids(runner, "export/uses_edges", uids, size):
        m = _modality(r["labels"])
        if m is not None:
            uses.extend((u, v, m) for u, v in zip(r["user_id"], r["video_id"], strict=True))
    label_rows: dict[str, list[str]] = {}
    if labels:
        # No leakage: only training and validation hashtags are read; test hashtags never leave Neo4j.
        for r in _by_ids(runner, "export/video_labels", vids, size, splits=[TRAIN, VALID]):
            label_rows.update((vid, sorted(tags)) for vid, tags in zip(r["ids"], r["hashtags"], strict=True))
    return GraphRows(
        videos=videos,
        users=users,
        modalities=read_modalities(runner),
        hashtags=read_vocabulary(runner),
        labels=label_rows,
        similar=similar,
        social=social,
        uses=uses,
        meta=read_meta(runner),
    )


def export_graph(
    runner: Runner,
    config: Config,
    *,
    video_ids: Sequence[str] | None = None,
    user_ids: Sequence[str] | None = None,
    hops: int | None = None,
    labels: bool = True,
    features: FeatureSource | None = None,
    progress: Callable[[str], None] | None = None,
    feature_cache: Path | None = None,
) -> ExportedGraph:
    """Export the graph (or the ``hops``-hop neighbourhood of some videos/users) to PyG.

    Args:
        runner: The database seam.
        config: Batch size, feature directory and ``feature_dtype``.
        video_ids: Seed videos of a subgraph; ``None`` with ``user_ids=None`` exports everything.
        user_ids: Seed users of a subgraph.
        hops: Neighbourhood depth of a subgraph (default ``config.depth``).
        labels: Read training/validation hashtags as labels.
        features: Unit feature source (default: the ``FeatureStore`` at ``config.feature_dir``).
        progress: Called with short status messages.
        feature_cache: Memory-map the unit features from this cache directory instead of loading
            them into RAM (see :mod:`mishon_graph.learn.feature_cache`).

    Returns:
        The :class:`ExportedGraph` (videos and users sorted by id).
    """
    rows = read_rows(
        runner, config, video_ids=video_ids, user_ids=user_ids, hops=hops, labels=labels, progress=progress
    )
    source = features if features is not None else FeatureStore(config.feature_dir)
    if progress:
        progress(f"loading unit features of {len(rows.videos)} videos x {len(rows.modalities)} modalities")
    return build_graph(rows, source, dtype=config.feature_dtype, cache_dir=feature_cache)


def export_whole(
    runner: Runner, config: Config, *, labels: bool = True, progress: Callable[[str], None] | None = None
) -> ExportedGraph:
    """The whole graph, its unit features memory-mapped from ``config.feature_cache_dir``.

    The cache holds one contiguous file per modality, written by the first whole export after the
    features change and reused by every later one (``train``, ``recommend``, ``serve``), where the
    feature store holds one small file per video and modality. At the 10x benchmark (369,345 files)
    an export read 114 s from the store with a cold page cache and 33 s through the cache; warm, a
    stored file takes about 25 us to read.
    """
    return export_graph(
        runner, config, labels=labels, progress=progress, feature_cache=config.feature_cache_dir
    )
