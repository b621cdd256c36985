"""Hostile canonical datasets for ``mishon ingest``, and what a correct ingest makes of them.

A *case* is a dataset on disk (JSON lines in a directory or in one file, or CSV, plus ``.npy``
feature files) full of values that are awkward to parse or to store: arbitrary Unicode (lone
surrogates as JSON escapes, NUL, emoji, right-to-left text, very long strings), integers past 64
bits, NaN/Infinity literals, booleans where numbers belong, times out of range or with impossible
offsets, duplicate ids, missing fields, shadowed JSON keys, bad feature arrays and, sometimes, one
malformed line (truncated JSON, a non-object, bad UTF-8, a wrong CSV column count).

Every value is drawn from a category whose fate is known when it is drawn, and
:class:`Expected` is computed here from what was generated: ``docs/DATA_MODEL.md``'s rules written
out again (which line is malformed, which record is a reject naming which field, what the graph
holds afterwards), never by calling the product's loaders. ``mishon_graph`` is not imported.

Randomness comes from a :class:`Source`: :class:`RandomSource` (seeded, for the robustness
benchmark) or an adapter over Hypothesis draws (the property tests), so both run the same
generator.

Why this file lives in ``benchmarks/``: ``benchmarks/robustness.py`` runs as a plain script, whose
own folder is on ``sys.path``, and must not depend on pytest or ``tests/conftest.py``; the tests
add this folder to ``sys.path`` with one line. ``tests/`` is not a package, so the other direction
would need the same trick plus a pytest-only import path.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np

T = TypeVar("T")

USER, POST = "user", "post"
DIR, FILE, CSV = "dir", "file", "csv"  # layouts: users/posts .jsonl, one typed .jsonl, users/posts .csv
LAYOUTS = (DIR, FILE, CSV)
SENTINEL = "sentinel"
# Already normal hashtags (lower-case, their own English lemma): normalising a variant of one of
# them ("#Cat", " CAT ") is strip, drop leading '#', lower-case, nothing else.
WORDS = ("cat", "dog", "music", "food", "travel", "art", "sport", "dance")
FEATURE_DIM = 4
INT64_MAX = 2**63 - 1
PRECOMPUTED = "precomputed"
_ABSENT = object()  # a field left out of the record

# Hostile values that the product does not yet handle as its contract says (see the xfail tests in
# tests/integration/test_hostile_ingest.py). Generated only when asked (``include_pending``).
PENDING: dict[str, str] = {}  # known gaps: defect name -> what the product does instead (none open)


class Source(Protocol):
    """Where the generator's choices come from. Smaller integers mean simpler data (Hypothesis
    shrinks towards ``lo``)."""

    def integer(self, lo: int, hi: int) -> int:
        """An integer in ``[lo, hi]``."""
        ...

    def text(self, min_size: int, max_size: int) -> str:
        """Any valid Unicode text (no surrogates) of that many code points."""
        ...


# Code point ranges RandomSource mixes: controls (NUL, newlines), Latin, combining marks, RTL
# scripts, zero-width and bidi controls, line/paragraph separators, CJK, private use,
# noncharacters, emoji and the last plane.
_RANGES = (
    (0x20, 0x7E),
    (0x00, 0x1F),
    (0x7F, 0x2FF),
    (0x300, 0x36F),
    (0x590, 0x6FF),
    (0x200B, 0x202F),
    (0x3000, 0x30FF),
    (0xE000, 0xE0FF),
    (0xFFF0, 0xFFFF),
    (0x1F300, 0x1FAFF),
    (0x10FF00, 0x10FFFF),
)
_INJECTION = ("'", '"', "\\", "`", "$", "{", "}", "//", "*/", "\u202e", "\ufeff", "\x00")


class RandomSource:
    """A :class:`Source` over ``random.Random(seed)``."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def __repr__(self) -> str:
        return f"RandomSource({self.rng!r})"

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def text(self, min_size: int, max_size: int) -> str:
        out: list[str] = []
        size = self.rng.randint(min_size, max_size)
        while len(out) < size:
            if self.rng.random() < 0.05:
                out.extend(self.rng.choice(_INJECTION))
                continue
            lo, hi = self.rng.choice(_RANGES)
            out.append(chr(self.rng.randint(lo, hi)))
        return "".join(out[:size])


def pick(src: Source, options: Sequence[T]) -> T:
    return options[src.integer(0, len(options) - 1)]


def chance(src: Source, percent: int) -> bool:
    """True with probability ``percent``/100; shrinks to False."""
    return src.integer(0, 99) >= 100 - percent


# Records ------------------------------------------------------------------------------------------
@dataclass
class Record:
    """One record as written, and its fate.

    Args:
        kind: ``user`` or ``post``.
        fields: The JSON object / CSV row, as ``(key, value)`` pairs in order (a key may repeat:
            JSON's last occurrence wins).
        defect: Name of the injected defect; ``None`` for a good record.
        field: The field the reject must name.
        stage: Where a correct ingest rejects it: ``parse`` (the record alone), ``unicode``
            (unstorable text, checked before duplicates), ``duplicate`` (an earlier record has
            its id), ``feature`` (its array, checked after duplicates).
        stored: For a good record: the stored properties (``id`` first).
        raw: A malformed line written instead of ``fields`` (bytes, without the line end).
        files: Feature files it brings, relative to the data directory.
    """

    kind: str
    fields: list[tuple[str, Any]]
    defect: str | None = None
    field: str | None = None
    stage: str = "parse"
    stored: dict[str, Any] = dataclasses.field(default_factory=dict)
    raw: bytes | None = None
    files: dict[str, bytes] = dataclasses.field(default_factory=dict)

    def get(self, key: str, default: Any = _ABSENT) -> Any:
        found = default
        for k, v in self.fields:
            if k == key:
                found = v
        return found

    def set(self, key: str, value: Any) -> None:
        """Replace every occurrence of ``key`` (``_ABSENT`` removes it)."""
        kept = [(k, v) for k, v in self.fields if k != key]
        if value is not _ABSENT:
            kept.append((key, value))
        self.fields = kept


@dataclass(frozen=True)
class ExpectedReject:
    """A line of the rejects file a correct ingest writes."""

    file: str  # relative to the case root
    line: int
    field: str
    defect: str


