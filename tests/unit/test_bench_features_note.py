"""The README's features cell: rates, and the side-by-side baselines when the run measured them."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import perf_readme  # noqa: E402

FEAT = {"decode_videos_per_second": 6.5, "encode_videos_per_second": 2.7, "torch_threads": 1}


def test_a_run_without_baseline_gives_the_rates() -> None:
    assert perf_readme._features_note(FEAT) == (
        "decode 6.5 videos/s, encode 2.7 videos/s per process; 1 torch thread"
    )


def test_a_side_by_side_run_names_the_ratio_and_the_feature_difference() -> None:
    feat = {
        **FEAT,
        "speedup_vs_baseline": 1.9,
        "baseline": {"videos_per_second": 1.2},
        "max_abs_feature_difference": {"visual": 0.0, "acoustic": 3.2e-06},
    }
    assert perf_readme._features_note(feat) == (
        "**1.9x** the baseline run side by side (1.2 videos/s: an ffprobe and ffmpeg processes per video, "
        "then encoding); decode 6.5 videos/s, encode 2.7 videos/s per process; 1 torch thread; largest "
        "feature difference from the baseline's: visual 0, acoustic 3e-06"
    )


def test_workers_and_a_baseline_at_every_core_are_named() -> None:
    feat = {
        **FEAT,
        "workers": 2,
        "speedup_vs_baseline": 2.1,
        "baseline": {"videos_per_second": 1.4, "torch_threads": 1, "decoding": "ffmpeg, then eager torch"},
        "baseline_all_cores": {"videos_per_second": 1.6, "torch_threads": 2},
        "max_abs_feature_difference": {"visual": 0.0},
    }
    assert perf_readme._features_note(feat) == (
        "**2.1x** the faster baseline run side by side (1.4 videos/s at 1 torch thread and 1.6 videos/s at "
        "2 torch threads: an ffprobe and ffmpeg processes per video, then encoding with the frame encoder "
        "in eager torch); decode 6.5 videos/s, encode 2.7 videos/s per process; 2 worker processes "
        "decoding and encoding; largest feature difference from the baseline's: visual 0"
    )
