"""Honest baselines as pure score functions over the training vocabulary.

Every function returns a dense ``[n_targets, n_vocab]`` score matrix (higher is better) so that the
same top-K write-back and the same stored-run evaluation serve baselines and MISHON alike. Ties in
a baseline's own score are broken by training popularity (a term below ``TIEBREAK``), then by
hashtag name (the vocabulary is sorted).

Definitions:
    popular: training frequency of each hashtag, the same list for every video.
    user: the poster's own training hashtag counts; users without history get ``popular``.
    cooccurrence: with the poster's training hashtags as seeds (counted with multiplicity),
        ``score(h) = sum_g n_u(g) * C(g, h) / C(g, g)``, i.e. the estimated ``P(h | g)`` over
        training videos (``C`` counts videos carrying both; ``P(g | g) = 1`` keeps the seeds in).
    knn: cosine of the target's modality embeddings to each training video's, averaged over the
        modalities both have; the ``neighbours`` most similar training videos vote for their
        hashtags with weight ``max(similarity, 0)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from mishon_graph.errors import MishonError

TIEBREAK = 1e-9
BASELINES: tuple[str, ...] = ("popular", "user", "cooccurrence", "knn")


@dataclass(frozen=True)
class HistoryPost:
    """A training video: its id, poster and hashtags."""

    video_id: str
    user_id: str
    hashtags: tuple[str, ...]


@dataclass(frozen=True)
class Target:
    """A video to score and its poster."""

    video_id: str
    user_id: str


def vocabulary(history: Sequence[HistoryPost]) -> list[str]:
    """Sorted hashtags of the training videos: what a baseline may recommend."""
    vocab = sorted({h for post in history for h in post.hashtags})
    if not vocab:
        raise MishonError("no training video has hashtags: nothing to learn a baseline from")
    return vocab


def _counts(history: Sequence[HistoryPost], index: Mapping[str, int]) -> np.ndarray:
    counts = np.zeros(len(index), dtype=np.float64)
    for post in history:
        for h in set(post.hashtags):
            counts[index[h]] += 1
    return counts


def tiebreak(counts: np.ndarray, scale: float = TIEBREAK) -> np.ndarray:
    """``scale * counts / (max + 1)``: a term below ``scale`` that orders ties by popularity (float32
    scores need ``scale`` around 1e-6 to keep it)."""
    return scale * counts / (counts.max() + 1.0)


def popular_scores(
    history: Sequence[HistoryPost], targets: Sequence[Target], vocab: Sequence[str]
) -> np.ndarray:
    """Training frequency of every hashtag, for every target."""
    counts = _counts(history, {h: i for i, h in enumerate(vocab)})
    return np.tile(counts, (len(targets), 1))


def _user_counts(history: Sequence[HistoryPost], index: Mapping[str, int]) -> dict[str, np.ndarray]:
    per_user: dict[str, np.ndarray] = {}
    for post in history:
        row = per_user.setdefault(post.user_id, np.zeros(len(index)))
        for h in set(post.hashtags):
            row[index[h]] += 1
    return per_user


def user_scores(
    history: Sequence[HistoryPost], targets: Sequence[Target], vocab: Sequence[str]
) -> np.ndarray:
    """The poster's own training hashtag counts, backfilled with popularity (always below 1)."""
    index = {h: i for i, h in enumerate(vocab)}
    counts = _counts(history, index)
    backfill = counts / (counts.max() + 1.0)
    per_user = _user_counts(history, index)
    zero = np.zeros(len(vocab))
    rows = [per_user.get(t.user_id, zero) + backfill for t in targets]
    return np.stack(rows) if rows else np.zeros((0, len(vocab)))


def cooccurrence_scores(
    history: Sequence[HistoryPost], targets: Sequence[Target], vocab: Sequence[str]
) -> np.ndarray:
    """``sum_g n_u(g) P(h | g)`` over the poster's training hashtags ``g`` (popularity breaks ties)."""
    index = {h: i for i, h in enumerate(vocab)}
    n = len(vocab)
    co = np.zeros((n, n))
    for post in history:
        ids = sorted({index[h] for h in post.hashtags})
        co[np.ix_(ids, ids)] += 1
    diag = np.diag(co).copy()
    cond = co / np.where(diag > 0, diag, 1.0)[:, None]  # row g: P(h | g)
    per_user = _user_counts(history, index)
    tie = tiebreak(diag)
    zero = np.zeros(n)
    rows = [per_user.get(t.user_id, zero) @ cond + tie for t in targets]
    return np.stack(rows) if rows else np.zeros((0, n))


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1.0)


