"""Write the validation-tuned baselines (:mod:`mishon_graph.evaluation.tuned`) and the caption k-NN
as RECOMMENDS runs, from the same training-only inputs ``mishon+`` reads.

Runs: ``baseline-user_recent`` (own hashtags with a tuned recency half-life), ``baseline-knn_text``
(character n-gram TF-IDF k-NN over captions: any language) and ``baseline-mix`` (tuned mix of
history, content k-NN, caption k-NN and popularity).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from mishon_graph.evaluation.baselines import tiebreak
from mishon_graph.evaluation.signals import FLOAT32_TIEBREAK, history_scores
from mishon_graph.evaluation.tuned import MIX_SIGNALS, best_half_life, crossfit_mix, mix_scores, tune_mix
from mishon_graph.learn.evidence import build_evidence
from mishon_graph.recommend.hybrid import HybridInputs, HybridSettings
from mishon_graph.recommend.write import write_recommendations

TUNED: tuple[str, ...] = ("user_recent", "knn_text", "mix")


def _tie(pop: np.ndarray) -> np.ndarray:
    return tiebreak(pop, FLOAT32_TIEBREAK)


def write_tuned_baselines(
    runner,
    inputs: HybridInputs,
    settings: HybridSettings,
    *,
    k: int,
    k_tune: int = 5,
    run_prefix: str = "baseline-",
    batch_size: int = 1000,
    say: Callable[[str], None] = lambda _m: None,
) -> tuple[dict[str, str], dict[str, object]]:
    """Tune on validation, score the targets, write one run each; returns (name -> run id, what was tuned)."""
    corpus, vocab = inputs.corpus, list(inputs.corpus.history.vocab)
    vids = [t.video_id for t in inputs.valid]
    users = [t.user_id for t in inputs.valid]
    signals = ("recent", "knn", "text", "popularity")
    ev_valid = build_evidence(corpus, inputs.valid, settings.evidence, signals=signals)
    tie = _tie(ev_valid.signals["popularity"])
    half_life, tried = best_half_life(
        lambda h: history_scores(corpus.history, users, h), vids, vocab, inputs.valid_truth, k_tune, tie
    )
    tuned_evidence = replace(settings.evidence, half_life=half_life)
    ev_valid = build_evidence(corpus, inputs.valid, tuned_evidence, signals=signals)
    weights, mix_f1 = tune_mix(ev_valid.signals, vids, vocab, inputs.valid_truth, k_tune)
    mix_oof = crossfit_mix(
        ev_valid.signals, vids, users, vocab, inputs.valid_truth, k_tune, seed=settings.ranker.seed
    )
    say(f"tuned baselines: half-life {half_life} posts, mix weights {weights}")
    ev = build_evidence(corpus, inputs.targets, tuned_evidence, signals=signals)
    tie_t = _tie(ev.signals["popularity"])
    scores = {
        "user_recent": ev.signals["recent"] + tie_t,
        "knn_text": ev.signals["text"] + tie_t,
        "mix": mix_scores(ev.signals, weights) + tie_t,
    }
    ids = [t.video_id for t in inputs.targets]
    runs = {}
    for name in TUNED:
        run_id = f"{run_prefix}{name}"
        write_recommendations(
            runner,
            ids,
            vocab,
            scores[name],
            k=min(k, len(vocab)),
            model=name,
            run_id=run_id,
            batch_size=batch_size,
        )
        runs[name] = run_id
    info = {
        "half_life": half_life,
        "half_life_valid_f1": {str(h): f for h, f in tried.items()},
        "mix_weights": {n: weights.get(n, 0.0) for n in MIX_SIGNALS},
        "mix_valid_f1": mix_f1,
        "mix_valid_f1_crossfitted": mix_oof,
    }
    return runs, info
