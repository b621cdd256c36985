"""Model runs: score videos with a trained artifact and store the top-K as a RECOMMENDS run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mishon_graph import constants
from mishon_graph.config import Config
from mishon_graph.db.protocol import Row, Runner
from mishon_graph.errors import MishonError
from mishon_graph.recommend.write import write_scores


@dataclass(frozen=True)
class RunSummary:
    """What :func:`recommend_with_model` wrote."""

    run_id: str
    model: str
    videos: int
    relationships: int
    k: int


def new_run_id(model: str) -> str:
    """``<model>-<UTC timestamp>``: a fresh id per invocation."""
    return f"{model}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}"


def parse_videos(spec: str) -> tuple[list[str] | None, str | None]:
    """``test`` / ``valid`` / ``train`` / ``all`` / ``id,id,...`` -> (video ids, split)."""
    if spec in constants.SPLITS:
        return None, spec
    if spec == "all":
        return None, None
    ids = [v.strip() for v in spec.split(",") if v.strip()]
    if not ids:
        raise MishonError("--videos needs test, valid, train, all or a comma-separated list of video ids")
    return ids, None


def check_videos(runner: Runner, video_ids: Sequence[str]) -> None:
    """One-line error naming the first video id that is not in the graph."""
    missing = runner.run_file("recommend/missing_videos", {"ids": list(video_ids)})[0]["missing"]
    if missing:
        raise MishonError(f"unknown video id {missing[0]!r}: not in the graph")


def recommend_with_model(
    runner: Runner,
    config: Config,
    *,
    artifact: Path,
    k: int = 10,
    videos: str = constants.TEST,
    run_id: str | None = None,
    model: str | None = None,
) -> RunSummary:
    """Score videos with a trained artifact and write their top-``k`` as one run.

    Args:
        runner: The database.
        config: Device, paths and batch sizes.
        artifact: Model file written by training.
        k: Hashtags stored per video.
        videos: ``test``/``valid``/``train``/``all`` or comma-separated video ids.
        run_id: Run to (re)write; default ``<model>-<timestamp>``.
        model: Name stored on the run; default the artifact's variant.

    Returns:
        A :class:`RunSummary`.
    """
    from mishon_graph.learn.artifact import load_artifact
    from mishon_graph.learn.infer import score_videos

    ids, split = parse_videos(videos)
    if ids is not None:
        check_videos(runner, ids)
    name = model or str(load_artifact(artifact).meta.get("variant", "mishon"))
    scores = score_videos(runner, config, artifact, video_ids=ids, split=split)
    if not scores.video_ids:
        raise MishonError(f"no videos to recommend for ({videos})")
    if k > len(scores.hashtags):
        raise MishonError(f"K = {k} is larger than the model's vocabulary ({len(scores.hashtags)} hashtags)")
    run = run_id or new_run_id(name)
    n = write_scores(runner, scores, k=k, model=name, run_id=run, batch_size=config.batch_rows)
    return RunSummary(run, name, len(scores.video_ids), n, k)


def list_runs(runner: Runner, split: str | None = None) -> list[Row]:
    """Stored runs, newest first: ``run_id``, ``model``, ``n``, ``created_at`` (``split``: only runs
    holding recommendations for that split's videos, ``n`` counting those)."""
    if split is None:
        return runner.run_file("recommend/runs")
    return runner.run_file("recommend/runs_of_split", {"split": split})


def latest_run(runner: Runner, model: str = "mishon", split: str | None = None) -> str:
    """Id of the newest stored run of ``model`` (that holds ``split`` videos, when given)."""
    for row in list_runs(runner, split):
        if row["model"] == model:
            return str(row["run_id"])
    where = f" for the {split} videos" if split else ""
    raise MishonError(
        f"no stored {model} run{where}: run `mishon recommend"
        f"{f' --split {split}' if split else ''}` first or pass --run-id"
    )


def run_model(runner: Runner, run_id: str) -> str | None:
    """The ``model`` a stored run was written by (``None``: no such run)."""
    for row in list_runs(runner):
        if row["run_id"] == run_id:
            return str(row["model"])
    return None
