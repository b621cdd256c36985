"""Scores -> ``(:Video)-[:RECOMMENDS {score, rank, model, run_id, created_at}]->(:Hashtag)``.

Independent of the model: anything with ``video_ids``, ``hashtags`` and a ``scores`` matrix (the
model's ``Scores``, a baseline's matrix) is written the same way. Writing is idempotent per run:
the run's old relationships are deleted first, other runs stay.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Protocol

import numpy as np

from mishon_graph.db.protocol import Row, Runner
from mishon_graph.errors import MishonError

_DELETE_BATCH = 10_000
_CHUNK = 4096  # score rows ranked at a time: the top-k work stays within chunk x |H|


class ScoresLike(Protocol):
    """What :func:`write_scores` needs: row ids, column names and a ``[rows, cols]`` matrix."""

    video_ids: list[str]
    hashtags: list[str]
    scores: np.ndarray


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and values of the ``k`` best scores per row, best first.

    Ties keep column order, so equal scores rank by hashtag position. Each row is partitioned
    (``np.partition``, linear in the vocabulary) and only the columns at or above its ``k``-th best
    score are sorted, so a wide vocabulary is never fully sorted; values keep the scores' dtype.
    """
    if scores.ndim != 2:
        raise MishonError(f"scores must be a [videos, hashtags] matrix, got shape {scores.shape}")
    if not 1 <= k <= scores.shape[1]:
        raise MishonError(f"K = {k} must be between 1 and the vocabulary size {scores.shape[1]}")
    n = scores.shape[0]
    if n == 0:
        return np.zeros((0, k), dtype=np.int64), np.zeros((0, k), dtype=scores.dtype)
    kth = np.partition(scores, scores.shape[1] - k, axis=1)[:, scores.shape[1] - k]
    rows, cols = np.nonzero(scores >= kth[:, None])  # the k best and any ties with the k-th
    vals = scores[rows, cols]
    order = np.lexsort((cols, -vals, rows))  # per row: score descending, then column ascending
    rows, cols, vals = rows[order], cols[order], vals[order]
    first = np.searchsorted(rows, np.arange(n))
    pick = (first[:, None] + np.arange(k)[None, :]).ravel()
    return cols[pick].reshape(n, k).astype(np.int64), vals[pick].reshape(n, k)


def _checked(video_ids: Sequence[str], hashtags: Sequence[str], scores: np.ndarray, chunk: int) -> np.ndarray:
    scores = np.asarray(scores)
    if scores.shape != (len(video_ids), len(hashtags)):
        raise MishonError(
            f"scores have shape {scores.shape} but there are {len(video_ids)} videos "
            f"and {len(hashtags)} hashtags"
        )
    for start in range(0, scores.shape[0], chunk):
        if not np.isfinite(scores[start : start + chunk]).all():
            raise MishonError("scores hold NaN or infinite values")
    for what, ids in (("video", video_ids), ("hashtag", hashtags)):
        if len(set(ids)) != len(ids):
            raise MishonError(f"duplicate {what} ids in the scores")
    return scores


def _rows(
    video_ids: Sequence[str], hashtags: Sequence[str], scores: np.ndarray, k: int, chunk: int
) -> Iterator[Row]:
    for start in range(0, scores.shape[0], chunk):
        index, values = top_k(scores[start : start + chunk], k)
        for i in range(index.shape[0]):
            vid = video_ids[start + i]
            for r in range(k):
                score = float(values[i, r])
                yield {"video_id": vid, "hashtag": hashtags[index[i, r]], "score": score, "rank": r + 1}


def recommendation_rows(
    video_ids: Sequence[str], hashtags: Sequence[str], scores: np.ndarray, k: int, *, chunk: int = _CHUNK
) -> list[Row]:
    """Rows ``{video_id, hashtag, score, rank}`` of the top-``k`` per video (rank 1 = best)."""
    scores = _checked(video_ids, hashtags, scores, chunk)
    return list(_rows(video_ids, hashtags, scores, k, chunk))


def delete_run(runner: Runner, run_id: str) -> int:
    """Delete every RECOMMENDS relationship of ``run_id``; returns how many."""
    total = 0
    while True:
        rows = runner.run_file("recommend/delete_run", {"run_id": run_id, "limit": _DELETE_BATCH}, write=True)
        deleted = int(rows[0]["deleted"]) if rows else 0
        total += deleted
        if deleted == 0:
            return total


def _check_known(runner: Runner, video_ids: Sequence[str], hashtags: Sequence[str]) -> None:
    missing = runner.run_file("recommend/missing_videos", {"ids": list(video_ids)})[0]["missing"]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise MishonError(f"unknown video id {missing[0]!r}{more}: not in the graph")
    missing = runner.run_file("recommend/missing_hashtags", {"names": list(hashtags)})[0]["missing"]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise MishonError(f"unknown hashtag {missing[0]!r}{more}: not in the graph")


def write_recommendations(
    runner: Runner,
    video_ids: Sequence[str],
    hashtags: Sequence[str],
    scores: np.ndarray,
    *,
    k: int,
    model: str,
    run_id: str,
    batch_size: int = 1000,
    created_at: str | None = None,
) -> int:
    """Replace run ``run_id`` with the top-``k`` hashtags of every video.

    Args:
        runner: The database.
        video_ids: Row ids of ``scores`` (Video ids in the graph).
        hashtags: Column names of ``scores`` (Hashtag names in the graph).
        scores: ``[len(video_ids), len(hashtags)]``, higher is better.
        k: Hashtags kept per video.
        model: Name stored on each relationship (``mishon``, a baseline name, an ablation).
        run_id: Identifies the run; its previous relationships are replaced.
        batch_size: Relationships per write transaction.
        created_at: ISO timestamp stored on the run (default: now, UTC).

    Returns:
        Number of RECOMMENDS relationships written.
    """
    if not run_id or not model:
        raise MishonError("a recommendation run needs a non-empty run id and model name")
    scores = _checked(video_ids, hashtags, scores, _CHUNK)
    if not 1 <= k <= scores.shape[1]:
        raise MishonError(f"K = {k} must be between 1 and the vocabulary size {scores.shape[1]}")
    _check_known(runner, video_ids, hashtags)
    delete_run(runner, run_id)
    stamp = created_at or datetime.now(UTC).isoformat(timespec="seconds")
    return runner.run_file_batched(  # rows are ranked chunk by chunk as the batches are written
        "recommend/write", _rows(video_ids, hashtags, scores, k, _CHUNK), batch_size=batch_size,
        extra={"model": model, "run_id": run_id, "created_at": stamp},
    )


def write_scores(
    runner: Runner, scores: ScoresLike, *, k: int, model: str, run_id: str, batch_size: int = 1000
) -> int:
    """:func:`write_recommendations` for a ``Scores``-like object (the model's output)."""
    return write_recommendations(
        runner, list(scores.video_ids), list(scores.hashtags), np.asarray(scores.scores),
        k=k, model=model, run_id=run_id, batch_size=batch_size,
    )
