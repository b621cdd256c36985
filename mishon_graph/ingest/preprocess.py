"""Paper preprocessing (5.1.1) with a report of what was dropped and why.

Order, and why:

1. Normalise hashtags: lower-case, strip leading ``#``, lemmatise (simplemma, English, offline);
   empty results are removed and duplicates within a post collapse.
2. Drop posts missing a modality the dataset has (visual/acoustic: media or features present on
   some post; textual: some post has text or textual features).
3. Drop posts without hashtags.
4. Repeat until nothing changes: drop users with fewer than ``min_user_posts`` posts; split
   (:func:`assign_splits`); count hashtag frequency on *training* posts only (no leakage: valid,
   test and cold-start posts never shape the vocabulary); remove hashtags below
   ``min_hashtag_freq`` from every post; drop posts left without hashtags. The frequency filter can
   push a user below the minimum, which changes that user's split, hence the loop. Each round only
   removes, so it ends; the final split equals ``assign_splits`` on the returned posts.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import simplemma

from mishon_graph.config import Config
from mishon_graph.constants import CAPTION_MODALITY, MEDIA_MODALITIES, TRAIN
from mishon_graph.ingest.records import Dataset, PostRecord, UserRecord
from mishon_graph.ingest.split import assign_splits


@lru_cache(maxsize=200_000)
def normalise_hashtag(tag: str) -> str:
    """``"#Videos"`` -> ``"video"``: strip, drop leading ``#``, lower-case, lemmatise ("" when empty)."""
    text = tag.strip().lstrip("#").strip().lower()
    if not text:
        return ""
    return simplemma.lemmatize(text, lang="en").lower()


def normalise_hashtags(tags: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Normalised, non-empty, first occurrence kept."""
    out: dict[str, None] = {}
    for tag in tags:
        norm = normalise_hashtag(tag)
        if norm:
            out.setdefault(norm, None)
    return tuple(out)


def post_modalities(post: PostRecord) -> set[str]:
    """Modalities a post carries: media gives visual and acoustic; text or features add theirs."""
    found = set(post.features)
    if post.media_path:
        found |= set(MEDIA_MODALITIES)
    if post.text.strip():
        found.add(CAPTION_MODALITY)
    return found


@dataclass
class PreprocessReport:
    """What preprocessing kept and dropped (counts per reason)."""

    min_hashtag_freq: int
    min_user_posts: int
    posts_in: int = 0
    users_in: int = 0
    posts_out: int = 0
    users_out: int = 0
    vocabulary: int = 0
    modalities: list[str] = field(default_factory=list)
    dropped_posts: dict[str, int] = field(default_factory=dict)
    dropped_users: dict[str, int] = field(default_factory=dict)
    hashtags_removed: dict[str, int] = field(default_factory=dict)
    rounds: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _count(bucket: dict[str, int], reason: str, n: int) -> None:
    if n:
        bucket[reason] = bucket.get(reason, 0) + n


def preprocess(
    dataset: Dataset, config: Config
) -> tuple[list[PostRecord], list[UserRecord], PreprocessReport]:
    """Normalise and filter a dataset as the paper does.

    Args:
        dataset: Loaded records.
        config: Supplies ``min_hashtag_freq``, ``min_user_posts`` and the split settings.

    Returns:
        ``(posts, users, report)``: kept posts with normalised hashtags, the users who still have
        posts (input order), and the report.
    """
    report = PreprocessReport(config.min_hashtag_freq, config.min_user_posts)
    report.posts_in, report.users_in = len(dataset.posts), len(dataset.users)

    posts: list[PostRecord] = []
    empty_tags = 0
    for post in dataset.posts:
        tags = normalise_hashtags(post.hashtags)
        empty_tags += sum(1 for t in post.hashtags if not normalise_hashtag(t))
        posts.append(dataclasses.replace(post, hashtags=tags) if tags != post.hashtags else post)
    _count(report.hashtags_removed, "empty after normalising", empty_tags)

    expected = set().union(*(post_modalities(p) for p in posts)) if posts else set()
    report.modalities = sorted(expected)
    kept: list[PostRecord] = []
    for post in posts:
        missing = sorted(expected - post_modalities(post))
        if missing:
            _count(report.dropped_posts, f"missing {missing[0]} modality", 1)
        elif not post.hashtags:
            _count(report.dropped_posts, "no hashtags", 1)
        else:
            kept.append(post)
    posts = kept

    user_by_id = {u.id: u for u in dataset.users}
    while True:
        report.rounds += 1
        per_user = Counter(p.user_id for p in posts)
        small = {u for u, n in per_user.items() if n < config.min_user_posts}
        if small:
            before = len(posts)
            posts = [p for p in posts if p.user_id not in small]
            _count(
                report.dropped_posts,
                f"user has fewer than {config.min_user_posts} posts",
                before - len(posts),
            )
            _count(report.dropped_users, f"fewer than {config.min_user_posts} posts", len(small))
        live_users = [user_by_id[u] for u in dict.fromkeys(p.user_id for p in posts) if u in user_by_id]
        splits, _ = assign_splits(posts, live_users, config)
        # No leakage: the vocabulary is counted on training posts only.
        freq = Counter(t for p in posts if splits[p.id] == TRAIN for t in p.hashtags)
        vocab = {t for t, n in freq.items() if n >= config.min_hashtag_freq}
        removed = 0
        changed_posts = 0
        filtered: list[PostRecord] = []
        for post in posts:
            tags = tuple(t for t in post.hashtags if t in vocab)
            if len(tags) != len(post.hashtags):
                removed += len(post.hashtags) - len(tags)
                if not tags:
                    changed_posts += 1
                    continue
                post = dataclasses.replace(post, hashtags=tags)
            filtered.append(post)
        _count(report.hashtags_removed, f"below {config.min_hashtag_freq} training uses", removed)
        _count(report.dropped_posts, "no hashtag left in the training vocabulary", changed_posts)
        posts = filtered
        if not small and not changed_posts:
            break

    posters = set(p.user_id for p in posts)
    users = [u for u in dataset.users if u.id in posters]
    never = sum(1 for u in dataset.users if u.id not in posters) - sum(report.dropped_users.values())
    _count(report.dropped_users, "no usable posts", never)
    report.posts_out, report.users_out = len(posts), len(users)
    report.vocabulary = len({t for p in posts for t in p.hashtags})
    return posts, users, report
