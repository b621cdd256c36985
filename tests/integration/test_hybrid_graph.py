"""mishon+ on the tiny graph plus validation videos: what it reads, what it writes, no leakage."""

from __future__ import annotations

from pathlib import Path

from recommend_graph import seed

from mishon_graph.db.runner import Runner
from mishon_graph.recommend.evaluate import evaluate_run, read_run
from mishon_graph.recommend.experiment import MAIN, evaluate_all
from mishon_graph.recommend.hybrid import MODEL, read_inputs, recommend_hybrid
from mishon_graph.recommend.runs import latest_run

# Validation videos carry a hashtag no training video has; v1 is SIMILAR to the test video x1.
_VALID = """
UNWIND $rows AS row
MATCH (u:User {id: row.user})
CREATE (u)-[:POSTED]->(v:Video {id: row.id, user_id: row.user, split: 'valid', text: row.text,
                                 created_at: '2024-02-01'})
CREATE (v)-[:HAS_MODALITY]->(:Textual {id: row.id, embedding: row.emb})
WITH v, row
UNWIND row.tags AS tag
MERGE (h:Hashtag {name: tag})
CREATE (v)-[:TAGGED]->(h)
"""
_LINK = """
MATCH (:Video {id: 'x1'})-[:HAS_MODALITY]->(a:Textual), (:Video {id: 'v1'})-[:HAS_MODALITY]->(b:Textual)
CREATE (a)-[:SIMILAR {weight: 0.999}]->(b)
"""


def _seed(db: Runner) -> None:
    seed(db)
    rows = [
        {"id": "v1", "user": "u1", "tags": ["cat", "validonly"], "text": "my cat", "emb": [1.0, 0.0]},
        {"id": "v2", "user": "u2", "tags": ["dog"], "text": "a dog in the park", "emb": [0.0, 1.0]},
        {"id": "v3", "user": "u3", "tags": ["dog", "validonly"], "text": "dog", "emb": [-0.5, 0.5]},
    ]
    db.run(_VALID, {"rows": rows}, write=True)
    db.run(_LINK, write=True)


def test_inputs_hold_training_hashtags_only(db: Runner, neo4j_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _seed(db)
    config = neo4j_server.config(tmp_path)
    inputs = read_inputs(db, config, split="test", artifact=None)
    corpus = inputs.corpus
    assert list(corpus.history.vocab) == ["cat", "cute", "dog", "park"]  # no validonly, no kitten
    assert {p.video_id for p in corpus.history.posts} == {"t1", "t2", "t3", "t4", "t5"}
    # x1's SIMILAR neighbour v1 is a validation video: it never votes
    assert sorted(v for v, _ in corpus.similar["x1"]) == ["t1", "t2"]
    assert [t.video_id for t in inputs.valid] == ["v1", "v2", "v3"]
    assert inputs.valid_truth["v1"] == ["cat", "validonly"]  # labels of the ranker, not evidence
    assert sorted(corpus.jaccard["u2"]) == [("u1", 0.25), ("u3", 1 / 3)]
    assert corpus.popular == [("u3", 0.5)]


def test_recommend_and_evaluate_mishon_plus(db: Runner, neo4j_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _seed(db)
    config = neo4j_server.config(tmp_path)
    run_id, result = recommend_hybrid(db, config, k=3, run_id="plus-1")
    assert run_id == "plus-1"
    lists = read_run(db, "plus-1", "test")
    assert set(lists) == {"x1", "x2", "y1"} and all(len(v) == 3 for v in lists.values())
    assert all(h in {"cat", "cute", "dog", "park"} for v in lists.values() for h in v)
    report = result.report()
    assert "ranker" in report["existing"]["valid_f1"] and "cold" in report  # y1's poster c1 is cold-start
    assert (config.runs_dir / "plus-1.json").is_file()
    assert evaluate_run(db, "plus-1", [1, 3], "test", "existing")[3].n_videos == 2
    ev = evaluate_all(db, config, ks=[1, 3], baselines=True, ablations=True)
    assert ev.main == MAIN and ev.runs[MAIN] == "plus-1"
    assert "tuned mix (history + kNN + popularity)" in ev.existing
    assert any("without the graph" in m for m in ev.existing)
    assert set(ev.comparisons) == {"existing", "cold-start"}
    assert all(d.low <= d.diff <= d.high for d in ev.comparisons["existing"].values())


def test_evaluate_picks_the_newest_run_of_its_own_split(db: Runner, neo4j_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A newer run for another split is not the main run (it holds none of this split's videos)."""
    _seed(db)
    config = neo4j_server.config(tmp_path)
    recommend_hybrid(db, config, k=3, run_id="plus-test")
    recommend_hybrid(db, config, k=3, split="valid", run_id="plus-valid")  # as new or newer, other split
    assert latest_run(db, MODEL, "test") == "plus-test"
    assert latest_run(db, MODEL, "valid") == "plus-valid"
    ev = evaluate_all(db, config, ks=[1, 3], baselines=False)
    assert ev.runs[MAIN] == "plus-test" and "Existing users (test split)" in ev.tables()
    ev_valid = evaluate_all(db, config, ks=[1, 3], baselines=False, split="valid")
    assert ev_valid.runs[MAIN] == "plus-valid" and "Existing users (valid split)" in ev_valid.tables()
