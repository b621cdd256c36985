"""Canonical records -> the parameter rows the ``cypher/ingest`` files UNWIND (pure functions)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mishon_graph.constants import CAPTION_MODALITY, MEDIA_MODALITIES, TRAIN
from mishon_graph.ingest.records import PostRecord, UserRecord

Row = dict[str, Any]


def user_rows(users: Iterable[UserRecord], cold_start: frozenset[str] | set[str], source: str) -> list[Row]:
    """One row per user; ``cold_start`` marks the held-out users."""
    return [
        {
            "id": u.id,
            "followers": u.followers,
            "likes": u.likes,
            "created_at": u.created_at,
            "cold_start": u.id in cold_start,
            "source": source,
        }
        for u in users
    ]


def video_rows(posts: Iterable[PostRecord], splits: Mapping[str, str], source: str) -> list[Row]:
    """One row per post, with its split."""
    return [
        {
            "id": p.id,
            "user_id": p.user_id,
            "created_at": p.created_at,
            "text": p.text,
            "split": splits[p.id],
            "media_path": p.media_path,
            "source": source,
        }
        for p in posts
    ]


def train_counts(posts: Iterable[PostRecord], splits: Mapping[str, str]) -> Counter[str]:
    """How many training posts use each hashtag (no leakage: valid/test posts are not counted)."""
    return Counter(t for p in posts if splits[p.id] == TRAIN for t in p.hashtags)


def hashtag_rows(posts: Sequence[PostRecord], splits: Mapping[str, str]) -> list[Row]:
    """One row per hashtag used by any post, sorted by name, with its training frequency."""
    counts = train_counts(posts, splits)
    names = sorted({t for p in posts for t in p.hashtags})
    return [{"name": n, "train_count": counts.get(n, 0)} for n in names]


def posted_rows(posts: Iterable[PostRecord]) -> list[Row]:
    """``(:User)-[:POSTED]->(:Video)`` rows."""
    return [{"user_id": p.user_id, "video_id": p.id} for p in posts]


def tagged_rows(posts: Iterable[PostRecord]) -> list[Row]:
    """One row per post with its hashtag list (``TAGGED`` links and their pruning)."""
    return [{"id": p.id, "hashtags": list(p.hashtags)} for p in posts]


def modality_ids(posts: Iterable[PostRecord], modality: str) -> list[str]:
    """Ids of the posts that get a node of ``modality``: features given, or media (visual,
    acoustic), or non-empty text (textual)."""
    out = []
    for p in posts:
        if modality in p.features:
            out.append(p.id)
        elif modality in MEDIA_MODALITIES and p.media_path:
            out.append(p.id)
        elif modality == CAPTION_MODALITY and p.text.strip():
            out.append(p.id)
    return out


def stale(existing: Iterable[str], current: Iterable[str]) -> list[Row]:
    """Rows ``{id}`` for the ids in the graph that the new dataset does not have (sorted)."""
    return [{"id": i} for i in sorted(set(existing) - set(current))]
