"""A folder of video files with ``metadata.csv`` or ``metadata.jsonl`` beside them (crawled sets).

One metadata row per video: ``file`` (path relative to the folder, required), ``id`` (default: the
file name without extension), ``user_id`` and ``created_at`` (required), ``caption`` or ``text``,
``hashtags`` (space-separated in CSV, a list in JSONL; when empty, the caption's ``#tags`` are used
and removed from the text), and optionally the poster's ``followers`` and ``likes``.
Video files that no row mentions, and rows whose file is missing, are rejected.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from mishon_graph.loaders._common import (
    FieldError,
    check_utf8,
    finish,
    read_lines,
    require_id,
    split_caption,
    to_count,
    to_iso,
)

from mishon_graph.errors import MishonError
from mishon_graph.ingest.records import Dataset, PostRecord, Reject, UserRecord

VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi", ".gif", ".flv", ".mpg", ".mpeg"})


def load(path: Path, *, name: str | None = None) -> Dataset:
    """Read a video folder.

    Args:
        path: The folder.
        name: Dataset name (default: the folder name).

    Raises:
        MishonError: No metadata file, or the metadata file is malformed (names file and line).
    """
    path = Path(path).resolve()
    if not path.is_dir():
        raise MishonError(f"{path}: not a directory")
    rows = list(_metadata(path))
    rejects: list[Reject] = []
    posts: list[PostRecord] = []
    users: dict[str, UserRecord] = {}
    used: set[Path] = set()
    for origin, row in rows:
        try:
            post, user = _record(path, origin, row)
        except FieldError as exc:
            rejects.append(
                Reject(origin, exc.field, exc.reason, str(row.get("id") or row.get("file") or "")[:200])
            )
            continue
        used.add(Path(str(post.media_path)))
        posts.append(post)
        if user.followers is not None or user.likes is not None or user.id not in users:
            users[user.id] = user
    for file in sorted(path.rglob("*")):
        if file.suffix.lower() in VIDEO_SUFFIXES and file.is_file() and file.resolve() not in used:
            rejects.append(Reject(str(file), "file", "video file has no metadata row", file.stem))
    return finish(name or path.name, list(users.values()), posts, rejects)


def _metadata(folder: Path) -> list[tuple[str, dict[str, Any]]]:
    jsonl, csv_file = folder / "metadata.jsonl", folder / "metadata.csv"
    out: list[tuple[str, dict[str, Any]]] = []
    if jsonl.is_file():
        for number, line in read_lines(jsonl):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise MishonError(
                    f"{jsonl}:{number}: invalid JSON ({exc.msg} at column {exc.colno})"
                ) from None
            if not isinstance(obj, dict):
                raise MishonError(f"{jsonl}:{number}: expected a JSON object, got {type(obj).__name__}")
            out.append((f"{jsonl}:{number}", obj))
        return out
    if not csv_file.is_file():
        raise MishonError(f"{folder}: no metadata.csv or metadata.jsonl in this folder")
    check_utf8(csv_file)
    with csv_file.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, strict=True)
        try:
            header = [h.strip() for h in next(reader, [])]
            if "file" not in header:
                raise MishonError(f"{csv_file}:1: header has no 'file' column")
            for row in reader:
                if not row:
                    continue
                if len(row) != len(header):
                    raise MishonError(
                        f"{csv_file}:{reader.line_num}: expected {len(header)} columns, got {len(row)}"
                    )
                out.append((f"{csv_file}:{reader.line_num}", dict(zip(header, row, strict=True))))
        except csv.Error as exc:
            raise MishonError(f"{csv_file}:{reader.line_num}: CSV error: {exc}") from None
    return out


def _record(folder: Path, origin: str, row: dict[str, Any]) -> tuple[PostRecord, UserRecord]:
    ref = row.get("file")
    if not isinstance(ref, str) or not ref.strip():
        raise FieldError("file", "missing video file name")
    media = (folder / ref.strip()).resolve()
    if not media.is_file():
        raise FieldError("file", f"file not found: {media}")
    caption = row.get("caption") if row.get("caption") is not None else row.get("text", "")
    if not isinstance(caption, str):
        raise FieldError("caption", f"expected a string, got {type(caption).__name__}")
    tags = row.get("hashtags") or []
    if isinstance(tags, str):
        tags = tags.split()
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise FieldError("hashtags", "expected a list of strings")
    text, caption_tags = split_caption(caption)
    if not tags:
        tags = caption_tags
    else:
        text = caption
    user_id = require_id(row.get("user_id"), "user_id")
    user = UserRecord(
        user_id,
        followers=to_count(row.get("followers"), "followers"),
        likes=to_count(row.get("likes"), "likes"),
    )
    post = PostRecord(
        id=require_id(row.get("id") or Path(ref).stem, "id"),
        user_id=user_id,
        created_at=to_iso(row.get("created_at")),
        text=text,
        hashtags=tuple(tags),
        media_path=str(media),
        origin=origin,
    )
    return post, user
