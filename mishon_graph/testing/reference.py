"""Independent pure-Python computations of every edge family (no numpy, no Neo4j).

Tests and benchmarks compare what Cypher and :mod:`mishon_graph.graph.similarity` write against
these (``expected_*``; :mod:`mishon_graph.testing.stored` reads the written ``stored_*``): same
pairs, same weights. They follow the rules documented in :mod:`mishon_graph.graph.build`
and are written for clarity, not speed (quadratic in the number of nodes).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from mishon_graph.constants import TRAIN

Pair = tuple[str, str]


def jaccard(a: set[str], b: set[str]) -> float:
    """Jaccard index |a & b| / |a | b|; 0 for two empty sets."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def training_hashtag_sets(posts: Iterable[tuple[str, str, Iterable[str]]]) -> dict[str, set[str]]:
    """User id -> set of hashtags over the user's training posts.

    Args:
        posts: ``(user_id, split, hashtags)`` per post.

    Returns:
        Only users with at least one training hashtag appear.
    """
    sets: dict[str, set[str]] = {}
    for user_id, split, tags in posts:
        if split != TRAIN:  # No leakage: validation and test hashtags never count.
            continue
        tags = set(tags)
        if tags:
            sets.setdefault(user_id, set()).update(tags)
    return sets


def expected_jaccard_edges(sets: Mapping[str, set[str]], gamma: float) -> dict[Pair, float]:
    """Pairs (lower id, higher id) sharing at least one hashtag whose Jaccard index is >= gamma."""
    ids = sorted(sets)
    edges: dict[Pair, float] = {}
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            if sets[a] & sets[b]:
                w = jaccard(sets[a], sets[b])
                if w >= gamma:
                    edges[(a, b)] = w
    return edges


@dataclass(frozen=True)
class UserInfo:
    """What Algorithm 1 reads from a user."""

    id: str
    followers: int | None = None
    likes: int | None = None
    cold_start: bool = False


def engagement(user: UserInfo) -> float:
    """likes / followers; 0 for cold-start users, unknown values and followers <= 0."""
    if user.cold_start or user.likes is None or user.followers is None or user.followers <= 0:
        return 0.0
    return user.likes / user.followers


def n_popular(alpha: float, n_users: int) -> int:
    """ceil(alpha * n_users), the product rounded to 9 decimals first (0.1 * 30 -> 3)."""
    return math.ceil(round(alpha * n_users, 9))


def popular_users(users: Sequence[UserInfo], alpha: float) -> list[str]:
    """Ids of the popular users: top ``n_popular`` by engagement desc, then id asc."""
    ranked = sorted(users, key=lambda u: (-engagement(u), u.id))
    return [u.id for u in ranked[: n_popular(alpha, len(users))]]


def expected_popular_edges(
    users: Sequence[UserInfo], alpha: float, to_all: bool = False
) -> dict[Pair, float]:
    """(popular id, target id) -> popular user's engagement; targets are cold-start users or all others."""
    by_id = {u.id: u for u in users}
    edges: dict[Pair, float] = {}
    for p in popular_users(users, alpha):
        for u in users:
            if u.id != p and (to_all or u.cold_start):
                edges[(p, u.id)] = engagement(by_id[p])
    return edges


def expected_uses_edges(
    posted: Iterable[tuple[str, str]], modalities: Mapping[str, Iterable[str]]
) -> set[Pair]:
    """(user id, modality node id) per modality, from ``(user_id, video_id)`` posts.

    Args:
        posted: ``(user_id, video_id)`` pairs.
        modalities: modality label -> ids of the videos that have a node of that modality.

    Returns:
        ``(user_id, label + ':' + video_id)`` pairs, one per modality node of each posted video.
    """
    have = {label: set(ids) for label, ids in modalities.items()}
    out: set[Pair] = set()
    for user_id, video_id in posted:
        for label, ids in have.items():
            if video_id in ids:
                out.add((user_id, f"{label}:{video_id}"))
    return out


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity with exactly rounded sums; 0 when either vector is zero."""
    na = math.sqrt(math.fsum(x * x for x in a))
    nb = math.sqrt(math.fsum(x * x for x in b))
    if na == 0.0 or nb == 0.0:
        return 0.0
    return math.fsum(x * y for x, y in zip(a, b, strict=True)) / (na * nb)


def expected_similar_edges(
    embeddings: Mapping[str, Sequence[float]], theta: float, knn_cap: int | None
) -> dict[Pair, float]:
    """SIMILAR pairs (lower id, higher id) -> cosine.

    Rule: a node's candidates are the other nodes with cosine >= theta - 1e-12 (zero vectors have
    none);
    with a cap k each node keeps its k best candidates (cosine desc, then id asc); a pair is an
    edge when either endpoint keeps the other (the symmetrised k-NN graph).
    """
    ids = sorted(i for i, v in embeddings.items() if any(x != 0.0 for x in v))
    cos: dict[Pair, float] = {}
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            cos[(a, b)] = cosine(embeddings[a], embeddings[b])
    edges: dict[Pair, float] = {}
    for a in ids:
        cands = []
        for b in ids:
            if b == a:
                continue
            w = cos[(a, b) if a < b else (b, a)]
            if w >= theta - 1e-12:  # theta up to float64 rounding counts
                cands.append((-w, b))
        cands.sort()
        if knn_cap is not None:
            cands = cands[:knn_cap]
        for neg_w, b in cands:
            edges[(a, b) if a < b else (b, a)] = -neg_w
    return edges