@dataclass
class Expected:
    """What a correct ``mishon ingest`` of the case does.

    ``malformed`` is ``(file, line)`` when the run must stop with a one-line error naming them
    (nothing written, no rejects file); otherwise ``rejects`` lists the rejects file's lines and
    ``users``/``videos`` what the dataset keeps (stored properties; a video's ``hashtags`` and
    ``visual`` are its TAGGED names and its Visual node's ``(dim, units, embedding)``).
    """

    malformed: tuple[str, int] | None = None
    rejects: list[ExpectedReject] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    videos: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def kept_posts(self) -> int:
        return len(self.videos)


@dataclass
class Case:
    """A dataset to ingest.

    Args:
        name: The dataset name (its directory's name or its file's stem).
        layout: ``dir``, ``file`` or ``csv``.
        files: Content of every file, relative to the case root.
        source: The path to give ``mishon ingest``, relative to the case root.
        records: What was written, sentinel records included.
        expected: The outcome a correct ingest gives.
        own_split: Every post carries ``split``.
    """

    name: str
    layout: str
    files: dict[str, bytes]
    source: str
    records: list[Record]
    expected: Expected
    own_split: bool

    def write(self, root: Path) -> Path:
        """Write the files under ``root``; returns the source path for ``mishon ingest``."""
        for rel, data in self.files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return root / self.source

    @property
    def defects(self) -> Counter[str]:
        return Counter(r.defect for r in self.records if r.defect)


# Values -------------------------------------------------------------------------------------------
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BAD_TIMES: tuple[Any, ...] = (
    "yesterday",
    "2020-13-01",
    "2020-02-30T00:00:00",
    "31/12/2020",
    "2020-01-01T25:00:00",
    "2020-01-01T00:00:00+24:00",
    "2020-01-01T00:00:00-99:99",
    "9999-12-31T23:30:00-05:00",  # leaves the representable range once converted to UTC
    "0001-01-01T00:30:00+01:00",
    1e20,
    -1e15,
    float("inf"),
    float("nan"),
    True,
    [2020],
    {"year": 2020},
    "2020-01-01T00:00:00\ud800",
    "   ",
)


