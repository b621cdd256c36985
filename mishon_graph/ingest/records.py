"""Canonical record types every loader produces (no I/O here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class UserRecord:
    """A user.

    Args:
        id: Stable user id.
        followers: Follower count, ``None`` when unknown.
        likes: Likes received, ``None`` when unknown.
        created_at: ISO-8601 time the account was created, when known.
        cold_start: The dataset itself declares this user held out (all their posts test);
            when any user declares it, the split uses exactly the declared set.
        origin: Where the record came from (``file:line``), for error messages; empty for users a
            loader adds implicitly.
    """

    id: str
    followers: int | None = None
    likes: int | None = None
    created_at: str | None = None
    cold_start: bool = False
    origin: str = field(default="", compare=False)


@dataclass(frozen=True)
class PostRecord:
    """A micro-video post (or any captioned item playing that role).

    Args:
        id: Stable post/video id.
        user_id: The poster.
        created_at: ISO-8601 posting time (orders the per-user split).
        text: Caption/title/description with hashtags removed.
        hashtags: Hashtags as given (normalised later by preprocessing).
        media_path: Path of the video file, when there is one.
        features: Precomputed unit features per modality: modality name -> path of a ``.npy``
            ``[num_units, dim]`` array.
        split: ``train``/``valid``/``test`` when the dataset fixes its own split, else ``None``.
        origin: Where the record came from (``file:line``), for error messages.
    """

    id: str
    user_id: str
    created_at: str
    text: str = ""
    hashtags: tuple[str, ...] = ()
    media_path: str | None = None
    features: dict[str, str] = field(default_factory=dict)
    split: str | None = None
    origin: str = ""


@dataclass(frozen=True)
class Reject:
    """A record that was not ingested, and why (written to the rejects file)."""

    origin: str
    field: str
    reason: str
    record_id: str = ""


@dataclass
class Dataset:
    """What a loader returns: canonical records plus the records it could not use.

    Args:
        name: Dataset name, stored as ``source`` on users and videos.
        users: Users, one per id (loaders add an implicit user for every poster they lack).
        posts: Posts, one per id.
        rejects: Records that were skipped, with file, line/record, field and reason.
        skipped: Records left out by design, not errors (e.g. photos in YFCC), counted by kind.
    """

    name: str
    users: list[UserRecord] = field(default_factory=list)
    posts: list[PostRecord] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def has_own_split(self) -> bool:
        """Every post carries the dataset's own ``split`` (:func:`carry_own_split`)."""
        return carry_own_split(self.posts)


def carry_own_split(posts: Sequence[PostRecord]) -> bool:
    """The one rule for "the dataset fixes its own split": there are posts and every one has a split."""
    return bool(posts) and all(p.split is not None for p in posts)
