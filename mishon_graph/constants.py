"""Labels, relationship types, split names and PyG edge types: the one place they are spelled.

Cypher files use these names literally; a unit test checks they agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

_T = TypeVar("_T")

# Node labels
USER = "User"
VIDEO = "Video"
HASHTAG = "Hashtag"
VISUAL = "Visual"
ACOUSTIC = "Acoustic"
TEXTUAL = "Textual"
GRAPH_META = "GraphMeta"

# Relationship types
POSTED = "POSTED"  # (:User)-[:POSTED]->(:Video)
TAGGED = "TAGGED"  # (:Video)-[:TAGGED]->(:Hashtag)
HAS_MODALITY = "HAS_MODALITY"  # (:Video)-[:HAS_MODALITY]->(:Visual|Acoustic|Textual)
SIMILAR = "SIMILAR"  # same-modality cosine edge, {weight}
JACCARD = "JACCARD"  # user-user Jaccard edge, {weight}
POPULAR = "POPULAR"  # popular user -> cold-start user, {weight}
USES = "USES"  # user -> modality node of their video, {weight: 1}
USED = "USED"  # derived (:User)-[:USED {count}]->(:Hashtag): training hashtags (jaccard family)
RECOMMENDS = "RECOMMENDS"  # (:Video)-[:RECOMMENDS {score, rank, model, run_id, created_at}]->(:Hashtag)

# Modalities: name -> node label
MODALITIES: dict[str, str] = {"visual": VISUAL, "acoustic": ACOUSTIC, "textual": TEXTUAL}
MODALITY_NAMES: tuple[str, ...] = tuple(MODALITIES)
# What a post's sources give: a media file gives the visual and acoustic modalities, a caption the textual.
MEDIA_MODALITIES: tuple[str, ...] = ("visual", "acoustic")
CAPTION_MODALITY = "textual"


def one_per_modality(table: Mapping[str, _T], keys: Iterable[str] = MODALITY_NAMES) -> dict[str, _T]:
    """``table`` checked to hold exactly one entry per modality (keyed by name, or by label when
    ``keys`` is ``MODALITIES.values()``); raises ``ValueError`` naming what is missing or unknown.

    It guards the tables of per-label Cypher files: Neo4j 5.26 accepts a dynamic label
    (``MERGE (n:$($label) {id: row.id})``) but plans it as ``AllNodesScan`` + ``Filter`` instead of the
    constraint's ``NodeUniqueIndexSeek`` (and a dynamic-label read as ``AllNodesScan`` instead of
    ``NodeByLabelScan``), so each modality keeps its own file and adding one means adding its files.
    """
    want = set(keys)
    if set(table) != want:
        raise ValueError(f"need one entry per modality {sorted(want)}, got {sorted(table)}")
    return dict(table)


# Encoder name recorded for unit features a dataset ships (ingested, not computed by `features`)
PRECOMPUTED_ENCODER = "precomputed"

# Splits stored on Video.split
TRAIN = "train"
VALID = "valid"
TEST = "test"
SPLITS: tuple[str, ...] = (TRAIN, VALID, TEST)

# PyG node types and edge-type triples
PYG_USER = "user"
PYG_EDGE_SIMILAR = {m: (m, "similar", m) for m in MODALITY_NAMES}
PYG_EDGE_JACCARD = (PYG_USER, "jaccard", PYG_USER)
PYG_EDGE_POPULAR = (PYG_USER, "popular", PYG_USER)
PYG_EDGE_USES = {m: (PYG_USER, "uses", m) for m in MODALITY_NAMES}
PYG_EDGE_USED_BY = {m: (m, "used_by", PYG_USER) for m in MODALITY_NAMES}
