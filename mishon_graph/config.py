"""One checked configuration object for the whole pipeline.

Nothing reads the environment at import time: call :meth:`Config.from_env` explicitly, then apply
CLI overrides with :meth:`Config.with_overrides`.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mishon_graph.errors import MishonError

AGGREGATORS = ("mean", "max", "min", "sum")
DEVICES = ("auto", "cpu", "cuda")
FEATURE_DTYPES = ("float32", "bfloat16")
ENCODER_PROFILES = ("offline", "paper", "tiny")
TEXT_ENCODERS = ("profile", "tfidf")
KNN_MODES = ("auto", "exact", "approx")


def default_home() -> Path:
    """The per-user directory for the managed Neo4j, features, models and runs."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("mishon-graph", appauthor=False))


@dataclass(frozen=True)
class Config:
    """Connection, paths and MISHON hyper-parameters (defaults from MISHON.md, paper 5.2.4).

    Args:
        neo4j_uri: Bolt URI of an existing server; ``None`` uses the locally managed Neo4j.
        neo4j_user: User name for ``neo4j_uri``.
        neo4j_password: Password for ``neo4j_uri`` (the managed server keeps its own in a file).
        neo4j_database: Database name.
        home: Directory for the managed Neo4j, feature store, models and evaluation runs.
        theta: Same-modality cosine threshold for similarity edges, in [0, 1].
        gamma: User-user Jaccard threshold, in [0, 1].
        alpha: Fraction of users that are "popular" (Algorithm 1), in (0, 1].
        knn_cap: Keep at most this many nearest neighbours per modality node (``None``: no cap).
        knn_mode: How SIMILAR neighbours are found: ``exact`` (blocked products), ``approx`` (faiss
            HNSW, needs a cap) or ``auto`` (approx from ``graph.similarity_approx.APPROX_MIN_ROWS``
            nodes of a modality up, when there is a cap).
        popular_to_all: Link popular users to every user, as Algorithm 1's pseudo-code reads.
        min_hashtag_freq: Drop hashtags seen fewer times in training posts (paper: 50).
        min_user_posts: Keep users with at least this many posts (paper: 4).
        cold_start_frac: Fraction of users held out as cold-start users.
        test_frac: Per-user fraction of the latest posts that are test.
        valid_frac: Fraction of each user's training posts (the latest) used for validation.
        depth: GraphSAGE depth J.
        aggregator: GraphSAGE aggregator, one of mean/max/min/sum.
        hidden_dim: Width of the pooled modality vectors and user embeddings.
        attention: Use attention pooling (eq. 8-10); ``False`` averages unit features.
        lr: Adam learning rate.
        weight_decay: Adam weight decay.
        dropout: Dropout on the concatenated representation.
        epochs: Maximum training epochs.
        patience: Early-stopping patience in epochs on the validation F1@K.
        lr_patience: Epochs without a better validation F1@K before the learning rate halves.
        batch_size: Seed nodes per mini-batch when neighbour sampling.
        fanout: Neighbours sampled per node and hop in mini-batch training.
        minibatch_history: Mini-batches pool unit features for their seed videos only and take every
            other sampled video's pooled vectors from the start of the epoch (historical embeddings;
            an epoch then pools each video about once, as full-batch does); ``False`` pools every
            sampled video in every batch (exact, many times slower).
        unit_pca: Reduce wider unit features to this many dimensions with a fixed PCA basis fit on
            the training videos' units, once per training run and saved with the model (0: off);
            the pooling then projects far narrower inputs.
        sampled_negatives: Train with a sampled softmax: each step scores every hashtag of its batch
            plus this many others drawn uniformly, weighted to estimate the full denominator
            (:func:`~mishon_graph.learn.labels.sample_columns`); 0 (the default): the full softmax.
            For vocabularies where ``[batch, |H|]`` logits do not fit; validation and scoring stay full.
        full_batch_gb: Train full-batch when the estimated memory stays below this (GiB).
        feature_dtype: Storage type of unit features in training (``float32`` or ``bfloat16``).
        feature_cache: Directory of the memory-mapped unit feature cache that mini-batch training
            reads (``None``: ``<home>/cache/features``).
        neo4j_dist: Where the managed server's Neo4j jars are resolved (``None``: the user cache dir).
        neo4j_heap: Java heap of the managed server.
        neo4j_pagecache: Page cache of the managed server.
        seed: Random seed for splits, initialisation and sampling.
        device: ``auto`` (CUDA when present), ``cpu`` or ``cuda``.
        k: Number of hashtags to recommend / evaluate at.
        encoder_profile: ``offline`` (weights shipped in packages), ``paper`` (ViT/wav2vec2/BERT), ``tiny``.
        num_frames: Frames sampled per video.
        sample_rate: Audio sample rate in Hz.
        text_tokens: Token length for the text encoder (incl. special tokens).
        text_encoder: ``profile`` (the encoder profile's token encoder: MiniLM for ``offline``, BERT for
            ``paper``) or ``tfidf`` (character n-gram TF-IDF + truncated SVD fit on training captions,
            one unit per caption; any language).
        text_svd_dim: Width of the ``tfidf`` text features.
        ffmpeg_timeout: Seconds before an ffmpeg call is abandoned.
        max_audio_seconds: Decode at most the first this many seconds of audio per video.
        feature_batch: Videos decoded and encoded together by ``features``.
        vit_model: ``paper`` profile frame encoder: Hugging Face id (in the local cache) or directory.
        wav2vec2_model: ``paper`` profile audio encoder: Hugging Face id or directory.
        bert_model: ``paper`` profile text encoder: Hugging Face id or directory.
        batch_rows: Rows per ``UNWIND`` write transaction.
    """

    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: str | None = None
    neo4j_database: str = "neo4j"
    home: Path = field(default_factory=default_home)
    theta: float = 0.5
    gamma: float = 0.5
    alpha: float = 0.1
    knn_cap: int | None = 10
    knn_mode: str = "auto"
    popular_to_all: bool = False
    min_hashtag_freq: int = 50
    min_user_posts: int = 4
    cold_start_frac: float = 0.1
    test_frac: float = 0.2
    valid_frac: float = 0.1
    depth: int = 2
    aggregator: str = "mean"
    hidden_dim: int = 128
    attention: bool = True
    lr: float = 0.02
    weight_decay: float = 0.0
    dropout: float = 0.2
    epochs: int = 100
    patience: int = 10
    lr_patience: int = 4
    batch_size: int = 1024
    fanout: int = 10
    minibatch_history: bool = True
    unit_pca: int = 0
    sampled_negatives: int = 0
    full_batch_gb: float = 8.0
    feature_dtype: str = "float32"
    feature_cache: Path | None = None
    neo4j_dist: Path | None = None
    neo4j_heap: str = "1g"
    neo4j_pagecache: str = "512m"
    seed: int = 42
    device: str = "auto"
    k: int = 5
    encoder_profile: str = "offline"
    num_frames: int = 12
    sample_rate: int = 16000
    text_tokens: int = 30
    text_encoder: str = "profile"
    text_svd_dim: int = 256
    ffmpeg_timeout: float = 60.0
    max_audio_seconds: float = 60.0
    feature_batch: int = 8
    vit_model: str = "google/vit-base-patch16-224"
    wav2vec2_model: str = "facebook/wav2vec2-base"
    bert_model: str = "bert-base-uncased"
    batch_rows: int = 1000

    def __post_init__(self) -> None:
        object.__setattr__(self, "home", Path(self.home).expanduser())
        if self.feature_cache is not None:
            object.__setattr__(self, "feature_cache", Path(self.feature_cache).expanduser())
        self._check()

    def _check(self) -> None:
        def need(ok: bool, msg: str) -> None:
            if not ok:
                raise MishonError(msg)

        need(0.0 <= self.theta <= 1.0, f"theta must be in [0, 1], got {self.theta}")
        need(0.0 <= self.gamma <= 1.0, f"gamma must be in [0, 1], got {self.gamma}")
        need(0.0 < self.alpha <= 1.0, f"alpha must be in (0, 1], got {self.alpha}")
        need(self.knn_cap is None or self.knn_cap >= 1, f"k-NN cap must be >= 1, got {self.knn_cap}")
        need(self.knn_mode in KNN_MODES, f"k-NN mode must be one of {KNN_MODES}, got {self.knn_mode!r}")
        need(
            self.knn_mode != "approx" or self.knn_cap is not None,
            "approximate k-NN needs a cap: use --top-k, not --no-cap",
        )
        need(self.min_hashtag_freq >= 1, f"min hashtag frequency must be >= 1, got {self.min_hashtag_freq}")
        need(self.min_user_posts >= 1, f"min posts per user must be >= 1, got {self.min_user_posts}")
        need(
            0.0 <= self.cold_start_frac < 1.0,
            f"cold-start fraction must be in [0, 1), got {self.cold_start_frac}",
        )
        need(0.0 < self.test_frac < 1.0, f"test fraction must be in (0, 1), got {self.test_frac}")
        need(0.0 <= self.valid_frac < 1.0, f"validation fraction must be in [0, 1), got {self.valid_frac}")
        need(self.depth >= 0, f"depth must be >= 0, got {self.depth}")
        need(
            self.aggregator in AGGREGATORS,
            f"aggregator must be one of {AGGREGATORS}, got {self.aggregator!r}",
        )
        need(self.hidden_dim >= 1, f"hidden dim must be >= 1, got {self.hidden_dim}")
        need(self.lr > 0, f"learning rate must be > 0, got {self.lr}")
        need(0.0 <= self.dropout < 1.0, f"dropout must be in [0, 1), got {self.dropout}")
        need(
            self.epochs >= 1 and self.patience >= 1 and self.lr_patience >= 1,
            "epochs, patience and lr_patience must be >= 1",
        )
        need(self.batch_size >= 1 and self.batch_rows >= 1, "batch sizes must be >= 1")
        need(self.fanout >= 1, f"fanout must be >= 1, got {self.fanout}")
        need(self.sampled_negatives >= 0, f"sampled negatives must be >= 0, got {self.sampled_negatives}")
        need(self.unit_pca >= 0, f"unit PCA dimension must be >= 0 (0: off), got {self.unit_pca}")
        need(self.full_batch_gb > 0, f"full-batch memory limit must be > 0, got {self.full_batch_gb}")
        need(
            self.feature_dtype in FEATURE_DTYPES,
            f"feature dtype must be one of {FEATURE_DTYPES}, got {self.feature_dtype!r}",
        )
        need(self.device in DEVICES, f"device must be one of {DEVICES}, got {self.device!r}")
        need(self.k >= 1, f"K must be >= 1, got {self.k}")
        need(
            self.encoder_profile in ENCODER_PROFILES,
            f"encoder profile must be one of {ENCODER_PROFILES}, got {self.encoder_profile!r}",
        )
        need(
            self.text_encoder in TEXT_ENCODERS,
            f"text encoder must be one of {TEXT_ENCODERS}, got {self.text_encoder!r}",
        )
        need(self.text_svd_dim >= 1, f"TF-IDF text width must be >= 1, got {self.text_svd_dim}")
        need(self.num_frames >= 1 and self.sample_rate >= 1 and self.text_tokens >= 3, "bad media settings")
        need(self.ffmpeg_timeout > 0, "ffmpeg timeout must be > 0")
        need(self.max_audio_seconds > 0, f"max audio seconds must be > 0, got {self.max_audio_seconds}")
        need(self.feature_batch >= 1, f"feature batch must be >= 1, got {self.feature_batch}")
        for name in ("vit_model", "wav2vec2_model", "bert_model"):
            need(bool(str(getattr(self, name)).strip()), f"{name} must name a model id or directory")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Config:
        """Build a config from ``NEO4J_*``, ``MISHON_HOME``, ``MISHON_DEVICE`` and the other ``MISHON_*``."""
        env = os.environ if environ is None else environ
        kwargs: dict[str, Any] = {}
        if env.get("NEO4J_URI"):
            kwargs["neo4j_uri"] = env["NEO4J_URI"]
        if env.get("NEO4J_USER"):
            kwargs["neo4j_user"] = env["NEO4J_USER"]
        if env.get("NEO4J_PASSWORD"):
            kwargs["neo4j_password"] = env["NEO4J_PASSWORD"]
        if env.get("NEO4J_DATABASE"):
            kwargs["neo4j_database"] = env["NEO4J_DATABASE"]
        if env.get("MISHON_HOME"):
            kwargs["home"] = Path(env["MISHON_HOME"])
        if env.get("MISHON_DEVICE"):
            kwargs["device"] = env["MISHON_DEVICE"]
        if env.get("MISHON_FEATURE_CACHE"):
            kwargs["feature_cache"] = Path(env["MISHON_FEATURE_CACHE"])
        if env.get("MISHON_NEO4J_DIST"):
            kwargs["neo4j_dist"] = Path(env["MISHON_NEO4J_DIST"]).expanduser()
        for var, name in (
            ("MISHON_VIT_MODEL", "vit_model"),
            ("MISHON_WAV2VEC2_MODEL", "wav2vec2_model"),
            ("MISHON_BERT_MODEL", "bert_model"),
            ("MISHON_TEXT_ENCODER", "text_encoder"),
            ("MISHON_NEO4J_HEAP", "neo4j_heap"),
            ("MISHON_NEO4J_PAGECACHE", "neo4j_pagecache"),
        ):
            if env.get(var):
                kwargs[name] = env[var]
        return cls(**kwargs)

    def with_overrides(self, **overrides: Any) -> Config:
        """A copy with the given CLI options replaced; ``None`` means "option not given" and keeps the
        current value (use :meth:`replace` to set a field to ``None``)."""
        return self.replace(**{k: v for k, v in overrides.items() if v is not None})

    def replace(self, **fields: Any) -> Config:
        """A copy with ``fields`` replaced exactly (``None`` included); unknown names are an error."""
        unknown = set(fields) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise MishonError(f"unknown configuration fields: {sorted(unknown)}")
        return dataclasses.replace(self, **fields)

    # Derived paths -------------------------------------------------------------------------
    @property
    def neo4j_dir(self) -> Path:
        return self.home / "neo4j"

    @property
    def feature_dir(self) -> Path:
        return self.home / "features"

    @property
    def feature_cache_dir(self) -> Path:
        return self.feature_cache if self.feature_cache is not None else self.home / "cache" / "features"

    @property
    def pool_chunk_rows(self) -> int:
        """Videos pooled at once when every video's units are pooled (scoring, historical embeddings)."""
        return max(1, 4 * self.batch_size)

    @property
    def model_dir(self) -> Path:
        return self.home / "models"

    @property
    def runs_dir(self) -> Path:
        return self.home / "runs"

    def describe(self) -> dict[str, Any]:
        """Hyper-parameters as a plain dict (no secrets), for artifacts and metadata nodes."""
        out = dataclasses.asdict(self)
        out.pop("neo4j_password")
        out["home"] = str(self.home)
        out["feature_cache"] = str(self.feature_cache) if self.feature_cache is not None else None
        return out
