"""``ingest``: a loaded dataset -> checks -> preprocessing -> splits -> the graph in Neo4j.

Nothing is written until everything that can fail on the data has run: loading, the feature-array
checks, preprocessing and the split. A run that keeps no post fails there, with the graph
untouched. A graph that holds another dataset is replaced only when asked (``replace=True``).
Then everything is written with ``MERGE`` (nodes before relationships), and only after that are
the nodes the dataset no longer has removed. The ``(:GraphMeta {name:'ingest'})`` node says
``running`` during the writes and ``complete`` at the end; commands that read the graph refuse an
incomplete one. Rerunning after an interruption (Ctrl-C, kill, Neo4j restart) therefore ends with
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
from mishon_graph.constants import MODALITY_NAMES, PRECOMPUTED_ENCODER, SPLITS, one_per_modality
from mishon_graph.db.protocol import Row, Runner
from mishon_graph.db.schema import apply_schema
from mishon_graph.errors import MishonError
from mishon_graph.features.store import FeatureStore
from mishon_graph.features.units import mean_units
from mishon_graph.ingest import rows as R
from mishon_graph.ingest.preprocess import PreprocessReport, preprocess
from mishon_graph.ingest.records import Dataset, PostRecord, UserRecord
from mishon_graph.ingest.report import IngestReport, write_rejects
from mishon_graph.ingest.split import assign_splits
from mishon_graph.ingest.state import COMPLETE, META_NAME, RUNNING, Holding, holdings
from mishon_graph.ingest.unit_features import UnitFeatureReader
from mishon_graph.ingest.validate import check_features
from mishon_graph.ingest.writer import WriteStep, write_steps

STALE_KINDS = ("videos", "users", "hashtags")
# One file per modality: a dynamic label loses the id index (constants.one_per_modality).
NODE_QUERIES = one_per_modality(
    {"visual": "ingest/visual_nodes", "acoustic": "ingest/acoustic_nodes", "textual": "ingest/textual_nodes"}
)
LINK_QUERIES = one_per_modality(
    {
        "visual": "ingest/visual_has_modality",
        "acoustic": "ingest/acoustic_has_modality",
        "textual": "ingest/textual_has_modality",
    }
)
# One file per kind: a dynamic label would scan every node; hashtags are keyed by name, and videos
# take their modality nodes with them.
EXISTING_QUERIES = {
    "videos": "ingest/existing_videos",
    "users": "ingest/existing_users",
    "hashtags": "ingest/existing_hashtags",
}
DELETE_QUERIES = {
    "videos": "ingest/delete_videos",
    "users": "ingest/delete_users",
    "hashtags": "ingest/delete_hashtags",
}


def ingest(
    runner: Runner,
    dataset: Dataset,
    config: Config,
    *,
    rejects_path: Path | None = None,
    replace: bool = False,
    progress: bool = True,
    console: Console | None = None,
) -> IngestReport:
    """Preprocess, split and write ``dataset``; record the parameters on ``(:GraphMeta {name:'ingest'})``.

    Args:
        runner: The database seam.
        dataset: What a loader returned.
        config: Preprocessing, split and batch settings; ``feature_dir`` receives precomputed features.
        rejects_path: Where to write the rejects (JSON lines); ``None``: not written.
        replace: Replace a graph that holds another dataset (else that is an error).
        progress: Show a progress bar.
        console: Rich console for the progress bar.

    Returns:
        The report (also stored on the GraphMeta node as JSON).

    Raises:
        MishonError: No post is left to ingest, or the graph holds another dataset and
            ``replace`` is false; in both cases before anything is written.
    """
    t0 = time.monotonic()
    dataset = check_features(dataset)
    if rejects_path is not None:
        write_rejects(Path(rejects_path), dataset.rejects)
    posts, users, pre = preprocess(dataset, config)
    if not posts:
        raise MishonError(_nothing_kept(dataset, pre, rejects_path))
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
    others = [h for h in holdings(runner) if h.source != dataset.name]
    if others and not replace:
        raise MishonError(_would_replace(others, dataset.name))
    before = _existing_ids(runner)
    runner.run_file(
        "ingest/meta",
        {
            "name": META_NAME,
            "props": {
                "status": RUNNING,
                "source": dataset.name,
                "started_at": _now(),
                "params": json.dumps(_params(config), sort_keys=True),
            },
        },
        write=True,
    )
    store = FeatureStore(config.feature_dir)
    existing = set(before["videos"]) & {p.id for p in posts}
    steps = build_steps(posts, users, splits, cold, dataset.name, store, existing=existing)
    report.written = write_steps(
        runner, steps, batch_rows=config.batch_rows, progress=progress, console=console
    )
    report.removed = _remove_stale(runner, before, posts, users, config.batch_rows)
    report.seconds = time.monotonic() - t0
    runner.run_file(
        "ingest/meta",
        {
            "name": META_NAME,
            "props": {
                "status": COMPLETE,
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
                    f"{m} nodes", NODE_QUERIES[m], _modality_rows(by_id, ids, m, reader, store), len(ids)
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
                WriteStep(f"{m} links", LINK_QUERIES[m], [{"id": i} for i in ids], len(ids))
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
                        "embedding": mean_units(arr).astype(float).tolist(),
                        "encoder": PRECOMPUTED_ENCODER,
                        "dim": int(arr.shape[1]),
                        "units": int(arr.shape[0]),
                    },
                }


def _store(store: FeatureStore, video_id: str, modality: str, units: np.ndarray) -> None:
    """Put ``units`` unless the store already holds exactly these precomputed units."""
    if store.has(video_id, modality):
        try:
            same = np.array_equal(store.get(video_id, modality), units)
            if same and store.encoder(video_id, modality) == PRECOMPUTED_ENCODER:
                return
        except MishonError:
            pass  # corrupt file: overwrite it
    store.put(video_id, modality, units, PRECOMPUTED_ENCODER)


def _existing_ids(runner: Runner) -> dict[str, list[str]]:
    """Ids of the videos, users and hashtags in the graph before this ingest writes."""
    return {kind: [r["id"] for r in runner.run_file(EXISTING_QUERIES[kind])] for kind in STALE_KINDS}


def _remove_stale(
    runner: Runner,
    before: dict[str, list[str]],
    posts: Sequence[PostRecord],
    users: Sequence[UserRecord],
    batch: int,
) -> dict[str, int]:
    """After the writes: delete the videos, users and hashtags the graph held before that this
    dataset does not have; returns the counts removed."""
    current = {
        "videos": [p.id for p in posts],
        "users": [u.id for u in users],
        "hashtags": sorted({t for p in posts for t in p.hashtags}),
    }
    removed: dict[str, int] = {}
    for kind in STALE_KINDS:
        rows = R.stale(before[kind], current[kind])
        removed[kind] = (
            runner.run_file_batched(DELETE_QUERIES[kind], rows, batch_size=batch) if rows else 0
        )
    return removed


def _would_replace(others: Sequence[Holding], name: str) -> str:
    """The message when the graph holds datasets other than ``name``."""
    held = "; ".join(h.describe() for h in others)
    return (
        f"the graph holds {held}; ingesting {name!r} would remove it. Nothing was changed: rerun with "
        "--replace to replace it, or use another --home (or NEO4J_DATABASE) to keep both"
    )


def _nothing_kept(dataset: Dataset, pre: PreprocessReport, rejects_path: Path | None) -> str:
    """The message when preprocessing kept no post."""
    dropped = ", ".join(f"{k} {v}" for k, v in pre.dropped_posts.items() if v)
    details = [f"{len(dataset.posts)} posts loaded", f"{len(dataset.rejects)} records rejected"]
    if rejects_path is not None and dataset.rejects:
        details[-1] += f" (see {rejects_path})"
    if dropped:
        details.append(f"dropped: {dropped}")
    return (
        f"{dataset.name}: no post left to ingest ({'; '.join(details)}; min hashtag frequency "
        f"{pre.min_hashtag_freq}, min posts per user {pre.min_user_posts}); the graph was not changed"
    )


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