def _iso_utc(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds")


def good_time(src: Source, layout: str) -> tuple[Any, str]:
    """A time in one of the accepted spellings, and its stored UTC form."""
    seconds = src.integer(0, 4_102_444_799)  # 1970 .. 2099
    when = _EPOCH + timedelta(seconds=seconds)
    form = src.integer(0, 6)
    if form == 1:  # ISO with an offset within a day
        minutes = src.integer(-(23 * 60 + 59), 23 * 60 + 59)
        return when.astimezone(timezone(timedelta(minutes=minutes))).isoformat(), _iso_utc(when)
    if form == 2:  # naive ISO with microseconds: UTC, truncated to milliseconds
        when += timedelta(microseconds=src.integer(0, 999_999))
        return when.replace(tzinfo=None).isoformat(), _iso_utc(when)
    if form == 3:  # a date
        day = when.replace(hour=0, minute=0, second=0)
        return day.date().isoformat(), _iso_utc(day)
    if form == 4:  # epoch seconds
        return (seconds if layout != CSV else str(seconds)), _iso_utc(when)
    if form == 5:  # epoch seconds and a half
        value = seconds + 0.5
        return (value if layout != CSV else repr(value)), _iso_utc(when + timedelta(milliseconds=500))
    if form == 6:  # epoch as a string with spaces around it
        return f" {seconds} ", _iso_utc(when)
    return when.replace(tzinfo=None).isoformat() + "Z", _iso_utc(when)


def bad_time(src: Source, layout: str) -> Any:
    if layout == CSV:
        return pick(src, [v for v in _BAD_TIMES if isinstance(v, str) and "\ud800" not in v])
    value = pick(src, _BAD_TIMES)
    if value == "yesterday" and chance(src, 50):
        return "not a time " + src.text(0, 12)
    return value


def good_count(src: Source, layout: str) -> tuple[Any, int | None]:
    """A follower/like count that parses, and the stored value (``None``: unknown)."""
    form = src.integer(0, 5)
    if form == 0:
        return _ABSENT, None
    if form == 1:
        return (None if layout != CSV else ""), None
    if form == 5:
        return (INT64_MAX if layout != CSV else str(INT64_MAX)), INT64_MAX
    n = src.integer(0, INT64_MAX if form == 2 else 2**53)
    if layout == CSV or form == 4:
        return f" {n} " if form == 4 else str(n), n
    return (float(n) if form == 3 else n), n


def bad_count(src: Source, layout: str) -> Any:
    if layout == CSV:
        return pick(src, ["-1", str(INT64_MAX + 1), "1.5", "7.0", "abc", "NaN", "1e400", "- 3"])
    options: list[Any] = [
        -1 - src.integer(0, 10**6),
        INT64_MAX + 1 + src.integer(0, 10**30),
        1.5,
        1e300,
        float("nan"),
        float("inf"),
        float("-inf"),
        True,
        False,
        "abc",
        "1.5",
        [1],
        {"n": 1},
        "12\ud800",
    ]
    return pick(src, options)


def good_text(src: Source) -> str:
    """Caption text that is not blank."""
    lead = pick(src, ["x", "é", "🎬", "א", "中", "'", "\\"])
    form = src.integer(0, 3)
    if form == 3:  # very long
        unit = src.text(1, 12)
        return lead + unit * (100_000 // len(unit))
    return lead + src.text(0, 40)


BLANK_TEXTS: tuple[Any, ...] = (_ABSENT, None, "", "   ", "\t\u3000")


def hashtags(src: Source) -> tuple[list[str], tuple[str, ...]]:
    """A hashtag list of word variants (and empties), and its normalised, de-duplicated form."""
    written: list[str] = []
    for _ in range(src.integer(0, 4)):
        word = pick(src, WORDS)
        variant = src.integer(0, 6)
        written.append(
            [word, "#" + word, word.upper(), f" {word} ", "#" + word.capitalize(), "", "#"][variant]
        )
    norm: dict[str, None] = {}
    for tag in written:
        value = tag.strip().lstrip("#").strip().lower()
        if value:
            norm.setdefault(value, None)
    return written, tuple(norm)


def npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=array.dtype == object)
    return buf.getvalue()


def good_array(src: Source) -> np.ndarray:
    """``[units, FEATURE_DIM]`` small integers; units 1, 2 or 4 keep every mean exact in binary."""
    units = pick(src, [1, 2, 4])
    values = [src.integer(0, 9) for _ in range(units * FEATURE_DIM)]
    return np.array(values, dtype=np.float32).reshape(units, FEATURE_DIM)


def embedding(array: np.ndarray) -> list[float]:
    return [float(x) for x in array.mean(axis=0)]


# Defects ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Defect:
    """One way to spoil one record: ``apply(gen, record)`` edits it and returns the field its reject
    names (and sets ``stage`` when not ``parse``)."""

    name: str
    kinds: tuple[str, ...]
    layouts: tuple[str, ...]
    apply: Callable[[Generator, Record], str]
    own_split: bool | None = None  # None: either mode; True/False: only then


def _set(key: str, value: Callable[[Generator], Any]) -> Callable[[Generator, Record], str]:
    def apply(gen: Generator, rec: Record) -> str:
        rec.set(key, value(gen))
        return key

    return apply


def _id_defect(gen: Generator, rec: Record) -> str:
    rec.set(
        "id", pick(gen.src, [_ABSENT, None, "", "   ", True, [], {"a": 1}] if gen.layout != CSV else [""])
    )
    return "id"


def _surrogate(key: str) -> Callable[[Generator, Record], str]:
    def apply(gen: Generator, rec: Record) -> str:
        value = rec.get(key)
        if key == "hashtags":
            rec.set(key, [*(value if isinstance(value, list) else []), "t\udc80ag"])
        else:
            text = str(value) if value not in (_ABSENT, None) else ""
            cut = gen.src.integer(0, len(text))
            rec.set(key, text[:cut] + pick(gen.src, ["\ud800", "\udfff", "\ud83d"]) + "." + text[cut:])
        rec.stage = "unicode"
        return key

    return apply


def _user_id_defect(gen: Generator, rec: Record) -> str:
    rec.set("user_id", pick(gen.src, [_ABSENT, None, "", True] if gen.layout != CSV else ["", "  "]))
    return "user_id"


def _created_missing(gen: Generator, rec: Record) -> str:
    rec.set("created_at", pick(gen.src, [_ABSENT, None, ""] if gen.layout != CSV else [""]))
    return "created_at"


def _type_defect(gen: Generator, rec: Record) -> str:
    other = POST if rec.kind == USER else USER
    if gen.layout == FILE:
        rec.set("type", pick(gen.src, [_ABSENT, "comment", 5, None, other.upper()]))
    else:
        rec.set("type", other)
    return "type"


def _split_defect(gen: Generator, rec: Record) -> str:
    rec.set(
        "split",
        pick(
            gen.src, ["training", "TRAIN", "Test "] if gen.layout == CSV else ["training", 5, ["train"], True]
        ),
    )
    return "split"


def _split_missing(gen: Generator, rec: Record) -> str:
    rec.set("split", pick(gen.src, [_ABSENT, None, ""]) if gen.layout != CSV else "")
    return "split"


def _feature_ref(
    value: Callable[[Generator], Any], name: str = "features.visual"
) -> Callable[[Generator, Record], str]:
    def apply(gen: Generator, rec: Record) -> str:
        if gen.layout == CSV:
            rec.set("feature_visual", value(gen))
        else:
            rec.set("features", {"visual": value(gen)})
        return name

    return apply


def _features_not_object(gen: Generator, rec: Record) -> str:
    rec.set("features", pick(gen.src, [["feat/a.npy"], "feat/a.npy", 5]))
    return "features"


def _unknown_modality(gen: Generator, rec: Record) -> str:
    if gen.layout == CSV:
        rec.set("feature_smell", "feat/x.npy")
    else:
        rec.set("features", {"smell": "feat/x.npy"})
    return "features"


def _array(make: Callable[[Generator], bytes | np.ndarray]) -> Callable[[Generator, Record], str]:
    def apply(gen: Generator, rec: Record) -> str:
        name = f"feat/bad{gen.next_index()}.npy"
        data = make(gen)
        rec.files = {name: data if isinstance(data, bytes) else npy(data)}
        _feature_ref(lambda g: name)(gen, rec)
        rec.stage = "feature"
        return "features.visual"

    return apply


def _nan_array(gen: Generator) -> np.ndarray:
    array = good_array(gen.src)
    array[gen.src.integer(0, array.shape[0] - 1), gen.src.integer(0, FEATURE_DIM - 1)] = pick(
        gen.src, [np.nan, np.inf, -np.inf]
    )
    return array


def _media_missing(gen: Generator, rec: Record) -> str:
    rec.set("media_path", pick(gen.src, ["missing.mp4", "/nonexistent/video.mp4", "media"]))
    return "media_path"


def _cold_start_defect(gen: Generator, rec: Record) -> str:
    rec.set("cold_start", pick(gen.src, [None, "yes", 1, [], "true"]))
    return "cold_start"


def _text_defect(gen: Generator, rec: Record) -> str:
    rec.set("text", pick(gen.src, [5, 1.5, True, ["caption"], {"a": 1}]))
    return "text"


def _hashtags_defect(gen: Generator, rec: Record) -> str:
    rec.set("hashtags", pick(gen.src, [5, True, {"a": 1}, ["cat", 5], ["cat", None], [["cat"]]]))
    return "hashtags"


def _too_long_id(gen: Generator, rec: Record) -> str:
    rec.set("id", f"h{gen.next_index()}-" + "x" * 9000)
    return "id"


def _digits(gen: Generator, rec: Record) -> str:
    rec.set("followers", _RawJSON("1" + "0" * 5000))
    return "followers"


JSONL = (DIR, FILE)
DEFECTS: tuple[Defect, ...] = (
    Defect("id_missing", (USER, POST), LAYOUTS, _id_defect),
    Defect("id_surrogate", (USER, POST), JSONL, _surrogate("id")),
    Defect("duplicate_id", (USER, POST), LAYOUTS, lambda gen, rec: gen.duplicate(rec)),
    Defect("type_wrong", (USER, POST), JSONL, _type_defect),
    Defect("followers_bad", (USER,), LAYOUTS, _set("followers", lambda g: bad_count(g.src, g.layout))),
    Defect("likes_bad", (USER,), LAYOUTS, _set("likes", lambda g: bad_count(g.src, g.layout))),
    Defect("user_created_bad", (USER,), LAYOUTS, _set("created_at", lambda g: bad_time(g.src, g.layout))),
    Defect("cold_start_bad", (USER,), JSONL, _cold_start_defect),
    Defect("user_id_missing", (POST,), LAYOUTS, _user_id_defect),
    Defect("user_id_surrogate", (POST,), JSONL, _surrogate("user_id")),
    Defect("created_bad", (POST,), LAYOUTS, _set("created_at", lambda g: bad_time(g.src, g.layout))),
    Defect("created_missing", (POST,), LAYOUTS, _created_missing),
    Defect("text_not_string", (POST,), JSONL, _text_defect),
    Defect("text_surrogate", (POST,), JSONL, _surrogate("text")),
    Defect("hashtags_not_strings", (POST,), JSONL, _hashtags_defect),
    Defect("hashtag_surrogate", (POST,), JSONL, _surrogate("hashtags")),
    Defect("split_bad", (POST,), LAYOUTS, _split_defect),
    Defect("split_missing", (POST,), LAYOUTS, _split_missing, own_split=True),
    Defect("media_missing", (POST,), LAYOUTS, _media_missing),
    Defect("features_not_object", (POST,), JSONL, _features_not_object),
    Defect("modality_unknown", (POST,), LAYOUTS, _unknown_modality),
    Defect("feature_missing", (POST,), LAYOUTS, _feature_ref(lambda g: "feat/missing.npy")),
    Defect("feature_row_not_number", (POST,), LAYOUTS, _feature_ref(lambda g: "feat/x.npy#row")),
    Defect("npy_nan_or_inf", (POST,), LAYOUTS, _array(_nan_array)),
    Defect(
        "npy_odd_width",
        (POST,),
        LAYOUTS,
        _array(lambda g: np.ones((2, FEATURE_DIM + 1), dtype=np.float32)),
    ),
    Defect(
        "npy_not_2d",
        (POST,),
        LAYOUTS,
        _array(
            lambda g: pick(g.src, [np.ones(3, np.float32), np.ones((2, 2, 2), np.float32), np.float32(1)])
        ),
    ),
    Defect(
        "npy_garbage",
        (POST,),
        LAYOUTS,
        _array(lambda g: b"\x93NUMPY\x07garbage" + g.src.text(0, 8).encode()),
    ),
    Defect("npy_pickled", (POST,), LAYOUTS, _array(lambda g: np.array([[1, None]], dtype=object))),
    Defect("npy_no_units", (POST,), LAYOUTS, _array(lambda g: np.ones((0, FEATURE_DIM), np.float32))),
    # Pending (see PENDING): the contract says reject, the product does not yet.
    Defect("id_too_long", (POST,), LAYOUTS, _too_long_id),
    Defect("count_5000_digits", (USER,), JSONL, _digits),
    Defect("media_path_nul", (POST,), JSONL, _set("media_path", lambda g: "video\x00.mp4")),
    Defect("media_path_too_long", (POST,), LAYOUTS, _set("media_path", lambda g: "v" * 5000 + ".mp4")),
    Defect("media_path_surrogate", (POST,), JSONL, _set("media_path", lambda g: "video\ud800.mp4")),
    Defect("feature_path_nul", (POST,), JSONL, _feature_ref(lambda g: "feat/a\x00.npy")),
    Defect("npy_empty", (POST,), LAYOUTS, _array(lambda g: b"")),
    Defect("npy_strings", (POST,), LAYOUTS, _array(lambda g: np.array([["a", "b"], ["c", "d"]]))),
    Defect(
        "npy_structured",
        (POST,),
        LAYOUTS,
        _array(lambda g: np.zeros((2, 2), dtype=[("a", "f4"), ("b", "f4")])),
    ),
)
DEFECT_BY_NAME = {d.name: d for d in DEFECTS}


class _RawJSON(str):
    """Text written into a JSON line as it is (a literal ``json.dumps`` would not produce)."""


MALFORMED_JSONL = ("truncated", "not_object", "bad_utf8", "not_json", "bom_inside", "deep_nesting")
MALFORMED_CSV = ("column_count", "bad_utf8", "unterminated_quote")


# The generator ------------------------------------------------------------------------------------
class Generator:
    """Builds the records of one case (see :func:`hostile_case`)."""

    def __init__(self, src: Source, layout: str, *, own_split: bool, features: bool) -> None:
        self.src = src
        self.layout = layout
        self.own_split = own_split
        self.features = features
        self.records: list[Record] = []
        self._index = 0

    def __repr__(self) -> str:
        return f"Generator(layout={self.layout!r}, records={len(self.records)})"

    def next_index(self) -> int:
        self._index += 1
        return self._index

    # Good records ---------------------------------------------------------------------------
    def good_id(self) -> tuple[Any, str]:
        """An id (unique in the case by its index prefix) and the id stored (stripped)."""
        i = self.next_index()
        form = self.src.integer(0, 4)
        if form == 1 and self.layout != CSV:
            return 10_000_000 + i, str(10_000_000 + i)
        if form == 2:
            value = f"h{i}-" + "é" * 1500  # long, well under the 8 KB index key limit
        elif form == 3:
            value = pick(self.src, [" ", "\t", "\u3000", "\n"]) + f"h{i}-" + self.src.text(0, 20) + " "
        else:
            value = f"h{i}-" + self.src.text(0, 30)
        return value, value.strip()

    def user(self) -> Record:
        raw_id, stored_id = self.good_id()
        rec = Record(USER, [("id", raw_id)], stored={"id": stored_id})
        for key in ("followers", "likes"):
            value, stored = good_count(self.src, self.layout)
            if value is not _ABSENT:
                rec.fields.append((key, value))
            rec.stored[key] = stored
        if chance(self.src, 50):
            value, iso = good_time(self.src, self.layout)
            rec.fields.append(("created_at", value))
            rec.stored["created_at"] = iso
        elif self.layout != CSV and chance(self.src, 30):
            rec.fields.append(("created_at", pick(self.src, [None, ""])))
        if self.layout != CSV and chance(self.src, 20):
            rec.fields.append(("cold_start", False))
        self._decorate(rec)
        return rec

    def post(self, user_ids: Sequence[tuple[Any, str]], *, keep: bool = False) -> Record:
        """A good post; ``keep``: one preprocessing keeps (text, a hashtag, features when the
        dataset has them)."""
        raw_id, stored_id = self.good_id()
        if user_ids and not chance(self.src, 15):
            raw_user, user = pick(self.src, user_ids)
        else:  # a poster without a user record: an implicit user
            i = self.next_index()
            raw_user, user = f"h{i}-implicit", f"h{i}-implicit"
        if isinstance(raw_user, str) and chance(self.src, 20):
            raw_user = f" {raw_user}\t"
        created, iso = good_time(self.src, self.layout)
        written, tags = hashtags(self.src)
        if keep and not tags:
            written, tags = [*written, WORDS[0]], (WORDS[0],)
        rec = Record(
            POST,
            [("id", raw_id), ("user_id", raw_user), ("created_at", created)],
            stored={"id": stored_id, "user_id": user, "created_at": iso, "hashtags": tags},
        )
        if keep or chance(self.src, 90):
            text = good_text(self.src)
        else:
            text = pick(self.src, BLANK_TEXTS if self.layout != CSV else ("", "   "))
        if text is not _ABSENT:
            rec.fields.append(("text", text))
        rec.stored["text"] = text if isinstance(text, str) else ""
        if self.layout == CSV:
            rec.fields.append(("hashtags", " ".join(written)))
        elif written or chance(self.src, 50):
            rec.fields.append(("hashtags", written))  # none: the key left out, or []
        if self.own_split:
            rec.fields.append(("split", "train"))
        if self.features and (keep or chance(self.src, 90)):
            array = good_array(self.src)
            name = f"feat/h{self.next_index()}.npy"
            rec.files[name] = npy(array)
            rec.fields.append(
                ("feature_visual", name) if self.layout == CSV else ("features", {"visual": name})
            )
            rec.stored["visual"] = (FEATURE_DIM, int(array.shape[0]), embedding(array))
        self._decorate(rec)
        return rec

    def _decorate(self, rec: Record) -> None:
        """Harmless JSON oddities: extra keys, a shadowed key (the last occurrence wins), a type."""
        if self.layout == CSV:
            return
        if chance(self.src, 15):
            rec.fields.append((pick(self.src, ["extra", "ΩΩ", "", "id "]), {"nested": [1, None, "x"]}))
        if rec.kind == USER and rec.get("followers") is not _ABSENT and chance(self.src, 15):
            rec.fields.insert(0, ("followers", -5))  # shadowed: the last occurrence wins
        if self.layout == FILE or chance(self.src, 30):
            rec.fields.insert(0, ("type", rec.kind))

    # Defects --------------------------------------------------------------------------------
    def spoil(self, rec: Record, allowed: Sequence[Defect]) -> None:
        options = [d for d in allowed if rec.kind in d.kinds]
        if not options:
            return
        self.apply(rec, pick(self.src, options))

    def apply(self, rec: Record, defect: Defect) -> None:
        rec.defect = defect.name
        rec.field = defect.apply(self, rec)
        rec.stored.pop("visual", None)  # a spoiled post brings no usable array

    def duplicate(self, rec: Record) -> str:
        """Give ``rec`` the id of an earlier good record of its kind (padded: ids are stripped)."""
        earlier = [r for r in self.records if r.kind == rec.kind and r.defect is None]
        if not earlier:
            rec.set("id", "")
            return "id"
        target = pick(self.src, earlier).stored["id"]
        rec.set("id", pick(self.src, [target, f" {target} ", f"{target}\n"]))
        rec.stage = "duplicate"
        return "id"


def _allowed(layout: str, own_split: bool, include_pending: bool) -> list[Defect]:
    return [
        d
        for d in DEFECTS
        if layout in d.layouts
        and (d.own_split is None or d.own_split == own_split)
        and (include_pending or d.name not in PENDING)
    ]


def hostile_case(
    src: Source,
    name: str,
    *,
    base: Sequence[Record] = (),
    layout: str | None = None,
    include_pending: bool = False,
    defects: Sequence[str] | None = None,
    malformed: bool | str | None = None,
) -> Case:
    """A hostile dataset called ``name``.

    Args:
        src: The choices.
        name: Dataset name.
        base: Good records written first (the sentinel's, for a dataset of the same name); their
            posts carry ``split`` and visual features, so the hostile posts do too.
        layout: ``dir``, ``file`` or ``csv`` (default: chosen by ``src``).
        include_pending: Also use the defects and malformed lines in :data:`PENDING`.
        defects: Use only these defects (names in :data:`DEFECT_BY_NAME`), each at least once.
        malformed: Add one malformed line (default: sometimes); a name from :data:`MALFORMED_JSONL`
            or :data:`MALFORMED_CSV` chooses its kind.
    """
    layout = layout or pick(src, LAYOUTS)
    own_split = bool(base)
    gen = Generator(src, layout, own_split=own_split, features=bool(base) or chance(src, 40))
    allowed = _allowed(layout, own_split, include_pending or defects is not None)
    if defects is not None:
        allowed = [d for d in allowed if d.name in defects]
    refs: list[tuple[Any, str]] = []  # (id as written, id stored) of the good hostile users
    gen.records = [_for_layout(rec, layout) for rec in base]
    for _ in range(src.integer(0, 6)):
        rec = gen.user()
        if chance(src, 35):
            gen.spoil(rec, allowed)
        if rec.defect is None:
            refs.append((rec.get("id"), rec.stored["id"]))
        gen.records.append(rec)
    for _ in range(src.integer(1, 12)):
        rec = gen.post(refs)
        if chance(src, 40):
            gen.spoil(rec, allowed)
        gen.records.append(rec)
    for defect in allowed if defects is not None else ():
        if not any(r.defect == defect.name for r in gen.records):
            rec = gen.user() if USER in defect.kinds else gen.post(refs, keep=True)
            gen.apply(rec, defect)
            gen.records.append(rec)
    _keep_odd_widths_a_minority(gen)
    if layout == FILE and chance(src, 50):
        gen.records = gen.records[: len(base)] + _interleave(src, gen.records[len(base) :])
    bad_line = malformed if isinstance(malformed, str) else None
    if bad_line is None and (malformed if malformed is not None else chance(src, 15)):
        options = MALFORMED_CSV if layout == CSV else MALFORMED_JSONL
        bad_line = pick(src, [m for m in options if include_pending or m not in PENDING])
    return _assemble(src, name, layout, gen.records, own_split, bad_line)


def dataset_name(src: Source, *, allow_hash: bool = False) -> str:
    """A directory/file name for a dataset other than the sentinel: any Unicode but ``/`` and NUL
    (and ``#`` unless ``allow_hash``: see ``PENDING["hash_in_path"]``)."""
    name = "x"
    for ch in src.text(0, 16):
        if len((name + ch).encode("utf-8")) > 120:
            break
        # "\x1b": click strips ANSI sequences from messages, which would hide the name in them.
        name += "_" if ch in ("/", "\x00", "\x1b") or (ch == "#" and not allow_hash) else ch
    return name


def _for_layout(rec: Record, layout: str) -> Record:
    """A copy of a good (sentinel) record as ``layout`` writes it."""
    fields = list(rec.fields)
    if layout == FILE:
        fields.insert(0, ("type", rec.kind))
    elif layout == CSV:
        flat = []
        for key, value in fields:
            if key == "features":
                flat.append(("feature_visual", value["visual"]))
            elif key == "hashtags":
                flat.append((key, " ".join(value)))
            else:
                flat.append((key, "" if value is None else str(value)))
        fields = flat
    return dataclasses.replace(rec, fields=fields, stored=dict(rec.stored), files=dict(rec.files))


def _interleave(src: Source, records: list[Record]) -> list[Record]:
    """Users and posts mixed in one file, each kind in its own order (duplicates stay after the
    record they copy)."""
    users = [r for r in records if r.kind == USER]
    posts = [r for r in records if r.kind == POST]
    out: list[Record] = []
    while users or posts:
        take_user = bool(users) and (not posts or chance(src, 50))
        out.append(users.pop(0) if take_user else posts.pop(0))
    return out


def _keep_odd_widths_a_minority(gen: Generator) -> None:
    """A modality's width is the one most arrays have; keep the odd ones strictly fewer."""
    odd = [r for r in gen.records if r.defect == "npy_odd_width"]
    good = sum(1 for r in gen.records if r.kind == POST and r.defect is None and "visual" in r.stored)
    for rec in odd[max(good - 1, 0) :]:
        rec.defect, rec.field, rec.stage = "feature_missing", "features.visual", "parse"
        rec.files = {}
        _feature_ref(lambda g: "feat/missing.npy")(gen, rec)


# Files --------------------------------------------------------------------------------------------
def _json_value(value: Any, ascii_only: bool) -> str:
    if isinstance(value, _RawJSON):
        return str(value)
    return json.dumps(value, ensure_ascii=ascii_only)


def _json_line(rec: Record, src: Source) -> bytes:
    ascii_only = chance(src, 50) or any(_has_surrogate(v) for _, v in rec.fields)
    parts = [f"{json.dumps(k, ensure_ascii=ascii_only)}: {_json_value(v, ascii_only)}" for k, v in rec.fields]
    return ("{" + pick(src, [", ", ",", " ,\t"]).join(parts) + "}").encode("utf-8")


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, list | tuple):
        return any(_has_surrogate(v) for v in value)
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    return False


