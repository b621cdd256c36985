"""Dataset loaders: one small module per source format, each returning canonical records.

Every loader is ``load(path: Path, **options) -> Dataset`` (see
:class:`mishon_graph.ingest.records.Dataset`) and does no database work. ``FORMATS`` maps the
``mishon ingest --format`` names to them. ``synthetic`` generates a canonical dataset to load.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from mishon_graph.loaders import canonical, stackexchange, twitter, video_folder, yfcc

from mishon_graph.errors import MishonError
from mishon_graph.ingest.records import Dataset

Loader = Callable[..., Dataset]

FORMATS: dict[str, Loader] = {
    "canonical": canonical.load,
    "twitter": twitter.load,
    "stackexchange": stackexchange.load,
    "yfcc": yfcc.load,
    "video_folder": video_folder.load,
}


def load_dataset(path: Path, format_name: str, **options: Any) -> Dataset:
    """Load ``path`` with the loader registered as ``format_name``.

    Raises:
        MishonError: Unknown format, or whatever the loader raises for malformed files.
    """
    try:
        loader = FORMATS[format_name]
    except KeyError:
        raise MishonError(f"unknown format {format_name!r}; expected one of {sorted(FORMATS)}") from None
    return loader(Path(path), **options)
