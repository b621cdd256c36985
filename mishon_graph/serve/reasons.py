"""Why a hashtag is suggested for a new video: the neighbours that carried it (pure, no I/O).

The same three kinds of reason as the ``why`` query (``cypher/queries/why.cypher``), read from the
in-memory evidence instead of the graph: ``similar_video`` (a training video SIMILAR to the upload in
one modality that carries the hashtag), ``similar_user`` (a JACCARD neighbour of the poster who used
it in training) and ``popular_user`` (for a new poster: a popular user who used it). When none
applies, the poster's own history or the caption is named, else the hashtag's training popularity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mishon_graph.constants import MODALITIES
from mishon_graph.evaluation.signals import caption_terms
from mishon_graph.learn.evidence import Corpus

LIMIT = 3  # neighbours named per kind


@dataclass(frozen=True)
class Reason:
    """One neighbour that carried a hashtag.

    Attributes:
        kind: ``similar_video``, ``similar_user``, ``popular_user``, ``history`` or ``caption``.
        via: The modality label (``Visual``...), ``JACCARD`` or ``POPULAR``; empty for the others.
        neighbour: The video or user id (empty for ``caption``).
        weight: The edge weight (cosine, Jaccard, engagement) or, for ``history``, the share of
            the poster's training videos that carry the hashtag.
        uses: Training videos of the neighbour that carry the hashtag.
    """

    kind: str
    via: str
    neighbour: str
    weight: float
    uses: int

    def text(self) -> str:
        if self.kind == "similar_video":
            return f"similar video {self.neighbour} ({self.via} {self.weight:.2f})"
        if self.kind == "caption":
            return "the caption mentions it"
        if self.kind == "history":
            return f"you used it on {self.uses} of your videos"
        return f"{self.kind.replace('_', ' ')} {self.neighbour} used it {self.uses}x"


def explain(
    corpus: Corpus,
    hashtag: str,
    *,
    user_id: str,
    new_user: bool,
    similar: Sequence[tuple[str, str, float]],
    caption: str,
) -> list[Reason]:
    """The reasons for one hashtag, strongest first, at most ``LIMIT`` per kind.

    Args:
        corpus: The training evidence.
        hashtag: A hashtag of the vocabulary.
        user_id: The poster.
        new_user: The poster has no training video (scored as a newcomer).
        similar: The upload's SIMILAR edges ``(modality, video id, cosine)``.
        caption: The upload's caption.
    """
    hist = corpus.history
    col = hist.index[hashtag]
    out: list[Reason] = []
    videos = [
        Reason("similar_video", MODALITIES[m], v, w, 1)
        for m, v, w in similar
        if v in hist.row_of and _carries(corpus, hist.row_of[v], col)
    ]
    out += sorted(videos, key=lambda r: (-r.weight, r.neighbour))[:LIMIT]
    uses = _users_of(corpus, col)
    links = corpus.popular if new_user else corpus.jaccard.get(user_id, ())
    kind, via = ("popular_user", "POPULAR") if new_user else ("similar_user", "JACCARD")
    users = [Reason(kind, via, u, w, uses.get(u, 0)) for u, w in links]
    out += sorted((r for r in users if r.uses), key=lambda r: (-r.weight, r.neighbour))[:LIMIT]
    if not new_user:
        mine = uses.get(user_id, 0)
        if mine:
            out.append(Reason("history", "", user_id, mine / hist.posts_of(user_id), mine))
    if hashtag in caption_terms(caption, corpus.normalise):
        out.append(Reason("caption", "", "", 1.0, 0))
    return out


def summary(reasons: Sequence[Reason], hashtag_count: int) -> str:
    """One line for people: the first reason of each kind, or the hashtag's popularity."""
    seen: dict[str, Reason] = {}
    for r in reasons:
        seen.setdefault(r.kind, r)
    if not seen:
        return f"popular: on {hashtag_count} training videos"
    return "; ".join(r.text() for r in seen.values())


def _carries(corpus: Corpus, row: int, col: int) -> bool:
    m = corpus.history.matrix
    return col in m.indices[m.indptr[row] : m.indptr[row + 1]]


def _users_of(corpus: Corpus, col: int) -> dict[str, int]:
    """User id -> their training videos that carry hashtag column ``col``."""
    users, counts = corpus.user_counts()
    start, stop = counts.indptr[col], counts.indptr[col + 1]
    return {
        users[i]: int(v) for i, v in zip(counts.indices[start:stop], counts.data[start:stop], strict=True)
    }
