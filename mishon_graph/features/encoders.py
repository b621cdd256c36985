"""Encoder profiles behind one small interface: a batch of items in, one ``[units, dim]`` array each out.

An :class:`Encoder` has ``name`` (recorded with every stored feature), ``modality``, ``dim`` and
``encode(batch)``. What one item of a batch is depends on the modality:

- ``visual``: uint8 frames ``[num_frames, image_size, image_size, 3]`` (RGB), one unit per frame;
- ``acoustic``: float32 mono samples ``[num_samples]`` at the encoder's ``sample_rate``, one unit
  per encoder frame (wav2vec2: 20 ms; aiSFX: 2 s blocks with 1 s hop);
- ``textual``: a caption string, one unit per real token including ``[CLS]``/``[SEP]``, at most
  ``config.text_tokens`` (padding is not stored; :func:`~mishon_graph.features.units.pad_units`
  pads a batch and returns the attention mask).

Profiles (``config.encoder_profile``):

- ``paper``: transformers ViT-B/16 (CLS token of the penultimate layer per frame), wav2vec2-base
  (last hidden state per 20 ms frame), BERT (last hidden state per token); model ids or local
  directories from ``config.vit_model`` / ``wav2vec2_model`` / ``bert_model``, loaded with
  ``local_files_only=True`` (never the network).
- ``offline``: weights shipped in registry packages: EfficientNet-Lite0 frames (1280),
  aiSFX sound-effects CNN (512), all-MiniLM-L6-v2 tokens (384).
- ``tiny``: small random ViT/wav2vec2/BERT saved under ``home/models/tiny-encoders`` and loaded by
  the ``paper`` code path (tests, smoke runs).

``config.text_encoder = "tfidf"`` replaces the profile's text encoder by character n-gram TF-IDF +
truncated SVD (:mod:`mishon_graph.features.caption_svd`), fit on the training captions: one unit of
``config.text_svd_dim`` per caption, for captions in any language. Its name (and its fit) depends on
those captions, so :func:`encoder_names` and :func:`build_encoders` take them.

Every encoder runs in eval mode under ``torch.inference_mode`` on the device chosen once by
:func:`resolve_device`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from mishon_graph.config import Config
from mishon_graph.constants import MODALITY_NAMES
from mishon_graph.errors import MishonError


@runtime_checkable
class Encoder(Protocol):
    """Units in, ``[num_units, dim]`` float32 arrays out (one per item, same order)."""

    name: str
    modality: str
    dim: int

    def encode(self, batch: Sequence[Any]) -> list[np.ndarray]:
        """Encode a batch of items (see the module docstring for what an item is)."""
        ...


def resolve_device(device: str) -> str:
    """``auto`` -> ``cuda`` when available else ``cpu``; ``cuda`` without CUDA is an error."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise MishonError("--device cuda was asked for but torch sees no CUDA device; use --device cpu")
    return device


def _check(modalities: Sequence[str]) -> None:
    unknown = [m for m in modalities if m not in MODALITY_NAMES]
    if unknown:
        raise MishonError(f"unknown modalities {unknown}; expected some of {MODALITY_NAMES}")


def _hf_sources(config: Config) -> dict[str, str]:
    """Model id or directory per modality for the ``paper`` and ``tiny`` profiles (nothing is built)."""
    if config.encoder_profile == "tiny":
        root = config.model_dir / "tiny-encoders"
        return {m: str(root / m) for m in MODALITY_NAMES}
    return {"visual": config.vit_model, "acoustic": config.wav2vec2_model, "textual": config.bert_model}


def _tfidf_text(
    config: Config, modalities: Sequence[str], train_captions: Sequence[tuple[str, str]] | None
) -> bool:
    if config.text_encoder != "tfidf" or "textual" not in modalities:
        return False
    if train_captions is None:
        raise MishonError("the TF-IDF text encoder needs the training captions")
    return True


def encoder_names(
    config: Config, modalities: Sequence[str], train_captions: Sequence[tuple[str, str]] | None = None
) -> dict[str, str]:
    """The name each encoder of ``config.encoder_profile`` records, without loading any model.

    Planning needs only these names, so the features step loads just the encoders that have work.

    Args:
        config: Profile and text encoder.
        modalities: Modalities wanted.
        train_captions: ``(video id, caption)`` of the training videos; needed (and only read) when
            ``config.text_encoder`` is ``tfidf``.

    Raises:
        MishonError: an unknown modality, or ``tfidf`` text without ``train_captions``.
    """
    _check(modalities)
    if _tfidf_text(config, modalities, train_captions):
        from mishon_graph.features.caption_svd import model_name

        names = encoder_names(config, [m for m in modalities if m != "textual"])
        names["textual"] = model_name(train_captions or (), config.text_svd_dim, config.seed)
        return {m: names[m] for m in modalities}
    if config.encoder_profile == "offline":
        from mishon_graph.features import offline_encoders as off

        names = {
            "visual": off.EfficientNetLiteEncoder.name,
            "acoustic": off.AisfxEncoder.name,
            "textual": off.minilm_name(config.text_tokens),
        }
    else:
        from mishon_graph.features import hf_encoders as hf

        src = _hf_sources(config)
        names = {
            "visual": hf.ViTFrameEncoder.name_for(src["visual"]),
            "acoustic": hf.Wav2Vec2FrameEncoder.name_for(src["acoustic"]),
            "textual": hf.BertTokenEncoder.name_for(src["textual"], config.text_tokens),
        }
    return {m: names[m] for m in modalities}


def build_encoders(
    config: Config, modalities: Sequence[str], train_captions: Sequence[tuple[str, str]] | None = None
) -> dict[str, Encoder]:
    """The encoders of ``config.encoder_profile`` for ``modalities`` only, loaded on the chosen device.

    The ``tiny`` profile builds (once) only the tiny models of ``modalities``. The ``tfidf`` text
    encoder is loaded from ``config.model_dir`` when one was fit on the same ``train_captions``, else
    fit on them and saved.

    Raises:
        MishonError: an unknown modality, a model that is not available locally, or ``tfidf`` text
            without ``train_captions``.
    """
    _check(modalities)
    if _tfidf_text(config, modalities, train_captions):
        from mishon_graph.features.caption_svd import CaptionSvdEncoder, fit_or_load

        model = fit_or_load(config.model_dir, train_captions or (), config.text_svd_dim, config.seed)
        built = build_encoders(config, [m for m in modalities if m != "textual"])
        built["textual"] = CaptionSvdEncoder(model)
        return {m: built[m] for m in modalities}
    device = resolve_device(config.device)
    if config.encoder_profile == "offline":
        from mishon_graph.features import offline_encoders as off

        makers = {
            "visual": lambda: off.EfficientNetLiteEncoder(device),
            "acoustic": lambda: off.AisfxEncoder(device),
            "textual": lambda: off.minilm_encoder(device, config.text_tokens),
        }
    else:
        from mishon_graph.features import hf_encoders as hf

        if config.encoder_profile == "tiny":
            from mishon_graph.features.tiny import ensure_tiny_models

            ensure_tiny_models(config.model_dir / "tiny-encoders", kinds=modalities)
        sources = _hf_sources(config)
        makers = {
            "visual": lambda: hf.ViTFrameEncoder(sources["visual"], device),
            "acoustic": lambda: hf.Wav2Vec2FrameEncoder(sources["acoustic"], device),
            "textual": lambda: hf.BertTokenEncoder(sources["textual"], device, config.text_tokens),
        }
    return {m: makers[m]() for m in modalities}
