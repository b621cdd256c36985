"""The tiny recommend graph plus validation videos, SIMILAR rebuilt by `graph build`'s rule."""

from __future__ import annotations

from recommend_graph import seed

from mishon_graph.config import Config
from mishon_graph.db.runner import Runner
from mishon_graph.graph.build import build_graph

_VALID = """
UNWIND $rows AS row
MATCH (u:User {id: row.user})
CREATE (u)-[:POSTED]->(v:Video {id: row.id, user_id: row.user, split: 'valid', text: row.text,
                                 created_at: '2024-02-01'})
CREATE (v)-[:HAS_MODALITY]->(m:Textual {id: row.id, embedding: row.emb})
CREATE (u)-[:USES {weight: 1.0}]->(m)
WITH v, row
UNWIND row.tags AS tag
MERGE (h:Hashtag {name: tag})
CREATE (v)-[:TAGGED]->(h)
"""
VALID = [
    {"id": "v1", "user": "u1", "tags": ["cat"], "text": "my cat", "emb": [1.0, 0.1]},
    {"id": "v2", "user": "u2", "tags": ["dog", "park"], "text": "a dog in the park", "emb": [0.0, 1.0]},
    {"id": "v3", "user": "u3", "tags": ["dog"], "text": "dog", "emb": [-0.5, 0.5]},
]


def seed_with_rules(db: Runner, config: Config) -> None:
    """The tiny graph, validation videos, and SIMILAR edges rebuilt by ``graph build``'s rule."""
    seed(db)
    db.run(_VALID, {"rows": VALID}, write=True)
    build_graph(db, config, families=["similar"], progress=False)
