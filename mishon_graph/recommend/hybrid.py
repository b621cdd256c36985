"""``mishon+`` on the graph: read the training-only evidence, fit the ranker on validation, write a run.

What is read (all parameterised Cypher): training posts with their hashtags, times and captions;
the captions of the videos to score; pooled modality embeddings; each target's SIMILAR neighbours
among training videos; JACCARD and POPULAR links; and, when a trained GNN artifact exists, its
probabilities for the validation and scored videos. Validation hashtags are read only as the
ranker's labels; no valid/test hashtag reaches a signal.

Existing users' videos are ranked by a ranker fit on validation videos; videos of users without
training posts (cold-start) by a second ranker fit on the same validation videos seen as if their
posters were new (see :mod:`mishon_graph.learn.evidence`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mishon_graph import constants
from mishon_graph.config import Config
from mishon_graph.db.protocol import Runner
from mishon_graph.errors import MishonError
from mishon_graph.evaluation.baselines import Target
from mishon_graph.evaluation.signals import History, Post
from mishon_graph.ingest.preprocess import normalise_hashtag
from mishon_graph.learn.evidence import (
    ALWAYS_NEEDED,
    GROUPS,
    SIGNALS,
    USER_SIGNALS,
    Corpus,
    EvidenceSettings,
    build_evidence,
    held_evidence,
    holdout,
    holdout_newcomers,
)
from mishon_graph.learn.hybrid import Ranker, RankerSettings, fit_ranker
from mishon_graph.recommend.baseline_runs import read_embeddings
from mishon_graph.recommend.evaluate import HISTORY_SPLITS, read_truth
from mishon_graph.recommend.write import write_recommendations

if TYPE_CHECKING:
    from mishon_graph.learn.data import ExportedGraph

MODEL = "mishon+"
ABLATIONS: dict[str, tuple[str, ...]] = {
    "no_graph": GROUPS["graph"],
    "no_gnn": GROUPS["gnn"],
    "no_social": GROUPS["social"],
    "no_history": GROUPS["history"],
    "no_content": GROUPS["content"],
}
# Groups the default model leaves out when validation says they do not help (learn.hybrid.select_signals):
# the graph's parts. History and content are what the baselines already count; the graph must earn its place.
OPTIONAL_GROUPS: tuple[str, ...] = ("graph", "gnn", "social")


@dataclass(frozen=True)
class HybridSettings:
    """Evidence and ranker settings, stored by ``mishon tune`` in ``<model_dir>/mishon+.json``."""

    evidence: EvidenceSettings = field(default_factory=EvidenceSettings)
    ranker: RankerSettings = field(default_factory=RankerSettings)

    def as_dict(self) -> dict:
        return {"evidence": asdict(self.evidence), "ranker": asdict(self.ranker)}

    @classmethod
    def from_dict(cls, d: dict) -> HybridSettings:
        try:
            return cls(EvidenceSettings(**d.get("evidence", {})), RankerSettings(**d.get("ranker", {})))
        except TypeError as exc:
            raise MishonError(f"bad mishon+ settings: {exc}") from None


def settings_path(config: Config) -> Path:
    return config.model_dir / f"{MODEL}.json"


def load_settings(config: Config) -> HybridSettings:
    """Tuned settings when ``mishon tune`` stored some, else the defaults."""
    path = settings_path(config)
    if not path.is_file():
        return HybridSettings()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MishonError(
            f"{path}: unreadable mishon+ settings ({exc}); delete it or rerun `mishon tune`"
        ) from None
    return HybridSettings.from_dict(data.get("settings", data))


def read_posts(runner: Runner) -> tuple[list[Post], dict[str, str]]:
    """Training posts and their captions."""
    rows = runner.run_file("recommend/history_posts", {"splits": list(HISTORY_SPLITS)})
    posts = [
        Post(r["video_id"], r["user_id"], r["created_at"] or "", tuple(sorted(r["hashtags"]))) for r in rows
    ]
    return posts, {r["video_id"]: r["text"] or "" for r in rows}


def read_targets(runner: Runner, split: str, users: str = "all") -> tuple[list[Target], dict[str, str]]:
    rows = runner.run_file("recommend/target_posts", {"split": split, "users": users})
    return [Target(r["video_id"], r["user_id"]) for r in rows], {r["video_id"]: r["text"] or "" for r in rows}


def read_similar(runner: Runner, video_ids: Sequence[str], batch: int) -> dict[str, list[tuple[str, float]]]:
    out: dict[str, list[tuple[str, float]]] = {}
    for i in range(0, len(video_ids), batch):
        rows = runner.run_file(
            "recommend/similar_neighbours",
            {"ids": list(video_ids[i : i + batch]), "splits": list(HISTORY_SPLITS)},
        )
        for r in rows:
            out.setdefault(r["video_id"], []).append((r["neighbour"], float(r["weight"])))
    return {v: sorted(pairs) for v, pairs in out.items()}  # the same evidence whatever order Neo4j returns


def read_links(runner: Runner) -> tuple[dict[str, list[tuple[str, float]]], list[tuple[str, float]]]:
    """JACCARD neighbours per user (both directions, sorted) and the popular users with their weight."""
    jaccard: dict[str, list[tuple[str, float]]] = {}
    popular: dict[str, float] = {}
    for r in runner.run_file("recommend/user_links"):
        if r["type"] == "JACCARD":
            jaccard.setdefault(r["source"], []).append((r["target"], float(r["weight"])))
            jaccard.setdefault(r["target"], []).append((r["source"], float(r["weight"])))
        else:
            popular[r["source"]] = float(r["weight"])
    return {u: sorted(pairs) for u, pairs in jaccard.items()}, sorted(popular.items())


def vocab_columns(hashtags: Sequence[str], vocab: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(source, target)`` column pairs that move scores over ``hashtags`` onto ``vocab``."""
    index = {h: i for i, h in enumerate(vocab)}
    pairs = [(i, index[h]) for i, h in enumerate(hashtags) if h in index]
    src = np.array([i for i, _ in pairs], dtype=np.int64)
    dst = np.array([j for _, j in pairs], dtype=np.int64)
    return src, dst


