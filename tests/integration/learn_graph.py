"""Seed a synthetic MISHON graph (DATA_MODEL.md) into Neo4j and its unit features into a store."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mishon_graph.db.runner import Runner
from mishon_graph.features.store import FeatureStore
from mishon_graph.learn.data import GraphRows
from mishon_graph.testing.learn_rows import SyntheticFeatures

_USERS = """
UNWIND $rows AS u
CREATE (:User {id: u.id, cold_start: u.cold_start, engagement: u.engagement})
"""
_VIDEOS = """
UNWIND $rows AS row
MATCH (u:User {id: row.user_id})
CREATE (u)-[:POSTED]->(v:Video {id: row.id, user_id: row.user_id, split: row.split})
FOREACH (t IN row.tags | MERGE (h:Hashtag {name: t}) CREATE (v)-[:TAGGED]->(h))
FOREACH (_ IN CASE WHEN row.visual IS NULL THEN [] ELSE [1] END |
  CREATE (v)-[:HAS_MODALITY]->(m:Visual {id: row.id, embedding: row.visual})
  CREATE (u)-[:USES {weight: 1}]->(m))
FOREACH (_ IN CASE WHEN row.textual IS NULL THEN [] ELSE [1] END |
  CREATE (v)-[:HAS_MODALITY]->(m:Textual {id: row.id, embedding: row.textual})
  CREATE (u)-[:USES {weight: 1}]->(m))
"""
_SIMILAR_VISUAL = """
UNWIND $rows AS s
MATCH (a:Visual {id: s.a}), (b:Visual {id: s.b})
CREATE (a)-[:SIMILAR {weight: s.w}]->(b)
"""
_SIMILAR_TEXTUAL = """
UNWIND $rows AS s
MATCH (a:Textual {id: s.a}), (b:Textual {id: s.b})
CREATE (a)-[:SIMILAR {weight: s.w}]->(b)
"""
_JACCARD = """
UNWIND $rows AS s
MATCH (a:User {id: s.a}), (b:User {id: s.b})
CREATE (a)-[:JACCARD {weight: s.w}]->(b)
"""
_POPULAR = """
UNWIND $rows AS s
MATCH (a:User {id: s.a}), (b:User {id: s.b})
CREATE (a)-[:POPULAR {weight: s.w}]->(b)
"""
_META = "CREATE (:GraphMeta {name: 'graph', theta: 0.5, knn_cap: '10'})"

CYPHER_SIMILAR = {"visual": _SIMILAR_VISUAL, "textual": _SIMILAR_TEXTUAL}


def seed(
    runner: Runner, rows: GraphRows, feats: SyntheticFeatures, home: Path, *, encoder: str = "synthetic"
) -> None:
    """Write ``rows`` (modalities visual/textual) into Neo4j and the features into ``home/features``."""
    store = FeatureStore(home / "features")
    runner.run_batched(_USERS, rows.users)
    videos = []
    for v in rows.videos:
        row = {**v, "tags": rows.labels.get(v["id"], []), "visual": None, "textual": None}
        for m in rows.modalities:
            units = feats.get(v["id"], m)
            store.put(v["id"], m, units, encoder)
            row[m] = np.asarray(units, dtype=np.float64).mean(axis=0).tolist()
        videos.append(row)
    runner.run_batched(_VIDEOS, videos, batch_size=200)
    for m in rows.modalities:
        runner.run_batched(
            CYPHER_SIMILAR[m], [{"a": a, "b": b, "w": w} for a, b, w in rows.similar.get(m, [])]
        )
    runner.run_batched(_JACCARD, [{"a": a, "b": b, "w": w} for a, b, k, w in rows.social if k == "JACCARD"])
    runner.run_batched(_POPULAR, [{"a": a, "b": b, "w": w} for a, b, k, w in rows.social if k == "POPULAR"])
    runner.run(_META, write=True)
