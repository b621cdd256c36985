"""Paired bootstrap of an F1@K difference between two ranked-list runs over the same test videos.

F1 is computed from the averaged precision and recall (as :mod:`mishon_graph.evaluation.metrics`
does), so each bootstrap replicate resamples test videos with replacement, averages both runs'
per-video precision and recall over the same sample, and takes ``F1(A) - F1(B)``. The interval is
the percentile interval of those differences; "level" means it contains 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from mishon_graph.errors import MishonError
from mishon_graph.evaluation.metrics import f1_score, video_metrics


@dataclass(frozen=True)
class Difference:
    """``F1@K(A) - F1@K(B)`` with its paired bootstrap interval."""

    k: int
    a: float
    b: float
    diff: float
    low: float
    high: float
    n_videos: int
    replicates: int

    @property
    def verdict(self) -> str:
        """``better`` / ``worse`` when the interval excludes 0, else ``level``."""
        if self.low > 0:
            return "better"
        if self.high < 0:
            return "worse"
        return "level"

    def as_row(self) -> dict[str, float | int | str]:
        return {
            "k": self.k,
            "f1_a": self.a,
            "f1_b": self.b,
            "diff": self.diff,
            "ci_low": self.low,
            "ci_high": self.high,
            "n_videos": self.n_videos,
            "verdict": self.verdict,
        }


def per_video(
    ranked: Mapping[str, Sequence[str]], truth: Mapping[str, Sequence[str]], videos: Sequence[str], k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per-video precision and recall at ``k`` (videos the run lacks count as empty lists)."""
    pr = np.array([video_metrics(ranked.get(v, ()), truth[v], k)[1:] for v in videos], dtype=np.float64)
    return pr[:, 0], pr[:, 1]


def _f1(p: np.ndarray, r: np.ndarray) -> np.ndarray:
    s = p + r
    return np.where(s > 0, 2.0 * p * r / np.where(s > 0, s, 1.0), 0.0)


def paired_bootstrap(
    ranked_a: Mapping[str, Sequence[str]],
    ranked_b: Mapping[str, Sequence[str]],
    truth: Mapping[str, Sequence[str]],
    k: int = 5,
    *,
    replicates: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> Difference:
    """F1@K difference A - B with a ``level`` paired bootstrap interval over the videos of ``truth``."""
    videos = sorted(v for v, g in truth.items() if g)
    if not videos:
        raise MishonError("no video with ground-truth hashtags to compare on")
    pa, ra = per_video(ranked_a, truth, videos, k)
    pb, rb = per_video(ranked_b, truth, videos, k)
    a = f1_score(float(pa.mean()), float(ra.mean()))
    b = f1_score(float(pb.mean()), float(rb.mean()))
    rng = np.random.default_rng(seed)
    n = len(videos)
    diffs = np.empty(replicates)
    for start in range(0, replicates, 200):
        m = min(200, replicates - start)
        idx = rng.integers(0, n, size=(m, n))
        fa = _f1(pa[idx].mean(axis=1), ra[idx].mean(axis=1))
        fb = _f1(pb[idx].mean(axis=1), rb[idx].mean(axis=1))
        diffs[start : start + m] = fa - fb
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(diffs, [tail, 1.0 - tail])
    return Difference(k, a, b, a - b, float(low), float(high), n, replicates)
