"""Everything ``mishon+`` knows about a target video, as one signal matrix per source (no I/O).

A :class:`Corpus` holds what the graph says from training data only: training posts with their
hashtags and times, captions, pooled modality embeddings, each target's SIMILAR neighbours, JACCARD
and POPULAR links, and (optionally) the trained GNN's probabilities. :func:`build_evidence` turns it
into the signals of :mod:`mishon_graph.evaluation.signals` for a batch of targets.

``as_new_user=True`` scores a target as a newcomer would be scored: nothing that reads the poster's
own history (history, co-occurrence, JACCARD votes, the GNN's user vector, the poster's own vote
among the POPULAR users, its own videos in the hashtag centroids) and no content neighbour posted by
the same user. The cold-start ranker learns on validation videos seen this way, because
validation never holds cold-start users.
"""

from __future__ import annotations

import math
from collections import ChainMap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp

from mishon_graph.evaluation.baselines import Target
from mishon_graph.evaluation.signals import (
    History,
    centroid_scores,
    cooccurrence_matrix,
    cooccurrence_scores,
    hashtag_sums,
    knn_neighbours,
    mention_scores,
    neighbour_votes,
    popularity_scores,
    profile_rows,
    user_profiles,
    user_votes,
)
from mishon_graph.evaluation.tuned import user_folds
from mishon_graph.features.tfidf import CaptionVectors

SIGNALS: tuple[str, ...] = (
    "history",
    "recent",
    "cooccurrence",
    "social",
    "popular_users",
    "similar",
    "knn",
    "text",
    "centroid",
    "text_centroid",
    "mention",
    "gnn",
    "popularity",
    "spread",
)
# Signals that read the poster: a newcomer has none of them.
USER_SIGNALS = frozenset({"history", "recent", "cooccurrence", "social", "gnn"})
# Signals whose computation also fills a target's context features (knn_max, text_max), and the
# signal rankers fall back on and break ties with: a ranker's evidence needs them even when it
# does not read them as features.
ALWAYS_NEEDED = frozenset({"knn", "text", "popularity"})
GROUPS: dict[str, tuple[str, ...]] = {
    "history": ("history", "recent", "cooccurrence"),
    "graph": ("social", "popular_users", "similar", "gnn"),
    "content": ("knn", "text", "centroid", "text_centroid", "mention"),
    "gnn": ("gnn",),
    "social": ("social", "popular_users"),
}


@dataclass(frozen=True)
class EvidenceSettings:
    """Knobs of the signals (tuned on validation by ``mishon tune``).

    Args:
        half_life: Recency half-life of the ``recent`` history, in posts.
        knn: Content neighbours (pooled embeddings) voting per target.
        text_knn: Caption neighbours (character n-gram TF-IDF) voting per target.
    """

    half_life: float = 8.0
    knn: int = 30
    text_knn: int = 30