def _malformed_json(kind: str, src: Source, good: bytes) -> bytes:
    if kind == "truncated":
        text = good.decode("utf-8")
        return text[: src.integer(1, len(text) - 1)].rstrip("\n").encode("utf-8")
    if kind == "not_object":
        return pick(src, [b"[1, 2]", b'"post"', b"42", b"null", b"true", b"[]"])
    if kind == "bad_utf8":
        cut = src.integer(1, len(good) - 1)
        return good[:cut] + pick(src, [b"\xff", b"\xed\xa0\x80", b"\xfe", b"\xc0\xaf"]) + good[cut:]
    if kind == "not_json":
        return pick(src, [b"{id: 1}", b"{'id': 'x'}", b'{"id": "x",}', b"NaN", b'{"id": "x"} {}'])
    if kind == "bom_inside":  # twice: one BOM is allowed at the very start of a file
        return b"\xef\xbb\xbf\xef\xbb\xbf" + good
    return b'{"id": "deep", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"


def _assemble(
    src: Source, name: str, layout: str, records: list[Record], own_split: bool, bad: str | None
) -> Case:
    """Files, the line of every record and the expected outcome."""
    if layout == FILE:
        data_dir, source = "", f"{name}.jsonl"
        groups = [(source, records)]
    else:
        ext = "csv" if layout == CSV else "jsonl"
        data_dir, source = name, name
        groups = [(f"{name}/{kind}s.{ext}", [r for r in records if r.kind == kind]) for kind in (USER, POST)]
    files: dict[str, bytes] = {}
    where: dict[int, tuple[str, int]] = {}  # id(record) -> (file, line)
    bad_group = src.integer(0, len(groups) - 1) if bad else None
    malformed: tuple[str, int] | None = None
    for g, (rel, recs) in enumerate(groups):
        spoil = bad if g == bad_group else None
        if not recs and spoil is None and layout != FILE and chance(src, 50):
            continue  # no users file at all is fine
        write = _csv_file if layout == CSV else _jsonl_file
        content, lines, bad_at = write(src, recs, spoil)
        files[rel] = content
        for rec, line in zip(recs, lines, strict=True):
            where[id(rec)] = (rel, line)
            files.update({f"{data_dir}/{f}".lstrip("/"): data for f, data in rec.files.items()})
        if bad_at is not None and malformed is None:
            malformed = (rel, bad_at)
    expected = Expected(malformed=malformed) if malformed else expect(records, where)
    return Case(name, layout, files, source, records, expected, own_split)


