"""mishon+ reads the same evidence from Neo4j whatever order the rows come in (recording fake runner)."""

from __future__ import annotations

from mishon_graph.recommend.hybrid import read_links, read_similar
from mishon_graph.testing.runner import CollectingRunner

SIMILAR = [
    {"video_id": "v1", "neighbour": "t2", "weight": 0.7},
    {"video_id": "v1", "neighbour": "t1", "weight": 0.9},
    {"video_id": "v2", "neighbour": "t1", "weight": 0.6},
    {"video_id": "v1", "neighbour": "t1", "weight": 0.8},  # same neighbour, another modality
]
LINKS = [
    {"type": "JACCARD", "source": "a", "target": "c", "weight": 0.5},
    {"type": "POPULAR", "source": "p", "target": "a", "weight": 3.0},
    {"type": "JACCARD", "source": "a", "target": "b", "weight": 0.2},
]


def test_similar_lists_and_jaccard_links_do_not_depend_on_row_order() -> None:
    forward = CollectingRunner({"recommend/similar_neighbours": SIMILAR, "recommend/user_links": LINKS})
    backward = CollectingRunner(
        {"recommend/similar_neighbours": SIMILAR[::-1], "recommend/user_links": LINKS[::-1]}
    )
    similar = read_similar(forward, ["v1", "v2"], batch=10)
    assert similar == {"v1": [("t1", 0.8), ("t1", 0.9), ("t2", 0.7)], "v2": [("t1", 0.6)]}
    assert read_similar(backward, ["v1", "v2"], batch=10) == similar
    jaccard, popular = read_links(forward)
    assert jaccard == {"a": [("b", 0.2), ("c", 0.5)], "b": [("a", 0.2)], "c": [("a", 0.5)]}
    assert popular == [("p", 3.0)]
    assert read_links(backward) == (jaccard, popular)
