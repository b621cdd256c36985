"""TF-IDF + SVD caption features: fit on training captions only, exact on tiny cases, saved without pickle."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mishon_graph.config import Config
from mishon_graph.errors import MishonError
from mishon_graph.features import caption_svd
from mishon_graph.features.caption_svd import (
    CaptionSvd,
    CaptionSvdEncoder,
    fit_or_load,
    load_named,
    model_name,
)
from mishon_graph.features.encoders import build_encoders, encoder_names
from mishon_graph.features.plan import training_captions

# "ab" padded by char_wb is " ab ": 2-grams " a", "ab", "b "; 3-grams " ab", "ab "; 4-gram " ab ".
AB_GRAMS = [" a", " ab", " ab ", "ab", "ab ", "b "]
CAPTIONS = [
    ("v1", "chat noir sur le toit"), ("v2", "le chat dort"), ("v3", "un chien noir"),
    ("v4", "der Hund schläft"), ("v5", "黒い猫が寝ている"), ("v6", "猫と犬"), ("v7", "chien et chat"),
    ("v8", "猫が寝ている"),
]


def test_two_identical_captions_give_one_exact_direction() -> None:
    model = CaptionSvd.fit("m", ["ab", "ab"], dim=4, seed=0)
    assert sorted(model.vocabulary) == AB_GRAMS
    np.testing.assert_array_equal(model.idf, np.ones(6))  # df = n = 2: smoothed idf ln(3/3) + 1
    assert model.rank == 2 and model.dim == 4
    np.testing.assert_array_equal(model.components[2:], 0.0)  # fewer components than dim: zero columns
    np.testing.assert_allclose(np.abs(model.components[0]), np.full(6, 1 / np.sqrt(6)), atol=1e-6)
    got = model.encode(["ab", "ab xyz", "xyz", ""])
    assert got.shape == (4, 4) and got.dtype == np.float32
    # the unseen word adds nothing; a caption with no known n-gram stays all zeros (no NaN)
    np.testing.assert_allclose(got, [[1, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]], atol=1e-6)


def test_rows_are_unit_length_and_width_is_fixed() -> None:
    model = CaptionSvd.fit("m", [t for _, t in CAPTIONS], dim=16, seed=42)
    got = model.encode(["le chat noir", "猫が寝ている", "chien"])
    assert got.shape == (3, 16)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, rtol=1e-6)
    assert model.encode([]).shape == (0, 16)
    assert [u.shape for u in CaptionSvdEncoder(model).encode(["chat", "猫"])] == [(1, 16), (1, 16)]


def test_only_training_captions_are_fitted_on() -> None:
    rows = [
        {"id": "a", "text": " quiet cat ", "split": "train"},
        {"id": "b", "text": "quiet dog", "split": "train"},
        {"id": "c", "text": "", "split": "train"},
        {"id": "d", "text": "quiet zebra", "split": "valid"},
        {"id": "e", "text": "quiet zebra", "split": "test"},
    ]
    train = training_captions(rows)
    assert train == [("a", "quiet cat"), ("b", "quiet dog")]
    model = CaptionSvd.fit("m", [t for _, t in train], dim=4, seed=0)
    # only " quiet " is in two training captions (min_df=2); "zebra" (valid/test only) never enters
    assert sorted(model.vocabulary) == sorted([
        " q", "qu", "ui", "ie", "et", "t ", " qu", "qui", "uie", "iet", "et ", " qui", "quie", "uiet", "iet ",
    ])
    assert model.encode(["zebra"]).any() == False  # noqa: E712


def test_fit_is_deterministic() -> None:
    texts = [t for _, t in CAPTIONS]
    a, b = CaptionSvd.fit("m", texts, 8, seed=7), CaptionSvd.fit("m", texts, 8, seed=7)
    np.testing.assert_array_equal(a.components, b.components)
    np.testing.assert_array_equal(a.encode(texts), b.encode(texts))


def test_save_and_load_give_identical_vectors_without_pickle(tmp_path: Path) -> None:
    model = CaptionSvd.fit("tfidf-svd8-x", [t for _, t in CAPTIONS], 8, seed=42)
    path = model.save(tmp_path / "enc")
    assert sorted(p.name for p in path.iterdir()) == ["meta.json", "vocabulary.json", "weights.safetensors"]
    assert json.loads((path / "vocabulary.json").read_text(encoding="utf-8")) == model.vocabulary
    loaded = CaptionSvd.load(path)
    assert (loaded.name, loaded.dim, loaded.rank, loaded.train_captions) == ("tfidf-svd8-x", 8, 8, 8)
    new = ["un chat", "犬が寝ている", "nothing known qqq"]
    np.testing.assert_array_equal(loaded.encode(new), model.encode(new))


def test_load_refuses_other_settings_and_broken_files(tmp_path: Path) -> None:
    path = CaptionSvd.fit("m", [t for _, t in CAPTIONS], 4, seed=0).save(tmp_path / "enc")
    meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    meta["settings"]["ngram_range"] = [1, 1]
    (path / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(MishonError, match="other settings"):
        CaptionSvd.load(path)
    (path / "weights.safetensors").write_bytes(b"\x00" * 10)
    with pytest.raises(MishonError, match="unreadable"):
        CaptionSvd.load(path)
    with pytest.raises(MishonError, match="not a TF-IDF"):
        load_named(tmp_path, "../enc")


def test_name_depends_on_training_captions_only_and_not_their_order() -> None:
    name = model_name(CAPTIONS, 256, 42)
    assert name.startswith("tfidf-svd256-") and len(name) == len("tfidf-svd256-") + 12
    assert model_name(list(reversed(CAPTIONS)), 256, 42) == name
    assert model_name(CAPTIONS[:-1], 256, 42) != name
    assert model_name(CAPTIONS, 128, 42) != name and model_name(CAPTIONS, 256, 1) != name


def test_fit_or_load_fits_once_per_training_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = fit_or_load(tmp_path, CAPTIONS, 8, 42)
    assert (tmp_path / "text-encoders" / first.name).is_dir()

    def no_fit(*args: object, **kwargs: object) -> CaptionSvd:
        raise AssertionError("fitted again")

    monkeypatch.setattr(caption_svd.CaptionSvd, "fit", no_fit)
    again = fit_or_load(tmp_path, list(reversed(CAPTIONS)), 8, 42)
    np.testing.assert_array_equal(again.components, first.components)
    np.testing.assert_array_equal(load_named(tmp_path, first.name).encode(["chat"]), first.encode(["chat"]))
    monkeypatch.undo()
    other = fit_or_load(tmp_path, CAPTIONS[:-1], 8, 42)
    assert other.name != first.name
    assert len(list((tmp_path / "text-encoders").iterdir())) == 2


def test_nothing_to_fit_is_a_clear_error() -> None:
    with pytest.raises(MishonError, match="nothing to fit"):
        CaptionSvd.fit("m", ["a", "b"], 4, seed=0)


def test_encoder_names_and_build_with_tfidf_text(tmp_path: Path) -> None:
    config = Config(home=tmp_path, text_encoder="tfidf", text_svd_dim=8, device="cpu")
    names = encoder_names(config, ("visual", "textual"), CAPTIONS)
    assert names == {"visual": "efficientnet-lite0-imagenet", "textual": model_name(CAPTIONS, 8, 42)}
    assert not (tmp_path / "models").exists()  # naming fits nothing
    with pytest.raises(MishonError, match="training captions"):
        encoder_names(config, ("textual",))
    assert encoder_names(config, ("visual",)) == {"visual": "efficientnet-lite0-imagenet"}
    built = build_encoders(config, ("textual",), CAPTIONS)
    assert list(built) == ["textual"]
    assert (built["textual"].name, built["textual"].dim) == (names["textual"], 8)
    assert (tmp_path / "models" / "text-encoders" / names["textual"] / "meta.json").is_file()


def test_config_text_encoder_from_env_and_checked(tmp_path: Path) -> None:
    assert Config(home=tmp_path).text_encoder == "profile"
    env = {"MISHON_HOME": str(tmp_path), "MISHON_TEXT_ENCODER": "tfidf"}
    assert Config.from_env(env).text_encoder == "tfidf"
    with pytest.raises(MishonError, match="text encoder must be one of"):
        Config(home=tmp_path, text_encoder="minilm-xl")
