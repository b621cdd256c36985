"""Per-(video, hashtag) evidence signals from training data only: pure functions, no I/O.

Each signal scores every hashtag of the training vocabulary for a batch of target videos and returns
a ``[n_targets, |H|]`` float32 matrix (0 = no evidence). The baselines use single signals; the
``mishon+`` ranker (:mod:`mishon_graph.learn.hybrid`) learns how to combine them.

Definitions (``X`` = training videos x vocabulary, binary; a user's training posts in time order):
    history: ``sum_j w_j X[j, h] / sum_j w_j`` over the poster's training posts, where the ``j``-th
        newest post weighs ``w_j = 0.5 ** (j / half_life)`` (``half_life = inf``: plain frequency).
    cooccurrence: ``history_u @ P`` with ``P[g, h] = C(g, h) / C(g, g)`` (``C = X^T X``), the
        estimated ``P(h | g)`` over training videos, seeded by the poster's (decayed) history.
    votes: neighbours ``(training video, weight)`` vote ``weight * X[j]``, divided by the total
        weight (a weighted share of the neighbours that carry the hashtag).
    user votes: neighbouring users ``(user, weight)`` vote with their own plain history.
    mention: 1 when the hashtag is a word of the caption or two or three adjacent words joined
        (``"now playing"`` -> ``nowplaying``), after the same normalisation as hashtags.
    popularity: ``log(1 + training count)``, the same row for every target.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from mishon_graph.errors import MishonError

FLOAT32_TIEBREAK = 1e-6  # popularity tie-break scale that float32 scores keep
Neighbours = Sequence[Sequence[tuple[int, float]]]  # per target: (training row, weight)
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Post:
    """A training video: id, poster, creation time (ISO text, sortable) and hashtags."""

    video_id: str
    user_id: str
    created_at: str
    hashtags: tuple[str, ...]


@dataclass
class History:
    """Training posts as a sparse matrix with the per-user post lists (newest first).

    Args:
        posts: Training videos.
        vocab: The hashtags a model may recommend (columns).
    """

    posts: Sequence[Post]
    vocab: Sequence[str]
    index: dict[str, int] = field(init=False)
    row_of: dict[str, int] = field(init=False)
    matrix: sp.csr_matrix = field(init=False)
    by_user: dict[str, list[int]] = field(init=False)

    def __post_init__(self) -> None:
        self.index = {h: i for i, h in enumerate(self.vocab)}
        self.row_of = {p.video_id: i for i, p in enumerate(self.posts)}
        rows, cols = [], []
        for i, p in enumerate(self.posts):
            for h in sorted({h for h in p.hashtags if h in self.index}):
                rows.append(i)
                cols.append(self.index[h])
        self.matrix = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(self.posts), len(self.vocab))
        )
        by_user: dict[str, list[int]] = {}
        for i, p in enumerate(self.posts):
            by_user.setdefault(p.user_id, []).append(i)
        for rows_u in by_user.values():
            rows_u.sort(key=lambda i: (self.posts[i].created_at, self.posts[i].video_id), reverse=True)
        self.by_user = by_user

    @property
    def counts(self) -> np.ndarray:
        """Training videos per hashtag."""
        return np.asarray(self.matrix.sum(axis=0)).ravel()

    def posts_of(self, user_id: str) -> int:
        return len(self.by_user.get(user_id, ()))

    def habits(self, user_id: str) -> tuple[float, float]:
        """``(distinct hashtags, repeat rate)`` of a user's training posts: the share of their posts
        (after the first) that reuse a hashtag of one of their earlier posts (0 without history)."""
        rows = self.by_user.get(user_id, [])
        seen: set[int] = set()
        repeats = 0
        for i in reversed(rows):  # oldest first
            tags = set(self.matrix.indices[self.matrix.indptr[i] : self.matrix.indptr[i + 1]].tolist())
            repeats += bool(tags & seen)
            seen |= tags
        return float(len(seen)), repeats / (len(rows) - 1) if len(rows) > 1 else 0.0

    @property
    def spread(self) -> np.ndarray:
        """Distinct users per hashtag."""
        users = {u: i for i, u in enumerate(sorted(self.by_user))}
        owner = np.array([users[p.user_id] for p in self.posts], dtype=np.int64)
        m = sp.csr_matrix(
            (np.ones(len(owner)), (owner, np.arange(len(owner)))), shape=(len(users), len(owner))
        )
        used = (m @ self.matrix).tocsr()
        used.data[:] = 1.0
        return np.asarray(used.sum(axis=0)).ravel()


def decay_weights(n: int, half_life: float) -> np.ndarray:
    """Weights of a user's ``n`` posts, newest first: ``0.5 ** (j / half_life)``."""
    if half_life <= 0:
        raise MishonError(f"history half-life must be > 0 posts, got {half_life}")
    if math.isinf(half_life):
        return np.ones(n, dtype=np.float64)
    return 0.5 ** (np.arange(n, dtype=np.float64) / half_life)


