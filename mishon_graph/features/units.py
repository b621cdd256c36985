"""Pure helpers over unit features: the pooled vector stored on modality nodes, padded batches."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def mean_units(units: np.ndarray) -> np.ndarray:
    """The mean over units of ``[num_units, dim]`` features (the "without attention" pooling)."""
    arr = np.asarray(units, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise ValueError(f"expected [num_units, dim] with num_units >= 1, got {arr.shape}")
    return arr.mean(axis=0).astype(np.float32)


def pad_units(batch: Sequence[np.ndarray], max_units: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Stack variable-length unit features for attention pooling.

    Args:
        batch: ``[num_units_i, dim]`` arrays with the same ``dim``.
        max_units: Keep at most this many units per item (``None``: the longest item).

    Returns:
        ``(features [batch, units, dim] float32 zero-padded, mask [batch, units] bool)``, where
        ``mask[i, j]`` is true for real units.
    """
    if not batch:
        raise ValueError("pad_units needs at least one item")
    dims = {int(np.shape(b)[1]) for b in batch}
    if len(dims) != 1:
        raise ValueError(f"unit features of one batch must share dim, got {sorted(dims)}")
    lengths = [min(len(b), max_units) if max_units else len(b) for b in batch]
    width = max(lengths)
    feats = np.zeros((len(batch), width, dims.pop()), dtype=np.float32)
    mask = np.zeros((len(batch), width), dtype=bool)
    for i, (b, n) in enumerate(zip(batch, lengths, strict=True)):
        feats[i, :n] = np.asarray(b, dtype=np.float32)[:n]
        mask[i, :n] = True
    return feats, mask
