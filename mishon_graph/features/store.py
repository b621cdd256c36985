"""Unit-level features on disk, one safetensors file per (video, modality).

Files are written to a temporary name and renamed, so a crash never leaves a half-written file
that reads as valid. Neo4j only holds the pooled vector; this store holds the ``[units, dim]`` tensors.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from mishon_graph.constants import MODALITY_NAMES
from mishon_graph.errors import MishonError

STORE_VERSION = "1"


def _key(video_id: str) -> str:
    return hashlib.sha1(video_id.encode("utf-8")).hexdigest()


class FeatureStore:
    """Unit features keyed by (video id, modality).

    Args:
        root: The store directory, ``config.feature_dir`` (one store per home; each file records its encoder).
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._root = str(self.root)

    def __repr__(self) -> str:
        return f"FeatureStore(root={str(self.root)!r})"

    def path(self, video_id: str, modality: str) -> Path:
        return Path(self.file(video_id, modality))

    def file(self, video_id: str, modality: str) -> str:
        """:meth:`path` as a string. The export reads one file per video and modality (a million at
        10x the TMALL shape), where building ``Path`` objects took as long as reading the files."""
        if modality not in MODALITY_NAMES:
            raise MishonError(f"unknown modality {modality!r}; expected one of {MODALITY_NAMES}")
        key = _key(video_id)
        return os.path.join(self._root, modality, key[:2], f"{key}.safetensors")

    def has(self, video_id: str, modality: str) -> bool:
        return self.path(video_id, modality).is_file()

    def put(self, video_id: str, modality: str, units: np.ndarray, encoder: str) -> Path:
        """Store ``units`` (``[num_units, dim]``) atomically; returns the file path."""
        arr = np.ascontiguousarray(units, dtype=np.float32)
        if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
            raise MishonError(f"features of {video_id}/{modality} must be [units, dim], got {arr.shape}")
        if not np.isfinite(arr).all():
            raise MishonError(f"features of {video_id}/{modality} contain NaN or infinity")
        target = self.path(video_id, modality)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
        os.close(fd)
        try:
            save_file(
                {"units": arr}, tmp,
                metadata={
                    "video_id": video_id, "modality": modality, "encoder": encoder, "version": STORE_VERSION,
                },
            )
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return target

    def get(self, video_id: str, modality: str) -> np.ndarray:
        """The ``[num_units, dim]`` float32 features; a clear error when missing or corrupt."""
        path = self.file(video_id, modality)
        try:
            return load_file(path)["units"]
        except FileNotFoundError:
            raise MishonError(f"no {modality} features for video {video_id!r} in {self.root}") from None
        except (SafetensorError, OSError, KeyError) as exc:
            raise MishonError(f"corrupt feature file {path} ({video_id}/{modality}): {exc}") from exc

    def encoder(self, video_id: str, modality: str) -> str:
        """Encoder name recorded with the features."""
        from safetensors import safe_open

        with safe_open(str(self.path(video_id, modality)), framework="numpy") as f:
            return (f.metadata() or {}).get("encoder", "")

    def stored_encoder(self, video_id: str, modality: str) -> str | None:
        """Encoder name of the stored features, or ``None`` when absent or unreadable."""
        path = self.path(video_id, modality)
        if not path.is_file():
            return None
        try:
            return self.encoder(video_id, modality)
        except (SafetensorError, OSError):
            return None

    def remove(self, video_id: str, modality: str) -> bool:
        """Delete the stored features (a video found to lack the modality); whether a file was there."""
        path = self.path(video_id, modality)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def missing(self, video_ids: Iterable[str], modality: str) -> list[str]:
        """The ids among ``video_ids`` that have no stored features for ``modality``."""
        return [v for v in video_ids if not self.has(v, modality)]
