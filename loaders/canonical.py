"""The canonical input format (JSONL or CSV), documented in ``docs/DATA_MODEL.md``.

Accepted sources:
- a directory holding ``users.jsonl`` and/or ``posts.jsonl``, or ``users.csv`` and/or ``posts.csv``;
- one ``.jsonl`` file whose lines carry ``"type": "user"`` or ``"type": "post"``;
- one ``posts.csv``-shaped ``.csv`` file.

Relative ``media_path`` and feature paths are resolved against the file's directory.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path
from typing import Any

from mishon_graph.loaders._common import (
    FieldError,
    check_utf8,
    finish,
    read_lines,
    require_id,
    to_count,
    to_iso,
)

from mishon_graph.constants import MODALITY_NAMES, SPLITS
from mishon_graph.errors import MishonError
from mishon_graph.ingest.records import Dataset, PostRecord, Reject, UserRecord
from mishon_graph.ingest.unit_features import split_ref

USER_COLUMNS = ("id", "followers", "likes", "created_at", "cold_start")
POST_COLUMNS = ("id", "user_id", "created_at", "text", "hashtags", "media_path", "split")
FEATURE_COLUMN = "feature_"  # CSV: feature_visual, feature_acoustic, feature_textual


def load(path: Path, *, name: str | None = None) -> Dataset:
    """Read a canonical dataset.

    Args:
        path: A directory, a ``.jsonl`` file or a ``.csv`` posts file.
        name: Dataset name (default: the directory's name, or the file's stem unless it is
            ``posts``/``users``, whose directory names the dataset).

    Returns:
        The dataset; bad records are in ``rejects``.

    Raises:
        MishonError: The source is missing or a file is malformed (names file and line).
    """
    path = Path(path)
    _EXISTS.clear()
    users: list[UserRecord] = []
    posts: list[PostRecord] = []
    rejects: list[Reject] = []
    if path.is_dir():
        found = False
        for stem, kind in (("users", "user"), ("posts", "post")):
            jsonl, csv_file = path / f"{stem}.jsonl", path / f"{stem}.csv"
            if jsonl.is_file():
                _read_jsonl(jsonl, kind, users, posts, rejects)
                found = True
            elif csv_file.is_file():
                _read_csv(csv_file, kind, users, posts, rejects)
                found = True
        if not found:
            raise MishonError(f"{path}: no users/posts .jsonl or .csv file in this directory")
        default_name = path.resolve().name
    elif path.is_file() and path.suffix == ".jsonl":
        _read_jsonl(path, None, users, posts, rejects)
        default_name = _file_dataset_name(path)
    elif path.is_file() and path.suffix == ".csv":
        _read_csv(path, "post", users, posts, rejects)
        default_name = _file_dataset_name(path)
    else:
        raise MishonError(f"{path}: not a directory, .jsonl or .csv file")
    posts = _own_split_consistent(posts, rejects)
    return finish(name or default_name, users, posts, rejects)


def _parse_int(text: str) -> int | str:
    """JSON integers; one too long for Python's int parsing stays text (the field check rejects it)."""
    return int(text) if len(text) <= 1000 else text


def _file_dataset_name(path: Path) -> str:
    """A file's stem, or its directory's name for ``posts.*``/``users.*`` (the same dataset as the
    directory)."""
    return path.resolve().parent.name if path.stem in ("posts", "users") else path.stem


def _read_jsonl(
    path: Path, kind: str | None, users: list[UserRecord], posts: list[PostRecord], rejects: list[Reject]
) -> None:
    for number, line in read_lines(path):
        if not line.strip():
            continue
        try:
            obj = json.loads(line, parse_int=_parse_int)
        except json.JSONDecodeError as exc:
            raise MishonError(f"{path}:{number}: invalid JSON ({exc.msg} at column {exc.colno})") from None
        except RecursionError:
            raise MishonError(f"{path}:{number}: invalid JSON (nested too deeply)") from None
        if not isinstance(obj, dict):
            raise MishonError(f"{path}:{number}: expected a JSON object, got {type(obj).__name__}")
        origin = f"{path}:{number}"
        record_kind = obj.get("type", kind)
        if kind is not None and record_kind != kind:
            rejects.append(
                Reject(origin, "type", f"expected {kind!r}, got {record_kind!r}", str(obj.get("id", "")))
            )
            continue
        _add(obj, record_kind, origin, path.parent, users, posts, rejects)


