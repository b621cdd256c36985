"""In-memory Jaccard of user hashtag sets with scipy.sparse (benchmark reference, no I/O).

Same rule as the Cypher edges and :func:`mishon_graph.testing.reference.expected_jaccard_edges`:
pairs (lower id, higher id) sharing at least one hashtag whose Jaccard index is >= gamma.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp

Pair = tuple[str, str]


def sparse_jaccard_edges(pairs: Iterable[tuple[str, str]], gamma: float) -> dict[Pair, float]:
    """Jaccard edges from distinct ``(user_id, hashtag)`` pairs (training hashtags only)."""
    users: dict[str, int] = {}
    tags: dict[str, int] = {}
    rows, cols = [], []
    for user, tag in set(pairs):
        rows.append(users.setdefault(user, len(users)))
        cols.append(tags.setdefault(tag, len(tags)))
    if not rows:
        return {}
    m = sp.csr_matrix((np.ones(len(rows), dtype=np.float64), (rows, cols)), shape=(len(users), len(tags)))
    shared = sp.triu(m @ m.T, k=1).tocoo()
    size = np.asarray(m.sum(axis=1)).ravel()
    weight = shared.data / (size[shared.row] + size[shared.col] - shared.data)
    keep = weight >= gamma
    names = np.array(list(users), dtype=object)
    out: dict[Pair, float] = {}
    for a, b, w in zip(names[shared.row[keep]], names[shared.col[keep]], weight[keep], strict=True):
        out[(a, b) if a < b else (b, a)] = float(w)
    return out
