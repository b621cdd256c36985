"""Evaluate a stored run: RECOMMENDS lists read from Neo4j against the test videos' TAGGED hashtags.

What is evaluated is what users query. The ground truth is every hashtag a test video carries,
also those outside the training vocabulary (no model can recommend them, but hiding them would
inflate recall). Test videos the run has no list for count as misses.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from mishon_graph import constants
from mishon_graph.db.protocol import Runner
from mishon_graph.errors import MishonError
from mishon_graph.evaluation.metrics import Metrics, evaluate_lists

USER_GROUPS: tuple[str, ...] = ("existing", "cold", "all")
HISTORY_SPLITS: tuple[str, ...] = (constants.TRAIN,)


def read_truth(runner: Runner, split: str = constants.TEST, users: str = "existing") -> dict[str, list[str]]:
    """Video id -> ground-truth hashtags for the videos of ``split`` posted by the ``users`` group."""
    if split not in constants.SPLITS:
        raise MishonError(f"unknown split {split!r}; choose from {', '.join(constants.SPLITS)}")
    if users not in USER_GROUPS:
        raise MishonError(f"unknown user group {users!r}; choose from {', '.join(USER_GROUPS)}")
    rows = runner.run_file("recommend/truth", {"split": split, "users": users})
    return {r["video_id"]: sorted(r["hashtags"]) for r in rows}


def read_run(runner: Runner, run_id: str, split: str = constants.TEST) -> dict[str, list[str]]:
    """Video id -> the run's recommended hashtags in rank order, for videos of ``split``."""
    ranked: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for r in runner.run_file("recommend/run_lists", {"run_id": run_id, "split": split}):
        ranked[r["video_id"]].append((int(r["rank"]), r["hashtag"]))
    return {v: [h for _, h in sorted(pairs)] for v, pairs in ranked.items()}


def check_ks(runner: Runner, run_id: str, ks: Iterable[int]) -> list[int]:
    """Validate the cut-offs against the run and the vocabulary; returns them sorted.

    Raises:
        MishonError: The run has no RECOMMENDS, a K is < 1, larger than the training vocabulary or
            larger than the lists the run stored.
    """
    ks = sorted(set(ks))
    if not ks or ks[0] < 1:
        raise MishonError(f"K values must be >= 1, got {ks}")
    summary = runner.run_file("recommend/run_summary", {"run_id": run_id})[0]
    if not summary["n"]:
        raise MishonError(f"run {run_id!r} has no RECOMMENDS relationships: run `mishon recommend` first")
    vocab = runner.run_file("recommend/vocabulary_size", {"splits": list(HISTORY_SPLITS)})[0]["n"]
    if ks[-1] > vocab:
        raise MishonError(f"K = {ks[-1]} is larger than the training vocabulary ({vocab} hashtags)")
    if ks[-1] > summary["max_rank"]:
        raise MishonError(
            f"run {run_id!r} stores only {summary['max_rank']} hashtags per video; "
            f"evaluate with K <= {summary['max_rank']} or rerun `mishon recommend --k {ks[-1]}`"
        )
    return ks


def evaluate_run(
    runner: Runner,
    run_id: str,
    ks: Iterable[int] = range(1, 10),
    split: str = constants.TEST,
    users: str = "existing",
) -> dict[int, Metrics]:
    """Hit, precision, recall and F1 at each K of a stored run (MISHON.md "Metrics at K").

    Args:
        runner: The database.
        run_id: The RECOMMENDS run to evaluate.
        ks: Cut-offs (the paper: 1..9, reporting 5).
        split: Split whose videos are evaluated.
        users: ``existing`` (not cold-start), ``cold`` (held-out users) or ``all``.

    Returns:
        K -> :class:`Metrics`.
    """
    ks = check_ks(runner, run_id, ks)
    truth = read_truth(runner, split, users)
    if not any(truth.values()):
        raise MishonError(f"no {split} video of {users} users has ground-truth hashtags")
    ranked = read_run(runner, run_id, split)
    if not any(v in ranked for v in truth):
        raise MishonError(f"run {run_id!r} holds no recommendation for the {split} videos of {users} users")
    return evaluate_lists(ranked, truth, ks)