@dataclass
class Corpus:
    """Training-only evidence read from the graph.

    Args:
        history: Training posts and the vocabulary.
        texts: Video id -> caption, for training videos and targets.
        embeddings: Modality -> video id -> pooled embedding.
        similar: Video id -> its SIMILAR neighbours that are training videos, with the cosine.
        jaccard: User id -> JACCARD neighbours with the Jaccard weight (both directions).
        popular: Popular users (Algorithm 1) with their engagement weight.
        gnn: Video id -> the trained GNN's probabilities over ``history.vocab`` (``None``: no GNN).
        normalise: The hashtag normalisation of ingest (for caption mentions).
    """

    history: History
    texts: Mapping[str, str]
    embeddings: Mapping[str, Mapping[str, Sequence[float]]]
    similar: Mapping[str, Sequence[tuple[str, float]]]
    jaccard: Mapping[str, Sequence[tuple[str, float]]]
    popular: Sequence[tuple[str, float]]
    gnn: Mapping[str, np.ndarray] | None = None
    normalise: Callable[[str], str] = str.lower
    _cache: dict = field(default_factory=dict, repr=False)

    def cond(self) -> sp.csr_matrix:
        if "cond" not in self._cache:
            self._cache["cond"] = cooccurrence_matrix(self.history)
        return self._cache["cond"]

    def profiles(self, half_life: float = math.inf) -> tuple[dict[str, int], sp.csr_matrix]:
        """Per-user (decayed) hashtag shares, computed once per half-life."""
        key = ("profiles", half_life)
        if key not in self._cache:
            self._cache[key] = user_profiles(self.history, half_life)
        return self._cache[key]

    def spread(self) -> np.ndarray:
        if "spread" not in self._cache:
            self._cache["spread"] = self.history.spread
        return self._cache["spread"]

    def user_counts(self) -> tuple[list[str], sp.csc_matrix]:
        """Users (sorted) and ``[users, |H|]`` counts of their training videos carrying each hashtag
        (column-major: one hashtag's users are one slice)."""
        if "user_counts" not in self._cache:
            hist = self.history
            users = sorted(hist.by_user)
            rows = [r for r, u in enumerate(users) for _ in hist.by_user[u]]
            cols = [i for u in users for i in hist.by_user[u]]
            owner = sp.csr_matrix(
                (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(users), len(hist.posts))
            )
            self._cache["user_counts"] = (users, (owner @ hist.matrix).tocsc())
        return self._cache["user_counts"]

    def posters(self) -> np.ndarray:
        """Poster of each training post, in row order (object array)."""
        if "posters" not in self._cache:
            self._cache["posters"] = np.array([p.user_id for p in self.history.posts], dtype=object)
        return self._cache["posters"]

    def embedding_dims(self) -> dict[str, int]:
        """Modality -> embedding length, for the modalities whose embeddings all have one length."""
        if "dims" not in self._cache:
            dims = {}
            for m, emb in self.embeddings.items():
                lengths = {len(e) for e in emb.values()}
                if len(lengths) == 1:
                    dims[m] = lengths.pop()
            self._cache["dims"] = dims
        return self._cache["dims"]

    def train_embeddings(self) -> np.ndarray | None:
        """Training videos' pooled embeddings: per modality L2-normalised, concatenated."""
        if "emb" not in self._cache:
            ids = [p.video_id for p in self.history.posts]
            self._cache["emb"] = _stacked(self.embeddings, self.embedding_dims(), ids)
        return self._cache["emb"]

    def hashtag_sums(self, key: str, sources):
        """Per hashtag, the sum of its training videos' vectors (``key`` names the vector space)."""
        if ("sums", key) not in self._cache:
            self._cache[("sums", key)] = hashtag_sums(sources, self.history.matrix)
        return self._cache[("sums", key)]

    def caption_vectors(self) -> CaptionVectors:
        """The caption TF-IDF, fit once on the training captions."""
        if "tfidf" not in self._cache:
            self._cache["tfidf"] = CaptionVectors(
                [self.texts.get(p.video_id, "") for p in self.history.posts]
            )
        return self._cache["tfidf"]

    def text_vectors(self, target_texts: Sequence[str]) -> tuple[sp.csc_matrix, sp.csr_matrix]:
        """Training captions' TF-IDF rows (fit once) and the rows of ``target_texts``.

        The training rows come column-major, so the products with them (``query @ train.T``) need
        no per-call conversion of the whole training matrix (same values as the row-major form).
        """
        vectors = self.caption_vectors()
        if "tfidf_csc" not in self._cache:
            self._cache["tfidf_csc"] = vectors.train.tocsc()
        return self._cache["tfidf_csc"], vectors.transform(target_texts)

    def with_targets(
        self,
        *,
        texts: Mapping[str, str] | None = None,
        embeddings: Mapping[str, Mapping[str, Sequence[float]]] | None = None,
        similar: Mapping[str, Sequence[tuple[str, float]]] | None = None,
        gnn: Mapping[str, np.ndarray] | None = None,
    ) -> Corpus:
        """This corpus plus what is known about videos it does not hold (new uploads).

        The view shares the training evidence and every cached matrix (nothing is refit); lookups of
        the new ids go to the given mappings first. Embedding lengths are those of the corpus.
        """
        self.embedding_dims()  # fixed by the corpus before any new vector is seen
        emb = dict(self.embeddings)
        for m, new in (embeddings or {}).items():
            emb[m] = ChainMap(dict(new), self.embeddings.get(m, {}))
        gnn_view = self.gnn if not gnn or self.gnn is None else ChainMap(dict(gnn), self.gnn)
        return replace(
            self,
            texts=ChainMap(dict(texts or {}), self.texts),
            embeddings=emb,
            similar=ChainMap(dict(similar or {}), self.similar),
            gnn=gnn_view,
            _cache=self._cache,
        )


