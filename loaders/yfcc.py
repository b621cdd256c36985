"""YFCC100M metadata: the public 25-field tab-separated layout, one photo/video per line.

Fields (1-based): 1 line number, 2 id, 3 hash, 4 user NSID, 5 nickname, 6 date taken, 7 date
uploaded (epoch seconds), 8 device, 9 title, 10 description, 11 user tags (comma-separated,
URL-encoded), 12 machine tags, 13-15 longitude/latitude/accuracy, 16 page URL, 17 download URL,
18-19 license, 20-23 server/farm/secrets, 24 original extension, 25 marker (0 photo, 1 video).

Only videos (marker 1) are read; photos are counted in ``skipped``. User tags are the hashtags;
title and description (URL-decoded, HTML removed) are the text; ``created_at`` is the upload time.
With ``media_dir``, ``<media_dir>/<id>.<ext>`` (or any ``<id>.*``) becomes the media path.
YFCC has no follower or like counts.
"""

from __future__ import annotations

import glob
import html
import re
from pathlib import Path
from urllib.parse import unquote_plus

from mishon_graph.loaders._common import FieldError, finish, read_lines, require_id, to_iso

from mishon_graph.errors import MishonError
from mishon_graph.ingest.records import Dataset, PostRecord, Reject

NUM_FIELDS = 25
ID, USER, TAKEN, UPLOADED, TITLE, DESCRIPTION, USER_TAGS, EXTENSION, MARKER = 1, 3, 5, 6, 8, 9, 10, 23, 24
_HTML = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")


def load(path: Path, *, name: str | None = None, media_dir: Path | None = None) -> Dataset:
    """Read the video lines of a YFCC100M metadata file.

    Args:
        path: The tab-separated metadata file (``yfcc100m_dataset`` or a part of it).
        name: Dataset name (default: the file stem).
        media_dir: Folder with the downloaded videos named by id, if any.

    Raises:
        MishonError: The file is missing, not UTF-8, or a line does not have 25 fields.
    """
    path = Path(path)
    posts: list[PostRecord] = []
    rejects: list[Reject] = []
    photos = 0
    for number, line in read_lines(path):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != NUM_FIELDS:
            raise MishonError(
                f"{path}:{number}: expected {NUM_FIELDS} tab-separated fields, got {len(fields)}"
            )
        marker = fields[MARKER].strip()
        if marker == "0":
            photos += 1
            continue
        origin = f"{path}:{number}"
        try:
            if marker != "1":
                raise FieldError("marker", f"expected 0 (photo) or 1 (video), got {marker[:20]!r}")
            video_id = require_id(fields[ID], "id")
            uploaded = fields[UPLOADED].strip() or fields[TAKEN].strip()
            posts.append(
                PostRecord(
                    id=video_id,
                    user_id=require_id(unquote_plus(fields[USER]), "user_nsid"),
                    created_at=to_iso(uploaded, "date_uploaded"),
                    text=_text(fields[TITLE], fields[DESCRIPTION]),
                    hashtags=tuple(
                        t for t in (unquote_plus(x).strip() for x in fields[USER_TAGS].split(",")) if t
                    ),
                    media_path=_media(media_dir, video_id, fields[EXTENSION].strip()),
                    origin=origin,
                )
            )
        except FieldError as exc:
            rejects.append(Reject(origin, exc.field, exc.reason, fields[ID][:100]))
    return finish(name or path.stem, [], posts, rejects, skipped={"photos": photos})


def _text(title: str, description: str) -> str:
    raw = f"{unquote_plus(title)} {unquote_plus(description)}"
    return _SPACES.sub(" ", html.unescape(_HTML.sub(" ", raw))).strip()


def _media(media_dir: Path | None, video_id: str, extension: str) -> str | None:
    if media_dir is None:
        return None
    media_dir = Path(media_dir)
    exact = media_dir / f"{video_id}.{extension}"
    if extension and exact.is_file():
        return str(exact.resolve())
    for candidate in sorted(media_dir.glob(f"{glob.escape(video_id)}.*")):
        if candidate.is_file():
            return str(candidate.resolve())
    return None
