"""``ingest``: a loaded dataset -> preprocessing -> splits -> the graph in Neo4j.

The graph afterwards holds exactly this dataset: nodes of an earlier ingest that the dataset no
longer has are removed first, then everything is written with ``MERGE`` (nodes before
relationships). Rerunning after an interruption (Ctrl-C, kill, Neo4j restart) therefore ends with
the same graph as one uninterrupted run, and ingesting twice leaves identical counts.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from rich.console import Console

from mishon_graph.config import Config
from mishon_graph.constants import MODALITY_NAMES, SPLITS
from mishon_graph.db.runner import Row, Runner
from mishon_graph.db.schema import apply_schema
from mishon_graph.errors import MishonError
from mishon_graph.features.store import FeatureStore
from mishon_graph.ingest import rows as R
from mishon_graph.ingest.preprocess import preprocess
from mishon_graph.ingest.records import Dataset, PostRecord, UserRecord
from mishon_graph.ingest.report import IngestReport, write_rejects
from mishon_graph.ingest.split import assign_splits
from mishon_graph.ingest.unit_features import UnitFeatureReader
from mishon_graph.ingest.writer import WriteStep, write_steps

META_NAME = "ingest"
PRECOMPUTED = "precomputed"


def ingest(
    runner: Runner,
    dataset: Dataset,
    config: Config,
    *,
    rejects_path: Path | None = None,
    progress: bool = True,
    console: Console | None = None,
) -> IngestReport:
    """Preprocess, split and write ``dataset``; record the parameters on ``(:GraphMeta {name:'ingest'})``.

    Args:
        runner: The database seam.
        dataset: What a loader returned.
        config: Preprocessing, split and batch settings; ``feature_dir`` receives precomputed features.
        rejects_path: Where to write the loader's rejects (JSON lines); ``None``: not written.
        progress: Show a progress bar.
        console: Rich console for the progress bar.

    Returns:
        The report (also stored on the GraphMeta node as JSON).
    """
    t0 = time.monotonic()
    if rejects_path is not None:
        write_rejects(Path(rejects_path), dataset.rejects)
    posts, users, pre = preprocess(dataset, config)
    split = assign_splits(posts, users, config)
    splits, cold = split
    report = IngestReport(
        dataset=dataset.name,
        loaded_users=len(dataset.users),
        loaded_posts=len(dataset.posts),
        rejects=len(dataset.rejects),
        skipped=dict(dataset.skipped),
        preprocess=pre,
        splits={s: sum(1 for v in splits.values() if v == s) for s in SPLITS},
        cold_start_users=len(cold),
        valid_rule=split.valid_rule,
        rejects_path=str(rejects_path) if rejects_path else None,
    )
    apply_schema(runner)
    started = _now()
    runner.run_file(
        "ingest/meta",
        {
            "name": META_NAME,
            "props": {
                "status": "running",
                "source": dataset.name,
                "started_at": started,
                "params": json.dumps(_params(config), sort_keys=True),
            },
        },
        write=True,
    )
    report.removed, existing = _remove_stale(runner, posts, users, config.batch_rows)
    store = FeatureStore(config.feature_dir)
    steps = build_steps(posts, users, splits, cold, dataset.name, store, existing=existing)
    report.written = write_steps(
        runner, steps, batch_rows=config.batch_rows, progress=progress, console=console
    )
    report.seconds = time.monotonic() - t0
    runner.run_file(
        "ingest/meta",
        {
            "name": META_NAME,
            "props": {
                "status": "complete",
                "finished_at": _now(),
                "report": json.dumps(report.as_dict(), sort_keys=True),
            },
        },
        write=True,
    )
    return report


def build_steps(
    posts: Sequence[PostRecord],
    users: Sequence[UserRecord],
    splits: dict[str, str],
    cold: frozenset[str],
    source: str,
    store: FeatureStore,
    *,
    existing: set[str] | None = None,
) -> list[WriteStep]:
    """The write steps in order: nodes, then relationships (modality rows computed lazily).

    ``existing``: ids of videos already in the graph; only their old links need pruning
    (``None``: prune for every video).
    """
    by_id = {p.id: p for p in posts}
    tagged = R.tagged_rows(posts)
    posted = R.posted_rows(posts)
    old = posts if existing is None else [p for p in posts if p.id in existing]
    old_tagged, old_posted = R.tagged_rows(old), R.posted_rows(old)
    steps = [
        WriteStep("users", "ingest/users", R.user_rows(users, cold, source), len(users)),
        WriteStep("videos", "ingest/videos", R.video_rows(posts, splits, source), len(posts)),
    ]
    hashtags = R.hashtag_rows(posts, splits)
    steps.append(WriteStep("hashtags", "ingest/hashtags", hashtags, len(hashtags)))
    reader = UnitFeatureReader()
    modality_ids = {m: R.modality_ids(posts, m) for m in MODALITY_NAMES}
    for m, ids in modality_ids.items():
        if ids:
            steps.append(
                WriteStep(
                    f"{m} nodes", f"ingest/{m}_nodes", _modality_rows(by_id, ids, m, reader, store), len(ids)
                )
            )
    steps += [
        WriteStep("posted (prune)", "ingest/posted_prune", old_posted, len(old_posted)),
        WriteStep("posted", "ingest/posted", posted, len(posted)),
        WriteStep("tagged (prune)", "ingest/tagged_prune", old_tagged, len(old_tagged)),
        WriteStep("tagged", "ingest/tagged", tagged, len(tagged)),
    ]
    for m, ids in modality_ids.items():
        if ids:
            steps.append(
                WriteStep(f"{m} links", f"ingest/{m}_has_modality", [{"id": i} for i in ids], len(ids))
            )
    return steps


def _modality_rows(
    by_id: dict[str, PostRecord],
    ids: list[str],
    modality: str,
    reader: UnitFeatureReader,
    store: FeatureStore,
    chunk: int = 512,
) -> Iterator[Row]:
    """Rows for modality nodes; precomputed features go to the store and their mean to the node.

    Store files are written by a few threads per chunk (the cost is file-system latency, not CPU),
    and left alone when the store already holds the same precomputed units (fast re-ingest).
    """
    with ThreadPoolExecutor(max_workers=4) as pool:
        for start in range(0, len(ids), chunk):
            batch = ids[start : start + chunk]
            units = {
                vid: reader.read(ref, owner=by_id[vid].origin or vid)
                for vid in batch
                if (ref := by_id[vid].features.get(modality)) is not None
            }
            list(pool.map(lambda item: _store(store, item[0], modality, item[1]), units.items()))
            for video_id in batch:
                arr = units.get(video_id)
                if arr is None:
                    yield {"id": video_id, "props": {}}
                    continue
                yield {
                    "id": video_id,
                    "props": {
                        "embedding": arr.mean(axis=0).astype(float).tolist(),
                        "encoder": PRECOMPUTED,
                        "dim": int(arr.shape[1]),
                        "units": int(arr.shape[0]),
                    },
                }


def _store(store: FeatureStore, video_id: str, modality: str, units: np.ndarray) -> None:
    """Put ``units`` unless the store already holds exactly these precomputed units."""
    if store.has(video_id, modality):
        try:
            same = np.array_equal(store.get(video_id, modality), units)
            if same and store.encoder(video_id, modality) == PRECOMPUTED:
                return
        except MishonError:
            pass  # corrupt file: overwrite it
    store.put(video_id, modality, units, PRECOMPUTED)


def _remove_stale(
    runner: Runner, posts: Sequence[PostRecord], users: Sequence[UserRecord], batch: int
) -> tuple[dict[str, int], set[str]]:
    """Delete videos, users and hashtags an earlier ingest left that this dataset does not have.

    Returns the counts removed and the ids of the current videos that were already in the graph.
    """
    current = {
        "videos": [p.id for p in posts],
        "users": [u.id for u in users],
        "hashtags": sorted({t for p in posts for t in p.hashtags}),
    }
    removed: dict[str, int] = {}
    kept_videos: set[str] = set()
    for kind, ids in current.items():
        existing = [r["id"] for r in runner.run_file(f"ingest/existing_{kind}")]
        if kind == "videos":
            kept_videos = set(existing) & set(ids)
        rows = R.stale(existing, ids)
        removed[kind] = (
            runner.run_file_batched(f"ingest/delete_{kind}", rows, batch_size=batch) if rows else 0
        )
    return removed, kept_videos


def _params(config: Config) -> dict[str, object]:
    return {
        "min_hashtag_freq": config.min_hashtag_freq,
        "min_user_posts": config.min_user_posts,
        "cold_start_frac": config.cold_start_frac,
        "test_frac": config.test_frac,
        "valid_frac": config.valid_frac,
        "seed": config.seed,
        "batch_rows": config.batch_rows,
    }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
