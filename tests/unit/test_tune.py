"""mishon tune's search on a tiny corpus, and the stored settings round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mishon_graph.config import Config
from mishon_graph.errors import MishonError
from mishon_graph.evaluation.baselines import Target
from mishon_graph.evaluation.signals import History, Post
from mishon_graph.learn.evidence import Corpus, EvidenceSettings
from mishon_graph.learn.hybrid import RankerSettings
from mishon_graph.learn.tune import tune
from mishon_graph.recommend.hybrid import HybridSettings, load_settings, settings_path


def _corpus() -> tuple[Corpus, list[Target], dict[str, list[str]]]:
    tags = ["a", "b", "c"]
    posts = [Post(f"t{i}", f"u{i % 4}", f"2024-01-{i + 1:02d}", (tags[i % 3],)) for i in range(24)]
    corpus = Corpus(
        history=History(posts, tags),
        texts={p.video_id: f"about {p.hashtags[0]}" for p in posts} | {f"v{i}": "about a" for i in range(8)},
        embeddings={},
        similar={},
        jaccard={},
        popular=[],
    )
    valid = [Target(f"v{i}", f"u{i % 4}") for i in range(8)]
    return corpus, valid, {t.video_id: ["a"] for t in valid}


def test_tune_starts_from_the_current_settings_and_never_ends_below_them() -> None:
    corpus, valid, truth = _corpus()
    start = (EvidenceSettings(), RankerSettings(min_samples_leaf=20, max_iter=100))
    names = ("history", "recent", "text", "mention", "popularity")
    result = tune(corpus, valid, truth, names, start, minutes=5, k=1, max_trials=3)
    assert len(result.trials) == 3
    assert result.trials[0]["knn"] == 30 and result.trials[0]["max_iter"] == 100  # trial 0 = start
    assert result.start_f1 == result.trials[0]["f1"]
    assert result.best_f1 == max(t["f1"] for t in result.trials) >= result.start_f1


def test_settings_round_trip_and_bad_file(tmp_path: Path) -> None:
    config = Config(home=tmp_path)
    assert load_settings(config) == HybridSettings()
    tuned = HybridSettings(EvidenceSettings(half_life=4.0, knn=12, text_knn=7), RankerSettings(per_signal=15))
    path = settings_path(config)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"settings": tuned.as_dict()}), encoding="utf-8")
    assert load_settings(config) == tuned
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(MishonError, match="unreadable mishon\\+ settings"):
        load_settings(config)
    path.write_text(json.dumps({"settings": {"ranker": {"nonsense": 1}}}), encoding="utf-8")
    with pytest.raises(MishonError, match="bad mishon\\+ settings"):
        load_settings(config)
