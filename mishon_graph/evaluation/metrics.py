"""Hit rate, precision, recall and F1 at K exactly as MISHON.md ("Metrics at K") defines them.

Per test video with ground truth G and top-K list R_K: hit = 1 if R_K and G share a hashtag,
precision = |R_K n G| / K, recall = |R_K n G| / |G|. Each is averaged over the test videos and F1 is
``2PR / (P + R)`` of the averages (the rule that reproduces the paper's tables).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from mishon_graph.errors import MishonError


@dataclass(frozen=True)
class Metrics:
    """Averaged metrics at one K.

    Args:
        k: Cut-off.
        hit: Mean hit rate.
        precision: Mean precision.
        recall: Mean recall.
        f1: F1 of the mean precision and mean recall.
        n_videos: Test videos averaged over.
        n_unranked: Of those, videos the run holds no recommendation for (counted as misses).
    """

    k: int
    hit: float
    precision: float
    recall: float
    f1: float
    n_videos: int
    n_unranked: int = 0

    def as_row(self) -> dict[str, float | int]:
        """The metrics as a flat dict (for CSV and JSON)."""
        return {
            "k": self.k, "hit": self.hit, "precision": self.precision, "recall": self.recall,
            "f1": self.f1, "n_videos": self.n_videos, "n_unranked": self.n_unranked,
        }


def f1_score(precision: float, recall: float) -> float:
    """``2PR / (P + R)``, 0 when both are 0."""
    if precision + recall == 0:
        return 0.0
    return 2.0 * precision * recall / (precision + recall)


def video_metrics(ranked: Sequence[str], truth: Collection[str], k: int) -> tuple[float, float, float]:
    """Hit, precision and recall at ``k`` for one video.

    Args:
        ranked: Recommended hashtags, best first (only the first ``k`` count; a shorter list still
            divides by ``k``).
        truth: The video's ground-truth hashtags (non-empty).
        k: Cut-off, >= 1.

    Returns:
        ``(hit, precision, recall)``.
    """
    if k < 1:
        raise MishonError(f"K must be >= 1, got {k}")
    if not truth:
        raise MishonError("a test video without ground-truth hashtags cannot be evaluated")
    top = set(ranked[:k])
    found = len(top & set(truth))
    return (1.0 if found else 0.0), found / k, found / len(set(truth))


def evaluate_lists(
    ranked: Mapping[str, Sequence[str]],
    truth: Mapping[str, Collection[str]],
    ks: Iterable[int],
) -> dict[int, Metrics]:
    """Average the per-video metrics over every video in ``truth``, for each K.

    Videos of ``truth`` that ``ranked`` lacks count as misses (an empty list): skipping them would
    flatter a run that only covers the easy videos.

    Args:
        ranked: Video id -> recommended hashtags, best first.
        truth: Video id -> ground-truth hashtags; videos with an empty set are ignored.
        ks: Cut-offs.

    Returns:
        K -> :class:`Metrics`.
    """
    videos = [v for v, g in truth.items() if g]
    if not videos:
        raise MishonError("no test video with ground-truth hashtags to evaluate")
    unranked = sum(1 for v in videos if not ranked.get(v))
    out: dict[int, Metrics] = {}
    for k in ks:
        hit = precision = recall = 0.0
        for v in videos:
            h, p, r = video_metrics(ranked.get(v, ()), truth[v], k)
            hit += h
            precision += p
            recall += r
        n = len(videos)
        p_mean, r_mean = precision / n, recall / n
        out[k] = Metrics(k, hit / n, p_mean, r_mean, f1_score(p_mean, r_mean), n, unranked)
    return out


def parse_ks(spec: str) -> list[int]:
    """``"1..9"``, ``"5"`` or ``"1,3,5"`` -> sorted distinct cut-offs (each >= 1)."""
    try:
        if ".." in spec:
            lo, hi = (int(x) for x in spec.split("..", 1))
            ks = list(range(lo, hi + 1))
        else:
            ks = [int(x) for x in spec.split(",") if x.strip()]
    except ValueError:
        raise MishonError(f"bad K specification {spec!r}: use 1..9, 5 or 1,3,5") from None
    if not ks or min(ks) < 1:
        raise MishonError(f"bad K specification {spec!r}: K values must be >= 1")
    return sorted(set(ks))


def top_lists(scores, video_ids: Sequence[str], vocab: Sequence[str], k: int) -> dict[str, list[str]]:
    """Video id -> the ``k`` best columns of its row of ``scores`` (ties: lower column first)."""
    import numpy as np

    top = np.argsort(-np.asarray(scores), axis=1, kind="stable")[:, :k]
    return {v: [vocab[j] for j in top[i]] for i, v in enumerate(video_ids)}


def f1_of_scores(
    scores, video_ids: Sequence[str], vocab: Sequence[str], truth: Mapping[str, Collection[str]], k: int
) -> float:
    """F1@K of a ``[len(video_ids), len(vocab)]`` score matrix against ``truth`` (those videos only)."""
    sub = {v: truth.get(v, ()) for v in video_ids}
    return evaluate_lists(top_lists(scores, video_ids, vocab, k), sub, [k])[k].f1
