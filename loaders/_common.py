"""Helpers shared by the loaders: strict line reading, times, counts, hashtags in captions.

Two kinds of bad input (see ``docs/DATA_MODEL.md``): a *malformed file* (bad encoding, truncated
JSON, wrong column count, XML error) raises :class:`MishonError` naming the file and position; a
*bad record* (a field that does not parse) becomes a :class:`Reject` and the rest is loaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from mishon_graph.errors import MishonError
from mishon_graph.ingest.records import Dataset, PostRecord, Reject, UserRecord

_HASHTAG = re.compile(r"#(\w+)", re.UNICODE)
_SPACES = re.compile(r"\s+")
INT64_MAX = 2**63 - 1  # Neo4j integers are signed 64-bit
MAX_KEY_BYTES = 4000  # ids and hashtags are index keys; Neo4j's index entries stop near 8 KB


class FieldError(ValueError):
    """A field of one record that cannot be used (becomes a :class:`Reject`)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def read_lines(path: Path) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of a UTF-8 file (a BOM is allowed), line ends stripped.

    Raises:
        MishonError: The file is missing or a line is not valid UTF-8 (names file and line).
    """
    if not path.is_file():
        raise MishonError(f"{path}: no such file")
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise MishonError(
                    f"{path}:{number}: not valid UTF-8 (byte {exc.start + 1} of the line: {exc.reason})"
                ) from None
            yield number, text.rstrip("\r\n")


def check_utf8(path: Path) -> None:
    """Fail with file and line when ``path`` is not valid UTF-8 (for parsers that read whole files)."""
    for _ in read_lines(path):
        pass


def to_iso(value: object, field: str = "created_at") -> str:
    """An ISO-8601 string or epoch seconds as a UTC ISO string with milliseconds (sorts as text).

    Naive times are taken as UTC.

    Raises:
        FieldError: The value is empty or not a time.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        raise FieldError(field, "missing time")
    if isinstance(value, bool):
        raise FieldError(field, f"not a time: {value!r}")
    if isinstance(value, int | float):
        try:
            when = datetime.fromtimestamp(float(value), tz=UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise FieldError(field, f"not a time: {value!r}") from exc
    else:
        text = str(value).strip()
        if re.fullmatch(r"-?\d+(\.\d+)?", text):
            return to_iso(float(text), field)
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise FieldError(field, f"not an ISO-8601 time: {text[:60]!r}") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        return when.astimezone(UTC).isoformat(timespec="milliseconds")
    except OverflowError:
        raise FieldError(field, f"time out of range in UTC: {str(value)[:60]!r}") from None


def to_count(value: object, field: str) -> int | None:
    """A non-negative integer count, ``None`` when empty.

    Raises:
        FieldError: Not a non-negative integer.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise FieldError(field, f"not a count: {value!r}")
    if isinstance(value, str) and len(value.strip().lstrip("+-")) > 40:
        raise FieldError(field, f"too large to store (more than 2**63-1): {value.strip()[:40]}...")
    try:
        number = int(str(value).strip()) if not isinstance(value, int | float) else value
    except ValueError:
        raise FieldError(field, f"not an integer: {str(value)[:40]!r}") from None
    if isinstance(number, float):
        if not number.is_integer():
            raise FieldError(field, f"not an integer: {value!r}")
        number = int(number)
    if number < 0:
        raise FieldError(field, f"negative count: {number}")
    if number > INT64_MAX:
        raise FieldError(field, f"too large to store (more than 2**63-1): {str(number)[:40]}")
    return number


def require_id(value: object, field: str) -> str:
    """A non-empty id as a string.

    Raises:
        FieldError: The id is missing or empty.
    """
    if value is None or isinstance(value, bool | dict | list):
        raise FieldError(field, "missing id" if value is None else f"not an id: {value!r}")
    text = str(value).strip()
    if not text:
        raise FieldError(field, "empty id")
    return text


def unstorable_text(value: str) -> bool:
    """Whether ``value`` holds a lone surrogate (JSON ``"\\ud800"``): not valid Unicode, so no
    database or UTF-8 file can store it."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _text_fields(record: UserRecord | PostRecord) -> Iterator[tuple[str, str]]:
    """``(field, value)`` for every string a record stores."""
    yield "id", record.id
    if record.created_at is not None:
        yield "created_at", record.created_at
    if isinstance(record, PostRecord):
        yield "user_id", record.user_id
        yield "text", record.text
        for tag in record.hashtags:
            yield "hashtags", tag
        if record.media_path is not None:
            yield "media_path", record.media_path
        for modality, ref in record.features.items():
            yield f"features.{modality}", ref


def unstorable_field(record: UserRecord | PostRecord) -> tuple[str, str] | None:
    """The first field of ``record`` the database cannot store and why, or ``None``."""
    for name, value in _text_fields(record):
        if unstorable_text(value):
            return name, "not valid Unicode (lone surrogate)"
        if name in ("id", "user_id", "hashtags") and len(value.encode("utf-8")) > MAX_KEY_BYTES:
            return name, f"longer than {MAX_KEY_BYTES} bytes (an index key)"
    return None


def storable_name(name: str) -> str:
    """A dataset name the database can store (undecodable bytes of a file name as ``\\udcxx``)."""
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


def split_caption(caption: str) -> tuple[str, list[str]]:
    """A caption's ``#hashtags`` (in order) and its text with them removed, spaces collapsed."""
    tags = _HASHTAG.findall(caption)
    text = _SPACES.sub(" ", _HASHTAG.sub(" ", caption)).strip()
    return text, tags


def finish(
    name: str,
    users: list[UserRecord],
    posts: list[PostRecord],
    rejects: list[Reject],
    *,
    skipped: dict[str, int] | None = None,
) -> Dataset:
    """Reject records with unstorable text and duplicate ids (first wins), add implicit users for
    unknown posters."""
    seen_users: set[str] = set()
    unique_users: list[UserRecord] = []
    for user in users:
        bad = unstorable_field(user)
        if bad is not None:
            rejects.append(Reject(user.origin or "users", *bad, user.id[:200]))
            continue
        if user.id in seen_users:
            rejects.append(Reject(user.origin or "users", "id", f"duplicate user id {user.id!r}", user.id))
            continue
        seen_users.add(user.id)
        unique_users.append(user)
    seen_posts: set[str] = set()
    unique_posts: list[PostRecord] = []
    for post in posts:
        bad = unstorable_field(post)
        if bad is not None:
            rejects.append(Reject(post.origin, *bad, post.id[:200]))
            continue
        if post.id in seen_posts:
            rejects.append(Reject(post.origin, "id", f"duplicate post id {post.id!r}", post.id))
            continue
        seen_posts.add(post.id)
        unique_posts.append(post)
        if post.user_id not in seen_users:
            seen_users.add(post.user_id)
            unique_users.append(UserRecord(post.user_id))
    return Dataset(
        name=storable_name(name),
        users=unique_users,
        posts=unique_posts,
        rejects=rejects,
        skipped=dict(skipped or {}),
    )
