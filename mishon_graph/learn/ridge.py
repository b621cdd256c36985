"""Content ridge: a linear map from a video's content to its hashtags, in closed form (no I/O).

``W = (XᵀX + λI)⁻¹ XᵀY``: ridge regression from the training videos' content features ``X`` (one
row per video) to their hashtag indicators ``Y``. Where a k-NN or a hashtag centroid only measures
closeness, the ridge learns which parts of the content predict which hashtag, and it costs one
``d x d`` factorisation whatever the vocabulary (``d`` is the feature width, a few hundred).

:meth:`ContentRidge.scores_without` scores a video with the model refit *without* some training rows,
exactly and without refitting (Woodbury identity): a poster seen as a newcomer is scored by a model
that never saw that poster's videos.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp


class ContentRidge:
    """A fitted ridge regression from content features to hashtag indicators.

    Args:
        features: ``[n, d]`` training videos' features.
        labels: ``[n, |H|]`` their hashtags (1 where the video carries the hashtag).
        lam: The ridge penalty (``λ``), in units of the features' squared norm.
    """

    def __init__(self, features: np.ndarray, labels: sp.spmatrix, lam: float) -> None:
        if lam <= 0:
            raise ValueError(f"the ridge penalty must be > 0, got {lam}")
        x = np.asarray(features, dtype=np.float64)
        self.x = x
        self.labels = sp.csr_matrix(labels, dtype=np.float64)
        gram = x.T @ x
        gram[np.diag_indices_from(gram)] += lam
        self.inverse = np.linalg.inv(gram)  # symmetric positive definite: d x d
        self.xty = np.asarray((self.labels.T @ x).T)  # Xᵀ Y, [d, |H|]
        self.weights = self.inverse @ self.xty

    @property
    def dim(self) -> int:
        return int(self.x.shape[1])

    def scores(self, features: np.ndarray) -> np.ndarray:
        """``[m, |H|]`` scores of ``m`` videos: ``features @ W``."""
        return (np.asarray(features, dtype=np.float64) @ self.weights).astype(np.float32)

    def scores_without(self, features: np.ndarray, rows: Sequence[int]) -> np.ndarray:
        """Scores of the model fit on every training row but ``rows`` (all queries share them).

        With ``A = XᵀX + λI`` and ``U = X[rows]``: ``(A - UᵀU)⁻¹ = A⁻¹ + A⁻¹Uᵀ(I - UA⁻¹Uᵀ)⁻¹UA⁻¹``, and
        the right-hand side loses ``UᵀY[rows]``.
        """
        q = np.atleast_2d(np.asarray(features, dtype=np.float64))
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return self.scores(q)
        u = self.x[rows]
        p = u @ self.inverse  # U A⁻¹, [r, d]
        s = np.eye(len(rows)) - p @ u.T
        a = q @ self.inverse  # q A⁻¹
        a = a + np.linalg.solve(s, (a @ u.T).T).T @ p  # q (A - UᵀU)⁻¹
        out = a @ self.xty - (a @ u.T) @ self.labels[rows].toarray()
        return out.astype(np.float32)
