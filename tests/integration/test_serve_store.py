"""``mishon serve --store``: an upload goes into the graph in one write, idempotent per video id."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from serve_graph import seed_with_rules

from mishon_graph.commands.serve import serve_cmd
from mishon_graph.db.runner import Runner

_STATE = """
MATCH (v:Video {id: $id})
OPTIONAL MATCH (u:User)-[:POSTED]->(v)
OPTIONAL MATCH (v)-[:HAS_MODALITY]->(m)
OPTIONAL MATCH (m)-[s:SIMILAR]-(o)
OPTIONAL MATCH (w:User)-[:USES]->(m)
OPTIONAL MATCH (v)-[r:RECOMMENDS]->(h)
RETURN v.split AS split, v.source AS source, v.text AS text, collect(DISTINCT u.id) AS posters,
       collect(DISTINCT [labels(m)[0], m.embedding, m.units]) AS nodes,
       collect(DISTINCT [startNode(s).id, endNode(s).id, s.weight]) AS similar,
       collect(DISTINCT w.id) AS uses, collect(DISTINCT [h.name, r.rank, r.run_id]) AS recommends
"""
_COUNTS = """
MATCH (n) WITH count(n) AS nodes
MATCH ()-[r]->() RETURN nodes, count(r) AS relationships
"""


def _state(db: Runner, video: str) -> dict:
    """The video's stored facts, lists sorted (collect order is not defined)."""
    row = db.run(_STATE, {"id": video})[0]
    return {k: sorted(v, key=str) if isinstance(v, list) else v for k, v in row.items()}


def _serve(db: Runner, neo4j_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exercise) -> None:  # type: ignore[no-untyped-def]
    """Run ``mishon serve --store``; uvicorn is replaced by ``exercise(TestClient(app))``, called while
    the command holds its database connection."""
    seed_with_rules(db, neo4j_server.config(tmp_path, theta=0.5, knn_cap=2))
    seen = []

    def fake_run(app, **kw) -> None:  # type: ignore[no-untyped-def]
        seen.append(kw)
        exercise(TestClient(app))

    monkeypatch.setattr("uvicorn.run", fake_run)
    env = {**neo4j_server.env(), "MISHON_HOME": str(tmp_path / "home")}
    result = CliRunner().invoke(serve_cmd, ["--store", "--run-id", "up", "--port", "8123"], env=env)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # rich wraps long lines
    assert "mishon+ ready" in said and "store on (run up)" in said
    assert seen == [{"host": "127.0.0.1", "port": 8123, "log_level": "warning"}]


def test_store_writes_the_upload_once_and_why_sees_it(  # type: ignore[no-untyped-def]
    db: Runner, neo4j_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _serve(db, neo4j_server, tmp_path, monkeypatch, lambda client: _exercise(db, client))


def _exercise(db: Runner, client: TestClient) -> None:
    before = db.run(_COUNTS)[0]
    body = {
        "video_id": "up-1",
        "user_id": "newcomer",
        "caption": "my kitten",
        "k": 3,
        "store": True,
        "features": {"textual": [[1.0, 0.0], [1.0, 0.04]]},
    }
    first = client.post("/suggest", json=body)
    assert first.status_code == 200, first.text
    out = first.json()
    assert out["stored"] is True and out["user"] == "new"
    state = _state(db, "up-1")
    assert (state["split"], state["source"], state["text"], state["posters"]) == (
        "test",
        "serve",
        "my kitten",
        ["newcomer"],
    )
    assert state["nodes"] == [["Textual", [1.0, 0.019999999552965164], 2]]  # mean of the units (float32)
    assert state["uses"] == ["newcomer"]
    # the graph's rule: its own top 2 (t1, x1) plus the nodes that keep it; stored lower id -> higher id
    neighbours = {a if b == "up-1" else b for a, b, _ in state["similar"]}
    assert {"t1", "x1"} <= neighbours and all(a < b for a, b, _ in state["similar"])
    assert sorted(r[1] for r in state["recommends"]) == [1, 2, 3]
    assert {r[0] for r in state["recommends"]} == {h["hashtag"] for h in out["hashtags"]}
    assert all(r[2] == "up" for r in state["recommends"])
    popular = db.run("MATCH (p:User)-[r:POPULAR]->(:User {id: 'newcomer'}) RETURN p.id AS id, r.weight AS w")
    assert [(r["id"], r["w"]) for r in popular] == [("u3", 0.5)]  # ceil(0.1 * 4 users) = 1: the most engaged
    cold = db.run("MATCH (u:User {id: 'newcomer'}) RETURN u.cold_start AS cold, u.source AS source")[0]
    assert cold == {"cold": True, "source": "serve"}
    after = db.run(_COUNTS)[0]

    # idempotent: the same upload again leaves the same graph
    again = client.post("/suggest", json=body)
    assert again.status_code == 200 and again.json()["hashtags"] == out["hashtags"]
    assert db.run(_COUNTS)[0] == after
    assert _state(db, "up-1") == state

    # why shows the stored upload's similar videos for a hashtag it carries in training
    top = out["hashtags"][0]["hashtag"]
    why = db.run_file("queries/why", {"video_id": "up-1", "hashtag": top, "limit": 5})
    assert why and {r["reason"] for r in why} <= {"similar_video", "similar_user", "popular_user"}

    # new features and another poster replace what the first store wrote
    moved = {**body, "user_id": "u2", "features": {"textual": [[0.0, 1.0]]}}
    assert client.post("/suggest", json=moved).json()["user"] == "existing"
    state2 = _state(db, "up-1")
    assert state2["posters"] == ["u2"] and state2["uses"] == ["u2"]
    assert "t3" in {a if b == "up-1" else b for a, b, _ in state2["similar"]}
    assert "t1" not in {a if b == "up-1" else b for a, b, _ in state2["similar"]}
    counts = db.run(_COUNTS)[0]
    assert counts["nodes"] == after["nodes"]  # the newcomer stays; no node was added

    # a dataset video's id is refused and nothing changes
    r = client.post("/suggest", json={**body, "video_id": "t1"})
    assert r.status_code == 409 and "choose another id" in r.json()["detail"]
    assert db.run(_COUNTS)[0] == counts
    assert before["nodes"] + 3 == counts["nodes"]  # up-1, its Textual node, the newcomer