def on_vocab(row: np.ndarray, columns: tuple[np.ndarray, np.ndarray], size: int) -> np.ndarray:
    """One score row moved onto the vocabulary of :func:`vocab_columns` (0 for hashtags it lacks)."""
    full = np.zeros(size, dtype=np.float32)
    full[columns[1]] = row[columns[0]]
    return full


def gnn_probabilities(
    runner: Runner,
    config: Config,
    artifact: Path | None,
    splits: Sequence[str],
    vocab: Sequence[str],
    graph: ExportedGraph | None = None,
) -> dict[str, np.ndarray] | None:
    """The trained GNN's probabilities over ``vocab`` for the videos of ``splits`` (None: no artifact).

    ``graph``: the whole graph as :func:`~mishon_graph.learn.export.export_whole` returned it earlier
    in this process (scored instead of exporting it again).
    """
    if artifact is None or not Path(artifact).is_file():
        return None
    from mishon_graph.learn.export import export_whole
    from mishon_graph.learn.infer import score_videos

    if graph is None:
        graph = export_whole(runner, config, labels=False)
    scores = score_videos(runner, config, Path(artifact), split=list(splits), graph=graph)
    columns = vocab_columns(scores.hashtags, vocab)
    rows = zip(scores.video_ids, scores.scores, strict=True)
    return {vid: on_vocab(row, columns, len(vocab)) for vid, row in rows}


@dataclass
class HybridInputs:
    """The corpus plus the validation (fit) and scored targets."""

    corpus: Corpus
    valid: list[Target]
    valid_truth: dict[str, list[str]]
    targets: list[Target]


