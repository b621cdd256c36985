"""The synthetic generator: shapes, determinism, topic signal, and real media files."""

from __future__ import annotations

import json
import shutil
import subprocess
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from mishon_graph.loaders import canonical
from mishon_graph.loaders.synthetic import SyntheticSpec, generate, topic_colour, topic_tone

from mishon_graph.errors import MishonError
from mishon_graph.ingest.preprocess import normalise_hashtag
from mishon_graph.ingest.unit_features import UnitFeatureReader


def test_presets() -> None:
    tmall = SyntheticSpec.preset("tmall")
    assert (tmall.n_videos, tmall.n_users, tmall.n_hashtags, tmall.media) == (13140, 839, 3354, False)
    assert SyntheticSpec.preset("tmall10x").n_videos == 131400
    assert SyntheticSpec.preset("demo").media and SyntheticSpec.preset("tiny", seed=1).seed == 1
    with pytest.raises(MishonError, match="unknown preset"):
        SyntheticSpec.preset("huge")
    with pytest.raises(MishonError, match="cold-start"):
        SyntheticSpec(n_users=3, cold_start_users=3)


def test_tiny_is_canonical_deterministic_and_topical(tmp_path: Path) -> None:
    spec = SyntheticSpec.preset("tiny")
    out = generate(tmp_path / "a", spec)
    generate(tmp_path / "b", spec)
    assert (out / "posts.jsonl").read_bytes() == (tmp_path / "b" / "posts.jsonl").read_bytes()
    assert np.array_equal(
        np.load(out / "features" / "visual.npy"), np.load(tmp_path / "b" / "features" / "visual.npy")
    )
    data = canonical.load(out)
    assert not data.rejects and len(data.posts) == 400 and len(data.users) == 40
    assert sum(u.cold_start for u in data.users) == 4
    assert all(len(p.hashtags) >= 1 and p.text for p in data.posts)
    assert all(normalise_hashtag(t) == t for p in data.posts for t in p.hashtags)
    assert len({t for p in data.posts for t in p.hashtags}) <= 60
    reader = UnitFeatureReader()
    units = reader.read(data.posts[0].features["visual"])
    assert units.shape == (4, 16) and units.dtype == np.float32
    # hashtags recur per user: mean Jaccard within a user's videos beats across users
    by_user: dict[str, list[set[str]]] = {}
    for p in data.posts:
        by_user.setdefault(p.user_id, []).append(set(p.hashtags))

    def jac(a: set[str], b: set[str]) -> float:
        return len(a & b) / len(a | b)

    within = np.mean([jac(a, b) for sets in by_user.values() for a, b in combinations(sets, 2)])
    firsts = [sets[0] for sets in by_user.values()]
    across = np.mean([jac(a, b) for a, b in combinations(firsts, 2)])
    assert within > 2 * across
    # visual features carry the topic: videos sharing a hashtag (mostly one topic) are closer than others
    tag_lists = [json.loads(line)["hashtags"] for line in (out / "posts.jsonl").read_text().splitlines()]
    assert len(tag_lists) == 400
    means = np.stack([reader.read(p.features["visual"]).mean(axis=0) for p in data.posts])
    sims = means @ means.T / np.outer(np.linalg.norm(means, axis=1), np.linalg.norm(means, axis=1))
    shared = np.array([[bool(set(a) & set(b)) for b in tag_lists] for a in tag_lists])
    np.fill_diagonal(shared, False)
    assert sims[shared].mean() > sims[~shared].mean() + 0.2


def test_topic_colour_and_tone() -> None:
    assert topic_colour(0, 4) == "0xd82b2b"
    assert topic_tone(0, 4) == 220.0 and topic_tone(2, 4) == 440.0


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffmpeg not installed")
def test_media_mode_makes_real_videos(tmp_path: Path) -> None:
    spec = SyntheticSpec(
        n_users=2, n_videos=4, n_hashtags=4, n_topics=2, cold_start_users=0, media=True, duration=1.0
    )
    data = canonical.load(generate(tmp_path, spec))
    assert len(data.posts) == 4 and all(p.media_path and not p.features for p in data.posts)
    probe = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type,width",
            "-of",
            "json",
            data.posts[0].media_path,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    streams = json.loads(probe.stdout)["streams"]
    assert sorted(s["codec_type"] for s in streams) == ["audio", "video"]
    assert [s.get("width") for s in streams if s["codec_type"] == "video"] == [160]
