"""``mishon features --shard i/n`` in two concurrent processes fills what one run fills."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_features import nodes, seed

from mishon_graph.config import Config
from mishon_graph.constants import MODALITY_NAMES
from mishon_graph.db.runner import Runner
from mishon_graph.db.scratch import scratch_wipe
from mishon_graph.features.extract import extract_features
from mishon_graph.features.plan import shard_of
from mishon_graph.features.store import FeatureStore
from mishon_graph.features.tiny import ensure_tiny_models

IDS = ("bikes", "bunny", "corrupt", "gone", "words")  # test_features.seed; bunny in shard 0, bikes in 1
MISHON = [sys.executable, "-c", "from mishon_graph.cli import main; main()"]


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_tiny_models(tmp_path_factory.mktemp("tiny") / "tiny-encoders")["visual"].parent


def home_config(neo4j_server, home: Path, tiny_models: Path) -> Config:  # type: ignore[no-untyped-def]
    shutil.copytree(tiny_models, home / "models" / "tiny-encoders")
    return neo4j_server.config(home, encoder_profile="tiny", device="cpu")


def stored(config: Config) -> dict[tuple[str, str], np.ndarray]:
    store = FeatureStore(config.feature_dir)
    return {(v, m): store.get(v, m) for v in IDS for m in MODALITY_NAMES if store.has(v, m)}


def test_two_concurrent_shards_equal_one_run_and_leave_nothing_to_do(  # type: ignore[no-untyped-def]
    db: Runner, neo4j_server, tiny_models: Path, tmp_path: Path
) -> None:
    assert {shard_of(v, 2) for v in IDS} == {0, 1}
    seed(db, tmp_path)
    one = home_config(neo4j_server, tmp_path / "one", tiny_models)
    extract_features(db, one, progress=False)
    want_nodes, want_store = nodes(db), stored(one)

    scratch_wipe(db)
    seed(db, tmp_path)
    split = home_config(neo4j_server, tmp_path / "split", tiny_models)
    env = {**os.environ, **neo4j_server.env(), "MISHON_HOME": str(split.home), "MISHON_DEVICE": "cpu",
           "OMP_NUM_THREADS": "1"}
    runs = [
        subprocess.Popen([*MISHON, "features", "--encoders", "tiny", "--no-progress", *extra], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for extra in (["--shard", "0/2", "--workers", "2"], ["--shard", "1/2"])
    ]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    for run, output in zip(runs, outputs, strict=True):
        assert run.returncode == 0, output
    assert "shard 0/2" in outputs[0] and "shard 1/2" in outputs[1]
    assert "2 decode + encode workers" in outputs[0]

    # Same videos, modalities, shapes and values. Not bit for bit: a shard batches other videos together
    # and the subprocesses run one thread, so float sums may round differently in the last place.
    got_store = stored(split)
    assert sorted(got_store) == sorted(want_store)
    for key, units in want_store.items():
        assert got_store[key].dtype == units.dtype and got_store[key].shape == units.shape, key
        np.testing.assert_allclose(got_store[key], units, rtol=1e-5, atol=1e-6, err_msg=str(key))
    got_nodes = nodes(db)
    assert sorted(got_nodes) == sorted(want_nodes)
    for key, node in want_nodes.items():
        if node["encoder"]:  # the tiny encoders' names hold their directory, under each home
            node["encoder"] = node["encoder"].replace(str(one.home), str(split.home))
        got = dict(got_nodes[key])
        want = dict(node)
        got_emb, want_emb = got.pop("embedding"), want.pop("embedding")
        assert got == want, key
        assert (got_emb is None) == (want_emb is None), key
        if want_emb is not None:
            np.testing.assert_allclose(got_emb, want_emb, rtol=1e-5, atol=1e-6, err_msg=str(key))

    again = extract_features(db, split, progress=False)
    assert again.videos == 0 and again.loaded == ()
    done = {m: (c.encoded, c.restored) for m, c in again.counts.items()}
    assert done == {m: (0, 0) for m in MODALITY_NAMES}