def user_profiles(history: History, half_life: float = math.inf) -> tuple[dict[str, int], sp.csr_matrix]:
    """Decayed hashtag shares per user: (user id -> row, ``[n_users, |H|]`` rows summing to <= 1)."""
    users = sorted(history.by_user)
    rows, cols, vals = [], [], []
    for r, u in enumerate(users):
        posts = history.by_user[u]
        w = decay_weights(len(posts), half_life)
        w = w / w.sum()
        rows += [r] * len(posts)
        cols += posts
        vals += w.tolist()
    weights = sp.csr_matrix((vals, (rows, cols)), shape=(len(users), len(history.posts)))
    return {u: i for i, u in enumerate(users)}, (weights @ history.matrix).tocsr().astype(np.float32)


def history_scores(history: History, user_ids: Sequence[str], half_life: float = math.inf) -> np.ndarray:
    """The poster's own (decayed) hashtag shares per target; zeros for users without history."""
    return profile_rows(user_profiles(history, half_life), user_ids)


def profile_rows(profiles: tuple[dict[str, int], sp.csr_matrix], user_ids: Sequence[str]) -> np.ndarray:
    """Rows of :func:`user_profiles` for ``user_ids`` (zeros for users without history)."""
    where, rows = profiles
    return _gather_rows(rows, [where.get(u) for u in user_ids])


def cooccurrence_matrix(history: History) -> sp.csr_matrix:
    """``P[g, h]``: share of the training videos with ``g`` that also carry ``h`` (diagonal 1)."""
    x = history.matrix
    co = (x.T @ x).tocsr().astype(np.float32)
    diag = np.asarray(co.diagonal(), dtype=np.float32)
    inv = np.where(diag > 0, 1.0 / np.maximum(diag, 1.0), 0.0).astype(np.float32)
    return sp.diags(inv) @ co


def cooccurrence_scores(history_rows: np.ndarray, cond: sp.csr_matrix) -> np.ndarray:
    """Hashtags that co-occur with a target's seed shares: ``seeds @ P`` (seeds: ``[n, |H|]``)."""
    if history_rows.shape[0] == 0:
        return history_rows.astype(np.float32)
    return (sp.csr_matrix(history_rows) @ cond).toarray().astype(np.float32, copy=False)


def neighbour_votes(neighbours: Neighbours, labels: sp.csr_matrix) -> np.ndarray:
    """Weighted share of each target's neighbours carrying each hashtag (weights clipped at 0).

    Args:
        neighbours: Per target, ``(row of labels, weight)`` pairs.
        labels: ``[n_sources, |H|]`` binary.
    """
    rows, cols, vals = [], [], []
    for t, pairs in enumerate(neighbours):
        total = sum(max(w, 0.0) for _, w in pairs)
        if total <= 0:
            continue
        for j, w in pairs:
            if w > 0:
                rows.append(t)
                cols.append(j)
                vals.append(w / total)
    weights = sp.csr_matrix((vals, (rows, cols)), shape=(len(neighbours), labels.shape[0]))
    return np.asarray((weights @ labels).todense(), dtype=np.float32)


def top_neighbours(
    sims: np.ndarray, k: int, exclude: np.ndarray | None = None
) -> list[list[tuple[int, float]]]:
    """The ``k`` most similar columns per row of a similarity block (``-inf`` entries never chosen).

    Args:
        sims: ``[n_targets, n_sources]`` similarities.
        k: Neighbours per target.
        exclude: Optional boolean mask of the same shape: True entries are skipped.
    """
    if k < 1:
        raise MishonError(f"neighbours must be >= 1, got {k}")
    sims = np.array(sims, dtype=np.float32, copy=True)
    if exclude is not None:
        sims[exclude] = -np.inf
    k = min(k, sims.shape[1])
    if k == 0:
        return [[] for _ in range(sims.shape[0])]
    top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    out = []
    for r in range(sims.shape[0]):
        out.append([(int(j), float(sims[r, j])) for j in top[r] if np.isfinite(sims[r, j])])
    return out


