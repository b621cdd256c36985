"""``mishon+``: a learned ranker over the graph's evidence, fit on the validation split (no I/O).

Two stages, as large recommenders do it. Candidates: for each target, the union of the top
``per_signal`` hashtags of every signal (:mod:`mishon_graph.learn.evidence`) that has evidence for
them. Ranking: a gradient-boosted tree classifier (scikit-learn ``HistGradientBoostingClassifier``)
over each candidate's signal values, its rank under each signal and how much history the poster
has, trained to predict whether the video carries the hashtag. Its learned combination replaces
hand-set weights; it is fit on validation videos (never seen by the GNN's gradient steps) against
training-only evidence, the same view the test videos get.

Examples: the validation videos, plus held-out training posts (:func:`~mishon_graph.learn.evidence.holdout`:
each user's latest post against the other training posts; for the cold-start ranker,
:func:`~mishon_graph.learn.evidence.holdout_newcomers`: all posts of a fifth of the users against
the rest), so a small validation split (new creators, short histories) still gives the trees
enough to learn from. Signals such a post cannot honestly have (the GNN trained on it, JACCARD links
computed with it) are missing values for the trees, not zeros.

It cannot silently lose to its parts: :func:`fit_ranker` measures, by user-grouped cross-fitting on
the validation videos only, the ranker's F1@K against every single signal's, and keeps a single
signal instead (``chosen``) when it is clearly better: its paired bootstrap interval over the
validation videos (level ``guard_level``) excludes 0. A difference inside the noise of a small
validation split is level, and the ranker stays. The GNN's own validation figure is reported but
not part of that choice: its epoch was selected on the same videos, so the figure is biased upwards.

Nor does it keep parts that do not help: given signal groups, :func:`select_signals` leaves out, one at
a time, a group that does not clearly raise the cross-fitted validation F1@K (backward elimination
with the one-standard-error rule: the simpler ranker wins unless the group's gain stands out of the
validation noise). The ranker's reported validation F1@K is then the selected one's, chosen on the
same videos, so it is optimistic by the selection; test figures are not.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from mishon_graph.errors import MishonError
from mishon_graph.evaluation.baselines import tiebreak
from mishon_graph.evaluation.bootstrap import paired_bootstrap
from mishon_graph.evaluation.metrics import f1_of_scores, top_lists
from mishon_graph.evaluation.signals import FLOAT32_TIEBREAK
from mishon_graph.evaluation.tuned import user_folds
from mishon_graph.learn.evidence import Evidence

RANK_CAP = 100
RANKER = "ranker"
# Signals whose validation F1 is not out of sample: the GNN's epoch is chosen on the validation
# split, so its figure there is optimistic and the guard does not compare against it.
SELECTED_ON_VALIDATION = frozenset({"gnn"})


@dataclass(frozen=True)
class RankerSettings:
    """Candidate and tree settings (tuned on validation by ``mishon tune``)."""

    per_signal: int = 20
    learning_rate: float = 0.04
    max_iter: int = 300
    max_leaf_nodes: int = 31
    min_samples_leaf: int = 30
    l2: float = 0.1
    monotonic: bool = False  # tried: within noise on validation (Twitter, TMALL shape)
    folds: int = 3
    seed: int = 42
    # Latest training posts per user added as examples (0: validation videos only). Cross-fitted
    # validation F1@5 of the existing-user ranker, holdout 1 / 2 / 3 / 4: TMALL shape 0.397 / 0.403 /
    # 0.399 / 0.400, Cardano 0.434 / 0.454 / 0.439 (validation only; 2 is best on both).
    holdout: int = 2
    newcomers: float = 0.2  # share of users whose training posts the cold-start ranker also learns on
    # A single signal replaces the ranker only when its validation F1@K is higher with a paired
    # bootstrap interval of this level excluding 0 (0: whenever its point estimate is higher).
    guard_level: float = 0.9
    # Signal groups are left out unless the cross-fitted validation F1@K with them is higher than
    # without them by a paired bootstrap interval of level ``keep_level`` that excludes 0 (backward
    # elimination, one group at a time; see :func:`select_signals`). 0.68 is the one-standard-error
    # rule; 0: left out whenever the F1@K without them is not lower. False: keep every group.
    drop_groups: bool = True
    keep_level: float = 0.68


def signal_ranks(values: np.ndarray) -> np.ndarray:
    """1-based rank of every hashtag per row (descending; ties by column), capped at ``RANK_CAP``;
    hashtags with no evidence (value <= 0) get ``RANK_CAP``."""
    order = np.argsort(-values, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, values.shape[1] + 1)[None, :], axis=1)
    ranks = np.minimum(ranks, RANK_CAP).astype(np.float32)
    ranks[values <= 0] = RANK_CAP
    return ranks


def candidates(ev: Evidence, names: Sequence[str], per_signal: int) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, cols)`` of the candidate pairs: each signal's top ``per_signal`` with evidence."""
    n, v = ev.posts.shape[0], next(iter(ev.signals.values())).shape[1]
    keep = np.zeros((n, v), dtype=bool)
    k = min(per_signal, v)
    for name in names:
        s = ev.signals[name]
        if k == 0 or not s.any():
            continue
        top = np.argpartition(-s, k - 1, axis=1)[:, :k]
        rows = np.repeat(np.arange(n), k)
        cols = top.ravel()
        good = s[rows, cols] > 0
        keep[rows[good], cols[good]] = True
    return np.nonzero(keep)


