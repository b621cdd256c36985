"""The #HowYouTagTweets files: ``train.csv``, ``valid.csv``, ``test.csv`` in one folder.

Each line is ``text <TAB> user_id <TAB> hashtag <TAB> hashtag ...``. The dataset's own split is kept.
There is no time column: ``created_at`` is a synthetic, monotone order index, one second per line
from 2000-01-01T00:00:00Z in the order train, valid, test (the authors ordered tweets by time), so
per-user time order and the given split agree. Post ids are ``<split>:<line>``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from mishon_graph.loaders._common import finish, read_lines

from mishon_graph.constants import TEST, TRAIN, VALID
from mishon_graph.errors import MishonError
from mishon_graph.ingest.records import Dataset, PostRecord, Reject

FILES = ((TRAIN, "train.csv"), (VALID, "valid.csv"), (TEST, "test.csv"))
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def order_time(index: int) -> str:
    """The synthetic ``created_at`` of the ``index``-th line over all files (0-based)."""
    return (EPOCH + timedelta(seconds=index)).isoformat(timespec="milliseconds")


def load(path: Path, *, name: str = "twitter-howyoutag") -> Dataset:
    """Read the three split files of a #HowYouTagTweets folder.

    Args:
        path: The folder holding ``train.csv``, ``valid.csv`` and ``test.csv``.
        name: Dataset name.

    Raises:
        MishonError: A file is missing, not UTF-8, or a line has fewer than 2 tab-separated fields.
    """
    path = Path(path)
    if not path.is_dir():
        raise MishonError(f"{path}: not a directory (expected train.csv, valid.csv, test.csv)")
    posts: list[PostRecord] = []
    rejects: list[Reject] = []
    index = 0
    for split, filename in FILES:
        file = path / filename
        for number, line in read_lines(file):
            if not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) < 2:
                raise MishonError(f"{file}:{number}: expected text<TAB>user_id<TAB>hashtags..., got 1 field")
            origin = f"{file}:{number}"
            user_id = fields[1].strip()
            if not user_id:
                rejects.append(Reject(origin, "user_id", "empty user id", f"{split}:{number}"))
                continue
            posts.append(
                PostRecord(
                    id=f"{split}:{number}",
                    user_id=user_id,
                    created_at=order_time(index),
                    text=fields[0].strip(),
                    hashtags=tuple(t for t in fields[2:]),
                    split=split,
                    origin=origin,
                )
            )
            index += 1
    return finish(name, [], posts, rejects)
