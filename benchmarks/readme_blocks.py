"""Generated blocks of README.md: the text between ``<!-- NAME:begin ... -->`` and ``<!-- NAME:end -->``
is written by a benchmark script from its JSON, never by hand."""

from __future__ import annotations

from pathlib import Path


def markers(name: str, writer: str) -> tuple[str, str]:
    """Begin and end markers of block ``name``, written by ``writer``."""
    return f"<!-- {name}:begin (written by {writer}; do not edit by hand) -->", f"<!-- {name}:end -->"


def replace_block(readme: Path, begin: str, end: str, block: str) -> None:
    """Put ``block`` (markers included) where the old block was; refuses when the markers are missing."""
    text = readme.read_text(encoding="utf-8")
    if begin not in text or end not in text:
        raise SystemExit(f"{readme}: no block markers {begin!r} ... {end!r}")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(head + block + tail, encoding="utf-8")
