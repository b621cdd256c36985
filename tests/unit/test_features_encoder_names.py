"""Encoder names are known without loading a model, and only the asked-for encoders are built."""

from __future__ import annotations

from pathlib import Path

import pytest

from mishon_graph.config import Config
from mishon_graph.errors import MishonError
from mishon_graph.features.encoders import build_encoders, encoder_names

ALL = ("visual", "acoustic", "textual")


def test_paper_names_come_from_the_configured_sources(tmp_path: Path) -> None:
    config = Config(home=tmp_path, encoder_profile="paper", text_tokens=20)
    assert encoder_names(config, ALL) == {
        "visual": "vit-penultimate-cls:google/vit-base-patch16-224",
        "acoustic": "wav2vec2-last:facebook/wav2vec2-base",
        "textual": "bert-tokens20:bert-base-uncased",
    }
    assert not (tmp_path / "models").exists()  # nothing was loaded or built


def test_offline_names_without_loading(tmp_path: Path) -> None:
    config = Config(home=tmp_path, encoder_profile="offline")
    assert encoder_names(config, ("textual", "visual")) == {
        "textual": "all-MiniLM-L6-v2-tokens30",
        "visual": "efficientnet-lite0-imagenet",
    }
    assert encoder_names(config, ("acoustic",)) == {"acoustic": "aisfx-0.1.2-x-sequential-ce"}


def test_unknown_modality_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MishonError, match="unknown modalities"):
        encoder_names(Config(home=tmp_path), ("textual", "smell"))


def test_tiny_builds_and_loads_only_the_requested_modality(tmp_path: Path) -> None:
    config = Config(home=tmp_path, encoder_profile="tiny", device="cpu")
    built = build_encoders(config, ("textual",))
    assert list(built) == ["textual"]
    assert built["textual"].name == encoder_names(config, ("textual",))["textual"]
    assert built["textual"].name == f"bert-tokens30:{tmp_path / 'models' / 'tiny-encoders' / 'textual'}"
    tiny = config.model_dir / "tiny-encoders"
    assert sorted(p.name for p in tiny.iterdir() if not p.name.startswith(".")) == ["textual"]
    assert build_encoders(config, ()) == {}
