"""Run the honest baselines on the graph: read training rows, score, write each as its own run.

Each baseline becomes a RECOMMENDS run (``model`` = the baseline's name) and is then evaluated by
the same :func:`~mishon_graph.recommend.evaluate.evaluate_run` as MISHON. Only training videos'
hashtags are read (no leakage); test videos contribute their poster and content embeddings.
"""

from __future__ import annotations

from collections.abc import Sequence

from mishon_graph import constants
from mishon_graph.db.protocol import Runner
from mishon_graph.errors import MishonError
from mishon_graph.evaluation.baselines import BASELINES, HistoryPost, Target, baseline_scores, vocabulary
from mishon_graph.recommend.evaluate import HISTORY_SPLITS
from mishon_graph.recommend.write import write_recommendations

Embeddings = dict[str, dict[str, list[float]]]
_MODALITY_OF_LABEL = {label: name for name, label in constants.MODALITIES.items()}


def read_history(runner: Runner, splits: Sequence[str] = HISTORY_SPLITS) -> list[HistoryPost]:
    """Training videos with poster and hashtags, sorted by video id."""
    rows = runner.run_file("recommend/history", {"splits": list(splits)})
    return sorted(
        (HistoryPost(r["video_id"], r["user_id"], tuple(sorted(r["hashtags"]))) for r in rows),
        key=lambda p: p.video_id,
    )


def read_targets(runner: Runner, split: str = constants.TEST, users: str = "all") -> list[Target]:
    """Videos of ``split`` posted by the ``users`` group, with their posters."""
    rows = runner.run_file("recommend/target_posts", {"split": split, "users": users})
    return [Target(r["video_id"], r["user_id"]) for r in rows]


def read_embeddings(runner: Runner, splits: Sequence[str]) -> Embeddings:
    """Modality name -> video id -> embedding, for videos of ``splits``."""
    out: Embeddings = {}
    for r in runner.run_file("recommend/embeddings", {"splits": list(splits)}):
        for label in r["labels"]:
            if label in _MODALITY_OF_LABEL:
                out.setdefault(_MODALITY_OF_LABEL[label], {})[r["video_id"]] = r["embedding"]
    return out


def write_baselines(
    runner: Runner,
    names: Sequence[str] = BASELINES,
    *,
    k: int = 10,
    split: str = constants.TEST,
    users: str = "all",
    run_prefix: str = "baseline-",
    neighbours: int = 20,
    history_splits: Sequence[str] = HISTORY_SPLITS,
    batch_size: int = 1000,
) -> dict[str, str]:
    """Score the ``split`` videos with each baseline and write each as run ``<run_prefix><name>``.

    Args:
        runner: The database.
        names: Baselines to run (see :data:`~mishon_graph.evaluation.baselines.BASELINES`).
        k: Hashtags stored per video (at least the largest K to evaluate).
        split: Split to recommend for.
        users: User group whose videos get recommendations.
        run_prefix: Prefix of each baseline's run id.
        neighbours: Voting neighbours of the content k-NN baseline.
        history_splits: Splits whose hashtags the baselines learn from (training only).
        batch_size: Relationships per write transaction.

    Returns:
        Baseline name -> run id.
    """
    unknown = [n for n in names if n not in BASELINES]
    if unknown:
        raise MishonError(f"unknown baseline {unknown[0]!r}; choose from {', '.join(BASELINES)}")
    history = read_history(runner, history_splits)
    targets = read_targets(runner, split, users)
    if not targets:
        raise MishonError(f"no {split} videos of {users} users to recommend for")
    vocab = vocabulary(history)
    target_emb = history_emb = None
    if "knn" in names:
        history_emb = read_embeddings(runner, history_splits)
        target_emb = read_embeddings(runner, [split])
    runs: dict[str, str] = {}
    for name in names:
        scores = baseline_scores(
            name, history, targets, vocab,
            target_embeddings=target_emb, history_embeddings=history_emb, neighbours=neighbours,
        )
        run_id = f"{run_prefix}{name}"
        write_recommendations(
            runner, [t.video_id for t in targets], vocab, scores,
            k=min(k, len(vocab)), model=name, run_id=run_id, batch_size=batch_size,
        )
        runs[name] = run_id
    return runs
