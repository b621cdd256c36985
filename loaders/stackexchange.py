"""A Stack Exchange data dump: ``Posts.xml`` and ``Users.xml`` in one folder.

Questions (``PostTypeId="1"``) play the role of videos: their tags are the hashtags, title plus the
body with HTML removed is the text, the owner is the user. Popularity for the cold-start links comes
from ``Users.xml``: ``followers`` := ``Views`` (profile views: the audience) and ``likes`` :=
``Reputation`` (approval the user *received*; ``UpVotes`` counts votes the user *cast*, so it says
nothing about how others rate them). Answers and other post types are counted in ``skipped``.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from mishon_graph.loaders._common import FieldError, finish, require_id, to_count, to_iso

from mishon_graph.errors import MishonError
from mishon_graph.ingest.records import Dataset, PostRecord, Reject, UserRecord

_TAG_HTML = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")
_TAGS = re.compile(r"<([^<>]+)>|\|([^|]+)")


def load(path: Path, *, name: str | None = None) -> Dataset:
    """Read questions and users of a Stack Exchange dump folder.

    Args:
        path: Folder holding ``Posts.xml`` (required) and ``Users.xml`` (optional).
        name: Dataset name (default: the folder name).

    Raises:
        MishonError: ``Posts.xml`` is missing or a file is not well-formed XML (names file, line, column).
    """
    path = Path(path)
    posts_file = path / "Posts.xml"
    if not posts_file.is_file():
        raise MishonError(f"{path}: no Posts.xml in this folder")
    rejects: list[Reject] = []
    users: list[UserRecord] = []
    users_file = path / "Users.xml"
    if users_file.is_file():
        for number, attrs in _rows(users_file):
            try:
                users.append(
                    UserRecord(
                        id=require_id(attrs.get("Id"), "Id"),
                        followers=to_count(attrs.get("Views"), "Views"),
                        likes=to_count(attrs.get("Reputation"), "Reputation"),
                        created_at=to_iso(attrs["CreationDate"], "CreationDate")
                        if attrs.get("CreationDate")
                        else None,
                    )
                )
            except FieldError as exc:
                rejects.append(
                    Reject(f"{users_file}:row {number}", exc.field, exc.reason, attrs.get("Id", ""))
                )
    posts: list[PostRecord] = []
    skipped = 0
    for number, attrs in _rows(posts_file):
        if attrs.get("PostTypeId") != "1":
            skipped += 1
            continue
        origin = f"{posts_file}:row {number}"
        try:
            posts.append(
                PostRecord(
                    id=require_id(attrs.get("Id"), "Id"),
                    user_id=require_id(attrs.get("OwnerUserId"), "OwnerUserId"),
                    created_at=to_iso(attrs.get("CreationDate"), "CreationDate"),
                    text=question_text(attrs.get("Title", ""), attrs.get("Body", "")),
                    hashtags=tuple(parse_tags(attrs.get("Tags", ""))),
                    origin=origin,
                )
            )
        except FieldError as exc:
            rejects.append(Reject(origin, exc.field, exc.reason, attrs.get("Id", "")))
    return finish(name or path.resolve().name, users, posts, rejects, skipped={"non-question posts": skipped})


def parse_tags(tags: str) -> list[str]:
    """``"<a><b-c>"`` (or the newer ``"|a|b-c|"``) -> ``["a", "b-c"]``."""
    return [a or b for a, b in _TAGS.findall(tags) if (a or b)]


def question_text(title: str, body_html: str) -> str:
    """Title and body as plain text (HTML tags removed, entities decoded, spaces collapsed)."""
    body = html.unescape(_TAG_HTML.sub(" ", body_html))
    return _SPACES.sub(" ", f"{title} {body}").strip()


def _rows(file: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """``(row number, attributes)`` of each ``<row>`` element, parsed incrementally."""
    number = 0
    try:
        for _, elem in ET.iterparse(file, events=("end",)):
            if elem.tag == "row":
                number += 1
                yield number, dict(elem.attrib)
            elem.clear()
    except ET.ParseError as exc:
        line, column = exc.position
        reason = str(exc).split(":")[0]
        raise MishonError(f"{file}:{line}:{column}: XML error: {reason}") from None
