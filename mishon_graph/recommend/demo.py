"""``mishon demo``: the whole pipeline end to end on one machine, nothing downloaded.

synthetic micro-videos with real media (or a loader's dataset) -> ingest -> features -> graph ->
train -> recommend (the paper's MISHON and the default mishon+) -> evaluate (+ baselines). Stages
are imported inside the function so that this module stays light and the pipeline reads top to
bottom.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from mishon_graph.config import Config
from mishon_graph.db.runner import Runner
from mishon_graph.recommend.experiment import Evaluation, evaluate_all
from mishon_graph.recommend.hybrid import MODEL as HYBRID
from mishon_graph.recommend.hybrid import recommend_hybrid
from mishon_graph.recommend.runs import RunSummary, recommend_with_model

DEMO_RUN = "demo-mishon"
DEMO_HYBRID_RUN = "demo-mishon+"


@dataclass
class DemoResult:
    """What the demo produced."""

    data_dir: Path
    run: RunSummary
    evaluation: Evaluation
    report_dir: Path


def run_demo(
    runner: Runner,
    config: Config,
    *,
    dataset: Path | None = None,
    dataset_format: str = "canonical",
    preset: str = "demo",
    k: int = 10,
    ks: Iterable[int] = range(1, 10),
    baselines: bool = True,
    progress: bool = True,
    notify: Callable[[str], None] | None = None,
) -> DemoResult:
    """Run every stage and return the evaluation.

    Args:
        runner: The database (the demo writes into it like the stage commands do).
        config: Settings for every stage (e.g. a low ``min_hashtag_freq`` for small data).
        dataset: A dataset to load instead of generating the synthetic one.
        dataset_format: Loader name for ``dataset`` (``canonical``, ``twitter``, ...).
        preset: Synthetic preset when ``dataset`` is ``None``.
        k: Hashtags stored per test video.
        ks: Cut-offs evaluated.
        baselines: Evaluate the baselines too.
        progress: Progress bars in the stages.
        notify: Called with a one-line message at each stage.
    """
    from mishon_graph.features.extract import extract_features
    from mishon_graph.graph.build import build_graph
    from mishon_graph.ingest.pipeline import ingest
    from mishon_graph.learn.train import train
    from mishon_graph.loaders import load_dataset
    from mishon_graph.loaders.synthetic import SyntheticSpec, generate

    say = notify or (lambda _msg: None)
    if dataset is None:
        data_dir = config.home / f"{preset}-data"
        say(f"generating the synthetic {preset!r} dataset in {data_dir}")
        generate(data_dir, SyntheticSpec.preset(preset))
        dataset, dataset_format = data_dir, "canonical"
    say(f"ingesting {dataset} ({dataset_format})")
    ingest(runner, load_dataset(Path(dataset), dataset_format), config, progress=progress)
    say("extracting features")
    extract_features(runner, config, progress=progress)
    say("building graph edges")
    build_graph(runner, config, progress=progress)
    say("training MISHON")
    result = train(runner, config, variant="mishon", progress=progress)
    say("writing the paper model's recommendations for the test videos")
    recommend_with_model(runner, config, artifact=result.artifact, k=k, run_id=DEMO_RUN, model="mishon")
    say("fitting mishon+ on the validation videos and writing its recommendations")
    hybrid_run, hybrid = recommend_hybrid(
        runner, config, k=k, artifact=result.artifact, run_id=DEMO_HYBRID_RUN, say=say
    )
    written = int(runner.run_file("recommend/run_summary", {"run_id": hybrid_run})[0]["n"])
    run = RunSummary(hybrid_run, HYBRID, len(hybrid.targets), written, k)
    report_dir = config.runs_dir / "demo"
    say("evaluating mishon+, MISHON and baselines")
    evaluation = evaluate_all(
        runner, config, run_id=run.run_id, ks=ks, baselines=baselines, out_dir=report_dir, notify=say
    )
    return DemoResult(Path(dataset), run, evaluation, report_dir)

