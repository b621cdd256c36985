"""Learning on real data: a slice of the Twitter #HowYouTagTweets set through the real pipeline
(loader -> ingest -> offline MiniLM text features -> graph -> train from Neo4j -> score)."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from mishon_graph.loaders import load_dataset

from mishon_graph.config import Config
from mishon_graph.db.runner import Runner
from mishon_graph.features.extract import extract_features
from mishon_graph.graph.build import build_graph
from mishon_graph.ingest.pipeline import ingest
from mishon_graph.learn.infer import score_videos
from mishon_graph.learn.train import train

N_USERS = 60  # the most active users: enough history per user, a few thousand tweets


def _recall(scores: np.ndarray, hashtags: list[str], truth: list[set[str]], k: int) -> float:
    top = np.argsort(-scores, axis=1)[:, :k]
    return float(
        np.mean([len({hashtags[j] for j in row} & t) / len(t) for row, t in zip(top, truth, strict=True)])
    )


@pytest.mark.slow
def test_training_on_twitter_learns_and_beats_random(
    shared_data: Path, db: Runner, neo4j_server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    data = load_dataset(shared_data / "twitter-howyoutag", "twitter")
    counts: dict[str, int] = {}
    for p in data.posts:
        counts[p.user_id] = counts.get(p.user_id, 0) + 1
    keep = set(sorted(counts, key=lambda u: (-counts[u], u))[:N_USERS])
    data = replace(
        data,
        users=[u for u in data.users if u.id in keep],
        posts=[p for p in data.posts if p.user_id in keep],
    )
    config: Config = neo4j_server.config(tmp_path, min_hashtag_freq=3, epochs=25, patience=25, seed=3)
    ingest(db, data, config, progress=False)
    extract_features(db, config, modalities=("textual",), progress=False)
    build_graph(db, config, progress=False)

    result = train(db, config, out=tmp_path / "m.pt", progress=False)
    losses = [h.valid_loss for h in result.history]
    assert min(losses) < 0.9 * losses[0], losses

    scores = score_videos(db, config, result.artifact)
    truth_rows = db.run(
        "MATCH (v:Video {split: 'test'})-[:TAGGED]->(h:Hashtag) RETURN v.id AS id, collect(h.name) AS tags"
    )
    truth = {r["id"]: set(r["tags"]) for r in truth_rows}
    ids = [v for v in scores.video_ids if v in truth]
    assert len(ids) > 50
    rows = np.array([scores.video_ids.index(v) for v in ids])
    model = _recall(scores.scores[rows], scores.hashtags, [truth[v] for v in ids], 5)
    rand = _recall(
        np.random.default_rng(0).random((len(ids), len(scores.hashtags))),
        scores.hashtags,
        [truth[v] for v in ids],
        5,
    )
    assert model > 5 * rand and model > 0.2, (model, rand)
