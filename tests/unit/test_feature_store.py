from pathlib import Path

import numpy as np
import pytest

from mishon_graph.errors import MishonError
from mishon_graph.features.store import FeatureStore


def test_round_trip_and_metadata(tmp_path: Path) -> None:
    store = FeatureStore(tmp_path)
    units = np.arange(12, dtype=np.float32).reshape(3, 4)
    store.put("v'1 🎬", "visual", units, encoder="enc-a")
    assert store.has("v'1 🎬", "visual") and not store.has("v'1 🎬", "acoustic")
    np.testing.assert_array_equal(store.get("v'1 🎬", "visual"), units)
    assert store.encoder("v'1 🎬", "visual") == "enc-a"
    assert store.missing(["v'1 🎬", "v2"], "visual") == ["v2"]


def test_truncated_file_is_reported_not_read(tmp_path: Path) -> None:
    store = FeatureStore(tmp_path)
    path = store.put("v", "textual", np.ones((2, 3)), encoder="e")
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(MishonError, match="corrupt feature file"):
        store.get("v", "textual")


def test_bad_shapes_and_values_are_rejected(tmp_path: Path) -> None:
    store = FeatureStore(tmp_path)
    with pytest.raises(MishonError, match=r"\[units, dim\]"):
        store.put("v", "visual", np.ones(3), encoder="e")
    with pytest.raises(MishonError, match="NaN"):
        store.put("v", "visual", np.array([[np.nan]]), encoder="e")
    with pytest.raises(MishonError, match="unknown modality"):
        store.path("v", "smell")
    assert not list(tmp_path.rglob("*.part"))