@dataclass
class Evidence:
    """Signals for a batch of targets.

    Attributes:
        targets: The targets, in row order.
        signals: Signal name -> ``[n, |H|]`` float32.
        posts: ``[n]`` training posts of each poster as seen (0 for a newcomer).
        context: Per-target facts the ranker may condition on (``[n]`` each): how much history the
            poster has and how repetitive it is, how close the nearest content neighbours are.
        unknown: Signals whose values these targets cannot honestly have (see :func:`holdout`); the
            ranker reads them as missing, not as zero.
    """

    targets: list[Target]
    signals: dict[str, np.ndarray]
    posts: np.ndarray
    context: dict[str, np.ndarray] = field(default_factory=dict)
    unknown: frozenset[str] = frozenset()

    def subset(self, rows: Sequence[int]) -> Evidence:
        rows = list(rows)
        return Evidence(
            [self.targets[i] for i in rows],
            {k: v[rows] for k, v in self.signals.items()},
            self.posts[rows],
            {k: v[rows] for k, v in self.context.items()},
            self.unknown,
        )


# Signals a held-out training post cannot honestly have: the GNN was trained on its hashtags, and the
# JACCARD links were computed by Cypher from every training post's hashtags, its own included. The
# POPULAR links stay: popular users are chosen by engagement, not hashtags, and their votes are read
# from the smaller corpus's profiles (a newcomer never votes for itself).
HOLDOUT_UNKNOWN = frozenset({"gnn", "social"})


def _without(corpus: Corpus, held: set[int]) -> tuple[Corpus, list[Target], dict[str, list[str]]]:
    """The corpus without training rows ``held`` (same vocabulary, captions, embeddings, SIMILAR lists
    and popular users; no JACCARD links, no GNN), plus those rows as targets and their hashtags as
    truth."""
    hist = corpus.history
    inner = Corpus(
        history=History([p for i, p in enumerate(hist.posts) if i not in held], hist.vocab),
        texts=corpus.texts,
        embeddings=corpus.embeddings,
        similar=corpus.similar,
        jaccard={},
        popular=corpus.popular,
        gnn=None,
        normalise=corpus.normalise,
    )
    posts = [hist.posts[i] for i in sorted(held)]
    truth = {p.video_id: list(p.hashtags) for p in posts}
    return inner, [Target(p.video_id, p.user_id) for p in posts], truth


def holdout(corpus: Corpus, per_user: int = 1) -> tuple[Corpus, list[Target], dict[str, list[str]]]:
    """More examples for the existing-user ranker: each user's latest ``per_user`` training posts.

    Returns the corpus of the other training posts, the held-out posts as targets and their
    hashtags as truth. Only users who keep at least one training post give any, so the held-out
    posts' posters are existing users of the smaller corpus, as validation posters are of the full
    one; the posts are each user's latest, as validation posts follow training in time. Nothing of
    a held-out post reaches its own evidence (:data:`HOLDOUT_UNKNOWN`: what is left out).
    """
    held: set[int] = set()
    for rows in corpus.history.by_user.values():  # newest first
        held.update(rows[: min(per_user, len(rows) - 1)])
    return _without(corpus, held)