def knn_neighbours(
    query: np.ndarray | sp.spmatrix,
    sources: np.ndarray | sp.spmatrix,
    k: int,
    *,
    exclude: Callable[[int, int], np.ndarray] | None = None,
    chunk: int = 512,
) -> list[list[tuple[int, float]]]:
    """Cosine k-NN of L2-normalised ``query`` rows among ``sources`` rows, computed in blocks.

    ``exclude(start, stop)`` may return a ``[stop - start, n_sources]`` mask of pairs to skip.
    """
    out: list[list[tuple[int, float]]] = []
    for start in range(0, query.shape[0], chunk):
        stop = min(start + chunk, query.shape[0])
        block = query[start:stop] @ sources.T
        block = block.toarray() if sp.issparse(block) else np.asarray(block)
        out += top_neighbours(block, k, exclude(start, stop) if exclude else None)
    return out


def user_votes(
    user_ids: Sequence[str],
    links: Mapping[str, Sequence[tuple[str, float]]],
    profiles: tuple[dict[str, int], sp.csr_matrix],
) -> np.ndarray:
    """Weighted mean of the linked users' hashtag shares (JACCARD or POPULAR neighbours)."""
    where, rows = profiles
    neighbours = [[(where[v], w) for v, w in links.get(u, ()) if v in where] for u in user_ids]
    return neighbour_votes(neighbours, rows)


def caption_terms(text: str, normalise: Callable[[str], str]) -> set[str]:
    """Normalised words of a caption plus every 2- and 3-word run joined without spaces."""
    words = [w.lower() for w in _WORD.findall(text or "")]
    terms = {normalise(w) for w in words} | set(words)
    for n in (2, 3):
        terms |= {"".join(words[i : i + n]) for i in range(len(words) - n + 1)}
    terms.discard("")
    return terms


def mention_scores(
    texts: Sequence[str], vocab_index: Mapping[str, int], normalise: Callable[[str], str]
) -> np.ndarray:
    """1 where a hashtag of the vocabulary is a term of the caption (:func:`caption_terms`)."""
    out = np.zeros((len(texts), len(vocab_index)), dtype=np.float32)
    for r, text in enumerate(texts):
        for term in caption_terms(text, normalise):
            j = vocab_index.get(term)
            if j is not None:
                out[r, j] = 1.0
    return out


def popularity_scores(history: History, n_targets: int) -> np.ndarray:
    """``log(1 + training count)`` of every hashtag, one row per target."""
    return np.tile(np.log1p(history.counts).astype(np.float32), (n_targets, 1))


def _gather_rows(matrix: sp.csr_matrix, rows: Sequence[int | None]) -> np.ndarray:
    out = np.zeros((len(rows), matrix.shape[1]), dtype=np.float32)
    present = [(i, r) for i, r in enumerate(rows) if r is not None]
    if present:
        idx, src = zip(*present, strict=True)
        out[list(idx)] = matrix[list(src)].toarray()
    return out


def hashtag_sums(sources: np.ndarray | sp.spmatrix, labels: sp.csr_matrix) -> np.ndarray | sp.csr_matrix:
    """Per hashtag, the sum of the vectors of the training videos carrying it (``X^T S``)."""
    out = labels.T.tocsr() @ sources
    return out.tocsr() if sp.issparse(out) else np.asarray(out, dtype=np.float32)


def _row_norms(m: np.ndarray | sp.spmatrix) -> np.ndarray:
    if sp.issparse(m):
        return np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    return np.linalg.norm(m, axis=1)


def centroid_scores(
    query: np.ndarray | sp.spmatrix,
    sums: np.ndarray | sp.spmatrix,
    *,
    own: Sequence[tuple[np.ndarray | sp.spmatrix, np.ndarray] | None] | None = None,
) -> np.ndarray:
    """Cosine of each L2-normalised query row to each hashtag's centroid (its training videos' mean).

    A hashtag node's vector is what one step of message passing over TAGGED edges from training
    videos gives it; this signal is the target's similarity to it.

    Args:
        query: ``[n, d]`` target vectors.
        sums: ``[|H|, d]`` from :func:`hashtag_sums`.
        own: Per target, ``(vectors, hashtag columns)`` of the poster's own contribution to take out
            of the sums (a newcomer is scored without their own posts), or None.
    """
    norms = _row_norms(sums)
    scores = query @ sums.T
    scores = scores.toarray() if sp.issparse(scores) else np.asarray(scores)
    scores = scores / np.where(norms > 0, norms, 1.0)[None, :]
    if own is not None:
        for r, part in enumerate(own):
            if part is None:
                continue
            vec, cols = part
            rest = sums[cols] - vec
            rest_norm = _row_norms(rest)
            q = query[r]
            dots = rest @ q.T
            dots = dots.toarray().ravel() if sp.issparse(dots) else np.asarray(dots).ravel()
            scores[r, cols] = np.where(rest_norm > 1e-6, dots / np.where(rest_norm > 0, rest_norm, 1.0), 0.0)
    return scores.astype(np.float32, copy=False)
