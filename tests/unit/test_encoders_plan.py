"""Pure parts of the features step: the work plan, pooling helpers, the aiSFX spectrogram."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mishon_graph.features.offline_encoders import log_mel_spectrogram, mel_filterbank, spectrogram_blocks
from mishon_graph.features.plan import plan_work
from mishon_graph.features.store import FeatureStore
from mishon_graph.features.units import mean_units, pad_units

NAMES = {"visual": "vis-A", "acoustic": "aud-A", "textual": "txt-A"}


def row(video_id: str, text: str = "", media: str | None = None, **modal: object) -> dict[str, object]:
    out: dict[str, object] = {"id": video_id, "text": text, "media_path": media}
    for m in NAMES:
        out.update({f"{m}_node": False, f"{m}_encoder": None, f"{m}_done": False, f"{m}_missing": None})
    out.update(modal)
    return out


ROWS = [
    row("new", "a caption", "/m/new.mp4", visual_node=True, acoustic_node=True, textual_node=True),
    row("done", "t", "/m/done.mp4", visual_node=True, visual_encoder="vis-A", visual_done=True),
    row("other-encoder", "t", "/m/o.mp4", visual_node=True, visual_encoder="vis-OLD", visual_done=True),
    row("crashed", "t", "/m/c.mp4", visual_node=True),
    row("silent", "t", "/m/s.mp4", acoustic_node=True, acoustic_missing="no audio track"),
    row("text-only", "only words"),
    row("no-text", "  ", "/m/n.mp4", textual_node=True),
    row("shipped", "", None, visual_node=True, visual_encoder="precomputed", visual_done=True),
]
STORED = {("done", "visual"): "vis-A", ("other-encoder", "visual"): "vis-OLD", ("crashed", "visual"): "vis-A",
          ("shipped", "visual"): "precomputed"}


def stored(video_id: str, modality: str) -> str | None:
    return STORED.get((video_id, modality))


def test_plan_does_only_what_is_missing() -> None:
    plans, videos = plan_work(ROWS, list(NAMES), NAMES, force=False, stored=stored)
    assert plans["visual"].encode == ["new", "other-encoder", "silent", "no-text"]
    assert plans["visual"].restore == ["crashed"]
    assert dict(plans["visual"].skip) == {"already encoded": 1, "no input": 1, "precomputed": 1}
    assert plans["acoustic"].encode == ["new", "done", "other-encoder", "crashed", "no-text"]
    assert dict(plans["acoustic"].skip) == {"lacks it: no audio track": 1, "no input": 2}
    assert plans["textual"].encode == ["new", "done", "other-encoder", "crashed", "silent", "text-only"]
    assert plans["textual"].mark == {"no-text": "no text"}
    assert videos["no-text"].text == "" and videos["text-only"].media_path is None


def test_force_recomputes_but_keeps_shipped_features_without_media() -> None:
    plans, _ = plan_work(ROWS, ["visual", "acoustic"], NAMES, force=True, stored=stored)
    assert plans["visual"].encode == ["new", "done", "other-encoder", "crashed", "silent", "no-text"]
    assert plans["visual"].restore == []
    assert dict(plans["visual"].skip) == {"no input": 1, "precomputed": 1}
    assert "silent" in plans["acoustic"].encode


def test_text_node_without_text_or_media_node_without_file_is_marked() -> None:
    rows = [row("v", "", None, visual_node=True, textual_node=True)]
    plans, _ = plan_work(rows, list(NAMES), NAMES, force=False, stored=stored)
    assert plans["visual"].mark == {"v": "no media file"}
    assert plans["textual"].mark == {"v": "no text"}
    assert dict(plans["acoustic"].skip) == {"no input": 1}


def test_mean_and_padding_with_mask() -> None:
    a = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 9.0]], dtype=np.float32)
    b = np.array([[7.0, 8.0]], dtype=np.float32)
    np.testing.assert_array_equal(mean_units(a), [3.0, 5.0])
    feats, mask = pad_units([a, b])
    assert feats.shape == (2, 3, 2) and feats.dtype == np.float32
    np.testing.assert_array_equal(mask, [[True, True, True], [True, False, False]])
    np.testing.assert_array_equal(feats[1], [[7, 8], [0, 0], [0, 0]])
    feats, mask = pad_units([a, b], max_units=2)
    assert feats.shape == (2, 2, 2) and mask.sum() == 3
    with pytest.raises(ValueError, match="share dim"):
        pad_units([a, np.ones((1, 3))])
    with pytest.raises(ValueError):
        mean_units(np.zeros((0, 2)))


def test_mel_filterbank_is_htk_and_unit_sum() -> None:
    fb = mel_filterbank(44100, 2048, 96, 0.0, 22050.0)
    assert fb.shape == (96, 1025)
    np.testing.assert_allclose(fb.sum(axis=1), 1.0, rtol=1e-9)
    peaks = np.argmax(fb, axis=1)
    assert (np.diff(peaks) >= 0).all() and peaks[0] < 3 and peaks[-1] > 900


def test_spectrogram_frames_and_blocks() -> None:
    sr = 44100
    tone = np.sin(2 * np.pi * 1000 * np.arange(sr) / sr)
    spec = log_mel_spectrogram(tone)
    assert spec.shape == (1 + sr // 1024, 96)  # centred frames every 1024 samples
    loudest = int(np.argmax(spec[20]))
    centre = mel_filterbank(sr, 2048, 96, 0.0, sr / 2).argmax(axis=1)[loudest] * sr / 2048
    assert abs(centre - 1000) < 150
    np.testing.assert_array_equal(log_mel_spectrogram(2 * tone), spec)  # peak-normalised
    assert spectrogram_blocks(np.ones((250, 96))).shape == (4, 100, 96)
    short = spectrogram_blocks(np.ones((30, 96)))
    assert short.shape == (1, 100, 96) and short[0, 30:].sum() == 0


def test_store_reports_encoder_and_removes(tmp_path: Path) -> None:
    store = FeatureStore(tmp_path)
    path = store.put("v", "acoustic", np.ones((2, 3)), encoder="aud-A")
    assert store.stored_encoder("v", "acoustic") == "aud-A" and store.stored_encoder("w", "acoustic") is None
    path.write_bytes(b"\x00" * 5)
    assert store.stored_encoder("v", "acoustic") is None  # unreadable: recomputed, never trusted
    assert store.remove("v", "acoustic") and not store.remove("v", "acoustic")
    assert not store.has("v", "acoustic")