def features(ev: Evidence, names: Sequence[str], rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """One row per candidate: each signal's value and rank, log(1 + poster's training posts), then the
    target's context (sorted by name)."""
    width = 2 * len(names) + 1 + len(ev.context)
    if not len(rows):
        return np.zeros((0, width), dtype=np.float32)
    parts = []
    for name in names:
        s = ev.signals[name]
        parts.append(s[rows, cols])
        parts.append(signal_ranks(s)[rows, cols])
    parts.append(np.log1p(ev.posts[rows]))
    parts += [ev.context[key][rows] for key in sorted(ev.context)]
    out = np.stack(parts, axis=1).astype(np.float32)
    for i, name in enumerate(names):
        if name in ev.unknown:
            out[:, 2 * i : 2 * i + 2] = np.nan  # the trees route missing values on their own
    return out


def _labels(
    ev: Evidence,
    truth: Mapping[str, Sequence[str]],
    index: Mapping[str, int],
    rows: np.ndarray,
    cols: np.ndarray,
) -> np.ndarray:
    hit = np.zeros((len(ev.targets), len(index)), dtype=bool)
    for i, t in enumerate(ev.targets):
        for h in truth.get(t.video_id, ()):
            j = index.get(h)
            if j is not None:
                hit[i, j] = True
    return hit[rows, cols]


def _dense(
    n: int, v: int, rows: np.ndarray, cols: np.ndarray, values: np.ndarray, fallback: np.ndarray
) -> np.ndarray:
    """Candidates score ``1 + value``; everything else keeps ``fallback`` scaled below 1."""
    out = np.tile((fallback / (fallback.max() + 1.0)).astype(np.float32), (n, 1))
    out[rows, cols] = 1.0 + values
    return out


def monotonic_constraints(names: Sequence[str], n_context: int) -> list[int]:
    """More evidence never lowers a score: +1 on each signal's value, -1 on its rank, 0 on context."""
    return [c for _ in names for c in (1, -1)] + [0] * (1 + n_context)


def _model(settings: RankerSettings, constraints: list[int] | None = None):
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        monotonic_cst=constraints if settings.monotonic else None,
        learning_rate=settings.learning_rate,
        max_iter=settings.max_iter,
        max_leaf_nodes=settings.max_leaf_nodes,
        min_samples_leaf=settings.min_samples_leaf,
        l2_regularization=settings.l2,
        early_stopping=False,
        random_state=settings.seed,
    )


def signal_only(ev: Evidence, name: str) -> np.ndarray:
    """Rank by one signal, popularity breaking ties (what a one-signal baseline would do)."""
    pop = ev.signals.get("popularity")
    tie = 0.0 if pop is None else tiebreak(pop, FLOAT32_TIEBREAK)
    return ev.signals[name] + tie


def f1_at(
    scores: np.ndarray, ev: Evidence, vocab: Sequence[str], truth: Mapping[str, Sequence[str]], k: int
) -> float:
    """F1@K of a score matrix against ``truth`` (rows of ``ev.targets``)."""
    return f1_of_scores(scores, [t.video_id for t in ev.targets], vocab, truth, k)


