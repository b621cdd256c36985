"""Plain rows -> PyG ``HeteroData`` plus the id <-> index maps (no database; no files of its own).

Node modelling (paper 4.2.1): one node per video per modality (node types ``visual``, ``acoustic``,
``textual``) and one node per user (``user``). Every modality node type indexes the videos the same
way: row ``i`` of ``data["visual"]`` and of ``data["textual"]`` both belong to ``video_ids[i]``.
Modality nodes carry their padded unit features ``x`` ``[n, max_units, dim]`` and ``mask``
``[n, max_units]`` (True on real units). Undirected edge families are stored in both directions;
``uses`` edges get their reverse ``used_by``. Edges whose endpoints are outside the exported node set
are dropped (an induced subgraph). Unit features are loaded into RAM, or memory-mapped from the
on-disk cache of :mod:`mishon_graph.learn.feature_cache` when a ``cache_dir`` is given.

Labels are sparse: ``ExportedGraph.labels`` is a :class:`~mishon_graph.learn.labels.SparseLabels`
(CSR ``ptr [n_videos + 1]`` / ``idx [nnz]`` over the hashtag vocabulary), never a dense
``[n_videos, |H|]`` matrix; rows of test videos are empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch_geometric.data import HeteroData

from mishon_graph.constants import (
    MODALITY_NAMES,
    PYG_EDGE_JACCARD,
    PYG_EDGE_POPULAR,
    PYG_EDGE_SIMILAR,
    PYG_EDGE_USED_BY,
    PYG_EDGE_USES,
    PYG_USER,
    SPLITS,
    TEST,
    TRAIN,
    VALID,
)
from mishon_graph.errors import MishonError
from mishon_graph.features.units import pad_units as stack_units
from mishon_graph.learn.feature_cache import FeatureSource, cached_units, checked_units
from mishon_graph.learn.labels import SparseLabels

SPLIT_CODE = {name: code for code, name in enumerate(SPLITS)}
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}


@dataclass
class GraphRows:
    """What the export reads from Neo4j, as plain Python values.

    Attributes:
        videos: ``{id, user_id, split}`` per video.
        users: ``{id, cold_start, engagement}`` per user.
        modalities: Modalities present in the graph (subset of ``MODALITY_NAMES``).
        hashtags: The vocabulary: hashtags of training videos, in output order.
        labels: Video id -> its hashtags, for training and validation videos only.
        similar: Modality -> ``(video id, video id, weight)`` per SIMILAR edge (once per pair).
        social: ``(user id, user id, "JACCARD" | "POPULAR", weight)`` per user-user edge.
        uses: ``(user id, video id, modality)`` per USES edge.
        meta: Graph parameters from ``(:GraphMeta {name: 'graph'})`` (may be empty).
    """

    videos: list[dict[str, Any]]
    users: list[dict[str, Any]]
    modalities: tuple[str, ...]
    hashtags: list[str]
    labels: dict[str, list[str]] = field(default_factory=dict)
    similar: dict[str, list[tuple[str, str, float]]] = field(default_factory=dict)
    social: list[tuple[str, str, str, float]] = field(default_factory=list)
    uses: list[tuple[str, str, str]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class ExportedGraph:
    """PyG data plus the maps that write-back and inference use.

    Attributes:
        data: Node features and edges (see the module docstring).
        video_ids: Video id per modality-node row.
        user_ids: User id per ``user`` node row.
        hashtags: Vocabulary, in the order of the model's output.
        modalities: Modality node types present, in ``MODALITY_NAMES`` order.
        video_user: ``[n_videos]`` user-node row of each video's poster.
        split: ``[n_videos]`` split codes (``SPLIT_CODE``).
        labels: Sparse multi-hot ground truth, one row per video; rows of test videos are empty.
        user_cold: ``[n_users]`` True for users with no training video or flagged cold-start.
        engagement: ``[n_users]`` engagement rate per user.
        meta: Graph parameters recorded in Neo4j.
        feature_files: Modality -> the memory-mapped file behind ``data[m].x`` (empty: in RAM).
    """

    data: HeteroData
    video_ids: list[str]
    user_ids: list[str]
    hashtags: list[str]
    modalities: tuple[str, ...]
    video_user: Tensor
    split: Tensor
    labels: SparseLabels
    user_cold: Tensor
    engagement: Tensor
    meta: dict[str, Any] = field(default_factory=dict)
    feature_files: dict[str, Path] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.video_index = {v: i for i, v in enumerate(self.video_ids)}
        self.user_index = {u: i for i, u in enumerate(self.user_ids)}
        self.hashtag_index = {h: i for i, h in enumerate(self.hashtags)}

    @property
    def num_videos(self) -> int:
        return len(self.video_ids)

    def split_index(self, split: str) -> Tensor:
        """Row indices of the videos in one split."""
        return torch.nonzero(self.split == SPLIT_CODE[split]).flatten()

    def load_features(self) -> None:
        """Copy memory-mapped unit features into RAM (for full-batch training); no-op when in RAM."""
        for m in self.feature_files:
            self.data[m].x = self.data[m].x.clone()
        self.feature_files = {}

    def unit_dims(self) -> dict[str, int]:
        """Unit feature dimension per modality."""
        return {m: int(self.data[m].x.shape[-1]) for m in self.modalities}


def pad_units(arrays: Sequence[np.ndarray], dtype: torch.dtype = torch.float32) -> tuple[Tensor, Tensor]:
    """:func:`mishon_graph.features.units.pad_units` as tensors of ``dtype`` (``[0, 1, 1]`` when empty)."""
    if not arrays:
        return torch.zeros(0, 1, 1, dtype=dtype), torch.zeros(0, 1, dtype=torch.bool)
    x, mask = stack_units(arrays)
    return torch.from_numpy(x).to(dtype), torch.from_numpy(mask)


def load_units(
    video_ids: Sequence[str], modality: str, features: FeatureSource, dtype: torch.dtype = torch.float32
) -> tuple[Tensor, Tensor]:
    """Unit features of ``video_ids`` for one modality, padded; one-line errors on bad features."""
    arrays: list[np.ndarray] = []
    for vid in video_ids:
        arrays.append(checked_units(features, vid, modality, arrays[0].shape[1] if arrays else None))
    return pad_units(arrays, dtype)


def _edges(pairs: Iterable[tuple[int, int]]) -> Tensor:
    lst = list(pairs)
    if not lst:
        return torch.zeros(2, 0, dtype=torch.long)
    return torch.tensor(lst, dtype=torch.long).t().contiguous()


def _both_ways(src: list[int], dst: list[int], w: list[float]) -> tuple[Tensor, Tensor]:
    ei = torch.tensor([src + dst, dst + src], dtype=torch.long).reshape(2, -1)
    return ei, torch.tensor(w + w, dtype=torch.float32)


def build_graph(
    rows: GraphRows, features: FeatureSource, *, dtype: str = "float32", cache_dir: Path | None = None
) -> ExportedGraph:
    """Build the :class:`ExportedGraph` from plain rows and a feature source.

    Args:
        rows: What was read from Neo4j.
        features: Unit features per (video id, modality).
        dtype: Storage type of the unit features (``float32`` or ``bfloat16``).
        cache_dir: Memory-map the unit features from ``.npy`` files in this directory (written
            when missing or stale, see :mod:`mishon_graph.learn.feature_cache`) instead of
            loading them into RAM; for mini-batch training on graphs larger than memory.

    Returns:
        The graph; videos and users in the order of ``rows`` (the export sorts them by id).
    """
    if not rows.videos:
        raise MishonError("the graph has no videos: run `mishon ingest` and `mishon graph build` first")
    if not rows.modalities:
        raise MishonError("the graph has no modality nodes: run `mishon features` first")
    modalities = tuple(m for m in MODALITY_NAMES if m in rows.modalities)
    video_ids = [str(v["id"]) for v in rows.videos]
    vidx = {v: i for i, v in enumerate(video_ids)}
    if len(vidx) != len(video_ids):
        raise MishonError("duplicate video ids in the export")
    users = list(rows.users)
    user_ids = [str(u["id"]) for u in users]
    uidx = {u: i for i, u in enumerate(user_ids)}
    for v in rows.videos:
        if v["user_id"] not in uidx:
            raise MishonError(f"video {v['id']!r}: its user {v['user_id']!r} is not in the graph")
        if v["split"] not in SPLIT_CODE:
            raise MishonError(f"video {v['id']!r}: split {v['split']!r} is not one of {SPLITS}")
    hashtags = list(rows.hashtags)
    hidx = {h: i for i, h in enumerate(hashtags)}

    data = HeteroData()
    store_dtype = DTYPES[dtype]
    feature_files: dict[str, Path] = {}
    for m in modalities:
        if cache_dir is None:
            x, mask = load_units(video_ids, m, features, store_dtype)
        else:
            x, mask, feature_files[m] = cached_units(video_ids, m, features, cache_dir, dtype)
        data[m].x = x
        data[m].mask = mask
        sim = [(vidx[a], vidx[b], float(w)) for a, b, w in rows.similar.get(m, []) if a in vidx and b in vidx]
        ei, w = _both_ways([s for s, _, _ in sim], [d for _, d, _ in sim], [x for _, _, x in sim])
        data[PYG_EDGE_SIMILAR[m]].edge_index = ei
        data[PYG_EDGE_SIMILAR[m]].edge_weight = w
        uses = [(uidx[u], vidx[v]) for u, v, mod in rows.uses if mod == m and u in uidx and v in vidx]
        data[PYG_EDGE_USES[m]].edge_index = _edges(uses)
        data[PYG_EDGE_USED_BY[m]].edge_index = _edges((v, u) for u, v in uses)
    data[PYG_USER].num_nodes = len(user_ids)
    for kind, etype in (("JACCARD", PYG_EDGE_JACCARD), ("POPULAR", PYG_EDGE_POPULAR)):
        soc = [
            (uidx[a], uidx[b], float(w))
            for a, b, k, w in rows.social
            if k == kind and a in uidx and b in uidx
        ]
        ei, w = _both_ways([s for s, _, _ in soc], [d for _, d, _ in soc], [x for _, _, x in soc])
        data[etype].edge_index = ei
        data[etype].edge_weight = w

    split = torch.tensor([SPLIT_CODE[v["split"]] for v in rows.videos], dtype=torch.long)
    columns: list[list[int]] = [[] for _ in video_ids]
    for vid, tags in rows.labels.items():
        i = vidx.get(vid)
        # No leakage: only training and validation hashtags ever become labels.
        if i is None or split[i] == SPLIT_CODE[TEST]:
            continue
        columns[i] = [hidx[h] for h in tags if h in hidx]
    labels = SparseLabels.from_lists(columns, len(hashtags))
    has_train = torch.zeros(len(user_ids), dtype=torch.bool)
    for v in rows.videos:
        if v["split"] == TRAIN:
            has_train[uidx[v["user_id"]]] = True
    cold = torch.tensor([bool(u.get("cold_start")) for u in users], dtype=torch.bool) | ~has_train
    engagement = torch.tensor([float(u.get("engagement") or 0.0) for u in users], dtype=torch.float32)
    return ExportedGraph(
        data=data,
        video_ids=video_ids,
        user_ids=user_ids,
        hashtags=hashtags,
        modalities=modalities,
        video_user=torch.tensor([uidx[v["user_id"]] for v in rows.videos], dtype=torch.long),
        split=split,
        labels=labels,
        user_cold=cold,
        engagement=engagement,
        meta=dict(rows.meta),
        feature_files=feature_files,
    )


def check_trainable(graph: ExportedGraph) -> None:
    """One-line errors for graphs that cannot be trained on."""
    n_train = int((graph.split == SPLIT_CODE[TRAIN]).sum())
    if n_train == 0:
        raise MishonError("no training videos in the graph (Video.split = 'train'): run `mishon ingest`")
    if not graph.hashtags:
        raise MishonError("no labels: training videos have no hashtags (no TAGGED edges from split 'train')")
    if len(graph.hashtags) < 2:
        raise MishonError(f"only one hashtag ({graph.hashtags[0]!r}) in training videos: nothing to rank")
    if graph.labels[graph.split_index(TRAIN)].nnz == 0:
        raise MishonError("no labels: no training video has a hashtag from the vocabulary")


def valid_or_train(graph: ExportedGraph) -> tuple[Tensor, str]:
    """Validation rows with labels, else the training rows (named so reports say which)."""
    idx = graph.split_index(VALID)
    idx = idx[graph.labels.counts()[idx] > 0]
    if idx.numel() > 0:
        return idx, VALID
    return graph.split_index(TRAIN), TRAIN


def stats(graph: ExportedGraph) -> Mapping[str, int]:
    """Node and edge counts, for summaries."""
    out: dict[str, int] = {
        "videos": graph.num_videos,
        "users": len(graph.user_ids),
        "hashtags": len(graph.hashtags),
    }
    for etype in graph.data.edge_types:
        out["->".join(etype)] = int(graph.data[etype].edge_index.shape[1])
    return out
