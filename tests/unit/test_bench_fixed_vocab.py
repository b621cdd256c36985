"""``benchmarks/run.py --fixed-vocab``: the spec per size and the README block it writes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import perf_readme  # noqa: E402
import run as bench_run  # noqa: E402


def _args(fixed: bool) -> argparse.Namespace:
    return argparse.Namespace(fixed_vocab=fixed, seed=7, min_hashtag_freq=5)


def test_fixed_vocab_keeps_the_1x_hashtags_and_scales_the_minimum_frequency() -> None:
    spec, freq = bench_run.size_spec(10, _args(True))
    assert (spec.n_videos, spec.n_users, spec.n_hashtags, freq) == (131_400, 8_390, 3_354, 50)
    spec, freq = bench_run.size_spec(10, _args(False))
    assert (spec.n_videos, spec.n_hashtags, freq) == (131_400, 33_540, 5)
    spec, freq = bench_run.size_spec(1, _args(True))
    assert (spec.n_videos, spec.n_hashtags, freq) == (13_140, 3_354, 5)


def _stage(name: str, size: int, seconds: float, videos: int) -> dict:
    return {"stage": name, "size": size, "seconds": seconds, "videos": videos, "peak_rss_python_mb": 1024.0}


def test_fixed_vocab_block_times_each_stage_their_sum_and_growth() -> None:
    doc = {
        "args": {"min_hashtag_freq": "5", "fixed_vocab": "True"},
        "machine": {"cpu_cores": 2, "gpu": None},
        "sizes": {s: {"ingest": {"preprocess": {"vocabulary": v}}} for s, v in (("1", 930), ("10", 1012))},
        "stages": [
            _stage("recommend.score", 1, 1.0, 100),
            _stage("recommend.write", 1, 1.0, 100),
            _stage("recommend.score", 10, 10.0, 1000),
            _stage("recommend.write", 10, 100.0, 1000),
        ],
    }
    lines = perf_readme.fixed_vocab_block(doc).splitlines()
    assert lines[0] == perf_readme.FIXED_BEGIN and lines[-1] == perf_readme.FIXED_END
    assert lines[3] == "| score test videos | 1.0 s (1.0 GB) | 10.0 s (1.0 GB) | 1.00 |"
    assert lines[4] == "| write back RECOMMENDS (top 10) | 1.0 s (1.0 GB) | 100 s (1.0 GB) | 2.00 |"
    # log(110 / 2) / log(10) = 1.74
    assert lines[5] == "| score + write-back | 2.0 s (1.0 GB) | 110 s (1.0 GB) | 1.74 |"
    assert "Kept vocabulary 930 -> 1,012 hashtags (minimum frequency 5 x size)" in lines[7]


@pytest.mark.parametrize("fixed", [True, False])
def test_write_readme_picks_the_block_of_the_run(fixed: bool, monkeypatch, tmp_path) -> None:
    calls = []
    monkeypatch.setattr("readme_blocks.replace_block", lambda path, b, e, block: calls.append((b, e)))
    monkeypatch.setattr(perf_readme, "perf_block", lambda doc: "main")
    monkeypatch.setattr(perf_readme, "fixed_vocab_block", lambda doc: "fixed")
    bench_run.write_readme({"args": {"fixed_vocab": str(fixed)}})
    want = (perf_readme.FIXED_BEGIN, perf_readme.FIXED_END) if fixed else (perf_readme.BEGIN, perf_readme.END)
    assert calls == [want]