def _jsonl_file(src: Source, recs: list[Record], bad: str | None) -> tuple[bytes, list[int], int | None]:
    out: list[bytes] = []
    lines: list[int] = []
    bad_at: int | None = None
    bad_slot = src.integer(0, len(recs)) if bad else -1
    for i in range(len(recs) + 1):
        if i == bad_slot:
            good = _json_line(recs[i - 1], src) if i else b'{"id": "x", "type": "post"}'
            out.append(_malformed_json(str(bad), src, good) + b"\n")
            bad_at = len(out)
        if chance(src, 8):
            out.append(pick(src, [b"", b"   ", b"\t", "\u3000".encode()]) + b"\n")  # skipped
        if i == len(recs):
            break
        out.append(_json_line(recs[i], src) + (b"\r\n" if chance(src, 20) else b"\n"))
        lines.append(len(out))
    if out and chance(src, 10):
        out[0] = b"\xef\xbb\xbf" + out[0]  # a BOM at the start of the file is allowed
    return b"".join(out), lines, bad_at


def _csv_columns(recs: list[Record]) -> list[str]:
    columns = ["id"]
    for rec in recs:
        columns += [k for k, _ in rec.fields if k not in columns and k != "type"]
    return columns


def _csv_row(values: Sequence[str], terminator: str) -> str:
    buf = io.StringIO()
    csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator=terminator).writerow(values)
    return buf.getvalue()