def read_inputs(
    runner: Runner,
    config: Config,
    *,
    split: str,
    artifact: Path | None,
    say: Callable[[str], None] = lambda _m: None,
    graph: ExportedGraph | None = None,
    held_out: bool = True,
) -> HybridInputs:
    """Everything :func:`fit_and_score` needs, read once (``graph``: see :func:`gnn_probabilities`;
    ``held_out``: also read the training videos' SIMILAR lists, which held-out posts need)."""
    say("mishon+: reading training posts, targets, links and embeddings")
    posts, texts = read_posts(runner)
    vocab = sorted({h for p in posts for h in p.hashtags})
    if not vocab:
        raise MishonError("no training video has hashtags: nothing to learn from")
    valid, valid_texts = read_targets(runner, constants.VALID, "existing")
    truth = read_truth(runner, constants.VALID, "existing")
    valid = [t for t in valid if truth.get(t.video_id)]
    targets, target_texts = read_targets(runner, split, "all")
    # training videos too: held out, they are the ranker's extra examples (learn.evidence.holdout)
    ids = sorted({t.video_id for t in valid} | {t.video_id for t in targets})
    if held_out:
        ids = sorted(set(ids) | {p.video_id for p in posts})
    jaccard, popular = read_links(runner)
    embeddings = read_embeddings(runner, [constants.TRAIN, constants.VALID, split])
    similar = read_similar(runner, ids, config.batch_rows)
    gnn = None
    if artifact is not None and Path(artifact).is_file():
        say(f"mishon+: GNN probabilities from {artifact}")
        gnn = gnn_probabilities(runner, config, artifact, sorted({constants.VALID, split}), vocab, graph)
    corpus = Corpus(
        history=History(posts, vocab),
        texts={**texts, **valid_texts, **target_texts},
        embeddings=embeddings,
        similar=similar,
        jaccard=jaccard,
        popular=popular,
        gnn=gnn,
        normalise=normalise_hashtag,
    )
    return HybridInputs(corpus, valid, truth, targets)


@dataclass
class HybridModel:
    """Fitted ``mishon+``: the existing-user and cold-start rankers, and how they read a corpus.

    Pure: :meth:`score` works on any :class:`Corpus` (the graph's test videos, or new uploads seen
    through :meth:`Corpus.with_targets`), so ``recommend`` and ``serve`` share one scoring path.
    A target whose poster has no training post is scored by ``cold`` as a newcomer.
    """

    vocab: list[str]
    evidence: EvidenceSettings
    existing: Ranker
    cold: Ranker | None
    signals: tuple[str, ...]
    cold_signals: tuple[str, ...]

    def is_cold(self, corpus: Corpus, target: Target) -> bool:
        return corpus.history.posts_of(target.user_id) == 0

    def score(self, corpus: Corpus, targets: Sequence[Target], *, chunk: int = 2048) -> np.ndarray:
        """``[len(targets), |H|]`` scores; rows of a group without a ranker stay 0.

        Args:
            corpus: The evidence (the one the rankers were fit on, or a view of it).
            targets: Videos to score, with their posters.
            chunk: Targets scored together (bounds memory at ``chunk x |H|`` per signal).
        """
        scores = np.zeros((len(targets), len(self.vocab)), dtype=np.float32)
        cold = [self.is_cold(corpus, t) for t in targets]
        groups = ((False, self.existing, self.signals), (True, self.cold, self.cold_signals))
        for is_cold, ranker, sig in groups:
            rows = [i for i in range(len(targets)) if cold[i] == is_cold]
            if not rows or ranker is None:
                continue
            # only what the ranker reads: groups validation left out are not computed
            needed = tuple(s for s in sig if s in ranker.names or s in ALWAYS_NEEDED)
            for start in range(0, len(rows), chunk):
                part = rows[start : start + chunk]
                ev = build_evidence(
                    corpus, [targets[i] for i in part], self.evidence, as_new_user=is_cold, signals=needed
                )
                scores[part] = ranker.score(ev)
        return scores


