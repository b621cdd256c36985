"""Ingestion into a real Neo4j: counts, stats, idempotency, interruption/resume, hostile input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mishon_graph.loaders import canonical
from mishon_graph.loaders.synthetic import SyntheticSpec, generate

from mishon_graph.db.runner import Runner
from mishon_graph.features.store import FeatureStore
from mishon_graph.ingest.pipeline import ingest
from mishon_graph.ingest.preprocess import normalise_hashtag
from mishon_graph.ingest.stats import dataset_stats

HOSTILE = [
    'it\'s "quoted" `backtick` \\ backslash',
    "'}) MATCH (n) DETACH DELETE n //",
    "$rows {id: 1}; DROP CONSTRAINT user_id",
    "emoji 🎬🔥 and 中文",
    "long " + "x" * 50000,
]


def dump(db: Runner) -> dict[str, Any]:
    """Every node (label, properties) and relationship (type, ends), GraphMeta timing left out."""
    nodes = db.run("MATCH (n) WHERE NOT n:GraphMeta RETURN labels(n) AS l, properties(n) AS p")
    rels = db.run(
        "MATCH (a)-[r]->(b) RETURN type(r) AS t, labels(a)[0] AS la, coalesce(a.id, a.name) AS a, "
        "labels(b)[0] AS lb, coalesce(b.id, b.name) AS b, properties(r) AS p"
    )
    key = lambda x: json.dumps(x, sort_keys=True, default=str)  # noqa: E731
    return {"nodes": sorted(map(key, nodes)), "rels": sorted(map(key, rels))}


@pytest.fixture
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = SyntheticSpec.preset("tiny", n_users=20, n_videos=200, cold_start_users=2)
    return generate(tmp_path_factory.mktemp("tiny"), spec)


def test_tiny_synthetic_graph_matches_the_files(db: Runner, neo4j_server, tiny: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = neo4j_server.config(tmp_path / "home", min_hashtag_freq=1, min_user_posts=1, batch_rows=128)
    report = ingest(db, canonical.load(tiny), config, rejects_path=tmp_path / "rejects.jsonl", progress=False)
    lines = [json.loads(x) for x in (tiny / "posts.jsonl").read_text().splitlines()]
    users = [json.loads(x) for x in (tiny / "users.jsonl").read_text().splitlines()]
    assert report.rejects == 0 and (tmp_path / "rejects.jsonl").read_text() == ""
    stats = {r["split"]: r for r in dataset_stats(db)}
    # min frequency 1 on training posts: a valid/test post keeps only hashtags seen in training
    assert stats["all"]["videos"] == report.preprocess.posts_out
    assert stats["all"]["users"] == len({x["user_id"] for x in lines}) == 20
    assert stats["test (cold-start users)"]["users"] == sum(u["cold_start"] for u in users) == 2
    cold_ids = {u["id"] for u in users if u["cold_start"]}
    cold_videos = sum(1 for x in lines if x["user_id"] in cold_ids)
    assert stats["test (cold-start users)"]["videos"] <= cold_videos
    assert sum(stats[s]["videos"] for s in ("train", "valid", "test")) == stats["all"]["videos"]
    train_tags = db.run("MATCH (h:Hashtag) RETURN sum(h.train_count) AS n")[0]["n"]
    assert train_tags == stats["train"]["assignments"]
    # precomputed features: in the store, and the node embedding is their mean
    row = db.run(
        "MATCH (v:Video {id: 'v0000003'})-[:HAS_MODALITY]->(m:Visual) RETURN m.embedding AS e, "
        "m.encoder AS enc, m.dim AS dim, m.units AS units"
    )
    if row:
        units = FeatureStore(config.feature_dir).get("v0000003", "visual")
        assert units.shape == (4, 16) and row[0]["units"] == 4 and row[0]["dim"] == 16
        assert row[0]["enc"] == "precomputed"
        assert np.allclose(row[0]["e"], units.mean(axis=0), atol=1e-6)
    counts = db.run(
        "MATCH (v:Video) OPTIONAL MATCH (v)-[:HAS_MODALITY]->(m) RETURN count(DISTINCT v) AS v, count(m) AS m"
    )
    assert counts[0]["m"] == 3 * counts[0]["v"]
    meta = db.run("MATCH (m:GraphMeta {name: 'ingest'}) RETURN m.status AS s, m.params AS p")[0]
    assert meta["s"] == "complete" and json.loads(meta["p"])["min_hashtag_freq"] == 1


def test_reingest_is_idempotent_and_interrupted_ingest_resumes(
    db: Runner, neo4j_server, tiny: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    config = neo4j_server.config(tmp_path / "home", min_hashtag_freq=2, min_user_posts=4, batch_rows=100)
    data = canonical.load(tiny)
    ingest(db, data, config, progress=False)
    clean = dump(db)
    ingest(db, data, config, progress=False)
    assert dump(db) == clean

    class Interrupted(Runner):
        """Raises KeyboardInterrupt (as Ctrl-C would) after a few committed batches."""

        def __init__(self, inner: Runner, budget: int) -> None:  # noqa: D107
            self.__dict__.update(inner.__dict__)
            self.budget = budget

        def run(
            self, query: str, params: dict[str, Any] | None = None, *, write: bool = False
        ) -> list[dict[str, Any]]:
            if write and params and "rows" in params:
                self.budget -= 1
                if self.budget < 0:
                    raise KeyboardInterrupt
            return super().run(query, params, write=write)

    for budget in (2, 8):
        db.run("MATCH (n) DETACH DELETE n", write=True)
        with pytest.raises(KeyboardInterrupt):
            ingest(Interrupted(db, budget), data, config, progress=False)
        assert dump(db) != clean
        ingest(db, data, config, progress=False)
        assert dump(db) == clean


def test_reingest_with_new_settings_removes_stale_nodes(
    db: Runner, neo4j_server, tiny: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    data = canonical.load(tiny)
    ingest(
        db, data, neo4j_server.config(tmp_path / "h", min_hashtag_freq=1, min_user_posts=1), progress=False
    )
    config = neo4j_server.config(tmp_path / "h", min_hashtag_freq=8, min_user_posts=12)
    report = ingest(db, data, config, progress=False)
    assert report.removed["videos"] > 0 and report.removed["hashtags"] > 0
    fresh = dump(db)
    db.run("MATCH (n) DETACH DELETE n", write=True)
    ingest(db, data, config, progress=False)
    assert dump(db) == fresh
    low = db.run("MATCH (h:Hashtag) WHERE h.train_count < 8 RETURN count(h) AS n")[0]["n"]
    assert low == 0


def test_hostile_content_is_stored_verbatim(db: Runner, neo4j_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [{"type": "user", "id": "u'`1", "followers": 5, "likes": 1}]
    for i, text in enumerate(HOSTILE):
        rows.append(
            {
                "type": "post",
                "id": f"p'{i}`",
                "user_id": "u'`1",
                "created_at": f"2020-01-0{i + 1}",
                "text": text,
                "hashtags": ["#it's", "", "#", "a`b", 'x"}) DETACH DELETE n //'],
            }
        )
    rows.append(
        {"type": "post", "id": "bad", "user_id": "u'`1", "created_at": "not a date", "hashtags": ["a"]}
    )
    src = tmp_path / "hostile.jsonl"
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    config = neo4j_server.config(tmp_path / "home", min_hashtag_freq=1, min_user_posts=1, cold_start_frac=0.0)
    report = ingest(db, canonical.load(src), config, rejects_path=tmp_path / "rejects.jsonl", progress=False)
    rejects = [json.loads(x) for x in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    assert [(r["field"], r["record_id"]) for r in rejects] == [("created_at", "bad")]
    assert rejects[0]["origin"].endswith("hostile.jsonl:7")
    texts = db.run("MATCH (v:Video) RETURN v.text AS t ORDER BY v.created_at")
    assert [r["t"] for r in texts] == HOSTILE
    tags = {r["n"] for r in db.run("MATCH (h:Hashtag) RETURN h.name AS n")}
    assert tags == {normalise_hashtag("it's"), "a`b", 'x"}) detach delete n //'}
    assert db.run("MATCH (u:User) RETURN u.id AS id") == [{"id": "u'`1"}]
    assert report.preprocess.hashtags_removed["empty after normalising"] == 2 * len(HOSTILE)


@pytest.mark.slow
def test_killed_cli_ingest_reruns_to_the_same_graph(
    db: Runner, neo4j_server, tiny: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    import os
    import signal
    import subprocess
    import sys
    import time

    args = [
        str(Path(sys.executable).parent / "mishon"),
        "--home",
        str(tmp_path / "home"),
        "ingest",
        str(tiny),
        "--min-hashtag-freq",
        "2",
        "--batch-rows",
        "4",
        "--no-progress",
    ]
    env = {**os.environ, **neo4j_server.env()}
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if db.run("MATCH (v:Video)-[:TAGGED]->() RETURN count(v) AS n")[0]["n"] > 0:
            break
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert db.run("MATCH (m:GraphMeta {name: 'ingest'}) RETURN m.status AS s") == [{"s": "running"}]
    assert subprocess.run(args, env=env, capture_output=True).returncode == 0
    resumed = dump(db)
    db.run("MATCH (n) DETACH DELETE n", write=True)
    assert subprocess.run(args, env=env, capture_output=True).returncode == 0
    assert dump(db) == resumed
