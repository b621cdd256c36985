"""Scores from a trained artifact: videos of the graph, and a new video inductively (no retraining).

Problem 1 (existing user) and Problem 2 (new user): the new video's modality nodes are linked to
similar existing ones (cosine >= theta, top-k cap, against the pooled embeddings stored in Neo4j),
to its user (USES), and a new user gets POPULAR links from the popular users; then the trained
model scores it on the J-hop subgraph around those nodes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from mishon_graph.config import Config
from mishon_graph.constants import MODALITIES
from mishon_graph.db.protocol import Runner
from mishon_graph.errors import MishonError
from mishon_graph.features.units import mean_units
from mishon_graph.graph.popularity import popular_users
from mishon_graph.learn.artifact import Artifact, check_matches, load_artifact
from mishon_graph.learn.batches import full_input
from mishon_graph.learn.data import SPLIT_CODE, ExportedGraph
from mishon_graph.learn.export import export_graph, export_whole, pages
from mishon_graph.learn.inductive import add_video, top_similar
from mishon_graph.learn.trainer import choose_device


@dataclass
class Scores:
    """Hashtag probabilities per video.

    Attributes:
        video_ids: Row order of ``scores``.
        hashtags: Column order of ``scores`` (the artifact's vocabulary).
        scores: ``[n_videos, n_hashtags]`` softmax probabilities.
    """

    video_ids: list[str]
    hashtags: list[str]
    scores: np.ndarray

    def top(self, k: int) -> dict[str, list[tuple[str, float]]]:
        """The ``k`` best hashtags per video, best first."""
        out = {}
        for vid, row in zip(self.video_ids, self.scores, strict=True):
            idx = np.argsort(-row, kind="stable")[:k]
            out[vid] = [(self.hashtags[i], float(row[i])) for i in idx]
        return out


@torch.no_grad()
def _probabilities(art: Artifact, graph: ExportedGraph, rows: torch.Tensor, config: Config) -> np.ndarray:
    """Softmax scores of ``rows``: every video pooled in chunks of rows first (the whole graph's
    unit projections never exist at once), then only the J-hop in-neighbourhood of ``rows`` refined
    (the same values as one forward pass over the whole graph)."""
    device = choose_device(config)
    model = art.build_model().to(device)
    full = full_input(graph, art.user_rows(graph.user_ids), rows)
    pooled = model.pooled_rows(full.x, full.mask, config.pool_chunk_rows, device)
    inp = replace(full, x={}, mask={}, stale=pooled).to(device)
    logits = model(*inp.args())
    return torch.softmax(logits, dim=-1).cpu().numpy()


def _split_rows(graph: ExportedGraph, split: str | Sequence[str] | None) -> torch.Tensor:
    """Row indices of the videos of ``split`` (one name or several, in split order; ``None``: all)."""
    if split is None:
        return torch.arange(graph.num_videos)
    names = [split] if isinstance(split, str) else list(split)
    for name in names:
        if name not in SPLIT_CODE:
            raise MishonError(f"split must be one of {list(SPLIT_CODE)} or None, got {name!r}")
    if not names:
        return torch.zeros(0, dtype=torch.long)
    return torch.cat([graph.split_index(name) for name in names])


def score_videos(
    runner: Runner,
    config: Config,
    artifact: Path,
    *,
    video_ids: Sequence[str] | None = None,
    split: str | Sequence[str] | None = "test",
    graph: ExportedGraph | None = None,
) -> Scores:
    """Probabilities over the artifact's vocabulary for videos of the graph.

    Args:
        runner: The database seam.
        config: Paths, batch size and device.
        artifact: A file written by ``mishon train``.
        video_ids: Videos to score (their J-hop subgraph is exported); ``None``: every video of ``split``.
        split: ``train``, ``valid``, ``test``, several of them (scored in one pass, so every video
            is pooled once) or ``None`` (all) when ``video_ids`` is ``None``.
        graph: The whole graph as ``export_graph``/``export_for_training`` returned it earlier in this
            process (e.g. the one just trained on), scored instead of exporting it again; only with
            ``video_ids=None``. The caller vouches that the graph has not changed since.

    Returns:
        :class:`Scores` in the order of ``video_ids`` (or by video id).
    """
    if graph is not None and video_ids is not None:
        raise ValueError("score_videos: pass either video_ids (a subgraph is exported) or graph, not both")
    art = load_artifact(artifact)
    if video_ids is None:
        if graph is None:
            graph = export_whole(runner, config, labels=False)
        rows = _split_rows(graph, split)
    else:
        graph = export_graph(runner, config, video_ids=list(video_ids), hops=art.meta["depth"], labels=False)
        rows = torch.tensor([graph.video_index[v] for v in video_ids], dtype=torch.long)
    check_matches(art, graph)
    probs = _probabilities(art, graph, rows, config) if rows.numel() else np.zeros((0, len(art.hashtags)))
    return Scores(video_ids=[graph.video_ids[i] for i in rows.tolist()], hashtags=art.hashtags, scores=probs)


def _embeddings(runner: Runner, config: Config, modality: str) -> tuple[list[str], np.ndarray]:
    rows = list(pages(runner, "export/modality_embeddings", config.batch_rows, label=MODALITIES[modality]))
    if not rows:
        return [], np.zeros((0, 0))
    return [r["id"] for r in rows], np.asarray([r["embedding"] for r in rows], dtype=np.float64)


def score_new_video(
    runner: Runner,
    config: Config,
    artifact: Path,
    *,
    unit_features: dict[str, np.ndarray],
    user_id: str | None = None,
    video_id: str = "__new_video__",
) -> dict[str, float]:
    """Score a video that is not in the graph, by an existing user or a new one, without retraining.

    Args:
        runner: The database seam.
        config: ``theta``, ``knn_cap``, ``alpha``, ``depth`` and paths.
        artifact: A file written by ``mishon train``.
        unit_features: ``[units, dim]`` per modality the model uses.
        user_id: Its user; ``None`` or an unknown id is a new (cold-start) user.
        video_id: Id given to the new video inside the scoring subgraph.

    Returns:
        Hashtag -> probability, best first.
    """
    art = load_artifact(artifact)
    for m, d in art.meta["in_dims"].items():
        a = unit_features.get(m)
        if a is None:
            raise MishonError(
                f"the new video needs {m} features: the model was trained with {sorted(art.meta['in_dims'])}"
            )
        if np.ndim(a) != 2 or np.shape(a)[1] != d or np.shape(a)[0] == 0:
            raise MishonError(f"new video {m} features must be [units, {d}], got {np.shape(a)}")
    neighbours: dict[str, list[tuple[str, float]]] = {}
    for m in art.meta["in_dims"]:
        ids, emb = _embeddings(runner, config, m)
        pooled = mean_units(unit_features[m])
        if ids and emb.shape[1] != pooled.shape[0]:
            raise MishonError(
                f"{m} embeddings in Neo4j have dim {emb.shape[1]}, the new video's have {pooled.shape[0]}"
            )
        neighbours[m] = top_similar(pooled, ids, emb, config.theta, config.knn_cap)
    users = list(pages(runner, "export/users_page", config.batch_rows))
    known_user = user_id is not None and any(u["id"] == user_id for u in users)
    popular: list[str] = []
    if not known_user:
        popular = [p for p, _ in popular_users(runner, config.alpha)]
    seed_videos = sorted({v for lst in neighbours.values() for v, _ in lst})
    seed_users = [user_id] if known_user and user_id else popular
    graph = export_graph(
        runner, config, video_ids=seed_videos, user_ids=seed_users, hops=art.meta["depth"], labels=False
    )
    check_matches(art, graph)
    graph, row, _, _ = add_video(
        graph, video_id, unit_features, neighbours, user_id if known_user else None, popular
    )
    probs = _probabilities(art, graph, torch.tensor([row]), config)[0]
    order = np.argsort(-probs, kind="stable")
    return {art.hashtags[i]: float(probs[i]) for i in order}
