"""Precomputed unit features named by posts: ``path.npy`` (one ``[units, dim]`` array) or
``path.npy#row`` (row ``row`` of a stacked, memory-mapped ``[videos, units, dim]`` array).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mishon_graph.errors import MishonError


def split_ref(ref: str) -> tuple[str, int | None]:
    """``"dir/a.npy#3"`` -> ``("dir/a.npy", 3)``; ``"dir#x/a.npy"`` -> (the whole text, ``None``): only a
    number after the last ``#`` names a row, so a ``#`` elsewhere in a path is part of the name."""
    file, sep, row = ref.rpartition("#")
    if sep and row.isdigit() and row.isascii():
        return file, int(row)
    return ref, None


class UnitFeatureReader:
    """Reads feature references, keeping each ``.npy`` file memory-mapped once."""

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def __repr__(self) -> str:
        return f"UnitFeatureReader(open_files={len(self._arrays)})"

    def read(self, ref: str, *, owner: str = "") -> np.ndarray:
        """The ``[units, dim]`` float32 array ``ref`` names.

        Args:
            ref: ``path.npy`` or ``path.npy#row``.
            owner: Who names it (post id / origin), for error messages.

        Raises:
            MishonError: Unreadable file, row out of range or wrong shape.
        """
        file, row = split_ref(ref)
        array = self._open(file, owner)
        numeric = np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
        if array.dtype.fields is not None or not numeric:
            raise MishonError(f"{owner}: features {file} hold {array.dtype}, not real numbers")
        if row is not None:
            if row >= array.shape[0] or array.ndim != 3:
                raise MishonError(
                    f"{owner}: feature reference {ref!r}: no row {row} in an array of shape {array.shape}"
                )
            units = array[row]
        else:
            units = array
        if units.ndim != 2 or 0 in units.shape:
            raise MishonError(f"{owner}: feature reference {ref!r} must be [units, dim], got {units.shape}")
        return np.asarray(units, dtype=np.float32)

    def _open(self, file: str, owner: str) -> np.ndarray:
        array = self._arrays.get(file)
        if array is None:
            try:
                array = np.load(Path(file), mmap_mode="r", allow_pickle=False)
            except (OSError, ValueError, EOFError, TypeError, UnicodeError) as exc:
                raise MishonError(f"{owner}: cannot read features {file}: {exc}") from exc
            self._arrays[file] = array
        return array
