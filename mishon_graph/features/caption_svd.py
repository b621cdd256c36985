"""Caption features for any language: character n-gram TF-IDF reduced by truncated SVD.

The vectoriser of :mod:`mishon_graph.features.tfidf` (``char_wb`` 2-4-grams, sublinear TF, IDF) is
fit on the **training** captions only, then a :class:`~sklearn.decomposition.TruncatedSVD`
(randomized, fixed ``random_state``) projects its rows to ``dim`` columns; every caption becomes one
unit ``[1, dim]``, L2-normalised (a caption with no known n-gram stays all zeros, which the graph
step treats as "no neighbours"). When the training captions give fewer than ``dim`` SVD components
(a tiny graph), the missing columns are zero, so the width is always ``dim``.

The encoder name carries a digest of the settings and of the training captions
(``tfidf-svd256-<digest>``): a different training set or setting is a different encoder, so the
features step re-encodes every caption instead of mixing two fits. The fitted model is saved
without pickle under ``<home>/models/text-encoders/<name>/`` (``meta.json``, the vocabulary as a
JSON list in column order, IDF and components in ``weights.safetensors``), and
:meth:`CaptionSvd.load` gives back an object whose :meth:`~CaptionSvd.encode` returns the same
vectors for new captions.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from mishon_graph.errors import MishonError
from mishon_graph.features.tfidf import vectorizer

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

PREFIX = "tfidf-svd"
FORMAT = "1"
TEXT_MODELS = "text-encoders"  # under config.model_dir
# Vectoriser parameters that define the columns; recorded in meta.json and checked on load.
SETTINGS = ("analyzer", "ngram_range", "min_df", "max_df", "max_features", "sublinear_tf", "lowercase",
            "norm", "smooth_idf", "use_idf", "strip_accents")
SVD_ITERATIONS = 5


def _settings() -> dict[str, object]:
    params = vectorizer().get_params()
    return {k: list(v) if isinstance(v, tuple) else v for k, v in ((k, params[k]) for k in SETTINGS)}


def model_name(train_captions: Sequence[tuple[str, str]], dim: int, seed: int) -> str:
    """``tfidf-svd<dim>-<digest>``: the digest covers the settings and the training (id, caption) pairs.

    Args:
        train_captions: ``(video id, caption)`` of the training videos (any order).
        dim: Output width.
        seed: SVD random state.
    """
    h = hashlib.sha256(json.dumps([FORMAT, _settings(), dim, seed, SVD_ITERATIONS]).encode("utf-8"))
    for video_id, text in sorted(train_captions):
        h.update(json.dumps([video_id, text]).encode("utf-8"))
    return f"{PREFIX}{dim}-{h.hexdigest()[:12]}"


class CaptionSvd:
    """A fitted caption encoder: ``encode(captions) -> [n, dim]`` float32, rows L2-normalised.

    Build one with :meth:`fit` (training captions only) or :meth:`load` (a saved one).

    Args:
        name: Encoder name recorded with the features.
        vocabulary: Character n-grams in column order.
        idf: ``[len(vocabulary)]`` inverse document frequencies.
        components: ``[dim, len(vocabulary)]`` SVD components (rows past ``rank`` are zero).
        rank: Number of fitted components.
        train_captions: How many training captions the fit saw.
    """

    modality = "textual"

    def __init__(self, name: str, vocabulary: Sequence[str], idf: np.ndarray, components: np.ndarray,
                 rank: int, train_captions: int) -> None:
        self.name = name
        self.vocabulary = list(vocabulary)
        self.idf = np.asarray(idf, dtype=np.float64)
        self.components = np.ascontiguousarray(components, dtype=np.float32)
        self.rank = rank
        self.train_captions = train_captions
        self.dim = int(self.components.shape[0])
        self._vec: TfidfVectorizer = vectorizer(self.vocabulary)
        self._vec.idf_ = self.idf

    def __repr__(self) -> str:
        return (f"CaptionSvd(name={self.name!r}, dim={self.dim}, rank={self.rank}, "
                f"vocabulary={len(self.vocabulary)}, train_captions={self.train_captions})")

    @classmethod
    def fit(cls, name: str, train_texts: Sequence[str], dim: int, seed: int) -> CaptionSvd:
        """Fit the vocabulary, IDF and SVD on ``train_texts``.

        No leakage: pass training captions only; validation and test captions are only ever encoded.

        Raises:
            MishonError: no training caption has a character n-gram seen in two captions.
        """
        from sklearn.decomposition import TruncatedSVD

        vec = vectorizer()
        try:
            x = vec.fit_transform([t or "" for t in train_texts])
        except ValueError:
            raise MishonError(
                f"the TF-IDF text encoder has nothing to fit: {len(train_texts)} training captions share no "
                "character n-gram (use the profile's text encoder)"
            ) from None
        vocabulary = [""] * len(vec.vocabulary_)
        for term, column in vec.vocabulary_.items():
            vocabulary[column] = term
        rank = min(dim, x.shape[0], x.shape[1])
        components = np.zeros((dim, x.shape[1]), dtype=np.float32)
        if rank >= 1:
            svd = TruncatedSVD(rank, algorithm="randomized", n_iter=SVD_ITERATIONS, random_state=seed)
            with np.errstate(divide="ignore", invalid="ignore"):  # explained variance of identical rows: 0/0
                svd.fit(x)
            components[:rank] = svd.components_
        return cls(name, vocabulary, vec.idf_, components, rank, len(train_texts))

    def encode(self, captions: Sequence[str]) -> np.ndarray:
        """``[len(captions), dim]`` float32: TF-IDF rows projected on the components, L2-normalised."""
        if not len(captions):
            return np.zeros((0, self.dim), dtype=np.float32)
        x = self._vec.transform([t or "" for t in captions])
        out = np.asarray(x @ self.components.T.astype(np.float64))
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.where(norms > 0, norms, 1.0)).astype(np.float32)

    def save(self, directory: Path) -> Path:
        """Write the model to ``directory`` (replaced atomically); returns it."""
        directory = Path(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}-"))
        try:
            meta = {"format": FORMAT, "name": self.name, "dim": self.dim, "rank": self.rank,
                    "train_captions": self.train_captions, "settings": _settings()}
            (tmp / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
            vocabulary = json.dumps(self.vocabulary, ensure_ascii=False)
            (tmp / "vocabulary.json").write_text(vocabulary, encoding="utf-8")
            save_file({"idf": self.idf, "components": self.components}, str(tmp / "weights.safetensors"))
            if directory.exists():
                shutil.rmtree(directory)
            os.replace(tmp, directory)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp)
        return directory

    @classmethod
    def load(cls, directory: Path) -> CaptionSvd:
        """A saved model.

        Raises:
            MishonError: missing or unreadable files, another format, or settings that differ from the
                current vectoriser's (fit again with ``mishon features --force``).
        """
        directory = Path(directory)
        try:
            meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
            vocabulary = json.loads((directory / "vocabulary.json").read_text(encoding="utf-8"))
            weights = load_file(str(directory / "weights.safetensors"))
            idf, components = weights["idf"], weights["components"]
        except (OSError, ValueError, KeyError, SafetensorError) as exc:
            raise MishonError(f"unreadable text encoder in {directory}: {exc}") from None
        if meta.get("format") != FORMAT or meta.get("settings") != _settings():
            raise MishonError(f"the text encoder in {directory} was fit with other settings; "
                              "run `mishon features --force --modalities textual` to fit it again")
        if not (isinstance(vocabulary, list) and idf.shape == (len(vocabulary),)
                and components.shape == (meta["dim"], len(vocabulary))):
            raise MishonError(f"inconsistent text encoder files in {directory}")
        return cls(meta["name"], vocabulary, idf, components, int(meta["rank"]), int(meta["train_captions"]))


def fit_or_load(
    model_dir: Path, train_captions: Sequence[tuple[str, str]], dim: int, seed: int
) -> CaptionSvd:
    """The saved model for these training captions, else one fit now and saved under ``model_dir``.

    Args:
        model_dir: ``config.model_dir``; models live in ``<model_dir>/text-encoders/<name>``.
        train_captions: ``(video id, caption)`` of the training videos.
        dim: Output width.
        seed: SVD random state.
    """
    name = model_name(train_captions, dim, seed)
    path = Path(model_dir) / TEXT_MODELS / name
    if path.is_dir():
        try:
            return CaptionSvd.load(path)
        except MishonError:
            pass  # unreadable or stale: fit again below
    model = CaptionSvd.fit(name, [text for _, text in sorted(train_captions)], dim, seed)
    model.save(path)
    return model


def load_named(model_dir: Path, name: str) -> CaptionSvd:
    """The saved model that produced features recorded with encoder ``name`` (e.g. for a new upload)."""
    if not name.startswith(PREFIX) or "/" in name or name.startswith("."):
        raise MishonError(f"{name!r} is not a TF-IDF text encoder name")
    return CaptionSvd.load(Path(model_dir) / TEXT_MODELS / name)


class CaptionSvdEncoder:
    """A :class:`CaptionSvd` as a features-step encoder: one ``[1, dim]`` unit per caption.

    Args:
        model: The fitted model.
    """

    modality = "textual"

    def __init__(self, model: CaptionSvd) -> None:
        self.model = model
        self.name = model.name
        self.dim = model.dim

    def __repr__(self) -> str:
        return f"CaptionSvdEncoder({self.model!r})"

    def encode(self, batch: Sequence[str]) -> list[np.ndarray]:
        return [row[None, :] for row in self.model.encode(batch)]