def _read_csv(
    path: Path, kind: str, users: list[UserRecord], posts: list[PostRecord], rejects: list[Reject]
) -> None:
    check_utf8(path)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, strict=True)
        try:
            header = next(reader, None)
            if header is None:
                return
            header = [h.strip() for h in header]
            if "id" not in header:
                raise MishonError(f"{path}:1: header has no 'id' column")
            for row in reader:
                if not row or row == [""]:
                    continue
                if len(row) != len(header):
                    raise MishonError(
                        f"{path}:{reader.line_num}: expected {len(header)} columns, got {len(row)}"
                    )
                obj: dict[str, Any] = dict(zip(header, row, strict=True))
                features = {
                    k[len(FEATURE_COLUMN) :]: v for k, v in obj.items() if k.startswith(FEATURE_COLUMN) and v
                }
                if features:
                    obj["features"] = features
                if isinstance(obj.get("hashtags"), str):
                    obj["hashtags"] = obj["hashtags"].split()
                obj["cold_start"] = str(obj.get("cold_start", "")).strip().lower() in ("1", "true", "yes")
                _add(obj, kind, f"{path}:{reader.line_num}", path.parent, users, posts, rejects)
        except csv.Error as exc:
            raise MishonError(f"{path}:{reader.line_num}: CSV error: {exc}") from None


def _add(
    obj: dict[str, Any],
    kind: str | None,
    origin: str,
    base: Path,
    users: list[UserRecord],
    posts: list[PostRecord],
    rejects: list[Reject],
) -> None:
    try:
        if kind == "user":
            users.append(dataclasses.replace(parse_user(obj), origin=origin))
        elif kind == "post":
            posts.append(parse_post(obj, origin, base))
        else:
            raise FieldError("type", f"expected 'user' or 'post', got {kind!r}")
    except FieldError as exc:
        rejects.append(Reject(origin, exc.field, exc.reason, str(obj.get("id", ""))[:200]))


def parse_user(obj: dict[str, Any]) -> UserRecord:
    """A user from a JSON object / CSV row.

    Raises:
        FieldError: A field does not parse.
    """
    created = obj.get("created_at")
    cold = obj.get("cold_start", False)
    if not isinstance(cold, bool):
        raise FieldError("cold_start", f"expected true/false, got {cold!r}")
    return UserRecord(
        id=require_id(obj.get("id"), "id"),
        followers=to_count(obj.get("followers"), "followers"),
        likes=to_count(obj.get("likes"), "likes"),
        created_at=to_iso(created) if created not in (None, "") else None,
        cold_start=cold,
    )


def parse_post(obj: dict[str, Any], origin: str, base: Path) -> PostRecord:
    """A post from a JSON object / CSV row; relative paths resolve against ``base``.

    Raises:
        FieldError: A field does not parse, or a referenced file does not exist.
    """
    post_id = require_id(obj.get("id"), "id")
    text = obj.get("text") or ""
    if not isinstance(text, str):
        raise FieldError("text", f"expected a string, got {type(text).__name__}")
    tags = obj.get("hashtags") or []
    if isinstance(tags, str):
        tags = tags.split()
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise FieldError("hashtags", "expected a list of strings")
    split = obj.get("split") or None
    if split is not None and split not in SPLITS:
        raise FieldError("split", f"expected one of {SPLITS}, got {split!r}")
    media = obj.get("media_path") or None
    if media is not None:
        media = str(_resolve(base, str(media), "media_path"))
    features = obj.get("features") or {}
    if not isinstance(features, dict):
        raise FieldError("features", "expected an object modality -> path")
    resolved: dict[str, str] = {}
    for modality, ref in features.items():
        if modality not in MODALITY_NAMES:
            raise FieldError("features", f"unknown modality {modality!r}; expected one of {MODALITY_NAMES}")
        file_part, row = split_ref(str(ref))
        resolved[modality] = str(_resolve(base, file_part, f"features.{modality}")) + (
            f"#{row}" if row is not None else ""
        )
    return PostRecord(
        id=post_id,
        user_id=require_id(obj.get("user_id"), "user_id"),
        created_at=to_iso(obj.get("created_at")),
        text=text,
        hashtags=tuple(tags),
        media_path=media,
        features=resolved,
        split=split,
        origin=origin,
    )


_EXISTS: dict[Path, bool] = {}


def _resolve(base: Path, ref: str, field: str) -> Path:
    if "\x00" in ref:
        raise FieldError(field, "path contains a NUL character")
    try:
        path = Path(ref)
        if not path.is_absolute():
            path = (base / path).resolve()
        exists = _EXISTS.get(path)
        if exists is None:
            exists = _EXISTS[path] = path.is_file()
    except (OSError, ValueError, UnicodeError) as exc:
        raise FieldError(field, f"not a usable path ({type(exc).__name__}: {exc})"[:200]) from None
    if not exists:
        raise FieldError(field, f"file not found: {path}")
    return path


def _own_split_consistent(posts: list[PostRecord], rejects: list[Reject]) -> list[PostRecord]:
    """When some posts carry a split, those without one cannot be placed: reject them."""
    if not any(p.split for p in posts) or all(p.split for p in posts):
        return posts
    kept = []
    for post in posts:
        if post.split is None:
            rejects.append(Reject(post.origin, "split", "missing while other posts carry a split", post.id))
        else:
            kept.append(post)
    return kept
