"""One evaluation: MISHON's stored run, the baselines and (optionally) the ablations, same split.

Every method is a RECOMMENDS run in the graph, evaluated by the same
:func:`~mishon_graph.recommend.evaluate.evaluate_run`: existing users' test videos for the main
table, cold-start users' test videos for the cold-start table (C = content only vs SC = MISHON).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mishon_graph import constants
from mishon_graph.config import Config
from mishon_graph.db.runner import Runner
from mishon_graph.evaluation.metrics import Metrics
from mishon_graph.evaluation.report import markdown_table, write_report
from mishon_graph.recommend.baselines import write_baselines
from mishon_graph.recommend.evaluate import check_ks, evaluate_run, read_truth
from mishon_graph.recommend.runs import latest_run
from mishon_graph.recommend.write import write_scores

if TYPE_CHECKING:
    from mishon_graph.learn.data import ExportedGraph

MISHON = "MISHON"
BASELINE_LABELS = {
    "popular": "most popular", "user": "user's own frequent", "cooccurrence": "co-occurrence",
    "knn": "content kNN",
}
ABLATION_LABELS = {
    "no_attention": "without attention", "no_refinement": "without feature refinement",
    "homogeneous": "homogeneous edges only", "heterogeneous": "heterogeneous edges only",
}
CONTENT_ONLY = "content_only"
COLD_LABELS = {CONTENT_ONLY: "cold-start C (content only)", MISHON: "cold-start SC (MISHON)"}


@dataclass
class Evaluation:
    """Results per user group: method -> K -> metrics, with the run behind each method."""

    existing: dict[str, dict[int, Metrics]] = field(default_factory=dict)
    cold: dict[str, dict[int, Metrics]] = field(default_factory=dict)
    runs: dict[str, str] = field(default_factory=dict)
    paths: dict[str, dict[str, Path]] = field(default_factory=dict)
    table_k: int = 5

    def tables(self) -> str:
        """Both Markdown tables (cold-start only when there are cold-start test videos)."""
        out = "Existing users (test split)\n\n" + markdown_table(self.existing, self.table_k)
        if self.cold:
            out += "\nCold-start users (test split)\n\n" + markdown_table(self.cold, self.table_k)
        return out


def train_variant_run(
    runner: Runner, config: Config, variant: str, *, k: int, split: str, progress: bool,
    graph: ExportedGraph | None = None,
) -> str:
    """Train one model variant, score ``split`` and store it as run ``ablation-<variant>``.

    ``graph`` (a whole-graph export of the current graph) is trained on and scored; ``None``
    exports it once here for both.
    """
    from mishon_graph.learn.infer import score_videos
    from mishon_graph.learn.train import export_for_training, train

    if graph is None:
        graph = export_for_training(runner, config)
    result = train(runner, config, out=config.model_dir / f"{variant}.pt", variant=variant, progress=progress,
                   graph=graph)
    scores = score_videos(runner, config, result.artifact, split=split, graph=graph)
    run_id = f"ablation-{variant}"
    write_scores(runner, scores, k=min(k, len(scores.hashtags)), model=variant, run_id=run_id,
                 batch_size=config.batch_rows)
    return run_id


def evaluate_all(
    runner: Runner,
    config: Config,
    *,
    run_id: str | None = None,
    ks: Iterable[int] = range(1, 10),
    baselines: bool = True,
    ablations: bool = False,
    split: str = constants.TEST,
    out_dir: Path | None = None,
    neighbours: int = 20,
    progress: bool = False,
    notify: Callable[[str], None] | None = None,
) -> Evaluation:
    """Evaluate MISHON's run with baselines and ablations on the same split; write the report.

    Args:
        runner: The database.
        config: Used to train ablations (``model_dir``, hyper-parameters).
        run_id: MISHON's run (default: the newest run of model ``mishon``).
        ks: Cut-offs.
        baselines: Write and evaluate the four baselines.
        ablations: Train, score, write and evaluate each ablation and the content-only model.
        split: Split evaluated (``test``; ``valid`` for tuning).
        out_dir: Where ``existing/`` and ``cold_start/`` reports go (``None``: not written).
        neighbours: Voting neighbours of the content k-NN baseline.
        progress: Show training progress bars.
        notify: Called with a one-line message before each step.
    """
    say = notify or (lambda _msg: None)
    ks = sorted(set(ks))
    k_max = ks[-1]
    ev = Evaluation(table_k=5 if 5 in ks else k_max)
    ev.runs[MISHON] = run_id or latest_run(runner, "mishon")
    check_ks(runner, ev.runs[MISHON], ks)  # fail before writing baselines or training ablations
    has_cold = any(read_truth(runner, split, "cold").values())
    if baselines:
        say("writing baseline runs")
        for name, rid in write_baselines(runner, k=k_max, split=split, neighbours=neighbours).items():
            ev.runs[BASELINE_LABELS[name]] = rid
    if ablations:
        from mishon_graph.learn.train import export_for_training

        # One export for every variant: RECOMMENDS runs written in between are not part of it.
        graph = export_for_training(runner, config)
        for variant, label in ABLATION_LABELS.items():
            say(f"training ablation {variant}")
            ev.runs[label] = train_variant_run(
                runner, config, variant, k=k_max, split=split, progress=progress, graph=graph
            )
        if has_cold:
            say("training content-only model (cold-start C)")
            ev.runs[COLD_LABELS[CONTENT_ONLY]] = train_variant_run(
                runner, config, CONTENT_ONLY, k=k_max, split=split, progress=progress, graph=graph
            )
        else:
            say("no cold-start test videos: content-only model (cold-start C) skipped")
    say("evaluating stored runs")
    for method, rid in ev.runs.items():
        if method != COLD_LABELS[CONTENT_ONLY]:
            ev.existing[method] = evaluate_run(runner, rid, ks, split, "existing")
    if has_cold:
        for method, rid in ev.runs.items():
            if method in ABLATION_LABELS.values():
                continue
            label = COLD_LABELS[MISHON] if method == MISHON else method
            ev.cold[label] = evaluate_run(runner, rid, ks, split, "cold")
    if out_dir is not None:
        ev.paths["existing"] = write_report(ev.existing, out_dir / "existing", k=ev.table_k,
                                            title="Existing users")
        if ev.cold:
            ev.paths["cold_start"] = write_report(ev.cold, out_dir / "cold_start", k=ev.table_k,
                                                  title="Cold-start users")
    return ev
