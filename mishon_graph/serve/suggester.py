"""Hashtags for a new upload in milliseconds: ``mishon+`` held in memory, fit once, scoring one video.

:meth:`Suggester.load` reads the graph once (the same reads as ``mishon recommend``: training posts,
validation videos, links, embeddings and, when a trained GNN exists, the whole graph for it), fits
the existing-user and cold-start rankers on the validation videos with the stored settings (the
same fit ``recommend`` does, deterministic), and keeps what scoring a new video needs:

- the fitted :class:`~mishon_graph.recommend.hybrid.HybridModel` and its training evidence
  (users' histories, captions' TF-IDF, pooled embeddings, JACCARD and POPULAR links);
- per modality a :class:`~mishon_graph.graph.new_node.SimilarIndex`, which gives the upload the
  SIMILAR edges ``graph build`` would give it (same theta, same cap, same ties);
- the trained GNN with every node's vectors (:class:`~mishon_graph.serve.gnn.InductiveGNN`);
- the popular users a new poster is linked to (Algorithm 1 with the graph's alpha).

:meth:`Suggester.suggest` then scores an :class:`Upload` through the very code ``recommend`` uses
(:meth:`HybridModel.score` on a view of the corpus that holds the upload), so a video of the graph
sent again with its own features, caption and poster gets the scores ``recommend`` gave it.
A poster unknown to the graph, or without training videos, is a new user (Problem 2): their
video is scored by the cold-start ranker. Uploads stored into the graph (:mod:`.store`) join the
in-memory index at the next load.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from mishon_graph import constants
from mishon_graph.config import Config
from mishon_graph.db.protocol import Runner
from mishon_graph.errors import MishonError
from mishon_graph.evaluation.baselines import Target
from mishon_graph.features.units import mean_units
from mishon_graph.graph.new_node import SimilarIndex
from mishon_graph.learn.evidence import Corpus
from mishon_graph.recommend.hybrid import (
    HybridModel,
    HybridSettings,
    fit_hybrid,
    load_settings,
    on_vocab,
    read_inputs,
    vocab_columns,
)
from mishon_graph.recommend.write import top_k
from mishon_graph.serve.reasons import Reason, explain, summary

MAX_UNITS = 4096  # unit features per modality of one upload
_LABEL_TO_MODALITY = {label: name for name, label in constants.MODALITIES.items()}


class BadUpload(MishonError):
    """The upload cannot be scored as sent (the HTTP layer answers 422)."""


@dataclass(frozen=True)
class Upload:
    """A video to suggest hashtags for.

    Args:
        caption: Its caption (hashtags removed or not: mentions of vocabulary hashtags count).
        user_id: Its poster; ``None`` or an id without training videos: a new user.
        video_id: Its id (default: a fresh ``upload-...`` id); the id of a graph video scores that
            video again (its own node is never its neighbour).
        units: Precomputed unit features ``[units, dim]`` per modality; a modality left out is one
            the video lacks.
        created_at: ISO time of the upload (stored with ``--store``; default now).
        media_path: A video file: modalities not sent as features are decoded from it and encoded
            with the server's encoders (those the graph's features were made with).
    """

    caption: str = ""
    user_id: str | None = None
    video_id: str | None = None
    units: Mapping[str, Any] = field(default_factory=dict)
    created_at: str | None = None
    media_path: str | None = None


@dataclass(frozen=True)
class SuggestedHashtag:
    """One suggestion: rank 1 is best; ``reason`` is one line, ``because`` the neighbours behind it."""

    hashtag: str
    score: float
    rank: int
    reason: str
    because: tuple[Reason, ...]


@dataclass
class Suggestion:
    """What :meth:`Suggester.suggest` returns (and what ``--store`` writes).

    Attributes:
        video_id: The upload's id.
        user_id: Its poster (``None``: anonymous new user).
        new_user: Scored as a new user (no training video).
        known_user: The poster is a node of the graph.
        hashtags: The top ``k``, best first.
        scores: The score of every vocabulary hashtag (``vocab`` order).
        modalities: Modalities the upload has (unit features given).
        missing: Modalities of the graph it lacks.
        pooled: Its pooled embedding per modality (what modality nodes store).
        units: Unit count per modality.
        similar: Its SIMILAR edges per modality, ``(video id, cosine)`` best first (all splits).
        encoded: Modalities whose features were computed here (the caption's textual features).
        seconds: Wall time of the call.
    """

    video_id: str
    user_id: str | None
    new_user: bool
    known_user: bool
    hashtags: list[SuggestedHashtag]
    scores: np.ndarray
    modalities: list[str]
    missing: list[str]
    pooled: dict[str, np.ndarray]
    units: dict[str, int]
    similar: dict[str, list[tuple[str, float]]]
    encoded: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(frozen=True)
class GraphRules:
    """The graph's build parameters an upload is attached with (from GraphMeta, else the config)."""

    theta: float
    knn_cap: int | None
    alpha: float

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any], config: Config) -> GraphRules:
        cap = meta.get("knn_cap", config.knn_cap)
        if isinstance(cap, str):
            cap = None if cap.lower() == "none" else int(cap)
        return cls(float(meta.get("theta", config.theta)), cap, float(meta.get("alpha", config.alpha)))


