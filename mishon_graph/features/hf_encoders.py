"""The paper's encoders through ``transformers``: ViT frames, wav2vec2 audio frames, BERT tokens.

Models load with ``local_files_only=True`` from a Hugging Face id already in the local cache or
from a directory written by ``save_pretrained``; nothing tries the network. The ``tiny`` profile
uses these same classes on small random models.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mishon_graph.errors import MishonError

_ENV = {"ViT": "MISHON_VIT_MODEL", "wav2vec2": "MISHON_WAV2VEC2_MODEL", "BERT": "MISHON_BERT_MODEL"}


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silence transformers' progress bars and load reports for the duration (then restore)."""
    from transformers.utils import logging as hf_logging

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def load_pretrained(cls: Any, source: str, what: str, **kwargs: Any) -> Any:
    """``cls.from_pretrained(source, local_files_only=True)`` with a one-line error when absent."""
    try:
        with quiet_transformers():
            return cls.from_pretrained(source, local_files_only=True, **kwargs)
    except (OSError, ValueError) as exc:
        where = "directory" if Path(source).expanduser().exists() else "model"
        raise MishonError(
            f"{what} {where} {source!r} is not available offline: download it once where a model hub is "
            f"reachable (`hf download {source}`) so it is in the Hugging Face cache, or set {_ENV[what]} to "
            f"a local directory saved with save_pretrained (or use --encoders offline)"
        ) from exc


def _model_name(kind: str, source: str) -> str:
    return f"{kind}:{source}"


class ViTFrameEncoder:
    """ViT frame features: the ``[CLS]`` token of the penultimate layer, one unit per frame.

    Pixels are scaled to [0, 1] and normalised with mean = std = 0.5 (the preprocessing of
    ``google/vit-base-patch16-224``); frames must already be ``image_size`` square.

    Args:
        source: Hugging Face id (cached) or local directory.
        device: ``cpu`` or ``cuda``.
        max_images: Frames per forward pass.
    """

    modality = "visual"

    @staticmethod
    def name_for(source: str) -> str:
        """The name recorded with features from ``source`` (known without loading the model)."""
        return _model_name("vit-penultimate-cls", source)

    def __init__(self, source: str, device: str, max_images: int = 64) -> None:
        from transformers import ViTModel

        self.model = load_pretrained(ViTModel, source, "ViT", add_pooling_layer=False).to(device).eval()
        self.device = device
        self.max_images = max_images
        self.dim = int(self.model.config.hidden_size)
        self.image_size = int(self.model.config.image_size)
        self.name = self.name_for(source)

    def __repr__(self) -> str:
        return f"ViTFrameEncoder(name={self.name!r}, dim={self.dim}, device={self.device!r})"

    @torch.inference_mode()
    def encode(self, batch: Sequence[np.ndarray]) -> list[np.ndarray]:
        frames = np.concatenate(list(batch), axis=0) if batch else np.zeros((0, 1, 1, 3), np.uint8)
        outs = []
        for start in range(0, len(frames), self.max_images):
            x = torch.from_numpy(np.ascontiguousarray(frames[start:start + self.max_images]))
            x = x.to(self.device).permute(0, 3, 1, 2).float().div(255.0).sub(0.5).div(0.5)
            hidden = self.model(pixel_values=x, output_hidden_states=True).hidden_states
            outs.append(hidden[-2][:, 0].float().cpu().numpy())
        feats = np.concatenate(outs) if outs else np.zeros((0, self.dim), np.float32)
        return np.split(feats.astype(np.float32), np.cumsum([len(b) for b in batch])[:-1])


class Wav2Vec2FrameEncoder:
    """wav2vec2 frame features: the last hidden state, one unit per 20 ms frame (16 kHz input).

    Each clip is normalised to zero mean and unit variance (the feature extractor's
    ``do_normalize``) and encoded on its own, so no padding changes the features.

    Args:
        source: Hugging Face id (cached) or local directory.
        device: ``cpu`` or ``cuda``.
    """

    modality = "acoustic"
    sample_rate = 16000
    min_samples = 400  # the convolutional front end's receptive field

    @staticmethod
    def name_for(source: str) -> str:
        """The name recorded with features from ``source`` (known without loading the model)."""
        return _model_name("wav2vec2-last", source)

    def __init__(self, source: str, device: str) -> None:
        from transformers import Wav2Vec2Model

        self.model = load_pretrained(Wav2Vec2Model, source, "wav2vec2").to(device).eval()
        self.device = device
        self.dim = int(self.model.config.hidden_size)
        self.name = self.name_for(source)

    def __repr__(self) -> str:
        return f"Wav2Vec2FrameEncoder(name={self.name!r}, dim={self.dim}, device={self.device!r})"

    @torch.inference_mode()
    def encode(self, batch: Sequence[np.ndarray]) -> list[np.ndarray]:
        out = []
        for wave in batch:
            w = np.asarray(wave, dtype=np.float32)
            if w.size < self.min_samples:
                w = np.pad(w, (0, self.min_samples - w.size))
            w = (w - w.mean()) / np.sqrt(w.var() + 1e-7)
            x = torch.from_numpy(w)[None].to(self.device)
            out.append(self.model(input_values=x).last_hidden_state[0].float().cpu().numpy())
        return out


class BertTokenEncoder:
    """BERT token features: the last hidden state of each real token (``[CLS]`` ... ``[SEP]``).

    Captions are truncated to ``max_tokens`` tokens including the special ones; padding
    positions are dropped, so a caption gives between 2 and ``max_tokens`` units.

    Args:
        source: Hugging Face id (cached) or local directory (model and tokenizer).
        device: ``cpu`` or ``cuda``.
        max_tokens: Token budget including ``[CLS]``/``[SEP]`` (paper: 30).
        max_texts: Captions per forward pass.
        name: Recorded encoder name (default from ``source``).
    """

    modality = "textual"

    @staticmethod
    def name_for(source: str, max_tokens: int) -> str:
        """The name recorded with features from ``source`` (known without loading the model)."""
        return _model_name(f"bert-tokens{max_tokens}", source)

    def __init__(
        self, source: str, device: str, max_tokens: int = 30, max_texts: int = 64, name: str | None = None
    ) -> None:
        from transformers import AutoTokenizer, BertModel

        self.model = load_pretrained(BertModel, source, "BERT", add_pooling_layer=False).to(device).eval()
        self.tokenizer = load_pretrained(AutoTokenizer, source, "BERT")
        self.device = device
        self.max_tokens = max_tokens
        self.max_texts = max_texts
        self.dim = int(self.model.config.hidden_size)
        self.name = name or self.name_for(source, max_tokens)

    def __repr__(self) -> str:
        return f"BertTokenEncoder(name={self.name!r}, dim={self.dim}, device={self.device!r})"

    @torch.inference_mode()
    def encode(self, batch: Sequence[str]) -> list[np.ndarray]:
        out: list[np.ndarray] = []
        for start in range(0, len(batch), self.max_texts):
            texts = [str(t) for t in batch[start:start + self.max_texts]]
            enc = self.tokenizer(
                texts, padding="max_length", truncation=True, max_length=self.max_tokens, return_tensors="pt"
            )
            enc = {k: v.to(self.device) for k, v in enc.items()}
            hidden = self.model(**enc).last_hidden_state.float().cpu().numpy()
            lengths = enc["attention_mask"].sum(dim=1).cpu().tolist()
            out.extend(hidden[i, : int(n)] for i, n in enumerate(lengths))
        return out
