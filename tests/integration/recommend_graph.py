"""A tiny hand-made graph for the recommend/evaluate/query tests (seeded with Cypher).

Users u1, u2, u3 (existing; u3 popular) and c1 (cold-start). Training videos carry hashtags
cat, cute, dog, park; test video x1 also carries ``kitten``, a hashtag outside the training
vocabulary that still counts in |G|.
"""

from __future__ import annotations

from mishon_graph.db.runner import Runner

TRAIN = {
    "t1": ("u1", ["cat", "cute"]),
    "t2": ("u1", ["cat"]),
    "t3": ("u2", ["dog", "cute"]),
    "t4": ("u2", ["dog", "park"]),
    "t5": ("u3", ["dog"]),
}
TEST = {
    "x1": ("u1", ["cat", "kitten"]),
    "x2": ("u2", ["dog"]),
    "y1": ("c1", ["dog", "park"]),
}
EMBEDDING = {
    "t1": [1.0, 0.0], "t2": [0.9, 0.1], "t3": [0.0, 1.0], "t4": [0.1, 0.9], "t5": [-1.0, 0.0],
    "x1": [1.0, 0.05], "x2": [0.0, 1.0], "y1": [0.05, 1.0],
}
SIMILAR = [("t1", "x1", 0.99), ("t2", "x1", 0.98), ("t3", "x2", 1.0), ("t4", "x2", 0.99)]
JACCARD = [("u1", "u2", 0.25), ("u2", "u3", 1 / 3)]
POPULAR = [("u3", "c1", 0.5)]

_SEED = """
UNWIND $users AS u
CREATE (:User {id: u.id, cold_start: u.cold, engagement: u.eng})
WITH count(*) AS _
UNWIND $videos AS row
MATCH (u:User {id: row.user})
CREATE (u)-[:POSTED]->(v:Video {id: row.id, user_id: row.user, split: row.split, text: 'video ' + row.id,
                                 created_at: row.created})
CREATE (v)-[:HAS_MODALITY]->(t:Textual {id: row.id, embedding: row.emb})
CREATE (u)-[:USES {weight: 1.0}]->(t)
WITH v, row
UNWIND row.tags AS tag
MERGE (h:Hashtag {name: tag})
CREATE (v)-[:TAGGED]->(h)
"""
_EDGES = """
UNWIND $similar AS s
MATCH (:Video {id: s[0]})-[:HAS_MODALITY]->(a:Textual), (:Video {id: s[1]})-[:HAS_MODALITY]->(b:Textual)
CREATE (a)-[:SIMILAR {weight: s[2]}]->(b)
WITH count(*) AS _
UNWIND $jaccard AS j
MATCH (a:User {id: j[0]}), (b:User {id: j[1]})
CREATE (a)-[:JACCARD {weight: j[2]}]->(b)
WITH count(*) AS _
UNWIND $popular AS p
MATCH (a:User {id: p[0]}), (b:User {id: p[1]})
CREATE (a)-[:POPULAR {weight: p[2]}]->(b)
"""


def seed(runner: Runner) -> None:
    """Create the tiny graph in an empty database."""
    users = [
        {"id": "u1", "cold": False, "eng": 0.1}, {"id": "u2", "cold": False, "eng": 0.2},
        {"id": "u3", "cold": False, "eng": 0.5}, {"id": "c1", "cold": True, "eng": 0.0},
    ]
    videos = [
        {"id": vid, "user": user, "split": split, "tags": tags, "emb": EMBEDDING[vid],
         "created": f"2024-01-0{i + 1}"}
        for split, group in (("train", TRAIN), ("test", TEST))
        for i, (vid, (user, tags)) in enumerate(sorted(group.items()))
    ]
    runner.run(_SEED, {"users": users, "videos": videos}, write=True)
    runner.run(
        _EDGES,
        {"similar": [list(s) for s in SIMILAR], "jaccard": [list(j) for j in JACCARD],
         "popular": [list(p) for p in POPULAR]},
        write=True,
    )
