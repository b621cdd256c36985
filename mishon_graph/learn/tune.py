"""``mishon tune``: Optuna search over the ``mishon+`` settings on the validation split (no I/O).

The objective is the ranker's cross-fitted (user-grouped, out-of-fold) F1@K on the validation
videos, so a setting is never scored on videos its ranker was fit on; the test split is never read.
The first trial is the current settings, so the result is never worse than them on the objective.
Evidence is cached per evidence setting (the ranker's knobs do not change it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

from mishon_graph.evaluation.baselines import Target
from mishon_graph.learn.evidence import Corpus, EvidenceSettings, build_evidence, held_evidence, holdout
from mishon_graph.learn.hybrid import RankerSettings, cross_fit, f1_at

HALF_LIVES = (2.0, 4.0, 8.0, 16.0, 32.0, 1e9)


@dataclass
class TuneResult:
    """Best settings, their objective, the starting settings' objective and every trial."""

    evidence: EvidenceSettings
    ranker: RankerSettings
    best_f1: float
    start_f1: float
    trials: list[dict] = field(default_factory=list)
    seconds: float = 0.0


def _suggest(trial, seed: int) -> tuple[EvidenceSettings, RankerSettings]:
    ev = EvidenceSettings(
        half_life=trial.suggest_categorical("half_life", HALF_LIVES),
        knn=trial.suggest_int("knn", 5, 50, log=True),
        text_knn=trial.suggest_int("text_knn", 5, 50, log=True),
    )
    rk = RankerSettings(
        per_signal=trial.suggest_int("per_signal", 10, 40, step=5),
        learning_rate=trial.suggest_float("learning_rate", 0.02, 0.2, log=True),
        max_iter=trial.suggest_int("max_iter", 100, 500, step=50),
        max_leaf_nodes=trial.suggest_int("max_leaf_nodes", 15, 63),
        min_samples_leaf=trial.suggest_int("min_samples_leaf", 20, 200, log=True),
        l2=trial.suggest_float("l2", 1e-3, 10.0, log=True),
        monotonic=trial.suggest_categorical("monotonic", (False, True)),
        seed=seed,
    )
    return ev, rk


def _params(ev: EvidenceSettings, rk: RankerSettings) -> dict:
    d = {**asdict(ev), **asdict(rk)}
    d.pop("seed")
    d.pop("folds")
    return d


def tune(
    corpus: Corpus,
    valid: Sequence[Target],
    truth: Mapping[str, Sequence[str]],
    names: Sequence[str],
    start: tuple[EvidenceSettings, RankerSettings],
    *,
    minutes: float,
    k: int = 5,
    seed: int = 42,
    max_trials: int | None = None,
    on_trial: Callable[[int, float, float], None] | None = None,
) -> TuneResult:
    """Search for ``minutes`` (or ``max_trials``) and return the best settings found.

    Args:
        corpus: Training-only evidence.
        valid: Validation videos with hashtags (the objective's videos).
        truth: Their hashtags.
        names: Signals the ranker reads.
        start: Current settings (trial 0).
        minutes: Time budget.
        k: Cut-off of the objective.
        seed: Sampler and ranker seed.
        max_trials: Stop after this many trials even within the budget.
        on_trial: Called with (trial number, its F1, best F1 so far).
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    vocab = list(corpus.history.vocab)
    cache: dict[tuple, tuple] = {}
    held = holdout(corpus, start[1].holdout) if start[1].holdout > 0 else None
    t0 = time.monotonic()

    def objective_for(ev_s: EvidenceSettings, rk_s: RankerSettings) -> float:
        key = (ev_s.half_life, ev_s.knn, ev_s.text_knn)
        if key not in cache:
            cache.clear()  # one evidence set in memory at a time
            cache[key] = (
                build_evidence(corpus, valid, ev_s, signals=names),
                held_evidence(held, ev_s, as_new_user=False, signals=names),
            )
        ev, extra = cache[key]
        return f1_at(cross_fit(ev, truth, vocab, names, rk_s, extra=extra), ev, vocab, truth, k)

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.enqueue_trial(_params(*start))
    trials: list[dict] = []

    def objective(trial) -> float:
        ev_s, rk_s = _suggest(trial, seed)
        value = objective_for(ev_s, rk_s)
        trials.append({"number": trial.number, "f1": value, **_params(ev_s, rk_s)})
        best = max(t["f1"] for t in trials)
        if on_trial is not None:
            on_trial(trial.number, value, best)
        return value

    study.optimize(objective, timeout=max(minutes, 0.0) * 60.0, n_trials=max_trials)
    best = max(trials, key=lambda t: t["f1"])
    ev_best = EvidenceSettings(best["half_life"], best["knn"], best["text_knn"])
    rk_best = RankerSettings(
        per_signal=best["per_signal"],
        learning_rate=best["learning_rate"],
        max_iter=best["max_iter"],
        max_leaf_nodes=best["max_leaf_nodes"],
        min_samples_leaf=best["min_samples_leaf"],
        l2=best["l2"],
        monotonic=best["monotonic"],
        folds=start[1].folds,
        seed=seed,
        holdout=start[1].holdout,
        newcomers=start[1].newcomers,
        guard_level=start[1].guard_level,
    )
    return TuneResult(ev_best, rk_best, best["f1"], trials[0]["f1"], trials, time.monotonic() - t0)
