"""``mishon graph``: build the MISHON edge families in Neo4j and show graph statistics."""

from __future__ import annotations

import click
from rich.table import Table

from mishon_graph.commands.common import build_config, console, database, no_progress_option
from mishon_graph.errors import MishonError
from mishon_graph.graph.build import FAMILIES, build_graph, parse_families
from mishon_graph.graph.stats import graph_stats


@click.group("graph")
def graph_group() -> None:
    """Build the MISHON graph (paper 4.2.1) in Neo4j and inspect it."""


@graph_group.command("build")
@click.option("--theta", type=float, help="Cosine threshold of SIMILAR edges, in [0, 1] (default 0.5).")
@click.option("--gamma", type=float, help="Jaccard threshold of JACCARD edges, in [0, 1] (default 0.5).")
@click.option("--alpha", type=float, help="Fraction of popular users, in (0, 1] (default 0.1).")
@click.option("--top-k", "top_k", type=int, help="Keep at most N nearest neighbours per modality node.")
@click.option("--no-cap", is_flag=True, help="No k-NN cap on SIMILAR edges (every pair >= theta).")
@click.option(
    "--knn",
    "knn_mode",
    type=click.Choice(["auto", "exact", "approx"], case_sensitive=False),
    help="SIMILAR neighbours: exact products, approximate k-NN (faiss HNSW, exact weights, needs a cap), "
    "or auto (approx for large modalities with a cap; default).",
)
@click.option(
    "--popular-to-all",
    is_flag=True,
    default=None,
    help="Link popular users to every user, not only cold-start.",
)
@click.option(
    "--edges", "edges", help=f"Families to rebuild, comma-separated (default: {','.join(FAMILIES)})."
)
@no_progress_option()
@click.pass_context
def build_cmd(
    ctx: click.Context,
    theta: float | None,
    gamma: float | None,
    alpha: float | None,
    top_k: int | None,
    no_cap: bool,
    knn_mode: str | None,
    popular_to_all: bool | None,
    edges: str | None,
    no_progress: bool,
) -> None:
    """Rebuild edge families (old edges of those families are deleted first)."""
    if no_cap and top_k is not None:
        raise MishonError("--top-k and --no-cap exclude each other")
    families = parse_families(edges)
    config = build_config(
        ctx,
        theta=theta,
        gamma=gamma,
        alpha=alpha,
        knn_cap=top_k,
        knn_mode=knn_mode.lower() if knn_mode else None,
        popular_to_all=popular_to_all,
    )
    if no_cap:
        config = config.replace(knn_cap=None)
    with database(config) as runner:
        report = build_graph(runner, config, families=families, progress=not no_progress)
    table = Table(title="graph build")
    for col in ("family", "edges", "per modality", "before cap", "seconds"):
        table.add_column(col, justify="right" if col in ("edges", "seconds") else "left")
    for name, r in report.families.items():
        table.add_row(
            name,
            str(r.edges),
            _fmt(r.per_modality),
            _fmt(r.before_cap),
            f"{r.seconds:.2f}",
        )
    console.print(table)
    similar = report.families.get("similar")
    if similar is not None:
        knn, recall = similar.details.get("knn", {}), similar.details.get("recall", {})
        console.print("SIMILAR k-NN: " + _knn_line(knn, recall))
    shown = {
        k: v
        for k, v in report.params.items()
        if k in ("theta", "gamma", "alpha", "knn_cap", "knn_mode", "popular_to_all")
    }
    console.print("parameters: " + ", ".join(f"{k}={v}" for k, v in shown.items()))


@graph_group.command("stats")
@click.pass_context
def stats_cmd(ctx: click.Context) -> None:
    """Node and edge counts, degree summaries, isolated nodes and users needing special handling."""
    config = build_config(ctx)
    with database(config, autostart=False) as runner:
        stats = graph_stats(runner)
    counts = Table(title="nodes and edges")
    counts.add_column("kind")
    counts.add_column("count", justify="right")
    for label, n in stats["nodes"].items():
        counts.add_row(f"(:{label})", str(n))
    for rel, n in stats["edges"].items():
        counts.add_row(f"[:{rel}]", str(n))
    console.print(counts)
    degrees = Table(title="degrees")
    for col in ("family", "min", "mean", "max"):
        degrees.add_column(col, justify="left" if col == "family" else "right")
    for family, d in stats["degrees"].items():
        degrees.add_row(family, str(d["min"]), f"{d['mean']:.2f}", str(d["max"]))
    console.print(degrees)
    other = Table(title="special cases", show_header=False)
    for label, n in stats["isolated"].items():
        other.add_row(f"isolated {label} nodes", str(n))
    for key, n in stats["users"].items():
        other.add_row(f"users: {key.replace('_', ' ')}", str(n))
    for label, n in stats["videos_missing"].items():
        other.add_row(f"videos without {label}", str(n))
    for label, n in stats["similar_after_cap"].items():
        before = stats["similar_before_cap"].get(label, "-")
        other.add_row(f"SIMILAR {label} edges (without cap -> with cap)", f"{before} -> {n}")
    console.print(other)


def _knn_line(knn: dict[str, str], recall: dict[str, float | None]) -> str:
    """``Visual approx (sampled recall of the exact top k 0.998), Textual exact``."""
    parts = []
    for label, mode in knn.items():
        r = recall.get(label)
        shown = f" (sampled recall of the exact top k {r:.3f})" if r is not None else ""
        parts.append(f"{label} {mode}{shown}")
    return ", ".join(parts) or "-"


def _fmt(values: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in values.items()) or "-"


def register(cli: click.Group) -> None:
    """Attach ``mishon graph`` to the top-level group."""
    cli.add_command(graph_group)
