"""Baselines whose one or few knobs are tuned on the validation split (pure; no I/O).

- ``user_recent``: the poster's own hashtags with a recency decay; the half-life (in posts) is chosen
  from :data:`HALF_LIVES` by validation F1@K.
- ``mix``: ``sum_s w_s * signal_s`` over history, content k-NN, caption k-NN and popularity, each
  signal divided by its largest value so the weights are comparable; the weights are found by
  coordinate ascent over :data:`WEIGHTS` on validation F1@K, starting from the best single signal.

Both are what a careful engineer would ship without a learned model, so ``mishon+`` is compared
against them as well as the plain baselines.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from mishon_graph.evaluation.metrics import f1_of_scores

HALF_LIVES: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, math.inf)
WEIGHTS: tuple[float, ...] = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0)
MIX_SIGNALS: tuple[str, ...] = ("recent", "knn", "text", "popularity")


def user_folds(users: Sequence[str], folds: int, seed: int) -> np.ndarray:
    """Fold number (``0 .. max(folds, 2) - 1``) per item, every user's items in one fold (seeded)."""
    arr = np.array(list(users), dtype=object)
    uniq = np.unique(arr)
    rng = np.random.default_rng(seed)
    fold_of_user = dict(zip(uniq.tolist(), rng.permutation(len(uniq)) % max(folds, 2), strict=True))
    return np.array([fold_of_user[u] for u in arr], dtype=np.int64)


def best_half_life(
    history_for: Callable[[float], np.ndarray],
    video_ids: Sequence[str],
    vocab: Sequence[str],
    truth: Mapping[str, Sequence[str]],
    k: int,
    tie: np.ndarray,
) -> tuple[float, dict[float, float]]:
    """The half-life with the best validation F1@K (ties: the longer one) and every F1 tried.

    ``history_for(h)`` returns the validation targets' history shares for half-life ``h``; ``tie`` is
    added to every row (popularity, scaled below the smallest history step).
    """
    scores = {h: f1_of_scores(history_for(h) + tie, video_ids, vocab, truth, k) for h in HALF_LIVES}
    best = max(scores, key=lambda h: (scores[h], h))
    return best, scores


def scaled(signal: np.ndarray) -> np.ndarray:
    """A signal divided by its largest value (all-zero stays zero)."""
    top = float(signal.max()) if signal.size else 0.0
    return signal / top if top > 0 else signal


def mix_scores(signals: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """``sum_s w_s * scaled(signal_s)`` (signals missing from ``signals`` count as zero)."""
    out = None
    for name, w in weights.items():
        if w and name in signals:
            part = w * scaled(signals[name])
            out = part if out is None else out + part
    if out is None:
        first = next(iter(signals.values()))
        return np.zeros_like(first)
    return out


def tune_mix(
    signals: Mapping[str, np.ndarray],
    video_ids: Sequence[str],
    vocab: Sequence[str],
    truth: Mapping[str, Sequence[str]],
    k: int,
    *,
    rounds: int = 2,
) -> tuple[dict[str, float], float]:
    """Weights (coordinate ascent over :data:`WEIGHTS`) maximising validation F1@K, and that F1."""
    names = [n for n in MIX_SIGNALS if n in signals and signals[n].any()]
    if not names:
        return {}, 0.0

    def f1(w: Mapping[str, float]) -> float:
        return f1_of_scores(mix_scores(signals, w), video_ids, vocab, truth, k)

    singles = {n: f1({n: 1.0}) for n in names}
    start = max(singles, key=lambda n: singles[n])
    weights = {n: (1.0 if n == start else 0.0) for n in names}
    best = singles[start]
    for _ in range(rounds):
        changed = False
        for n in names:
            if n == start:
                continue
            for w in WEIGHTS:
                if w == weights[n]:
                    continue
                trial = {**weights, n: w}
                score = f1(trial)
                if score > best + 1e-12:
                    best, weights, changed = score, trial, True
        if not changed:
            break
    return weights, best


def crossfit_mix(
    signals: Mapping[str, np.ndarray],
    video_ids: Sequence[str],
    users: Sequence[str],
    vocab: Sequence[str],
    truth: Mapping[str, Sequence[str]],
    k: int,
    *,
    folds: int = 3,
    seed: int = 42,
) -> float:
    """Validation F1@K of the mix when each user-grouped fold is scored with weights tuned on the
    other folds: the out-of-sample figure to set beside a cross-fitted model's."""
    fold = user_folds(users, folds, seed)
    ids = list(video_ids)
    out = np.zeros_like(next(iter(signals.values())), dtype=np.float64)
    for f in range(max(folds, 2)):
        test, train = np.nonzero(fold == f)[0], np.nonzero(fold != f)[0]
        if not len(test) or not len(train):
            continue
        weights, _ = tune_mix(
            {n: s[train] for n, s in signals.items()}, [ids[i] for i in train], vocab, truth, k
        )
        out[test] = mix_scores({n: s[test] for n, s in signals.items()}, weights)
    return f1_of_scores(out, ids, vocab, truth, k)
