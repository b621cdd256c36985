"""`mishon features --text-encoder tfidf` on the tiny recommend graph: one [1, dim] unit per caption,
fit on the training captions only, saved so a new caption can be encoded the same way later."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from click.testing import CliRunner
from recommend_graph import TRAIN, seed

from mishon_graph.cli import cli
from mishon_graph.db.runner import Runner
from mishon_graph.features.caption_svd import PREFIX, load_named
from mishon_graph.features.store import FeatureStore

# Training captions in three languages; every test caption also holds "quoxx", a word with letters
# ('q', 'x') that no training caption has.
CAPTIONS = {
    "t1": "un chat mignon dort", "t2": "le chat noir", "t3": "ein Hund im Park",
    "t4": "der Hund rennt im Park", "t5": "perro grande",
    "x1": "chat quoxx", "x2": "Hund quoxx", "y1": "Park quoxx",
}
TEXTS = "UNWIND $rows AS row MATCH (v:Video {id: row.id}) SET v.text = row.text"
TEXTUAL = """
MATCH (t:Textual) RETURN t.id AS id, t.dim AS dim, t.units AS units, t.encoder AS encoder ORDER BY id
"""


def test_tfidf_text_features_through_the_cli(db: Runner, neo4j_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    seed(db)
    db.run(TEXTS, {"rows": [{"id": k, "text": v} for k, v in CAPTIONS.items()]}, write=True)
    env = {**neo4j_server.env(), "MISHON_HOME": str(tmp_path), "MISHON_DEVICE": "cpu"}
    args = ["features", "--modalities", "textual", "--text-encoder", "tfidf", "--no-progress"]

    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    nodes = db.run(TEXTUAL)
    name = nodes[0]["encoder"]
    assert name.startswith(f"{PREFIX}256-")
    assert nodes == [{"id": v, "dim": 256, "units": 1, "encoder": name} for v in sorted(CAPTIONS)]

    store = FeatureStore(tmp_path / "features")
    model = load_named(tmp_path / "models", name)
    assert model.train_captions == len(TRAIN)
    assert not [g for g in model.vocabulary if "q" in g or "x" in g]  # test-only word: never fitted on
    for video in sorted(CAPTIONS):
        units = store.get(video, "textual")
        assert units.shape == (1, 256) and store.encoder(video, "textual") == name
        np.testing.assert_allclose(np.linalg.norm(units), 1.0, rtol=1e-5)
        np.testing.assert_array_equal(units, model.encode([CAPTIONS[video]]))  # same vectors after reload

    again = CliRunner().invoke(cli, args, env=env)
    assert again.exit_code == 0, again.output
    assert "0 videos in" in again.output  # all done: nothing re-encoded, nothing fit again
    assert [p.name for p in (tmp_path / "models" / "text-encoders").iterdir()] == [name]