def _csv_file(src: Source, recs: list[Record], bad: str | None) -> tuple[bytes, list[int], int | None]:
    """A CSV file (every field quoted); ``bad``: one malformed row. Lines are counted as the CSV
    reader counts them (a quoted field may span lines)."""
    columns = _csv_columns(recs) if recs else ["id", "user_id", "created_at", "hashtags"]
    end = pick(src, ["\n", "\r\n"])
    rows = [_csv_row(columns, end)]
    for rec in recs:
        values = {k: ("" if v is None else str(v)) for k, v in rec.fields}
        rows.append(_csv_row([values.get(c, "") for c in columns], end))
    lines = [_line_breaks("".join(rows[: i + 1])) for i in range(1, len(rows))]
    bad_at: int | None = None
    if bad in ("column_count", "unterminated_quote"):
        at = src.integer(1, len(rows)) if bad == "column_count" else len(rows)
        if bad == "column_count":
            width = len(columns) + (1 if len(columns) <= 2 or chance(src, 50) else -1)
            row = _csv_row(["x"] * width, end)
        else:
            row = '"unterminated' + end
        rows.insert(at, row)
        bad_at = _line_breaks("".join(rows[: at + 1]))
    data = "".join(rows).encode("utf-8")
    if bad == "bad_utf8":
        starts = [0] + [m.end() for m in re.finditer(rb"\n", data)][:-1]
        at = pick(src, starts)
        data = data[:at] + b"\xff" + data[at:]
        bad_at = data[:at].count(b"\n") + 1  # the UTF-8 check reads byte lines, split at \n
    return data, lines, bad_at