def knn_scores(
    target_embeddings: Mapping[str, Mapping[str, Sequence[float]]],
    targets: Sequence[Target],
    history: Sequence[HistoryPost],
    history_embeddings: Mapping[str, Mapping[str, Sequence[float]]],
    vocab: Sequence[str],
    *,
    neighbours: int = 20,
    chunk: int = 512,
) -> np.ndarray:
    """Content k-nearest-neighbour voting over the modality embeddings.

    Args:
        target_embeddings: Modality -> video id -> embedding, for the targets.
        targets: Videos to score.
        history: Training videos (their hashtags are the votes).
        history_embeddings: Modality -> video id -> embedding, for the training videos.
        vocab: Hashtags to score.
        neighbours: Training videos that vote per target.
        chunk: Targets per similarity block (bounds memory).

    Returns:
        ``[len(targets), len(vocab)]`` votes plus a popularity tie-break.
    """
    if neighbours < 1:
        raise MishonError(f"k-NN neighbours must be >= 1, got {neighbours}")
    index = {h: i for i, h in enumerate(vocab)}
    labels = np.zeros((len(history), len(vocab)), dtype=np.float32)
    for i, post in enumerate(history):
        labels[i, [index[h] for h in set(post.hashtags)]] = 1.0
    tie = tiebreak(labels.sum(axis=0).astype(np.float64))
    modalities = sorted(set(target_embeddings) & set(history_embeddings))
    out = np.tile(tie, (len(targets), 1))
    if not modalities or not history:
        return out
    blocks = []
    for m in modalities:
        emb = history_embeddings[m]
        dims = {len(e) for e in emb.values()} | {len(e) for e in target_embeddings[m].values()}
        if len(dims) > 1:
            raise MishonError(f"{m} embeddings have mixed dimensions {sorted(dims)}: rerun `mishon features`")
        dim = dims.pop() if dims else 0
        train = np.zeros((len(history), dim), dtype=np.float32)
        has_train = np.zeros(len(history), dtype=bool)
        for i, post in enumerate(history):
            if post.video_id in emb:
                train[i], has_train[i] = emb[post.video_id], True
        blocks.append((m, _normalise(train), has_train))
    k = min(neighbours, len(history))
    for start in range(0, len(targets), chunk):
        part = targets[start : start + chunk]
        total = np.zeros((len(part), len(history)), dtype=np.float64)
        seen = np.zeros((len(part), len(history)), dtype=np.float64)
        for m, train, has_train in blocks:
            emb = target_embeddings[m]
            query = np.zeros((len(part), train.shape[1]), dtype=np.float32)
            has_query = np.zeros(len(part), dtype=bool)
            for i, t in enumerate(part):
                if t.video_id in emb:
                    query[i], has_query[i] = emb[t.video_id], True
            both = np.outer(has_query, has_train)
            total += np.where(both, _normalise(query) @ train.T, 0.0)
            seen += both
        sim = np.where(seen > 0, total / np.maximum(seen, 1.0), -np.inf)
        top = np.argpartition(-sim, k - 1, axis=1)[:, :k]
        weights = np.take_along_axis(sim, top, axis=1)
        weights = np.where(np.isfinite(weights), np.maximum(weights, 0.0), 0.0)
        votes = np.einsum("tk,tkh->th", weights, labels[top])
        out[start : start + len(part)] += votes
    return out


def baseline_scores(
    name: str,
    history: Sequence[HistoryPost],
    targets: Sequence[Target],
    vocab: Sequence[str],
    *,
    target_embeddings: Mapping[str, Mapping[str, Sequence[float]]] | None = None,
    history_embeddings: Mapping[str, Mapping[str, Sequence[float]]] | None = None,
    neighbours: int = 20,
) -> np.ndarray:
    """Dispatch to one of :data:`BASELINES` by name."""
    if name == "popular":
        return popular_scores(history, targets, vocab)
    if name == "user":
        return user_scores(history, targets, vocab)
    if name == "cooccurrence":
        return cooccurrence_scores(history, targets, vocab)
    if name == "knn":
        return knn_scores(
            target_embeddings or {}, targets, history, history_embeddings or {}, vocab, neighbours=neighbours
        )
    raise MishonError(f"unknown baseline {name!r}; choose from {', '.join(BASELINES)}")