def holdout_newcomers(
    corpus: Corpus, share: float, seed: int, limit: int = 5000
) -> tuple[Corpus, list[Target], dict[str, list[str]]]:
    """More examples for the cold-start ranker: every training post of a ``share`` of the users.

    Those users are absent from the returned corpus, so their posts are what a newcomer's upload is
    to the full one; at most ``limit`` posts (each held-out user's latest first) become targets.
    """
    hist = corpus.history
    users = sorted(hist.by_user)
    folds = max(2, round(1 / share)) if share > 0 else 0
    if not folds or len(users) < 2:
        return _without(corpus, set())
    fold = user_folds(users, folds, seed)
    out_users = [u for u, f in zip(users, fold.tolist(), strict=True) if f == 0]
    held = {i for u in out_users for i in hist.by_user[u]}
    inner, targets, truth = _without(corpus, held)
    if len(targets) > limit:
        keep = sorted(
            range(len(targets)), key=lambda i: hist.posts[hist.row_of[targets[i].video_id]].created_at
        )
        chosen = set(keep[-limit:])
        targets = [t for i, t in enumerate(targets) if i in chosen]
        truth = {t.video_id: truth[t.video_id] for t in targets}
    return inner, targets, truth


def held_evidence(
    held: tuple[Corpus, list[Target], dict[str, list[str]]] | None,
    settings: EvidenceSettings,
    *,
    as_new_user: bool,
    signals: Sequence[str],
) -> tuple[Evidence, dict[str, list[str]]] | None:
    """Evidence and truth of held-out posts (from :func:`holdout` or :func:`holdout_newcomers`), with
    :data:`HOLDOUT_UNKNOWN` marked unknown; None when nothing was held out."""
    if held is None or not held[1]:
        return None
    inner, targets, truth = held
    ev = build_evidence(inner, targets, settings, as_new_user=as_new_user, signals=signals)
    return replace(ev, unknown=HOLDOUT_UNKNOWN & frozenset(signals)), truth


def _stacked(
    embeddings: Mapping[str, Mapping[str, Sequence[float]]], dims: Mapping[str, int], ids: Sequence[str]
) -> np.ndarray | None:
    """Per modality of ``dims`` (sorted), the L2-normalised embeddings of ``ids`` (zeros when absent),
    concatenated and scaled by 1/sqrt(modalities)."""
    blocks = []
    for m in sorted(embeddings):
        if m not in dims:
            continue
        emb = embeddings[m]
        block = np.zeros((len(ids), dims[m]), dtype=np.float32)
        for i, v in enumerate(ids):
            if v in emb:
                block[i] = emb[v]
        norms = np.linalg.norm(block, axis=1, keepdims=True)
        blocks.append(block / np.where(norms > 0, norms, 1.0))
    if not blocks:
        return None
    return np.concatenate(blocks, axis=1) / math.sqrt(len(blocks))


def _same_user_mask(corpus: Corpus, targets: Sequence[Target]) -> Callable[[int, int], np.ndarray]:
    posters = corpus.posters()

    def mask(start: int, stop: int) -> np.ndarray:
        users = np.array([t.user_id for t in targets[start:stop]], dtype=object)
        return users[:, None] == posters[None, :]

    return mask