class Suggester:
    """``mishon+`` in memory for new uploads (see the module docstring; build with :meth:`load`).

    Args:
        model: The fitted rankers.
        corpus: Their training evidence.
        index: Per modality, the SIMILAR index over the graph's modality nodes.
        rules: The graph's theta, cap and alpha.
        popular: ``(user id, engagement)`` of the popular users a new poster gets POPULAR links from.
        users: Ids of the graph's users.
        gnn: The trained GNN ready for new videos (``None``: no trained model).
        encoders: Per modality, the encoder name recorded on the graph's nodes.
        live_encoders: Per modality, the encoder that computes an upload's unit features from its
            caption (textual) or media file (visual, acoustic) when it sends none; only encoders
            the graph's features were made with (same name).
        config: Media decoding settings (frames, sample rate, ffmpeg timeout).
        info: Facts for ``/health`` and logs (sizes, settings, load time).
    """

    def __init__(
        self,
        model: HybridModel,
        corpus: Corpus,
        index: Mapping[str, SimilarIndex],
        rules: GraphRules,
        popular: Sequence[tuple[str, float]],
        users: set[str],
        gnn: Any | None = None,
        encoders: Mapping[str, str] | None = None,
        live_encoders: Mapping[str, Any] | None = None,
        info: Mapping[str, Any] | None = None,
        config: Config | None = None,
    ) -> None:
        self.model = model
        self.corpus = corpus
        self.index = dict(index)
        self.rules = rules
        self.popular = list(popular)
        self.users = users
        self.gnn = gnn
        self.encoders = dict(encoders or {})
        self.live_encoders = dict(live_encoders or {})
        self.config = config or Config()
        self.info = dict(info or {})
        self.vocab = model.vocab
        self._gnn_columns = vocab_columns(gnn.hashtags, self.vocab) if gnn is not None else None
        dims = dict(corpus.embedding_dims())
        if gnn is not None:
            dims.update(gnn.model.in_dims)
        self.dims = {m: dims[m] for m in constants.MODALITY_NAMES if m in dims}
        self._counts = corpus.history.counts

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(vocab={len(self.vocab)}, train={len(self.corpus.history.posts)}, "
            f"modalities={list(self.dims)}, gnn={self.gnn is not None})"
        )

    @classmethod
    def load(
        cls,
        runner: Runner,
        config: Config,
        *,
        artifact: Path | None = None,
        settings: HybridSettings | None = None,
        encode: bool = True,
        say: Callable[[str], None] = lambda _m: None,
    ) -> Suggester:
        """Read the graph once and fit ``mishon+`` as ``recommend`` does (see the module docstring).

        Args:
            runner: The database seam (only used here, never by :meth:`suggest`).
            config: Paths, ``k`` and the fallbacks of the graph's parameters.
            artifact: The trained GNN (``None``: ``mishon+`` without it, as ``recommend`` runs).
            settings: ``mishon+`` settings (default: those ``mishon tune`` stored, else the defaults).
            encode: Load the configured encoders the graph's features were made with, so uploads
                may send a caption or a media file instead of features.
            say: Progress messages.
        """
        from mishon_graph.learn.export import pages, read_meta

        t0 = time.perf_counter()
        settings = settings or load_settings(config)
        rules = GraphRules.from_meta(read_meta(runner), config)
        graph = art = None
        if artifact is not None:
            from mishon_graph.learn.artifact import check_matches, load_artifact
            from mishon_graph.learn.export import export_whole

            art = load_artifact(artifact)
            say("serve: exporting the graph for the GNN")
            graph = export_whole(runner, config, labels=False)
            check_matches(art, graph)
        inputs = read_inputs(runner, config, split=constants.TEST, artifact=artifact, say=say, graph=graph)
        say(f"serve: fitting mishon+ on {len(inputs.valid)} validation videos")
        model = fit_hybrid(inputs, settings, k=config.k, cold=True)
        corpus = inputs.corpus
        edges = read_similar_edges(runner)
        index = {}
        for m, emb in corpus.embeddings.items():
            if m not in corpus.embedding_dims():
                continue
            ids = sorted(emb)
            index[m] = SimilarIndex(
                ids,
                np.asarray([emb[v] for v in ids], dtype=np.float32),
                rules.theta,
                rules.knn_cap,
                edges.get(m, []),
            )
        from mishon_graph.graph.popularity import popular_users

        users = list(pages(runner, "export/users_page", config.batch_rows))
        popular = popular_users(runner, rules.alpha)
        gnn = None
        if art is not None and graph is not None:
            from mishon_graph.serve.gnn import InductiveGNN

            say("serve: caching the GNN's node vectors")
            gnn = InductiveGNN(art, graph)
        encoders = read_encoders(runner)
        live = {}
        if encode:
            wanted = [m for m in constants.MODALITY_NAMES if m in encoders and m in corpus.embedding_dims()]
            live = matching_encoders(runner, config, encoders, wanted, say)
        info = {
            "videos": len({v for e in corpus.embeddings.values() for v in e}),
            "training_videos": len(corpus.history.posts),
            "users": len(users),
            "hashtags": len(model.vocab),
            "signals": list(model.signals),
            "existing_ranker": model.existing.chosen,
            "cold_ranker": model.cold.chosen if model.cold else None,
            "theta": rules.theta,
            "knn_cap": rules.knn_cap,
            "gnn": gnn is not None,
            "live_encoders": {m: getattr(e, "name", "?") for m, e in live.items()},
        }
        users_ = {u["id"] for u in users}
        out = cls(model, corpus, index, rules, popular, users_, gnn, encoders, live, info, config)
        out.warm()
        out.info["load_seconds"] = round(time.perf_counter() - t0, 1)
        return out

    def warm(self) -> None:
        """Fill every lazy cache once (a new and an existing poster), so concurrent calls only read."""
        users = [None] + [next(iter(self.corpus.history.by_user), None)]
        for user in users:
            self.suggest(Upload(caption="warm up", user_id=user), k=1)

    # Scoring ---------------------------------------------------------------------------------------
    def check(self, upload: Upload) -> dict[str, np.ndarray]:
        """The upload's unit features as float32 arrays; :class:`BadUpload` with one line when unusable."""
        out: dict[str, np.ndarray] = {}
        for m, raw in upload.units.items():
            if m not in constants.MODALITY_NAMES:
                names = ", ".join(constants.MODALITY_NAMES)
                raise BadUpload(f"unknown modality {m!r}; expected some of {names}")
            if m not in self.dims:
                raise BadUpload(f"this graph has no {m} modality (it has {', '.join(self.dims) or 'none'})")
            try:
                a = np.asarray(raw, dtype=np.float32)
            except (TypeError, ValueError):
                raise BadUpload(f"{m} features must be a [units, {self.dims[m]}] array of numbers") from None
            if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] != self.dims[m]:
                shape = list(a.shape)
                raise BadUpload(f"{m} features must be [units, {self.dims[m]}] with units >= 1, got {shape}")
            if a.shape[0] > MAX_UNITS:
                raise BadUpload(f"{m} features have {a.shape[0]} units; at most {MAX_UNITS}")
            if not np.isfinite(a).all():
                raise BadUpload(f"{m} features hold NaN or infinite values")
            out[m] = a
        return out

    def _encode(self, upload: Upload, caption: str, units: dict[str, np.ndarray]) -> list[str]:
        """Fill ``units`` for the modalities the upload did not send, from its caption and media file."""
        encoded = []
        live = self.live_encoders
        text = constants.CAPTION_MODALITY
        if text not in units and text in live and caption.strip():
            units[text] = np.asarray(live[text].encode([caption])[0], dtype=np.float32)
            encoded.append(text)
        if upload.media_path is None:
            return encoded
        want = {m for m in constants.MEDIA_MODALITIES if m in self.dims and m not in units}
        if not want:
            return encoded
        if not want <= set(live):
            names = ", ".join(f"{m}: {self.encoders.get(m, 'unknown')}" for m in sorted(want - set(live)))
            raise BadUpload(
                f"this server cannot encode media like this graph's features ({names}); send features"
            )
        from mishon_graph.features.extract import decode_media

        frames, audio, errors = decode_media(upload.media_path, want, live, self.config)
        for m, raw in (("visual", frames), ("acoustic", audio)):
            if m in want and raw is not None:
                units[m] = np.asarray(live[m].encode([raw])[0], dtype=np.float32)
                encoded.append(m)
        if not any(m in units for m in want):
            raise BadUpload(f"the media file gives no usable frames or audio: {next(iter(errors.values()))}")
        return encoded

    def _on_vocab(self, probs: np.ndarray) -> np.ndarray:
        assert self._gnn_columns is not None
        return on_vocab(probs, self._gnn_columns, len(self.vocab))

    def _as_stored(self, vid: str, pooled: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """For a video of the graph sent again, its stored pooled vectors where the sent ones equal them
        up to the round-off of pooling (graphs ingested before ingest pooled precomputed units with
        ``mean_units`` hold float32 means): the graph's edges and ``recommend`` used the stored ones."""
        out = dict(pooled)
        for m, v in pooled.items():
            stored = self.corpus.embeddings.get(m, {}).get(vid)
            if stored is not None:
                s = np.asarray(stored, dtype=np.float32)
                if s.shape == v.shape and np.allclose(s, v, rtol=1e-5, atol=1e-6):
                    out[m] = s
        return out

    def _is_graph_video(self, vid: str, user_id: str | None, pooled: Mapping[str, np.ndarray]) -> bool:
        """``vid`` is a video of the graph sent again unchanged: same poster, same pooled features."""
        graph = self.gnn.graph if self.gnn is not None else None
        if graph is None or vid not in graph.video_index or user_id is None:
            return False
        if graph.user_ids[int(graph.video_user[graph.video_index[vid]])] != user_id:
            return False
        stored = self.corpus.embeddings
        return set(pooled) == {m for m in self.dims if vid in stored.get(m, {})} and all(
            np.array_equal(np.asarray(stored[m][vid], dtype=np.float32), v) for m, v in pooled.items()
        )

    def suggest(self, upload: Upload, k: int = 5) -> Suggestion:
        """The ``k`` best hashtags for ``upload`` (at most the vocabulary), with scores and reasons.

        Raises:
            BadUpload: unknown modality, wrong shape, non-finite values, ``k`` < 1.
        """
        with one_thread():
            return self._suggest(upload, k)

    def _suggest(self, upload: Upload, k: int) -> Suggestion:
        t0 = time.perf_counter()
        if k < 1:
            raise BadUpload(f"k must be >= 1, got {k}")
        k = min(k, len(self.vocab))
        units = self.check(upload)
        vid = upload.video_id or f"upload-{uuid.uuid4().hex[:12]}"
        caption = upload.caption or ""
        encoded = self._encode(upload, caption, units)
        pooled = self._as_stored(vid, {m: mean_units(a) for m, a in units.items()})
        similar = {m: self.index[m].neighbours(v, vid) for m, v in pooled.items() if m in self.index}
        hist = self.corpus.history
        train = [(w, s) for m in sorted(similar) for w, s in similar[m] if w in hist.row_of]
        gnn = {}
        if self.gnn is not None and self._gnn_columns is not None:
            own = self.corpus.gnn.get(vid) if self.corpus.gnn is not None else None
            if self._is_graph_video(vid, upload.user_id, pooled):  # sent again as it is: its own output
                gnn[vid] = own if own is not None else self._on_vocab(self.gnn.graph_probabilities(vid))
            else:
                known = upload.user_id if upload.user_id in self.users else None
                linked = {m: [v for v, _ in lst] for m, lst in similar.items()}
                probs = self.gnn.probabilities(units, linked, known, [p for p, _ in self.popular])
                gnn[vid] = self._on_vocab(probs)
        view = self.corpus.with_targets(
            texts={vid: caption},
            embeddings={m: {vid: v.astype(float).tolist()} for m, v in pooled.items()},
            similar={vid: train},
            gnn=gnn,
        )
        poster = upload.user_id if upload.user_id is not None else f"__new_user_for_{vid}"
        target = Target(vid, poster)
        scores = self.model.score(view, [target])[0]
        new_user = self.model.is_cold(view, target)
        order, values = top_k(scores[None, :], k)
        edges = [(m, v, w) for m in sorted(similar) for v, w in similar[m]]
        tags = []
        for rank, (j, s) in enumerate(zip(order[0].tolist(), values[0].tolist(), strict=True), start=1):
            h = self.vocab[j]
            because = explain(
                self.corpus, h, user_id=poster, new_user=new_user, similar=edges, caption=caption
            )
            line = summary(because, int(self._counts[j]))
            tags.append(SuggestedHashtag(h, float(s), rank, line, tuple(because)))
        return Suggestion(
            video_id=vid,
            user_id=upload.user_id,
            new_user=new_user,
            known_user=upload.user_id in self.users,
            hashtags=tags,
            scores=scores,
            modalities=sorted(units),
            missing=[m for m in self.dims if m not in units],
            encoded=encoded,
            pooled=pooled,
            units={m: int(a.shape[0]) for m, a in units.items()},
            similar=similar,
            seconds=time.perf_counter() - t0,
        )


def read_similar_edges(runner: Runner) -> dict[str, list[tuple[str, str, float]]]:
    """Every SIMILAR edge per modality, ``(a, b, weight)`` once per pair."""
    out: dict[str, list[tuple[str, str, float]]] = {}
    for r in runner.run_file("serve/similar_edges"):
        m = next((_LABEL_TO_MODALITY[x] for x in r["labels"] if x in _LABEL_TO_MODALITY), None)
        if m is not None:
            out.setdefault(m, []).extend(zip(r["a"], r["b"], map(float, r["weight"]), strict=True))
    return out


def read_encoders(runner: Runner) -> dict[str, str]:
    """Per modality, the encoder its nodes record (when all agree)."""
    out: dict[str, str] = {}
    for r in runner.run_file("serve/encoders"):
        m = next((_LABEL_TO_MODALITY[x] for x in r["labels"] if x in _LABEL_TO_MODALITY), None)
        if m is not None and len(r["encoders"]) == 1:
            out[m] = r["encoders"][0]
    return out


def matching_encoders(
    runner: Runner,
    config: Config,
    recorded: Mapping[str, str],
    modalities: Sequence[str],
    say: Callable[[str], None],
) -> dict[str, Any]:
    """The configured encoders of ``modalities`` that the graph's features were made with (same name)."""
    from mishon_graph.features.encoders import build_encoders, encoder_names
    from mishon_graph.features.plan import training_captions

    captions = None
    if config.text_encoder == "tfidf" and "textual" in modalities:  # its name and fit depend on them
        captions = training_captions(runner.run_file("features/videos"))
    try:
        names = encoder_names(config, modalities, captions)
    except MishonError as exc:
        say(f"serve: uploads are not encoded ({exc})")
        return {}
    same = [m for m in modalities if names[m] == recorded.get(m)]
    for m in modalities:
        if m not in same:
            say(f"serve: {m} of uploads is not encoded (graph: {recorded.get(m)}, configured: {names[m]})")
    if not same:
        return {}
    say(f"serve: loading the encoders of {', '.join(same)}")
    try:
        return build_encoders(config, same, captions)
    except MishonError as exc:
        say(f"serve: uploads are not encoded ({exc})")
        return {}


@cache
def _threadpools() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextmanager
def one_thread() -> Iterator[None]:
    """Run the math of one upload on the calling thread only: OpenMP (the ranker's trees, torch's
    CPU kernels) and BLAS (the neighbour searches' products).

    Scoring one upload runs hundreds of tiny parallel regions (one per tree, one per GNN kernel);
    waking the other threads for each costs more than the work, and far more on a busy machine
    (measured at the TMALL shape on a loaded 2-core machine: the GNN step 58 -> 15 ms p50, the
    trees 880 -> 19 ms per upload, a neighbour product's p99 24 -> 0.7 ms). Concurrency comes from
    serving several uploads at once. OpenMP keeps the limit per thread; OpenBLAS has one process-wide
    setting, restored on exit (callers that overlap may leave it at 1, which serving wants anyway).
    """
    with _threadpools().limit(limits=1):
        yield