@dataclass
class Ranker:
    """A fitted ``mishon+`` ranker.

    Attributes:
        names: Signals it reads, in feature order.
        settings: Its settings.
        chosen: ``ranker`` or the single signal clearly better than it on validation (see the module).
        validation: Cross-fitted validation F1@K of the ranker and of each signal alone.
        model: The fitted tree ensemble (``None`` when there was nothing to learn from).
        dropped: Signal groups left out by :func:`select_signals`, in the order they went.
        selection: Cross-fitted validation F1@K of the ranker without each group it tried, per round.
    """

    names: tuple[str, ...]
    settings: RankerSettings
    vocab: list[str]
    chosen: str = RANKER
    validation: dict[str, float] = field(default_factory=dict)
    model: object | None = None
    dropped: list[str] = field(default_factory=list)
    selection: list[dict[str, float]] = field(default_factory=list)

    def score(self, ev: Evidence) -> np.ndarray:
        """``[n, |H|]`` scores, higher is better."""
        if self.chosen != RANKER:
            return signal_only(ev, self.chosen)
        rows, cols = candidates(ev, self.names, self.settings.per_signal)
        fallback = ev.signals.get("popularity", np.zeros((1, len(self.vocab))))[0]
        if self.model is None or not len(rows):
            return _dense(len(ev.targets), len(self.vocab), rows, cols, np.zeros(len(rows)), fallback)
        with _serial_trees():
            prob = self.model.predict_proba(features(ev, self.names, rows, cols))[:, 1]
        return _dense(len(ev.targets), len(self.vocab), rows, cols, prob, fallback)


def _fit_model(parts: Sequence[tuple[Evidence, Mapping[str, Sequence[str]]]], vocab, names, settings):
    """One tree ensemble on the candidates of every ``(evidence, truth)`` part (None: nothing to learn)."""
    index = {h: i for i, h in enumerate(vocab)}
    xs, ys = [], []
    for ev, truth in parts:
        rows, cols = candidates(ev, names, settings.per_signal)
        xs.append(features(ev, names, rows, cols))
        ys.append(_labels(ev, truth, index, rows, cols))
    y = np.concatenate(ys) if ys else np.zeros(0, dtype=bool)
    if not len(y) or y.all() or not y.any():
        return None
    model = _model(settings, monotonic_constraints(names, len(parts[0][0].context)))
    with _serial_trees():
        model.fit(np.concatenate(xs), y)
    return model