def fit_hybrid(
    inputs: HybridInputs,
    settings: HybridSettings,
    *,
    exclude: Sequence[str] = (),
    k: int = 5,
    cold: bool | None = None,
) -> HybridModel:
    """Fit the existing-user ranker, and the cold-start one, on the validation videos.

    Args:
        inputs: From :func:`read_inputs`.
        settings: Evidence and ranker settings.
        exclude: Signals left out (ablations: a fixed set of signals, so no group is dropped on top;
            without it, each ranker may leave out the :data:`OPTIONAL_GROUPS` validation finds no help in).
        k: Cut-off of the validation guard.
        cold: Fit the cold-start ranker: ``None`` only when a target of ``inputs`` needs it,
            ``True`` always (new uploads may come from new users).
    """
    corpus, vocab = inputs.corpus, list(inputs.corpus.history.vocab)
    names = tuple(s for s in SIGNALS if s not in set(exclude))
    if corpus.gnn is None:
        names = tuple(s for s in names if s != "gnn")
    if not names:
        raise MishonError("mishon+ needs at least one signal")
    ev_valid = build_evidence(corpus, inputs.valid, settings.evidence, signals=names)
    rs = settings.ranker
    groups = None if exclude else {g: GROUPS[g] for g in OPTIONAL_GROUPS}
    held = {
        False: holdout(corpus, rs.holdout) if rs.holdout > 0 else None,
        True: holdout_newcomers(corpus, rs.newcomers, rs.seed) if rs.newcomers > 0 else None,
    }

    def fit(ev, as_new_user: bool, sig: tuple[str, ...]) -> Ranker:
        more = held_evidence(held[as_new_user], settings.evidence, as_new_user=as_new_user, signals=sig)
        return fit_ranker(ev, inputs.valid_truth, vocab, sig, rs, k=k, extra=more, groups=groups)

    existing = fit(ev_valid, False, names)
    cold_names = tuple(s for s in names if s not in USER_SIGNALS)
    if cold is None:
        cold = any(corpus.history.posts_of(t.user_id) == 0 for t in inputs.targets)
    cold_ranker = None
    if cold and cold_names:
        ev_new = build_evidence(corpus, inputs.valid, settings.evidence, as_new_user=True, signals=cold_names)
        cold_ranker = fit(ev_new, True, cold_names)
    return HybridModel(vocab, settings.evidence, existing, cold_ranker, names, cold_names)


@dataclass
class HybridResult:
    """Scores of the targets and what the rankers measured on validation."""

    targets: list[Target]
    vocab: list[str]
    scores: np.ndarray
    existing: Ranker
    cold: Ranker | None
    signals: tuple[str, ...]

    def report(self) -> dict:
        out = {"signals": list(self.signals), "existing": ranker_report(self.existing)}
        if self.cold is not None:
            out["cold"] = ranker_report(self.cold)
        return out


def ranker_report(ranker: Ranker) -> dict:
    """What a fitted ranker reads and what it measured on validation (the run report's part)."""
    return {
        "chosen": ranker.chosen,
        "signals": list(ranker.names),
        "dropped": list(ranker.dropped),
        "valid_f1": ranker.validation,
        "selection": ranker.selection,
    }


def fit_and_score(
    inputs: HybridInputs,
    settings: HybridSettings,
    *,
    exclude: Sequence[str] = (),
    k: int = 5,
    chunk: int = 2048,
) -> HybridResult:
    """Fit the existing-user and cold-start rankers on validation (:func:`fit_hybrid`), then score
    the targets (:meth:`HybridModel.score`).

    Args:
        inputs: From :func:`read_inputs`.
        settings: Evidence and ranker settings.
        exclude: Signals left out (ablations).
        k: Cut-off of the validation guard.
        chunk: Targets scored together (bounds memory at ``chunk x |H|`` per signal).
    """
    model = fit_hybrid(inputs, settings, exclude=exclude, k=k)
    scores = model.score(inputs.corpus, inputs.targets, chunk=chunk)
    return HybridResult(list(inputs.targets), model.vocab, scores, model.existing, model.cold, model.signals)