def _line_breaks(text: str) -> int:
    """Physical lines as Python's CSV reader counts them (``\\r\\n``, ``\\r`` and ``\\n``)."""
    return len(re.findall(r"\r\n|\r|\n", text))


# The model ----------------------------------------------------------------------------------------
def expect(records: Sequence[Record], where: dict[int, tuple[str, int]]) -> Expected:
    """What a correct ingest keeps and rejects (docs/DATA_MODEL.md), in the documented order:
    parse each record; posts without a split while others carry one; unstorable text, then
    duplicate ids (first wins) and implicit users; feature arrays; hashtag normalisation and the
    modality and no-hashtag drops. With ``--min-hashtag-freq 1 --min-user-posts 1
    --cold-start-frac 0`` and every post in ``train`` nothing else is dropped."""
    out = Expected()

    def reject(rec: Record, field: str | None = None, defect: str | None = None) -> None:
        file, line = where[id(rec)]
        out.rejects.append(ExpectedReject(file, line, field or rec.field or "", defect or rec.defect or ""))

    parsed = []
    for rec in records:
        if rec.defect is not None and rec.stage == "parse":
            reject(rec)
        else:
            parsed.append(rec)
    posts = [r for r in parsed if r.kind == POST]
    if any(_has_split(r) for r in posts) and not all(_has_split(r) for r in posts):
        for rec in posts:
            if not _has_split(rec):
                reject(rec, "split", rec.defect or "split_missing")
        parsed = [r for r in parsed if r.kind == USER or _has_split(r)]
    users: dict[str, dict[str, Any]] = {}
    for rec in (r for r in parsed if r.kind == USER):
        if rec.stage == "unicode":
            reject(rec)
        elif _stored_id(rec) in users:
            reject(rec, "id", "duplicate_id")
        else:
            users[_stored_id(rec)] = dict(rec.stored)
    kept: dict[str, Record] = {}
    for rec in (r for r in parsed if r.kind == POST):
        if rec.stage == "unicode":
            reject(rec)
        elif _stored_id(rec) in kept:
            reject(rec, "id", "duplicate_id")
        else:
            kept[_stored_id(rec)] = rec
            users.setdefault(rec.stored["user_id"], {"id": rec.stored["user_id"]})
    survivors = []
    for rec in kept.values():
        if rec.stage == "feature":
            reject(rec)
        else:
            survivors.append(rec)
    modalities = {m for rec in survivors for m in _modalities(rec)}
    final = [r for r in survivors if _modalities(r) >= modalities and r.stored["hashtags"]]
    posters = {r.stored["user_id"] for r in final}
    out.users = {uid: props for uid, props in users.items() if uid in posters}
    out.videos = {r.stored["id"]: dict(r.stored) for r in final}
    return out


def _stored_id(rec: Record) -> str:
    """The id a parsed record is stored under: as written, stripped (a duplicate's is its target's)."""
    return str(rec.get("id")).strip()


def _has_split(rec: Record) -> bool:
    value = rec.get("split", None)
    return value not in (None, "", _ABSENT) and not (isinstance(value, dict | list) and not value)


def _modalities(rec: Record) -> set[str]:
    found = {"textual"} if rec.stored.get("text", "").strip() else set()
    if "visual" in rec.stored:
        found.add("visual")
    return found


# The sentinel -------------------------------------------------------------------------------------
def sentinel_records(users: int = 3, per_user: int = 8) -> list[Record]:
    """A small well-formed dataset whose ids all start with ``S-`` (hostile ids never do)."""
    records: list[Record] = []
    for u in range(users):
        uid = f"S-u{u}"
        records.append(
            Record(
                USER,
                [("id", uid), ("followers", 10 * u)],
                stored={"id": uid, "followers": 10 * u, "likes": None},
            )
        )
    for u in range(users):
        for i in range(per_user):
            pid = f"S-p{u}_{i}"
            when = _EPOCH + timedelta(days=18_000 + i, hours=u)
            tags = (WORDS[(u + i) % len(WORDS)], WORDS[0])
            array = np.full((2, FEATURE_DIM), float(u + i), dtype=np.float32)
            array[1] += 2.0
            name = f"feat/{pid}.npy"
            rec = Record(
                POST,
                [
                    ("id", pid),
                    ("user_id", f"S-u{u}"),
                    ("created_at", when.isoformat()),
                    ("text", f"sentinel caption {u} {i}"),
                    ("hashtags", list(tags)),
                    ("split", "train"),
                    ("features", {"visual": name}),
                ],
                stored={
                    "id": pid,
                    "user_id": f"S-u{u}",
                    "created_at": _iso_utc(when),
                    "text": f"sentinel caption {u} {i}",
                    "hashtags": tuple(dict.fromkeys(tags)),
                    "visual": (FEATURE_DIM, 2, embedding(array)),
                },
                files={name: npy(array)},
            )
            records.append(rec)
    return records