@contextmanager
def _serial_trees() -> Iterator[None]:
    """Grow and apply the trees on one OpenMP thread. Measured on the Cardano validation harness
    (both rankers, with selection): 2 threads fit in 21.3 s against 25.1 s on one on a quiet 2-core
    machine, but in 69.8 s against 25.7 s while another process kept one core busy (OpenMP's
    threads wait on each other at every split). Scoring many videos at once is where parallelism
    belongs, not inside these small fits."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def fit_ranker(
    ev: Evidence,
    truth: Mapping[str, Sequence[str]],
    vocab: Sequence[str],
    names: Sequence[str],
    settings: RankerSettings = RankerSettings(),
    *,
    k: int = 5,
    guard: bool = True,
    extra: tuple[Evidence, Mapping[str, Sequence[str]]] | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
) -> Ranker:
    """Fit on validation evidence ``ev`` with ground truth ``truth``; cross-fit to measure it.

    Args:
        ev: Evidence of the validation videos (training-only signals).
        truth: Video id -> its hashtags (every one, also outside the vocabulary).
        vocab: Columns of the signals.
        names: Signals the ranker may read.
        settings: Candidate and tree settings.
        k: The cut-off the guard compares at.
        guard: Keep the best single signal when it beats the cross-fitted ranker.
        extra: More training examples ``(evidence, truth)`` (held-out training posts, see
            :func:`~mishon_graph.learn.evidence.holdout`): added to every fit, never scored by the
            guard, which measures on the validation videos only.
        groups: Signal groups the ranker may leave out (:func:`select_signals`, when
            ``settings.drop_groups``); None: it reads every signal of ``names``.
    """
    names = tuple(names)
    if not ev.targets:
        raise MishonError("mishon+ needs validation videos to learn from: none have hashtags")
    oof = cross_fit(ev, truth, vocab, names, settings, extra=extra)
    dropped: list[str] = []
    rounds: list[dict[str, float]] = []
    if groups and settings.drop_groups:
        names, oof, dropped, rounds = select_signals(
            ev, truth, vocab, names, groups, settings, oof, k=k, extra=extra
        )
    ranker = Ranker(names, settings, list(vocab), dropped=dropped, selection=rounds)
    ranker.validation[RANKER] = f1_at(oof, ev, vocab, truth, k)
    for name in names:
        if ev.signals[name].any():
            ranker.validation[name] = f1_at(signal_only(ev, name), ev, vocab, truth, k)
    fair = [m for m in ranker.validation if m not in SELECTED_ON_VALIDATION]
    best = max(fair, key=lambda m: (ranker.validation[m], m == RANKER))
    alone = signal_only(ev, best) if best != RANKER else None
    level, seed = settings.guard_level, settings.seed
    if guard and alone is not None and _clearly_better(alone, oof, ev, vocab, truth, k, level, seed):
        ranker.chosen = best
        return ranker
    ranker.model = _fit_model([(ev, truth), *([extra] if extra else [])], vocab, names, settings)
    return ranker


def select_signals(
    ev: Evidence,
    truth: Mapping[str, Sequence[str]],
    vocab: Sequence[str],
    names: Sequence[str],
    groups: Mapping[str, Sequence[str]],
    settings: RankerSettings,
    oof: np.ndarray,
    *,
    k: int = 5,
    extra: tuple[Evidence, Mapping[str, Sequence[str]]] | None = None,
) -> tuple[tuple[str, ...], np.ndarray, list[str], list[dict[str, float]]]:
    """Backward elimination of signal groups on cross-fitted validation F1@K.

    Each round cross-fits the ranker without each group that still has a signal in ``names`` (and is
    not all of them). A group earns its place only when the ranker with it is clearly better than
    without it: the paired bootstrap interval of the F1@K difference over the validation videos, at
    level ``settings.keep_level``, excludes 0 (0.68: about one standard error, the rule that prefers
    the simpler model among those within the noise of the best). Of the groups that do not, the one
    whose absence scores highest is left out; it stops when every group earns its place. The burden
    of proof is on the graph: differences inside the noise of the validation split go either way on
    test, and a part kept on such a difference costs time at every scoring for nothing expected.

    Args:
        oof: Out-of-fold scores of the ranker over all of ``names`` (:func:`cross_fit`).

    Returns:
        The kept signals, their out-of-fold scores, the dropped groups in order, and per round each
        tried group's F1@K (key ``ranker``: the F1@K it was compared with).
    """
    names = tuple(names)
    base = f1_at(oof, ev, vocab, truth, k)
    dropped: list[str] = []
    rounds: list[dict[str, float]] = []
    while True:
        trial: dict[str, tuple[float, tuple[str, ...], np.ndarray]] = {}
        for group, members in sorted(groups.items()):
            left = tuple(n for n in names if n not in set(members))
            if not left or len(left) == len(names):
                continue
            scores = cross_fit(ev, truth, vocab, left, settings, extra=extra)
            trial[group] = (f1_at(scores, ev, vocab, truth, k), left, scores)
        if not trial:
            break
        rounds.append({RANKER: base, **{g: f for g, (f, _, _) in trial.items()}})
        level, seed = settings.keep_level, settings.seed
        idle = [g for g in trial if not _clearly_better(oof, trial[g][2], ev, vocab, truth, k, level, seed)]
        if not idle:
            break
        # the best removal; on a tie, the group that leaves out more signals (fewer parts)
        best = max(idle, key=lambda g: (trial[g][0], -len(trial[g][1]), g))
        base, names, oof = trial[best][0], trial[best][1], trial[best][2]
        dropped.append(best)
    return names, oof, dropped, rounds


def _clearly_better(
    a: np.ndarray,
    b: np.ndarray,
    ev: Evidence,
    vocab: Sequence[str],
    truth: Mapping[str, Sequence[str]],
    k: int,
    level: float,
    seed: int,
) -> bool:
    """Scores ``a`` beat ``b`` at F1@K on the targets of ``ev``: by the paired bootstrap at ``level``
    (its interval excludes 0), or by the point estimate when ``level`` is 0."""
    ids = [t.video_id for t in ev.targets]
    if level <= 0:
        return f1_at(a, ev, vocab, truth, k) > f1_at(b, ev, vocab, truth, k)
    scored = {v: truth[v] for v in ids if truth.get(v)}
    if not scored:
        return False
    diff = paired_bootstrap(
        top_lists(a, ids, vocab, k),
        top_lists(b, ids, vocab, k),
        scored,
        k,
        replicates=1000,
        level=level,
        seed=seed,
    )
    return diff.low > 0


def cross_fit(
    ev: Evidence,
    truth: Mapping[str, Sequence[str]],
    vocab: Sequence[str],
    names: Sequence[str],
    settings: RankerSettings,
    *,
    extra: tuple[Evidence, Mapping[str, Sequence[str]]] | None = None,
) -> np.ndarray:
    """Out-of-fold scores: each user-grouped fold is scored by a ranker fit on the other folds (plus
    ``extra``, see :func:`fit_ranker`)."""
    fold = user_folds([t.user_id for t in ev.targets], settings.folds, settings.seed)
    out = np.zeros((len(ev.targets), len(vocab)), dtype=np.float32)
    for f in range(max(settings.folds, 2)):
        test = np.nonzero(fold == f)[0]
        train = np.nonzero(fold != f)[0]
        if not len(test):
            continue
        part = ev.subset(test)
        parts = [(ev.subset(train), truth)] if len(train) else []
        model = _fit_model(parts + ([extra] if extra else []), vocab, names, settings) if parts else None
        r = Ranker(tuple(names), settings, list(vocab), model=model)
        out[test] = r.score(part)
    return out