def build_evidence(
    corpus: Corpus,
    targets: Sequence[Target],
    settings: EvidenceSettings = EvidenceSettings(),
    *,
    as_new_user: bool = False,
    signals: Sequence[str] = SIGNALS,
) -> Evidence:
    """Every signal in ``signals`` for ``targets`` (see the module docstring for ``as_new_user``)."""
    hist = corpus.history
    n, v = len(targets), len(hist.vocab)
    users = [t.user_id for t in targets]
    zero = np.zeros((n, v), dtype=np.float32)
    exclude = _same_user_mask(corpus, targets) if as_new_user else None
    out: dict[str, np.ndarray] = {}
    context: dict[str, np.ndarray] = {}
    want = set(signals) - (USER_SIGNALS if as_new_user else set())
    if "history" in want:
        out["history"] = profile_rows(corpus.profiles(), users)  # plain shares, computed once
    if "recent" in want or "cooccurrence" in want:
        recent = profile_rows(corpus.profiles(settings.half_life), users)
        out["recent"] = recent
        if "cooccurrence" in want:
            out["cooccurrence"] = cooccurrence_scores(recent, corpus.cond())
    if "social" in want:
        out["social"] = user_votes(users, corpus.jaccard, corpus.profiles())
    if "popular_users" in want:
        # A newcomer is never one of the popular users: a poster seen as new does not vote for itself
        # (else a popular user's own history would leak into the cold-start ranker's training).
        links = {u: [(p, w) for p, w in corpus.popular if not (as_new_user and p == u)] for u in users}
        out["popular_users"] = user_votes(users, links, corpus.profiles())
    if "similar" in want:
        rows = hist.row_of
        pairs = [
            [
                (rows[w], s)
                for w, s in corpus.similar.get(t.video_id, ())
                if w in rows and not (as_new_user and hist.posts[rows[w]].user_id == t.user_id)
            ]
            for t in targets
        ]
        out["similar"] = neighbour_votes(pairs, hist.matrix)
    if "knn" in want:
        train = corpus.train_embeddings()
        if train is not None:
            query = _stacked(corpus.embeddings, corpus.embedding_dims(), [t.video_id for t in targets])
            pairs = knn_neighbours(query, train, settings.knn, exclude=exclude)
            out["knn"] = neighbour_votes(pairs, hist.matrix)
            context["knn_max"] = _closest(pairs)
    if "text" in want:
        train_t, query_t = corpus.text_vectors([corpus.texts.get(t.video_id, "") for t in targets])
        if train_t.shape[1]:
            pairs = knn_neighbours(query_t, train_t, settings.text_knn, exclude=exclude)
            out["text"] = neighbour_votes(pairs, hist.matrix)
            context["text_max"] = _closest(pairs)
    if "centroid" in want:
        train = corpus.train_embeddings()
        if train is not None:
            query = _stacked(corpus.embeddings, corpus.embedding_dims(), [t.video_id for t in targets])
            sums = corpus.hashtag_sums("emb", train)
            own = _own_parts(hist, train, users) if as_new_user else None
            out["centroid"] = centroid_scores(query, sums, own=own)
    if "text_centroid" in want:
        train_t, query_t = corpus.text_vectors([corpus.texts.get(t.video_id, "") for t in targets])
        if train_t.shape[1]:
            train_r = corpus.caption_vectors().train
            sums = corpus.hashtag_sums("text", train_r)
            own = _own_parts(hist, train_r, users) if as_new_user else None
            out["text_centroid"] = centroid_scores(query_t, sums, own=own)
    if "mention" in want:
        texts = [corpus.texts.get(t.video_id, "") for t in targets]
        out["mention"] = mention_scores(texts, hist.index, corpus.normalise)
    if "gnn" in want and corpus.gnn is not None:
        out["gnn"] = np.stack([corpus.gnn.get(t.video_id, zero[0]) for t in targets]) if n else zero
    if "popularity" in want:
        out["popularity"] = popularity_scores(hist, n)
    if "spread" in want:
        out["spread"] = np.tile(np.log1p(corpus.spread()).astype(np.float32), (n, 1))
    for name in signals:  # a signal without data (no embeddings, no GNN) is all zeros
        out.setdefault(name, zero)
    posts = np.array([0 if as_new_user else hist.posts_of(u) for u in users], dtype=np.float32)
    habits = np.array(
        [(0.0, 0.0) if as_new_user else hist.habits(u) for u in users], dtype=np.float32
    ).reshape(n, 2)
    context["distinct"], context["repeat"] = np.log1p(habits[:, 0]), habits[:, 1]
    for key in ("knn_max", "text_max"):
        context.setdefault(key, np.zeros(n, dtype=np.float32))
    return Evidence(list(targets), {k: out[k] for k in signals}, posts, context)


def _own_parts(hist: History, sources, users: Sequence[str]) -> list:
    """Per target, the poster's own ``(hashtag sums, columns)`` (None without training posts)."""
    cache: dict[str, tuple | None] = {}
    out = []
    for u in users:
        if u not in cache:
            rows = hist.by_user.get(u)
            if not rows:
                cache[u] = None
            else:
                labels = hist.matrix[rows]
                cols = np.unique(labels.indices)
                cache[u] = (hashtag_sums(sources[rows], labels[:, cols].tocsr()), cols)
        out.append(cache[u])
    return out


def _closest(pairs: Sequence[Sequence[tuple[int, float]]]) -> np.ndarray:
    return np.array([max((w for _, w in p), default=0.0) for p in pairs], dtype=np.float32)
