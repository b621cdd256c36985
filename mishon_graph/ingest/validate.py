"""Checks that need the referenced files: every precomputed feature array a post names must be
readable, ``[units, dim]``, finite, and of its modality's dimension. Run before the first write,
so a bad array becomes a reject (file:line, field, reason) and never aborts an ingest halfway.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence

import numpy as np

from mishon_graph.errors import MishonError
from mishon_graph.ingest.records import Dataset, PostRecord, Reject
from mishon_graph.ingest.unit_features import UnitFeatureReader


def check_features(dataset: Dataset, reader: UnitFeatureReader | None = None) -> Dataset:
    """``dataset`` without the posts whose feature arrays cannot be used; those become rejects.

    A modality's dimension is the one most of its readable arrays have; arrays of another
    dimension are rejected (the model needs one width per modality).
    """
    if not any(p.features for p in dataset.posts):
        return dataset
    reader = reader or UnitFeatureReader()
    problems: dict[str, tuple[str, str]] = {}
    dims: dict[tuple[str, str], int] = {}
    for post in dataset.posts:
        for modality, ref in post.features.items():
            field = f"features.{modality}"
            try:
                units = reader.read(ref, owner=post.origin or post.id)
            except MishonError as exc:
                problems.setdefault(post.id, (field, str(exc)))
                continue
            reason = _bad_values(units)
            if reason:
                problems.setdefault(post.id, (field, f"{ref}: {reason}"))
                continue
            dims[(post.id, modality)] = int(units.shape[1])
    problems.update(_odd_dimensions(dataset.posts, dims, problems))
    if not problems:
        return dataset
    kept = [p for p in dataset.posts if p.id not in problems]
    rejects = list(dataset.rejects) + [
        Reject(p.origin, *problems[p.id], p.id) for p in dataset.posts if p.id in problems
    ]
    return dataclasses.replace(dataset, posts=kept, rejects=rejects)


def _bad_values(units: np.ndarray, chunk: int = 1 << 20) -> str:
    """Why ``units`` cannot be stored ("" when it can): NaN or infinite values."""
    flat = units.reshape(-1)
    for start in range(0, flat.size, chunk):
        part = flat[start : start + chunk]
        if not np.isfinite(part).all():
            n_nan = int(np.isnan(part).sum())
            return "contains NaN values" if n_nan else "contains infinite values"
    return ""


def _odd_dimensions(
    posts: Sequence[PostRecord], dims: dict[tuple[str, str], int], problems: dict[str, tuple[str, str]]
) -> dict[str, tuple[str, str]]:
    """Posts whose array for a modality is not of that modality's most common dimension."""
    usual = {
        modality: Counter(d for (_, m), d in dims.items() if m == modality).most_common(1)[0][0]
        for modality in {m for _, m in dims}
    }
    odd: dict[str, tuple[str, str]] = {}
    for post in posts:
        if post.id in problems:
            continue
        for modality in post.features:
            dim = dims.get((post.id, modality))
            if dim is not None and dim != usual[modality]:
                odd.setdefault(
                    post.id,
                    (f"features.{modality}", f"dimension {dim} differs from {usual[modality]} of the others"),
                )
    return odd
