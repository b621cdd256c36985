"""``mishon demo``: the whole pipeline end to end on one machine, nothing downloaded.

synthetic micro-videos with real media (or a loader's dataset) -> ingest -> features -> graph ->
train -> recommend (the paper's MISHON and the default mishon+) -> evaluate (+ baselines). Stages
are imported inside the function so that this module stays light and the pipeline reads top to
bottom.

The demo never replaces the user's graph or model. It keeps everything in its own home
(:func:`demo_place`: ``<home>/demo`` by default), so its managed Neo4j, features, models and reports
are not the user's. When the graph goes elsewhere (``NEO4J_URI``, or a home the demo did not create),
:func:`check_target` lets the demo write only into a database that is empty or already holds the
demo's dataset, unless ``replace`` is asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from mishon_graph.config import Config
from mishon_graph.db.protocol import Runner
from mishon_graph.errors import MishonError
from mishon_graph.recommend.experiment import Evaluation, evaluate_all
from mishon_graph.recommend.hybrid import MODEL as HYBRID
from mishon_graph.recommend.hybrid import recommend_hybrid
from mishon_graph.recommend.runs import RunSummary, recommend_with_model

DEMO_RUN = "demo-mishon"
DEMO_HYBRID_RUN = "demo-mishon+"
DEMO_HOME = "demo"  # under the user's home
# Written into a home the demo created, so that it knows the home (and its managed Neo4j) as its own.
HOME_MARKER = ".mishon-demo-home"


@dataclass(frozen=True)
class DemoPlace:
    """Where the demo writes.

    Attributes:
        config: The demo's settings: ``home`` is the demo's home (data, managed Neo4j, features,
            feature cache, models, reports).
        user_home: The home the user's commands use.
        own_home: The demo's home is its own (it created it), not one holding the user's work.
        own_database: The graph goes into the managed Neo4j under the demo's own home.
    """

    config: Config
    user_home: Path
    own_home: bool
    own_database: bool

    @property
    def home(self) -> Path:
        return self.config.home

    def describe_graph(self) -> str:
        if self.config.neo4j_uri:
            return f"database {self.config.neo4j_database!r} at {self.config.neo4j_uri} (NEO4J_URI)"
        return f"the Neo4j managed under {self.config.neo4j_dir}"

    def claim_home(self) -> None:
        """Create the demo's own home and mark it as the demo's."""
        if self.own_home:
            self.home.mkdir(parents=True, exist_ok=True)
            (self.home / HOME_MARKER).write_text("created by `mishon demo`\n", encoding="utf-8")


def demo_place(config: Config, home: Path | None = None) -> DemoPlace:
    """The demo's home and database for the user's ``config``.

    Args:
        config: The user's settings (their home, ``NEO4J_*``).
        home: The demo's home (default ``<home>/demo``). A directory that exists, is not empty and
            was not created by the demo is treated as someone's work: the demo then checks the
            database and the model before writing (see :func:`check_target`).
    """
    demo_home = Path(home).expanduser() if home is not None else config.home / DEMO_HOME
    own = demo_home.resolve() != config.home.resolve() and (
        (demo_home / HOME_MARKER).is_file() or not demo_home.exists() or not any(demo_home.iterdir())
    )
    # The feature cache follows the demo's home too (MISHON_FEATURE_CACHE is the user's).
    demo = config.replace(home=demo_home, feature_cache=None)
    return DemoPlace(demo, config.home, own, own and not config.neo4j_uri)


@dataclass(frozen=True)
class Occupancy:
    """What a database holds before the demo writes.

    Attributes:
        nodes: Every node, whoever wrote it.
        source: The dataset of the last ``ingest`` (``None`` when nothing was ingested).
        sources: The datasets its videos and users come from.
    """

    nodes: int
    source: str | None
    sources: tuple[str, ...] = ()

    def only(self, source: str) -> bool:
        """Empty, or holding ``source`` alone."""
        return self.nodes == 0 or (self.source == source and set(self.sources) <= {source})


def occupancy(runner: Runner) -> Occupancy:
    from mishon_graph.ingest.state import holdings

    row = runner.run_file("demo/target", {"name": "ingest"})[0]
    sources = tuple(h.source for h in holdings(runner))
    return Occupancy(int(row["nodes"]), row["source"], sources)


def check_target(
    runner: Runner,
    place: DemoPlace,
    source: str,
    *,
    replace: bool = False,
    say: Callable[[str], None] | None = None,
) -> None:
    """Make sure the demo may write dataset ``source`` into ``runner``'s database and its model.

    The demo writes freely into an empty database or one that holds ``source`` already (an earlier
    demo). A database holding anything else is emptied first when it is the demo's own managed one or
    ``replace`` is true; otherwise nothing is written. Likewise models in a home that is not the
    demo's own are overwritten only when the database holds ``source`` already, or with ``replace``.

    Raises:
        MishonError: The database holds another dataset (or the home another model) and ``replace``
            is false; nothing was written.
    """
    held = occupancy(runner)
    ours = held.only(source)
    models = place.config.model_dir
    model_clash = (
        not place.own_home and models.is_dir() and any(models.iterdir()) and held.source != source
    )
    if ours and not model_clash:
        return
    others = sorted({s for s in (held.source, *held.sources) if s and s != source})
    named = f"dataset {', '.join(map(repr, others))}" if others else "data that no `mishon ingest` wrote"
    if not (place.own_database or replace):
        what = []
        if not ours:
            what.append(f"{place.describe_graph()} holds {held.nodes} nodes of {named}")
        if model_clash:
            what.append(f"{models} holds models that are not the demo's")
        own = place.user_home / DEMO_HOME
        instead = (
            f"unset NEO4J_URI to let the demo use its own Neo4j under {own}"
            if place.config.neo4j_uri
            else f"leave out --demo-home to let the demo use its own home {own}"
        )
        raise MishonError(
            f"the demo would replace your work: {'; '.join(what)}. Nothing was written: {instead}, "
            "or add --replace to let it replace that graph and those models."
        )
    if not ours:
        from mishon_graph.db.schema import wipe

        (say or (lambda _msg: None))(f"emptying {place.describe_graph()} ({held.nodes} nodes of {named})")
        wipe(runner)


@dataclass
class DemoResult:
    """What the demo produced."""

    data_dir: Path
    run: RunSummary
    evaluation: Evaluation
    report_dir: Path


def run_demo(
    runner: Runner,
    place: DemoPlace,
    *,
    replace: bool = False,
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
        place: Where the demo writes and its settings for every stage (:func:`demo_place`; e.g. a low
            ``min_hashtag_freq`` for small data).
        replace: Replace a graph (and model) that holds another dataset; see :func:`check_target`.
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
    config = place.config
    place.claim_home()
    if dataset is None:
        data_dir = config.home / f"{preset}-data"
        # Checked before the (slow) generation; the canonical loader names the dataset after its folder.
        check_target(runner, place, data_dir.resolve().name, replace=replace, say=say)
        say(f"generating the synthetic {preset!r} dataset in {data_dir}")
        generate(data_dir, SyntheticSpec.preset(preset))
        dataset, dataset_format = data_dir, "canonical"
    loaded = load_dataset(Path(dataset), dataset_format)
    check_target(runner, place, loaded.name, replace=replace, say=say)
    say(f"ingesting {dataset} ({dataset_format}) into {place.describe_graph()}")
    ingest(runner, loaded, config, replace=replace, progress=progress)
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

