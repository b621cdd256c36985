"""Write a suggested-for upload into the graph: one statement, one transaction, idempotent per video id.

What goes in (``cypher/serve/store_upload.cypher``): the video (split ``test``: its hashtags are
unknown, so it never votes and ``evaluate`` skips it; ``source`` ``serve``) and its poster (a new
poster becomes a cold-start user with POPULAR links from the popular users, as Algorithm 1 links
cold-start users); one modality node per modality it has, with the pooled embedding, the poster's
USES edge and the SIMILAR edges :class:`~mishon_graph.graph.new_node.SimilarIndex` chose (the rule of
``graph build``); and its top-k as RECOMMENDS of one run. Browser and ``mishon query why`` then show
it. Storing the same id again replaces all of that; an id that belongs to an ingested video is
refused (:class:`StoreConflict`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from mishon_graph.constants import MODALITIES
from mishon_graph.db.protocol import Runner
from mishon_graph.errors import MishonError
from mishon_graph.serve.suggester import Suggester, Suggestion, Upload

SOURCE = "serve"
MODEL = "mishon+"
RUN_ID = "serve-mishon+"


class StoreConflict(MishonError):
    """The video id belongs to a video that ``serve`` did not store (the HTTP layer answers 409)."""


def storable_text(text: str, what: str) -> str:
    """``text`` unchanged when Neo4j can store it; a lone surrogate (e.g. JSON ``"\\ud800"``) is refused."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise MishonError(f"{what} holds a lone surrogate (not valid Unicode); it cannot be stored") from None
    return text


def store_params(
    suggestion: Suggestion,
    *,
    caption: str,
    encoders: Mapping[str, str],
    popular: Sequence[tuple[str, float]],
    created_at: str | None = None,
    run_id: str = RUN_ID,
    model: str = MODEL,
) -> dict[str, Any]:
    """The parameters of ``serve/store_upload`` for one suggestion (pure).

    Args:
        suggestion: What :meth:`Suggester.suggest` returned for the upload.
        caption: The upload's caption.
        encoders: Encoder name recorded per modality (``upload`` when the graph records none).
        popular: ``(user id, engagement)`` of the popular users, linked when the poster is new.
        created_at: ISO time of the upload (default: now, UTC).
        run_id: The RECOMMENDS run the top-k join.
        model: Model name on the RECOMMENDS.
    """
    if suggestion.user_id is None:
        raise MishonError("storing an upload needs its user id (the poster of the video)")
    stamp = created_at or datetime.now(UTC).isoformat(timespec="milliseconds")
    params: dict[str, Any] = {
        "source": SOURCE,
        "video": {
            "id": storable_text(suggestion.video_id, "the video id"),
            "user_id": storable_text(suggestion.user_id, "the user id"),
            "text": storable_text(caption, "the caption"),
            "created_at": stamp,
        },
        "popular": [{"id": u, "weight": float(w)} for u, w in popular] if not suggestion.known_user else [],
        "recommends": [{"hashtag": h.hashtag, "score": h.score, "rank": h.rank} for h in suggestion.hashtags],
        "model": model,
        "run_id": run_id,
        "created_at": stamp,
    }
    for m, label in MODALITIES.items():
        key = label.lower()
        if m not in suggestion.pooled:
            params[key] = None
            continue
        vec = suggestion.pooled[m]
        params[key] = {
            "embedding": vec.astype(float).tolist(),
            "encoder": encoders.get(m, "upload"),
            "dim": int(vec.shape[0]),
            "units": suggestion.units[m],
            "similar": [{"id": v, "weight": float(w)} for v, w in suggestion.similar.get(m, [])],
        }
    return params


def store_suggestion(runner: Runner, params: Mapping[str, Any]) -> str:
    """Run the write; returns the video id.

    Raises:
        StoreConflict: the id is a video of the dataset (nothing was written).
    """
    rows = runner.run_file("serve/store_upload", dict(params), write=True)
    if not rows:
        raise StoreConflict(
            f"video {params['video']['id']!r} is a video of the dataset, not an upload: choose another id"
        )
    return str(rows[0]["video_id"])


def storer(
    runner: Runner, suggester: Suggester, *, run_id: str = RUN_ID
) -> Callable[[Suggestion, Upload], str]:
    """The ``store`` callable of :func:`~mishon_graph.serve.app.create_app`: writes one upload."""

    def store(suggestion: Suggestion, upload: Upload) -> str:
        params = store_params(
            suggestion,
            caption=upload.caption,
            encoders=suggester.encoders,
            popular=suggester.popular,
            created_at=upload.created_at,
            run_id=run_id,
        )
        return store_suggestion(runner, params)

    return store
