"""A text-only dataset (no media) loads only the text encoder, and nothing at all when all is done."""

from __future__ import annotations

from pathlib import Path

from mishon_graph.db.runner import Runner
from mishon_graph.features.extract import extract_features
from mishon_graph.features.tiny import TINY_HIDDEN

# As ingestion leaves a text-only dataset (the Twitter set): Textual nodes, no Visual/Acoustic ones.
SEED = """
UNWIND $rows AS row
CREATE (v:Video {id: row.id, text: row.text, split: 'train'})-[:HAS_MODALITY]->(:Textual {id: row.id})
"""
TEXTUAL = "MATCH (t:Textual) RETURN t.id AS id, t.dim AS dim, t.encoder AS encoder ORDER BY id"


def test_text_only_data_loads_only_the_text_encoder(db: Runner, tmp_path: Path, neo4j_server) -> None:
    rows = [{"id": f"t{i}", "text": f"caption number {i} about cats"} for i in range(3)]
    db.run(SEED, {"rows": rows}, write=True)
    config = neo4j_server.config(tmp_path, encoder_profile="tiny", device="cpu")

    report = extract_features(db, config, progress=False)
    assert report.loaded == ("textual",)
    counts = {m: (c.encoded, c.skipped) for m, c in report.counts.items()}
    assert counts == {"visual": (0, 3), "acoustic": (0, 3), "textual": (3, 0)}
    assert report.skip_reasons["visual"] == {"no input": 3}
    tiny = config.model_dir / "tiny-encoders"
    assert sorted(p.name for p in tiny.iterdir() if not p.name.startswith(".")) == ["textual"]
    name = f"bert-tokens30:{tiny / 'textual'}"
    assert report.encoders["textual"] == name
    assert db.run(TEXTUAL) == [{"id": f"t{i}", "dim": TINY_HIDDEN, "encoder": name} for i in range(3)]

    again = extract_features(db, config, progress=False)
    assert again.loaded == ()
    assert again.counts["textual"].skipped == 3 and again.videos == 0