def sentinel_case() -> Case:
    """The sentinel as a ``dir`` case named ``sentinel``."""
    records = sentinel_records()
    src = RandomSource(0)
    files: dict[str, bytes] = {}
    where: dict[int, tuple[str, int]] = {}
    for kind, rel in ((USER, "users.jsonl"), (POST, "posts.jsonl")):
        recs = [r for r in records if r.kind == kind]
        files[f"{SENTINEL}/{rel}"] = b"".join(_json_line(r, src) + b"\n" for r in recs)
        for n, rec in enumerate(recs, start=1):
            where[id(rec)] = (f"{SENTINEL}/{rel}", n)
            files.update({f"{SENTINEL}/{k}": v for k, v in rec.files.items()})
    return Case(SENTINEL, DIR, files, SENTINEL, records, expect(records, where), True)


# The graph ----------------------------------------------------------------------------------------
DUMP_NODES = "MATCH (n) WHERE NOT n:GraphMeta RETURN labels(n) AS labels, properties(n) AS props"
DUMP_RELS = (
    "MATCH (a)-[r]->(b) RETURN type(r) AS type, coalesce(a.id, a.name) AS a, labels(b)[0] AS b_label, "
    "coalesce(b.id, b.name) AS b, properties(r) AS props"
)
_KEYS = {"User": "id", "Video": "id", "Hashtag": "name", "Visual": "id", "Textual": "id", "Acoustic": "id"}


def graph_dump(run: Callable[[str], list[dict[str, Any]]]) -> dict[str, Any]:
    """Every node (by label and key) and relationship of the graph, GraphMeta left out, in a form
    that compares with :func:`expected_graph` (``run(query)`` returns records as dicts)."""
    dump: dict[str, Any] = {label: {} for label in ("User", "Video", "Hashtag", "Visual", "Textual")}
    dump.update({"POSTED": [], "TAGGED": [], "HAS_MODALITY": [], "other": []})
    for row in run(DUMP_NODES):
        labels = row["labels"]
        label = labels[0] if len(labels) == 1 and labels[0] in _KEYS else None
        if label is None:
            dump["other"].append([labels, _plain(row["props"])])
            continue
        props = _plain(row["props"])
        dump.setdefault(label, {})[str(props.pop(_KEYS[label]))] = props
    for row in run(DUMP_RELS):
        if row["type"] in ("POSTED", "TAGGED") and not row["props"]:
            dump[row["type"]].append([row["a"], row["b"]])
        elif row["type"] == "HAS_MODALITY" and not row["props"]:
            dump["HAS_MODALITY"].append([row["a"], row["b_label"]])
        else:
            dump["other"].append([row["type"], row["a"], row["b"], _plain(row["props"])])
    for key in ("POSTED", "TAGGED", "HAS_MODALITY", "other"):
        dump[key].sort(key=lambda x: json.dumps(x, sort_keys=True, default=str))
    return dump


def _plain(props: dict[str, Any]) -> dict[str, Any]:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in props.items()}


def expected_graph(expected: Expected, source: str) -> dict[str, Any]:
    """The graph a complete ingest of a case leaves (the dataset's own split: every post ``train``)."""
    dump: dict[str, Any] = {label: {} for label in ("User", "Video", "Hashtag", "Visual", "Textual")}
    dump.update({"POSTED": [], "TAGGED": [], "HAS_MODALITY": [], "other": []})
    for uid, props in expected.users.items():
        node = {"cold_start": False, "source": source}
        node.update({k: v for k, v in props.items() if k != "id" and v is not None})
        dump["User"][uid] = node
    counts: Counter[str] = Counter()
    for vid, video in expected.videos.items():
        dump["Video"][vid] = {
            "user_id": video["user_id"],
            "created_at": video["created_at"],
            "text": video["text"],
            "split": "train",
            "source": source,
        }
        dump["POSTED"].append([video["user_id"], vid])
        for tag in video["hashtags"]:
            dump["TAGGED"].append([vid, tag])
            counts[tag] += 1
        if video["text"].strip():
            dump["Textual"][vid] = {}
            dump["HAS_MODALITY"].append([vid, "Textual"])
        if "visual" in video:
            dim, units, emb = video["visual"]
            dump["Visual"][vid] = {"embedding": emb, "encoder": PRECOMPUTED, "dim": dim, "units": units}
            dump["HAS_MODALITY"].append([vid, "Visual"])
    dump["Hashtag"] = {tag: {"train_count": n} for tag, n in counts.items()}
    for key in ("POSTED", "TAGGED", "HAS_MODALITY"):
        dump[key].sort(key=lambda x: json.dumps(x, sort_keys=True, default=str))
    return dump


def sentinel_view(dump: dict[str, Any]) -> dict[str, Any]:
    """The part of a dump that belongs to the sentinel: its users, videos, modality nodes and links
    (hashtags by name only: their training counts include other posts)."""
    mine = {k: v for k, v in dump.items() if isinstance(v, dict) and k != "Hashtag"}
    view: dict[str, Any] = {
        label: {i: p for i, p in nodes.items() if i.startswith("S-")} for label, nodes in mine.items()
    }
    for key in ("POSTED", "TAGGED", "HAS_MODALITY"):
        view[key] = [rel for rel in dump[key] if str(rel[0]).startswith("S-")]
    return view


def digest(value: Any) -> str:
    return hashlib.sha256(
        json.dumps(value, sort_keys=True, default=str).encode("utf-8", "surrogatepass")
    ).hexdigest()


def reject_key(origin: str, root: Path, field_name: str) -> tuple[str, int, str]:
    """``(file relative to root, line, field)`` of a rejects-file line."""
    path, _, line = origin.rpartition(":")
    rel = Path(path).resolve().relative_to(root.resolve()).as_posix()
    return rel, int(line), field_name
