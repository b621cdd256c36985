"""Leakage-safe splits: per-user time order, held-out cold-start users, or the dataset's own split.

Rules (MISHON.md "Splits"), for a user with ``n`` posts in time order (ties keep input order):

- ``n_test = min(n - 1, max(1, round(n * test_frac)))`` latest posts are test (``n = 1``: no test);
- of the remaining ``n_train = n - n_test``, the latest ``min(n_train - 1, round(n_train * valid_frac))``
  are valid, the rest train (``round`` is half-up);
- cold-start users (``round(cold_start_frac * users)`` of the posting users, drawn with
  ``random.Random(seed)`` from the sorted ids) have every post in test.

When every post carries the dataset's own split, that split is kept; no users are sampled as
cold-start then. Users whose record declares ``cold_start`` form the cold-start set instead of a
sample (their posts all become test).

Validation fallback: with many short histories (one-post creators) the per-user cut leaves almost no
validation posts, and early stopping and the ``mishon+`` ranker would learn from a handful of videos.
When it leaves fewer than ``MIN_VALID_SHARE`` of the ``round(valid_frac * n)`` posts a global cut
would hold out (``n`` = the non-test posts of non-cold-start users), the latest ``round(valid_frac *
n)`` of those posts across all users (time order, ties by post id) become valid instead, the rest
train. Test posts are the same either way. :attr:`SplitResult.valid_rule` says which rule was used.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from mishon_graph.config import Config
from mishon_graph.constants import TEST, TRAIN, VALID
from mishon_graph.ingest.records import PostRecord, UserRecord, carry_own_split

MIN_VALID_SHARE = 0.5
PER_USER = "per-user time cut"


@dataclass(frozen=True)
class SplitResult:
    """Split per post id, the held-out cold-start user ids (unpacks as ``splits, cold``) and the
    rule that chose the validation posts."""

    splits: dict[str, str]
    cold_start: frozenset[str]
    valid_rule: str = PER_USER

    def __iter__(self) -> Iterator:
        return iter((self.splits, self.cold_start))


def round_half_up(x: float) -> int:
    """``round`` without banker's rounding (0.5 -> 1), robust to float noise like 3.0000000000000004."""
    return math.floor(x + 0.5 + 1e-9)


def split_sizes(n: int, test_frac: float, valid_frac: float) -> tuple[int, int, int]:
    """``(train, valid, test)`` post counts for a user with ``n`` posts."""
    if n <= 0:
        return 0, 0, 0
    n_test = 0 if n == 1 else min(n - 1, max(1, round_half_up(n * test_frac)))
    n_train = n - n_test
    n_valid = min(n_train - 1, round_half_up(n_train * valid_frac)) if n_train > 1 else 0
    return n_train - n_valid, n_valid, n_test


def pick_cold_start(user_ids: Iterable[str], frac: float, seed: int) -> frozenset[str]:
    """``round(frac * len(users))`` users drawn reproducibly from the sorted ids."""
    ordered = sorted(set(user_ids))
    k = round_half_up(frac * len(ordered))
    return frozenset(random.Random(seed).sample(ordered, k)) if k else frozenset()


def assign_splits(posts: Sequence[PostRecord], users: Sequence[UserRecord], config: Config) -> SplitResult:
    """Split each post into train/valid/test and choose the cold-start users.

    Args:
        posts: Posts after preprocessing.
        users: Users (only ``cold_start`` declarations are read; posters define the user set).
        config: Supplies ``test_frac``, ``valid_frac``, ``cold_start_frac`` and ``seed``.

    Returns:
        ``SplitResult(splits={post id: split}, cold_start=frozenset of user ids)``.
    """
    posters = {p.user_id for p in posts}
    declared = frozenset(u.id for u in users if u.cold_start and u.id in posters)
    if carry_own_split(posts):
        # The dataset's own split; declared cold-start users are still honoured.
        splits = {p.id: (TEST if p.user_id in declared else str(p.split)) for p in posts}
        return SplitResult(splits, declared, "the dataset's own split")
    cold = declared or pick_cold_start(posters, config.cold_start_frac, config.seed)
    by_user: dict[str, list[PostRecord]] = defaultdict(list)
    for post in posts:
        by_user[post.user_id].append(post)
    splits: dict[str, str] = {}
    for user_id, own in by_user.items():
        if user_id in cold:
            # No leakage: a cold-start user's history is never seen in training.
            for post in own:
                splits[post.id] = TEST
            continue
        ordered = sorted(own, key=lambda p: p.created_at)  # stable: ties keep input order
        n_train, n_valid, _ = split_sizes(len(ordered), config.test_frac, config.valid_frac)
        for i, post in enumerate(ordered):
            splits[post.id] = TRAIN if i < n_train else VALID if i < n_train + n_valid else TEST
    return _with_enough_validation(posts, splits, cold, config.valid_frac)


def _with_enough_validation(
    posts: Sequence[PostRecord], splits: dict[str, str], cold: frozenset[str], valid_frac: float
) -> SplitResult:
    """The per-user split, or the global latest-posts validation cut when the former holds too few."""
    pool = [p for p in posts if splits[p.id] in (TRAIN, VALID)]
    want = round_half_up(valid_frac * len(pool))
    have = sum(1 for p in pool if splits[p.id] == VALID)
    if want == 0 or have >= MIN_VALID_SHARE * want:
        return SplitResult(splits, cold)
    ordered = sorted(pool, key=lambda p: (p.created_at, p.id))
    out = dict(splits)
    for i, post in enumerate(ordered):
        out[post.id] = VALID if i >= len(ordered) - want else TRAIN
    rule = f"latest {want} non-test posts across users (the per-user cut left {have})"
    return SplitResult(out, cold, rule)
