"""Memory-mapped unit feature cache: same numbers as in RAM, reuse, rebuild on change, atomic writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from mishon_graph.config import Config
from mishon_graph.errors import MishonError
from mishon_graph.features.store import FeatureStore
from mishon_graph.learn.data import build_graph
from mishon_graph.learn.feature_cache import cached_units
from mishon_graph.learn.train import train_graph
from mishon_graph.learn.trainer import Trainer
from mishon_graph.testing.learn_rows import synthetic_rows

UNITS = {"visual": (3, 12), "textual": (4, 10)}


class DictSource:
    """A feature source backed by a dict, counting reads."""

    def __init__(self, arrays: dict[tuple[str, str], np.ndarray]) -> None:
        self.arrays = arrays
        self.reads = 0

    def get(self, video_id: str, modality: str) -> np.ndarray:
        self.reads += 1
        return self.arrays[(video_id, modality)]


class CountingStore(FeatureStore):
    reads = 0

    def get(self, video_id: str, modality: str) -> np.ndarray:
        self.reads += 1
        return super().get(video_id, modality)


class FailingSource(DictSource):
    """Raises on read number ``fail_at`` (the scan pass reads every video once first)."""

    def __init__(self, arrays: dict[tuple[str, str], np.ndarray], fail_at: int) -> None:
        super().__init__(arrays)
        self.fail_at = fail_at

    def get(self, video_id: str, modality: str) -> np.ndarray:
        if self.reads + 1 == self.fail_at:
            raise RuntimeError("disk went away")
        return super().get(video_id, modality)


@pytest.fixture(scope="module")
def synthetic():
    return synthetic_rows(240, 12, 40, units=UNITS, n_topics=6, cold_users=2, seed=1)


def _ragged() -> tuple[list[str], dict[tuple[str, str], np.ndarray]]:
    ids = ["a", "b", "c"]
    arrays = {
        ("a", "visual"): np.array([[1.0, 2.0]], dtype=np.float32),
        ("b", "visual"): np.array([[3.0, 4.0], [5.0, 6.0], [7.0, 8.0]], dtype=np.float32),
        ("c", "visual"): np.array([[9.0, 10.0], [11.0, 12.0]], dtype=np.float32),
    }
    return ids, arrays


def _entries(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir())


def test_padded_values_mask_and_files_exactly(tmp_path: Path) -> None:
    ids, arrays = _ragged()
    got = cached_units(ids, "visual", DictSource(arrays), tmp_path, "float32")
    assert got.x.shape == (3, 3, 2) and got.x.dtype == torch.float32
    assert torch.equal(got.x[0], torch.tensor([[1.0, 2.0], [0.0, 0.0], [0.0, 0.0]]))
    assert torch.equal(got.x[1], torch.tensor([[3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]))
    assert got.mask.tolist() == [[True, False, False], [True, True, True], [True, True, False]]
    assert np.load(got.path).shape == (3, 3, 2)
    assert [n.split(".", 1)[1] for n in _entries(tmp_path)] == ["mask.npy", "x.npy"]
    # Rows gathered from the map are copies in RAM; the map itself is never written.
    rows = got.x[torch.tensor([2, 0])]
    rows += 1.0
    assert float(got.x[2, 0, 0]) == 9.0 and np.load(got.path)[2, 0, 0] == 9.0


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_memory_mapped_graph_equals_the_in_ram_graph(synthetic, tmp_path: Path, dtype: str) -> None:
    rows, feats = synthetic
    ram = build_graph(rows, feats, dtype=dtype)
    mapped = build_graph(rows, feats, dtype=dtype, cache_dir=tmp_path)
    assert ram.feature_files == {} and sorted(mapped.feature_files) == ["textual", "visual"]
    for m in ram.modalities:
        assert mapped.data[m].x.dtype == ram.data[m].x.dtype
        assert torch.equal(mapped.data[m].x, ram.data[m].x)
        assert torch.equal(mapped.data[m].mask, ram.data[m].mask)
    mapped.load_features()
    assert mapped.feature_files == {} and torch.equal(mapped.data["visual"].x, ram.data["visual"].x)


def _config(tmp_path: Path, **kw) -> Config:
    base = dict(
        home=tmp_path,
        epochs=3,
        patience=50,
        hidden_dim=16,
        lr=1e-2,
        device="cpu",
        batch_size=64,
        k=3,
        fanout=3,
    )
    return Config(**(base | kw))


def test_minibatch_training_on_mapped_features_gives_the_same_losses_and_logits(
    synthetic, tmp_path: Path
) -> None:
    rows, feats = synthetic
    cfg = _config(tmp_path)
    trainers = []
    for cache in (None, tmp_path / "cache"):
        graph = build_graph(rows, feats, cache_dir=cache)
        t = Trainer(graph, cfg, "mishon", True, torch.device("cpu"))
        losses = [t.train_epoch(e) for e in (1, 2)]
        trainers.append((t, losses))
    (ram, ram_losses), (mapped, mapped_losses) = trainers
    assert mapped.graph.feature_files and ram_losses == mapped_losses
    valid = ram.graph.split_index("valid")
    (a, la), (b, lb) = ram.predict(valid), mapped.predict(valid)
    assert torch.equal(a, b) and a.shape == (valid.numel(), len(ram.graph.hashtags))
    assert torch.equal(la.ptr, lb.ptr) and torch.equal(la.idx, lb.idx)

    res_ram = train_graph(
        build_graph(rows, feats), cfg, out=tmp_path / "a.pt", progress=False, minibatch=True
    )
    graph = build_graph(rows, feats, cache_dir=tmp_path / "cache")
    res_map = train_graph(graph, cfg, out=tmp_path / "b.pt", progress=False, minibatch=True)
    assert [h.valid_loss for h in res_ram.history] == [h.valid_loss for h in res_map.history]
    assert graph.feature_files  # mini-batch training left the features on disk


def test_full_batch_training_copies_mapped_features_into_ram(synthetic, tmp_path: Path) -> None:
    rows, feats = synthetic
    cfg = _config(tmp_path, epochs=2)
    graph = build_graph(rows, feats, cache_dir=tmp_path / "cache")
    res_map = train_graph(graph, cfg, out=tmp_path / "b.pt", progress=False, minibatch=False)
    assert graph.feature_files == {}
    res_ram = train_graph(
        build_graph(rows, feats), cfg, out=tmp_path / "a.pt", progress=False, minibatch=False
    )
    assert [h.valid_loss for h in res_ram.history] == [h.valid_loss for h in res_map.history]


def test_store_backed_cache_is_reused_and_rebuilt_when_a_feature_file_changes(tmp_path: Path) -> None:
    store = CountingStore(tmp_path / "store")
    ids = [f"v{i}" for i in range(5)]
    for i, vid in enumerate(ids):
        store.put(vid, "visual", np.full((i % 3 + 1, 4), float(i), dtype=np.float32), encoder="e")
    cache = tmp_path / "cache"
    first = cached_units(ids, "visual", store, cache)
    assert store.reads == 2 * len(ids)  # one pass for the shapes, one to write
    stamp = first.path.stat()
    again = cached_units(ids, "visual", store, cache)
    assert store.reads == 2 * len(ids)  # reused: no feature was read
    assert again.path == first.path and again.path.stat().st_mtime_ns == stamp.st_mtime_ns
    assert torch.equal(again.x, first.x)

    store.put("v3", "visual", np.full((2, 4), 7.5, dtype=np.float32), encoder="e")
    changed = cached_units(ids, "visual", store, cache)
    assert changed.path != first.path and store.reads == 4 * len(ids)
    assert changed.x[3].tolist() == [[7.5] * 4, [7.5] * 4, [0.0] * 4]
    assert changed.mask[3].tolist() == [True, True, False]
    assert _entries(cache) == sorted([changed.path.name, changed.path.name.replace(".x.", ".mask.")])
    # Another order of the same videos is another cache entry.
    assert cached_units(ids[::-1], "visual", store, cache).path != changed.path


def test_content_hashed_cache_is_rebuilt_when_values_change(tmp_path: Path) -> None:
    ids, arrays = _ragged()
    first = cached_units(ids, "visual", DictSource(arrays), tmp_path)
    assert cached_units(ids, "visual", DictSource(arrays), tmp_path).path == first.path
    arrays[("b", "visual")] = arrays[("b", "visual")] * 2
    changed = cached_units(ids, "visual", DictSource(arrays), tmp_path)
    assert changed.path != first.path and changed.x[1, 2].tolist() == [14.0, 16.0]
    other = cached_units(ids, "visual", DictSource(arrays), tmp_path, "bfloat16")
    assert other.x.dtype == torch.bfloat16 and other.x[1, 2].tolist() == [14.0, 16.0]
    assert len(_entries(tmp_path)) == 4  # one entry per dtype


def test_a_failed_write_leaves_no_partial_file_and_keeps_the_old_entry(tmp_path: Path) -> None:
    ids, arrays = _ragged()
    good = cached_units(ids, "visual", DictSource(arrays), tmp_path)
    before = _entries(tmp_path)
    arrays[("a", "visual")] = arrays[("a", "visual")] + 1
    # Reads 1-3 fingerprint, 4-6 scan shapes; read 8 fails half-way through writing the file.
    with pytest.raises(RuntimeError, match="disk went away"):
        cached_units(ids, "visual", FailingSource(arrays, fail_at=8), tmp_path)
    assert _entries(tmp_path) == before
    assert not list(tmp_path.glob("*.part"))
    assert torch.equal(cached_units(ids, "visual", DictSource({**arrays}), tmp_path).x[1], good.x[1])


def test_one_line_errors(tmp_path: Path) -> None:
    ids, arrays = _ragged()
    arrays[("c", "visual")] = np.ones((2, 3), dtype=np.float32)
    with pytest.raises(MishonError, match="visual features of video 'c' have dim 3, others have 2"):
        cached_units(ids, "visual", DictSource(arrays), tmp_path)
    arrays[("c", "visual")] = np.ones(3, dtype=np.float32)
    with pytest.raises(MishonError, match=r"video 'c' must be \[units, dim\]"):
        cached_units(ids, "visual", DictSource(arrays), tmp_path)
    assert not list(tmp_path.iterdir())
    with pytest.raises(MishonError, match="no visual features for video 'x'"):
        cached_units(["x"], "visual", FeatureStore(tmp_path / "store"), tmp_path)
    with pytest.raises(MishonError, match="feature dtype"):
        cached_units(["x"], "visual", FeatureStore(tmp_path / "store"), tmp_path, "float16")
    ids, arrays = _ragged()
    got = cached_units(ids, "visual", DictSource(arrays), tmp_path)
    got.path.write_bytes(got.path.read_bytes()[:100])
    with pytest.raises(MishonError, match="corrupt feature cache file .*x.npy"):
        cached_units(ids, "visual", DictSource(arrays), tmp_path)


def test_config_feature_cache_dir(tmp_path: Path) -> None:
    assert Config(home=tmp_path).feature_cache_dir == tmp_path / "cache" / "features"
    cfg = Config.from_env({"MISHON_HOME": str(tmp_path), "MISHON_FEATURE_CACHE": str(tmp_path / "fast")})
    assert cfg.feature_cache_dir == tmp_path / "fast" and cfg.describe()["feature_cache"] == str(
        tmp_path / "fast"
    )
