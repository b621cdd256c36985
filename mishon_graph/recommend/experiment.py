"""One evaluation: the main stored run (``mishon+``), the paper's MISHON, every baseline and
(optionally) the ablations, on the same split, with paired bootstrap intervals.

Every method is a RECOMMENDS run in the graph, evaluated by the same
:func:`~mishon_graph.recommend.evaluate.evaluate_run`: existing users' test videos for the main
table, cold-start users' test videos for the cold-start table (C = content only vs SC = MISHON).
The main method is compared with every other one by
:func:`~mishon_graph.evaluation.bootstrap.paired_bootstrap` over the same test videos.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mishon_graph import constants
from mishon_graph.config import Config
from mishon_graph.db.protocol import Runner
from mishon_graph.errors import MishonError
from mishon_graph.evaluation.bootstrap import Difference, paired_bootstrap
from mishon_graph.evaluation.metrics import Metrics
from mishon_graph.evaluation.report import markdown_table, write_report
from mishon_graph.recommend.baseline_runs import write_baselines
from mishon_graph.recommend.evaluate import check_ks, evaluate_run, read_run, read_truth
from mishon_graph.recommend.runs import latest_run, run_model
from mishon_graph.recommend.write import write_scores

if TYPE_CHECKING:
    from mishon_graph.learn.data import ExportedGraph

MAIN = "MISHON+"
MISHON = "MISHON (paper)"
BASELINE_LABELS = {
    "popular": "most popular",
    "user": "user's own frequent",
    "cooccurrence": "co-occurrence",
    "knn": "content kNN",
    "user_recent": "user's own, recency-weighted (tuned)",
    "knn_text": "caption kNN (char n-gram TF-IDF)",
    "mix": "tuned mix (history + kNN + popularity)",
}
ABLATION_LABELS = {
    "no_attention": "paper ablation: without attention",
    "no_refinement": "paper ablation: without feature refinement",
    "homogeneous": "paper ablation: homogeneous edges only",
    "heterogeneous": "paper ablation: heterogeneous edges only",
}
HYBRID_ABLATION_LABELS = {
    "no_graph": "MISHON+ without the graph (SIMILAR, JACCARD, POPULAR, GNN)",
    "no_gnn": "MISHON+ without the GNN",
    "no_social": "MISHON+ without social links (JACCARD, POPULAR): cold-start C",
    "no_history": "MISHON+ without the poster's history",
    "no_content": "MISHON+ without content kNN and mentions",  # the centroids go with them (GROUPS)
}
CONTENT_ONLY = "content_only"
COLD_LABELS = {CONTENT_ONLY: "cold-start C (content only)", MISHON: "cold-start SC (MISHON, paper)"}


@dataclass
class Evaluation:
    """Results per user group: method -> K -> metrics, the run behind each method, and the paired
    bootstrap comparisons of the main method (F1 at ``table_k``)."""

    existing: dict[str, dict[int, Metrics]] = field(default_factory=dict)
    cold: dict[str, dict[int, Metrics]] = field(default_factory=dict)
    runs: dict[str, str] = field(default_factory=dict)
    paths: dict[str, dict[str, Path]] = field(default_factory=dict)
    comparisons: dict[str, dict[str, Difference]] = field(default_factory=dict)
    hybrid: dict = field(default_factory=dict)
    table_k: int = 5
    main: str = MAIN
    split: str = constants.TEST

    def best_baseline(self, group: str = "existing") -> str | None:
        """The baseline with the highest F1 at ``table_k`` in ``group`` (the one to beat)."""
        results = self.existing if group == "existing" else self.cold
        names = [m for m in results if m in BASELINE_LABELS.values()]
        return max(names, key=lambda m: results[m][self.table_k].f1) if names else None

    def tables(self) -> str:
        """Both Markdown tables (cold-start only when there are cold-start videos) and the
        comparisons."""
        out = f"Existing users ({self.split} split)\n\n" + markdown_table(self.existing, self.table_k)
        if self.cold:
            out += f"\nCold-start users ({self.split} split)\n\n" + markdown_table(self.cold, self.table_k)
        for group, diffs in self.comparisons.items():
            if diffs:
                out += f"\n{self.main} vs each method, {group} users\n\n" + comparison_table(diffs, self.main)
        return out


def comparison_table(diffs: dict[str, Difference], main: str = MAIN) -> str:
    """``| compared with | F1 main | F1 other | difference | 95% interval | verdict |``."""
    lines = [
        f"| {main} vs | F1@{next(iter(diffs.values())).k} {main} | F1 other | difference | "
        "paired bootstrap 95% interval | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for name, d in diffs.items():
        lines.append(
            f"| {name} | {d.a:.3f} | {d.b:.3f} | {d.diff:+.3f} | [{d.low:+.3f}, {d.high:+.3f}] | "
            f"{d.verdict} |"
        )
    return "\n".join(lines) + "\n"


def train_variant_run(
    runner: Runner,
    config: Config,
    variant: str,
    *,
    k: int,
    split: str,
    progress: bool,
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
    result = train(
        runner,
        config,
        out=config.model_dir / f"{variant}.pt",
        variant=variant,
        progress=progress,
        graph=graph,
    )
    scores = score_videos(runner, config, result.artifact, split=split, graph=graph)
    run_id = f"ablation-{variant}"
    write_scores(
        runner,
        scores,
        k=min(k, len(scores.hashtags)),
        model=variant,
        run_id=run_id,
        batch_size=config.batch_rows,
    )
    return run_id


def _newest(runner: Runner, model: str, split: str) -> str | None:
    try:
        return latest_run(runner, model, split)
    except MishonError:
        return None


def compare(
    runner: Runner,
    main_run: str,
    others: dict[str, str],
    ks: Iterable[int],
    split: str,
    users: str,
    *,
    k: int,
    seed: int,
) -> dict[str, Difference]:
    """Paired bootstrap of ``F1@k(main) - F1@k(other)`` over the ``split`` videos of ``users``."""
    truth = read_truth(runner, split, users)
    if not any(truth.values()):
        return {}
    main = read_run(runner, main_run, split)
    return {
        name: paired_bootstrap(main, read_run(runner, rid, split), truth, k, seed=seed)
        for name, rid in others.items()
    }


def evaluate_all(
    runner: Runner,
    config: Config,
    *,
    run_id: str | None = None,
    ks: Iterable[int] = range(1, 10),
    baselines: bool = True,
    ablations: bool = False,
    paper_ablations: bool = False,
    split: str = constants.TEST,
    out_dir: Path | None = None,
    neighbours: int = 20,
    progress: bool = False,
    notify: Callable[[str], None] | None = None,
) -> Evaluation:
    """Evaluate the main run (newest ``mishon+`` run, else newest ``mishon``) with baselines,
    ablations and paired bootstrap comparisons on the same split; write the report.

    Args:
        runner: The database.
        config: Used to train ablations (``model_dir``, hyper-parameters).
        run_id: The main run (default: the newest ``mishon+`` run, else the newest ``mishon`` run).
        ks: Cut-offs.
        baselines: Write and evaluate the plain baselines and the validation-tuned ones.
        ablations: Refit ``mishon+`` without each signal group (seconds to minutes each).
        paper_ablations: Also train, score and evaluate the paper's ablations and the content-only
            model (each a full training).
        split: Split evaluated (``test``).
        out_dir: Where ``existing/``, ``cold_start/`` and ``comparison.md`` go (``None``: not written).
        neighbours: Voting neighbours of the content k-NN baseline.
        progress: Show training progress bars.
        notify: Called with a one-line message before each step.
    """
    from mishon_graph.recommend.hybrid import MODEL as HYBRID

    say = notify or (lambda _msg: None)
    ks = sorted(set(ks))
    k_max = ks[-1]
    ev = Evaluation(table_k=5 if 5 in ks else k_max, split=split)
    main = run_id or _newest(runner, HYBRID, split) or latest_run(runner, "mishon", split)
    ev.main = MAIN if run_model(runner, main) == HYBRID else MISHON
    ev.runs[ev.main] = main
    check_ks(runner, main, ks)  # fail before writing baselines or training ablations
    paper = _newest(runner, "mishon", split)
    if paper and paper != main:
        ev.runs[MISHON] = paper
    has_cold = any(read_truth(runner, split, "cold").values())
    inputs = None
    if baselines or ablations:
        from mishon_graph.recommend.hybrid import read_inputs

        artifact = config.model_dir / "mishon.pt"
        inputs = read_inputs(
            runner, config, split=split, artifact=artifact if artifact.is_file() else None, say=say
        )
    if baselines:
        from mishon_graph.recommend.hybrid import load_settings
        from mishon_graph.recommend.tuned_baselines import write_tuned_baselines

        say("writing baseline runs")
        for name, rid in write_baselines(runner, k=k_max, split=split, neighbours=neighbours).items():
            ev.runs[BASELINE_LABELS[name]] = rid
        if not inputs.valid:
            say("no validation video has hashtags: the validation-tuned baselines are skipped")
        else:
            tuned, info = write_tuned_baselines(
                runner,
                inputs,
                load_settings(config),
                k=k_max,
                k_tune=ev.table_k,
                batch_size=config.batch_rows,
                say=say,
            )
            ev.hybrid["tuned_baselines"] = info
            for name, rid in tuned.items():
                ev.runs[BASELINE_LABELS[name]] = rid
    if ablations:
        _hybrid_ablations(runner, config, ev, inputs, k_max, split, say)
    if paper_ablations:
        _paper_ablations(runner, config, ev, k_max, split, has_cold, progress, say)
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
    say("paired bootstrap comparisons")
    others = {m: r for m, r in ev.runs.items() if m != ev.main}
    ev.comparisons["existing"] = compare(
        runner, main, others, ks, split, "existing", k=ev.table_k, seed=config.seed
    )
    if has_cold:
        cold_others = {m: r for m, r in others.items() if m not in ABLATION_LABELS.values()}
        ev.comparisons["cold-start"] = compare(
            runner, main, cold_others, ks, split, "cold", k=ev.table_k, seed=config.seed
        )
    if out_dir is not None:
        ev.paths["existing"] = write_report(
            ev.existing, out_dir / "existing", k=ev.table_k, title="Existing users"
        )
        if ev.cold:
            ev.paths["cold_start"] = write_report(
                ev.cold, out_dir / "cold_start", k=ev.table_k, title="Cold-start users"
            )
        ev.paths["comparison"] = {"markdown": _write_comparisons(ev, out_dir)}
    return ev


def _write_comparisons(ev: Evaluation, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "comparison.md"
    text = f"# {ev.main} against every other method (paired bootstrap, F1@{ev.table_k})\n"
    for group, diffs in ev.comparisons.items():
        if diffs:
            text += f"\n## {group} users\n\n" + comparison_table(diffs, ev.main)
    path.write_text(text, encoding="utf-8")
    (out_dir / "comparison.json").write_text(
        json.dumps(
            {g: {n: d.as_row() for n, d in diffs.items()} for g, diffs in ev.comparisons.items()}
            | {"mishon+": ev.hybrid},
            indent=1,
            default=str,
        ),
        encoding="utf-8",
    )
    return path


def _hybrid_ablations(runner, config, ev: Evaluation, inputs, k: int, split: str, say) -> None:
    from mishon_graph.recommend.hybrid import ABLATIONS, load_settings, recommend_hybrid

    if not inputs.valid:
        say("no validation video has hashtags: mishon+ ablations skipped")
        return
    settings = load_settings(config)
    for name, label in HYBRID_ABLATION_LABELS.items():
        if name == "no_gnn" and inputs.corpus.gnn is None:
            continue
        say(f"refitting mishon+ {name}")
        rid, result = recommend_hybrid(
            runner,
            config,
            k=k,
            split=split,
            run_id=f"ablation-mishon+-{name}",
            exclude=ABLATIONS[name],
            model=f"mishon+-{name}",
            settings=settings,
            inputs=inputs,
        )
        ev.runs[label] = rid
        ev.hybrid[name] = result.report()


def _paper_ablations(
    runner, config, ev: Evaluation, k: int, split: str, has_cold: bool, progress: bool, say
) -> None:
    from mishon_graph.learn.train import export_for_training

    # One export for every variant: RECOMMENDS runs written in between are not part of it.
    graph = export_for_training(runner, config)
    for variant, label in ABLATION_LABELS.items():
        say(f"training ablation {variant}")
        ev.runs[label] = train_variant_run(
            runner, config, variant, k=k, split=split, progress=progress, graph=graph
        )
    if has_cold:
        say("training content-only model (cold-start C)")
        ev.runs[COLD_LABELS[CONTENT_ONLY]] = train_variant_run(
            runner, config, CONTENT_ONLY, k=k, split=split, progress=progress, graph=graph
        )
    else:
        say("no cold-start test videos: content-only model (cold-start C) skipped")
