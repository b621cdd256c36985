"""Attach a new video (and possibly a new user) to an exported graph, as the graph build would.

Pure functions: the new video's modality nodes link to existing ones by cosine of the pooled
(mean) unit features, kept when >= theta (the graph's test, float64 rounding tolerated) and capped
at the k best (cosine descending, id ascending); its user links to its modality nodes (USES). A new
user gets POPULAR links from the popular users of Algorithm 1 (read from the graph by
:func:`mishon_graph.graph.popularity.popular_users`). Existing nodes' own top-k lists are not
recomputed, so a hub is not re-ranked against the newcomer (``mishon serve`` also links the nodes
that would keep the newcomer, as a rebuild would: :mod:`mishon_graph.graph.new_node`).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence

import numpy as np
import torch

from mishon_graph.constants import (
    PYG_EDGE_POPULAR,
    PYG_EDGE_SIMILAR,
    PYG_EDGE_USED_BY,
    PYG_EDGE_USES,
    PYG_USER,
    TEST,
)
from mishon_graph.errors import MishonError
from mishon_graph.graph.similarity import exact_cosines, passes_theta, unit_rows
from mishon_graph.learn.data import SPLIT_CODE, ExportedGraph, pad_units


def top_similar(
    vector: np.ndarray, ids: Sequence[str], embeddings: np.ndarray, theta: float, k: int | None
) -> list[tuple[str, float]]:
    """Existing ids whose embedding passes the graph's cosine test with ``vector``
    (:func:`~mishon_graph.graph.similarity.passes_theta`, cosines as ``graph build`` computes them),
    best ``k`` first (cosine descending, id ascending)."""
    if len(ids) == 0:
        return []
    q = unit_rows(np.asarray(vector).reshape(1, -1))
    e = unit_rows(embeddings)
    if not q.any():
        return []
    cos = exact_cosines(e, np.repeat(q, len(ids), axis=0))
    keep = [(ids[i], float(cos[i])) for i in np.nonzero(passes_theta(cos, theta) & e.any(axis=1))[0]]
    keep.sort(key=lambda t: (-t[1], t[0]))
    return keep if k is None else keep[:k]


def _cat(t: torch.Tensor, extra: list[list[int]]) -> torch.Tensor:
    if not extra:
        return t
    return torch.cat([t, torch.tensor(extra, dtype=torch.long).t().reshape(2, -1)], dim=1)


def add_video(
    graph: ExportedGraph,
    video_id: str,
    units: dict[str, np.ndarray],
    neighbours: dict[str, list[tuple[str, float]]],
    user_id: str | None,
    popular: Sequence[str] = (),
) -> tuple[ExportedGraph, int, int, bool]:
    """``graph`` plus the new video (and its user, when new); ``graph`` itself is left as it was.

    Args:
        graph: The exported graph around the neighbours and the user.
        video_id: Id for the new video (must not exist).
        units: Unit features ``[units, dim]`` per modality of the graph.
        neighbours: Per modality, ``(video id, cosine)`` of its similar existing videos.
        user_id: Its user; ``None`` or an id not in ``graph`` makes a new (cold-start) user.
        popular: Ids of the popular users a new user gets POPULAR links from.

    Returns:
        ``(the extended graph, video row, user row, user_is_new)``; the extended graph shares the
        tensors it did not change with ``graph``.
    """
    if video_id in graph.video_index:
        raise MishonError(f"video {video_id!r} already exists in the graph")
    missing = [m for m in graph.modalities if m not in units]
    if missing:
        raise MishonError(
            f"the new video has no {missing[0]} features (the model uses {list(graph.modalities)})"
        )
    data = copy.copy(graph.data)  # new stores over the same tensors; the changed ones are replaced
    row = graph.num_videos
    new_user = user_id is None or user_id not in graph.user_index
    urow = len(graph.user_ids) if new_user else graph.user_index[user_id]
    for m in graph.modalities:
        x, mask = data[m].x, data[m].mask
        a = np.asarray(units[m], dtype=np.float32)
        if a.ndim != 2 or a.shape[1] != x.shape[-1]:
            raise MishonError(f"new video {m} features must be [units, {x.shape[-1]}], got {a.shape}")
        nx, nmask = pad_units([a], x.dtype)
        width = max(x.shape[1], nx.shape[1])
        x = torch.nn.functional.pad(x, (0, 0, 0, width - x.shape[1]))
        mask = torch.nn.functional.pad(mask, (0, width - mask.shape[1]))
        nx = torch.nn.functional.pad(nx, (0, 0, 0, width - nx.shape[1]))
        nmask = torch.nn.functional.pad(nmask, (0, width - nmask.shape[1]))
        data[m].x, data[m].mask = torch.cat([x, nx]), torch.cat([mask, nmask])
        sims = [graph.video_index[v] for v, _ in neighbours.get(m, []) if v in graph.video_index]
        et = PYG_EDGE_SIMILAR[m]
        data[et].edge_index = _cat(data[et].edge_index, [[row, s] for s in sims] + [[s, row] for s in sims])
        data[PYG_EDGE_USES[m]].edge_index = _cat(data[PYG_EDGE_USES[m]].edge_index, [[urow, row]])
        data[PYG_EDGE_USED_BY[m]].edge_index = _cat(data[PYG_EDGE_USED_BY[m]].edge_index, [[row, urow]])
    user_ids, user_cold, engagement = graph.user_ids, graph.user_cold, graph.engagement
    if new_user:
        prows = [graph.user_index[p] for p in popular if p in graph.user_index]
        ei = data[PYG_EDGE_POPULAR].edge_index
        data[PYG_EDGE_POPULAR].edge_index = _cat(ei, [[p, urow] for p in prows] + [[urow, p] for p in prows])
        user_ids = [*user_ids, user_id or f"__new_user_for_{video_id}"]
        user_cold = torch.cat([user_cold, torch.tensor([True])])
        engagement = torch.cat([engagement, torch.zeros(1)])
        data[PYG_USER].num_nodes = len(user_ids)
    extended = dataclasses.replace(  # builds the id indexes of the extended graph
        graph,
        data=data,
        video_ids=[*graph.video_ids, video_id],
        user_ids=user_ids,
        video_user=torch.cat([graph.video_user, torch.tensor([urow])]),
        split=torch.cat([graph.split, torch.tensor([SPLIT_CODE[TEST]])]),
        labels=graph.labels.append_empty(1),
        user_cold=user_cold,
        engagement=engagement,
    )
    return extended, row, urow, new_user
