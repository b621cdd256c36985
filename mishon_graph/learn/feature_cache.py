"""Padded unit features in memory-mapped ``.npy`` files, so mini-batch training scales past RAM.

One file per (modality, feature dtype) holds ``[n_videos, max_units, dim]`` in the export's row
order, next to a small ``[n_videos, max_units]`` mask file. Files are named by a fingerprint of the
export (video ids in row order plus, per video, the feature file's identity in a
:class:`FeatureStore`, or a hash of the features for any other source), so a rerun on unchanged
data reuses them and any change rebuilds them. A file is written in chunks of rows (never all
features in RAM) to a temporary name and renamed, so a crash never leaves a file that reads as
valid. The tensors map the file copy-on-write: indexing rows reads only those rows, and the pages
are file-backed (the kernel drops them under memory pressure) instead of anonymous memory.

``bfloat16`` has no numpy type: its bit pattern is stored as ``int16`` and viewed back by torch.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol

import numpy as np
import torch
from torch import Tensor

from mishon_graph.errors import MishonError
from mishon_graph.features.store import FeatureStore

CACHE_VERSION = "1"
CHUNK_ROWS = 256
NUMPY_DTYPES = {"float32": np.float32, "bfloat16": np.int16}


class FeatureSource(Protocol):
    """Anything with ``get(video_id, modality) -> [units, dim]`` (e.g. ``FeatureStore``)."""

    def get(self, video_id: str, modality: str) -> np.ndarray: ...


class CachedUnits(NamedTuple):
    """Memory-mapped padded features ``x``, their in-RAM ``mask`` and the file behind ``x``."""

    x: Tensor
    mask: Tensor
    path: Path


def checked_units(features: FeatureSource, video_id: str, modality: str, dim: int | None) -> np.ndarray:
    """The ``[units, dim]`` features of one video; one-line errors for a bad shape or another dim."""
    a = np.asarray(features.get(video_id, modality))
    if a.ndim != 2 or a.shape[0] == 0:
        raise MishonError(f"{modality} features of video {video_id!r} must be [units, dim], got {a.shape}")
    if dim is not None and a.shape[1] != dim:
        raise MishonError(
            f"{modality} features of video {video_id!r} have dim {a.shape[1]}, others have {dim}"
        )
    return a


def _token(features: FeatureSource, video_id: str, modality: str) -> bytes:
    if isinstance(features, FeatureStore):
        try:
            st = os.stat(features.file(video_id, modality))
        except FileNotFoundError:
            raise MishonError(f"no {modality} features for video {video_id!r} in {features.root}") from None
        # The store replaces files atomically, so a rewrite always changes the inode.
        return f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}".encode()
    a = np.ascontiguousarray(features.get(video_id, modality))
    return hashlib.sha256(f"{a.dtype}{a.shape}".encode() + a.tobytes()).digest()


def fingerprint(video_ids: Sequence[str], modality: str, features: FeatureSource, dtype: str) -> str:
    """Hex digest naming the cache of ``modality`` for these videos, in this order, and this dtype."""
    h = hashlib.sha256(f"{CACHE_VERSION}/{modality}/{dtype}/{len(video_ids)}\n".encode())
    for vid in video_ids:
        h.update(vid.encode("utf-8") + b"\0")
        h.update(_token(features, vid, modality))
    return h.hexdigest()


def cache_paths(cache_dir: Path, modality: str, dtype: str, key: str) -> tuple[Path, Path]:
    """The feature file and the mask file of one cache entry."""
    stem = f"{modality}-{dtype}-{key[:32]}"
    return cache_dir / f"{stem}.x.npy", cache_dir / f"{stem}.mask.npy"


def _encode(chunk: np.ndarray, dtype: str) -> np.ndarray:
    if dtype == "bfloat16":
        return torch.from_numpy(chunk).to(torch.bfloat16).view(torch.int16).numpy()
    return chunk


def _replace_atomically(target: Path, write: Callable[[BinaryIO], object]) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_units(
    video_ids: Sequence[str],
    modality: str,
    features: FeatureSource,
    x_path: Path,
    mask_path: Path,
    dtype: str,
) -> None:
    """Write the padded features and mask of ``video_ids`` (two passes over ``features``, chunked)."""
    dim = None
    lengths = np.zeros(len(video_ids), dtype=np.int64)
    for i, vid in enumerate(video_ids):
        a = checked_units(features, vid, modality, dim)
        dim = a.shape[1]
        lengths[i] = a.shape[0]
    max_units = int(lengths.max()) if len(video_ids) else 1
    dim = dim or 1
    np_dtype = np.dtype(NUMPY_DTYPES[dtype])
    header = {
        "descr": np.lib.format.dtype_to_descr(np_dtype),
        "fortran_order": False,
        "shape": (len(video_ids), max_units, dim),
    }

    def write_x(f: BinaryIO) -> None:
        np.lib.format.write_array_header_2_0(f, header)
        buf = np.zeros((CHUNK_ROWS, max_units, dim), dtype=np.float32)
        for start in range(0, len(video_ids), CHUNK_ROWS):
            part = video_ids[start : start + CHUNK_ROWS]
            buf[:] = 0.0
            for j, vid in enumerate(part):
                a = checked_units(features, vid, modality, dim)
                if a.shape[0] != lengths[start + j]:
                    raise MishonError(f"{modality} features of video {vid!r} changed while being cached")
                buf[j, : a.shape[0]] = a
            f.write(_encode(buf[: len(part)], dtype).tobytes())

    mask = np.arange(max_units)[None, :] < lengths[:, None]
    _replace_atomically(x_path, write_x)
    _replace_atomically(mask_path, lambda f: np.save(f, mask))


def open_units(x_path: Path, mask_path: Path, dtype: str, n_rows: int) -> CachedUnits:
    """Map a cache entry: ``x`` copy-on-write from disk, ``mask`` read into RAM."""
    try:
        arr = np.load(x_path, mmap_mode="c")
        mask = np.load(mask_path)
    except (OSError, ValueError) as exc:
        raise MishonError(f"corrupt feature cache file {x_path} ({exc}); delete it and rerun") from exc
    if arr.ndim != 3 or arr.shape[0] != n_rows or mask.shape != arr.shape[:2]:
        raise MishonError(
            f"feature cache file {x_path} has shape {arr.shape}, expected {n_rows} rows; delete it"
        )
    x = torch.from_numpy(arr)
    if dtype == "bfloat16":
        x = x.view(torch.bfloat16)
    return CachedUnits(x, torch.from_numpy(mask), x_path)


def _prune(cache_dir: Path, modality: str, dtype: str, keep: tuple[Path, Path]) -> None:
    for path in cache_dir.glob(f"{modality}-{dtype}-*.npy"):
        if path not in keep:
            path.unlink(missing_ok=True)


def cached_units(
    video_ids: Sequence[str], modality: str, features: FeatureSource, cache_dir: Path, dtype: str = "float32"
) -> CachedUnits:
    """Padded unit features of ``video_ids`` for one modality, memory-mapped from ``cache_dir``.

    Args:
        video_ids: Videos in row order.
        modality: Modality name.
        features: Unit feature source.
        cache_dir: Directory of the cache (created when missing).
        dtype: ``float32`` or ``bfloat16``.

    Returns:
        :class:`CachedUnits`; the files are reused when the fingerprint matches, else written (and
        the older entries of this modality and dtype removed).
    """
    if dtype not in NUMPY_DTYPES:
        raise MishonError(f"feature dtype must be one of {tuple(NUMPY_DTYPES)}, got {dtype!r}")
    cache_dir = Path(cache_dir)
    key = fingerprint(video_ids, modality, features, dtype)
    x_path, mask_path = cache_paths(cache_dir, modality, dtype, key)
    if not (x_path.is_file() and mask_path.is_file()):
        cache_dir.mkdir(parents=True, exist_ok=True)
        write_units(video_ids, modality, features, x_path, mask_path, dtype)
        _prune(cache_dir, modality, dtype, (x_path, mask_path))
    return open_units(x_path, mask_path, dtype, len(video_ids))
