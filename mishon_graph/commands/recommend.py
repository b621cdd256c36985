"""``mishon recommend``, ``evaluate``, ``query`` and ``demo``: recommendations, numbers and a look."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.table import Table

from mishon_graph.commands.common import build_config, console, database, err_console, no_progress_option
from mishon_graph.commands.db import parse_params
from mishon_graph.config import Config
from mishon_graph.errors import MishonError
from mishon_graph.evaluation.metrics import parse_ks


def _say(message: str) -> None:
    err_console.print(f"[dim]{message}[/dim]")


def browser_hint(config: Config) -> str:
    """Where to open Neo4j Browser for this configuration."""
    if config.neo4j_uri:
        return f"open your server's Neo4j Browser and connect to {config.neo4j_uri} as {config.neo4j_user}"
    from mishon_graph.db.connect import local_server

    server = local_server(config)
    state = server.state()
    if state is None:
        return "local Neo4j is not running: `mishon db start`, then `mishon db status` for the Browser URL"
    return (
        f"{state.browser_url}  (connect to {state.bolt_uri}, user neo4j, password in {server.password_file})"
    )


@click.command("recommend")
@click.option("--k", "k", type=int, default=10, show_default=True, help="Hashtags stored per video.")
@click.option("--videos", default="test", show_default=True, help="test, valid, train, all or id,id,...")
@click.option(
    "--model",
    "model_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Model artifact (default: <home>/models/mishon.pt).",
)
@click.option("--run-id", help="Run id to (re)write (default: <model>-<timestamp>).")
@click.option(
    "--method",
    type=click.Choice(["mishon+", "mishon"]),
    default="mishon+",
    show_default=True,
    help="mishon+: the ranker over graph, content and history evidence, fit on the validation split "
    "(uses the trained GNN when there is one); mishon: the paper's model alone.",
)
@click.pass_context
def recommend_cmd(
    ctx: click.Context, k: int, videos: str, model_path: Path | None, run_id: str | None, method: str
) -> None:
    """Score videos with a trained model and write their top-K as RECOMMENDS relationships."""
    from mishon_graph.recommend.runs import recommend_with_model

    config = build_config(ctx)
    if k < 1:
        raise MishonError(f"--k must be >= 1, got {k}")
    artifact = model_path or config.model_dir / "mishon.pt"
    if method == "mishon+":
        _recommend_hybrid(config, artifact, k, videos, run_id, explicit_model=model_path is not None)
        return
    with database(config) as runner:
        run = recommend_with_model(runner, config, artifact=artifact, k=k, videos=videos, run_id=run_id)
    console.print(
        f"run {run.run_id}: {run.relationships} RECOMMENDS for {run.videos} videos "
        f"(model {run.model}, K={run.k})"
    )
    console.print(f"next: mishon evaluate --run-id {run.run_id}")


def _recommend_hybrid(
    config: Config, artifact: Path, k: int, videos: str, run_id: str | None, *, explicit_model: bool
) -> None:
    from mishon_graph.recommend.hybrid import recommend_hybrid

    if videos != "test":
        raise MishonError(
            "mishon+ scores the test videos (its ranker is fit on the validation split); "
            "use --method mishon for other videos"
        )
    if explicit_model and not artifact.is_file():
        raise MishonError(f"{artifact}: no such model artifact")
    gnn = artifact if artifact.is_file() else None
    if gnn is None:
        _say(f"no trained GNN at {artifact}: mishon+ runs without it (`mishon train` adds it)")
    with database(config) as runner:
        run, result = recommend_hybrid(runner, config, k=k, artifact=gnn, run_id=run_id, say=_say)
    report = result.report()
    for group in ("existing", "cold"):
        if group in report:
            r = report[group]
            singles = [n for n in r["valid_f1"] if n != "ranker"]
            best = max(singles, key=lambda n: r["valid_f1"][n], default=None)
            line = f"{group} users: validation F1@{config.k} ranker {r['valid_f1']['ranker']:.3f}"
            if best:
                line += f", best single signal {best} {r['valid_f1'][best]:.3f}"
            if r.get("dropped"):
                line += f"; left out (no help on validation): {', '.join(r['dropped'])}"
            console.print(line + f"; scoring with {r['chosen']}")
    console.print(f"run {run}: top {k} RECOMMENDS for {len(result.targets)} test videos (model mishon+)")
    console.print(f"next: mishon evaluate --run-id {run}")


@click.command("evaluate")
@click.option("--k", "k_spec", default="1..9", show_default=True, help="Cut-offs: 1..9, 5 or 1,3,5.")
@click.option("--run-id", help="The main run (default: the newest mishon+ run, else the newest mishon run).")
@click.option(
    "--baselines/--no-baselines", default=True, show_default=True, help="Evaluate the baselines too."
)
@click.option("--ablations", is_flag=True, help="Refit mishon+ without each signal group (the graph, ...).")
@click.option(
    "--paper-ablations",
    is_flag=True,
    help="Train, store and evaluate the paper's four ablations and C vs SC (one training each).",
)
@click.option(
    "--split",
    type=click.Choice(["test", "valid"]),
    default="test",
    show_default=True,
    help="valid for tuning, test for reporting.",
)
@click.option(
    "--neighbours", type=int, default=20, show_default=True, help="Voters of the content k-NN baseline."
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Report directory (default: <home>/runs/eval-<timestamp>).",
)
@no_progress_option("No training progress bars.")
@click.pass_context
def evaluate_cmd(
    ctx: click.Context,
    k_spec: str,
    run_id: str | None,
    baselines: bool,
    ablations: bool,
    paper_ablations: bool,
    split: str,
    neighbours: int,
    out_dir: Path | None,
    no_progress: bool,
) -> None:
    """Hit rate, precision, recall and F1 at K of stored runs: MISHON, baselines, ablations."""
    from mishon_graph.recommend.experiment import evaluate_all

    config = build_config(ctx)
    ks = parse_ks(k_spec)
    out = out_dir or config.runs_dir / f"eval-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}"
    with database(config) as runner:
        ev = evaluate_all(
            runner,
            config,
            run_id=run_id,
            ks=ks,
            baselines=baselines,
            ablations=ablations,
            paper_ablations=paper_ablations,
            split=split,
            out_dir=out,
            neighbours=neighbours,
            progress=not no_progress,
            notify=_say,
        )
    click.echo(ev.tables())
    console.print(f"report: {out} (results.md, results.csv, <metric>_at_k.png per user group)")


@click.command("query")
@click.argument("name", required=False)
@click.option("--param", "-p", "params", multiple=True, help="Query parameter name=value (repeatable).")
@click.option("--list", "list_only", is_flag=True, help="List the shipped queries with their parameters.")
@click.option("--json", "as_json", is_flag=True, help="Print rows as JSON lines.")
@click.pass_context
def query_cmd(
    ctx: click.Context, name: str | None, params: tuple[str, ...], list_only: bool, as_json: bool
) -> None:
    """Run a named query of the Cypher library (cypher/queries/NAME.cypher)."""
    from mishon_graph.recommend import queries

    if list_only or not name:
        for q in queries.catalogue():
            args = " ".join(
                f"{p.name}=<{p.type}>" if p.required else f"[{p.name}={p.default!r}]" for p in q.params
            )
            click.echo(f"{q.name} {args}\n  {q.description}\n  returns: {q.returns}")
        return
    raw = {key: value for key, value in (p.partition("=")[::2] for p in params)}
    for pair in params:  # same k=v syntax check as `mishon db cypher`
        parse_params((pair,))
    queries.bind(queries.describe(name), raw)  # unknown names and parameters fail before connecting
    config = build_config(ctx)
    with database(config, autostart=False, schema=False) as runner:
        rows = queries.run_query(runner, name, raw)
    if as_json:
        for r in rows:
            click.echo(json.dumps(r, default=str))
        return
    if not rows:
        console.print("(no rows)")
        return
    table = Table(title=name)
    for column in rows[0]:
        table.add_column(column)
    for r in rows:
        table.add_row(*(v if isinstance(v, str) else json.dumps(v, default=str) for v in r.values()))
    console.print(table)


@click.command("demo")
@click.option(
    "--dataset",
    type=click.Path(exists=True, path_type=Path),
    help="Run on this dataset instead of generating the synthetic one.",
)
@click.option("--format", "format_name", default="canonical", show_default=True, help="Loader for --dataset.")
@click.option("--preset", default="demo", show_default=True, help="Synthetic preset when no --dataset.")
@click.option(
    "--min-hashtag-freq",
    type=int,
    default=2,
    show_default=True,
    help="Drop rarer hashtags (small demo data; the paper uses 50).",
)
@click.option("--epochs", type=int, help="Maximum training epochs.")
@click.option("--baselines/--no-baselines", default=True, show_default=True)
@click.option(
    "--demo-home",
    type=click.Path(file_okay=False, path_type=Path),
    help="The demo's own home: its data, managed Neo4j, features, models and reports "
    "[default: <home>/demo]. Your home's graph and models are not touched.",
)
@click.option(
    "--replace",
    is_flag=True,
    help="Let the demo replace the graph (and models) it would write into when they hold another "
    "dataset: a NEO4J_URI database, or a --demo-home it did not create. Without it the demo refuses.",
)
@no_progress_option("No progress bars.")
@click.pass_context
def demo_cmd(
    ctx: click.Context,
    dataset: Path | None,
    format_name: str,
    preset: str,
    min_hashtag_freq: int,
    epochs: int | None,
    baselines: bool,
    demo_home: Path | None,
    replace: bool,
    no_progress: bool,
) -> None:
    """End to end: data -> ingest -> features -> graph -> train -> recommend -> evaluate.

    Everything goes into the demo's own home (default <home>/demo) and, without NEO4J_URI, its own
    managed Neo4j there, so your graph and models stay as they are.
    """
    from mishon_graph.db.connect import connect
    from mishon_graph.demo import demo_place, run_demo

    place = demo_place(build_config(ctx, min_hashtag_freq=min_hashtag_freq, epochs=epochs), demo_home)
    place.claim_home()
    _say(f"demo home: {place.home}; graph: {place.describe_graph()}")
    # connect(), not database(): the demo writes its graph from scratch and checks the database itself.
    runner = connect(place.config, notify=_say)
    try:
        result = run_demo(
            runner,
            place,
            replace=replace,
            dataset=dataset,
            dataset_format=format_name,
            preset=preset,
            baselines=baselines,
            progress=not no_progress,
            notify=_say,
        )
    finally:
        runner.close()
    click.echo(result.evaluation.tables())
    home = place.home
    # Plain echo: paths and commands stay on one line, to copy.
    click.echo(f"report: {result.report_dir}")
    click.echo(f"demo data: {home} (graph: {place.describe_graph()})")
    click.echo(
        f"recommendations: run {result.run.run_id}; try "
        f"`mishon --home {home} query top_hashtags -p video_id=<id>`"
    )
    click.echo(f"Neo4j Browser: {browser_hint(place.config)}")
    if place.own_database:
        click.echo(f"the demo's Neo4j keeps running: `mishon --home {home} db status` / `db stop`")


def register(cli: click.Group) -> None:
    """Attach ``recommend``, ``evaluate``, ``query`` and ``demo`` to the ``mishon`` group."""
    for command in (recommend_cmd, evaluate_cmd, query_cmd, demo_cmd):
        cli.add_command(command)