def recommend_hybrid(
    runner: Runner,
    config: Config,
    *,
    k: int = 10,
    split: str = constants.TEST,
    artifact: Path | None = None,
    run_id: str | None = None,
    exclude: Sequence[str] = (),
    model: str = MODEL,
    settings: HybridSettings | None = None,
    inputs: HybridInputs | None = None,
    say: Callable[[str], None] = lambda _m: None,
) -> tuple[str, HybridResult]:
    """Fit ``mishon+`` and write its top-``k`` for the ``split`` videos as one RECOMMENDS run.

    Returns:
        The run id and the :class:`HybridResult` (validation figures in ``report()``, also written to
        ``<runs_dir>/<run id>.json``).
    """
    from mishon_graph.recommend.runs import new_run_id

    if split not in constants.SPLITS:
        raise MishonError(f"unknown split {split!r}; choose from {', '.join(constants.SPLITS)}")
    settings = settings or load_settings(config)
    if inputs is None:
        held_out = settings.ranker.holdout > 0 or settings.ranker.newcomers > 0
        inputs = read_inputs(runner, config, split=split, artifact=artifact, say=say, held_out=held_out)
    if not inputs.targets:
        raise MishonError(f"no {split} videos to recommend for")
    say(f"mishon+: fitting the ranker on {len(inputs.valid)} validation videos")
    result = fit_and_score(inputs, settings, exclude=exclude, k=config.k)
    run_id = run_id or new_run_id(model)
    report_path = config.runs_dir / f"{run_id}.json"
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(
        json.dumps({"run_id": run_id, "model": model, **result.report()}, indent=1), encoding="utf-8"
    )
    write_recommendations(
        runner,
        [t.video_id for t in result.targets],
        result.vocab,
        result.scores,
        k=min(k, len(result.vocab)),
        model=model,
        run_id=run_id,
        batch_size=config.batch_rows,
    )
    return run_id, result


def tune_and_store(
    runner: Runner,
    config: Config,
    *,
    minutes: float,
    artifact: Path | None = None,
    max_trials: int | None = None,
    say: Callable[[str], None] = lambda _m: None,
    on_trial: Callable[[int, float, float], None] | None = None,
) -> tuple[Path, dict]:
    """Tune ``mishon+`` on the validation split (:func:`mishon_graph.learn.tune.tune`) and store the
    best settings where ``recommend`` and ``evaluate`` read them; returns (path, summary)."""
    import os
    import tempfile
    import time

    from mishon_graph.learn.tune import tune

    inputs = read_inputs(runner, config, split=constants.TEST, artifact=artifact, say=say)
    names = tuple(s for s in SIGNALS if s != "gnn" or inputs.corpus.gnn is not None)
    start = load_settings(config)
    say(
        f"tuning mishon+ for {minutes:g} min on {len(inputs.valid)} validation videos "
        f"(cross-fitted F1@{config.k})"
    )
    result = tune(
        inputs.corpus,
        inputs.valid,
        inputs.valid_truth,
        names,
        (start.evidence, start.ranker),
        minutes=minutes,
        k=config.k,
        seed=config.seed,
        max_trials=max_trials,
        on_trial=on_trial,
    )
    best = HybridSettings(result.evidence, result.ranker)
    summary = {
        "settings": best.as_dict(),
        "valid_f1": result.best_f1,
        "start_valid_f1": result.start_f1,
        "trials": len(result.trials),
        "seconds": round(result.seconds, 1),
        "k": config.k,
        "gnn": inputs.corpus.gnn is not None,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    path = settings_path(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".mishon+-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=1)
    os.replace(tmp, path)
    return path, summary
