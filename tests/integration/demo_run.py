"""The shared demo run: ``mishon demo`` once on a home holding the user's work (see ``conftest.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from mishon_graph.cli import cli
from mishon_graph.db.runner import Runner
from mishon_graph.db.server import LocalNeo4j

# The user's own work in their home: a graph in their managed Neo4j and a trained model.
USERS_GRAPH = (
    "CREATE (:GraphMeta {name: 'ingest', source: 'my-videos', status: 'complete'}), "
    "(:User {id: 'me', source: 'my-videos'})"
    "-[:POSTED]->(:Video {id: 'my-video', split: 'train', source: 'my-videos'})"
)
USERS_MODEL = b"the user's trained model"
GRAPH = "MATCH (n) RETURN labels(n)[0] AS label, coalesce(n.id, n.name) AS id ORDER BY label, id"
# What the README's quick start promises, read from the demo's own database.
RECOMMENDED = (
    "MATCH (v:Video {split: 'test'}) OPTIONAL MATCH (v)-[r:RECOMMENDS]->(:Hashtag) "
    "RETURN count(DISTINCT v) AS videos, count(r) AS recs"
)
EMBEDDED = (
    "MATCH (m) WHERE (m:Visual OR m:Acoustic OR m:Textual) AND m.embedding IS NOT NULL RETURN count(m) AS n"
)


def users_home(home: Path) -> Path:
    """Put the user's trained model in ``home``; returns its path."""
    model = home / "models" / "mishon.pt"
    model.parent.mkdir(parents=True)
    model.write_bytes(USERS_MODEL)
    return model


@dataclass(frozen=True)
class DemoRun:
    """One ``mishon demo`` (the README's quick start, ``scripts/demo.sh``: no ``NEO4J_URI``) on a home
    that holds the user's graph and model, as the tests found it. Both servers are stopped by then.

    Attributes:
        home: The user's home (``MISHON_HOME``); the demo's is ``home / "demo"``.
        model: The user's model file.
        exit_code: The CLI's exit code.
        output: What the CLI printed.
        users_graph_before: The user's graph before the demo.
        users_graph_after: The user's graph after it.
        demo_server_left_running: The demo's own Neo4j was still running (for the Browser).
        recommended: ``videos`` (test videos) and ``recs`` (their RECOMMENDS edges) in the demo's graph.
        embedded: Modality nodes with an embedding in the demo's graph.
    """

    home: Path
    model: Path
    exit_code: int
    output: str
    users_graph_before: list[dict]
    users_graph_after: list[dict]
    demo_server_left_running: bool
    recommended: dict[str, int]
    embedded: int


def run_demo_on_users_home(home: Path) -> DemoRun:
    """``mishon demo --preset smoke --epochs 30`` with ``MISHON_HOME=home``, where the user's graph (in
    ``home/neo4j``) and model are put first; both servers are stopped before it returns."""
    model = users_home(home)
    users = LocalNeo4j(home / "neo4j")
    demo_server = LocalNeo4j(home / "demo" / "neo4j")
    state, _ = users.start(ports=(0, 0))
    try:
        with Runner(state.bolt_uri, users.user, users.password()) as runner:
            runner.run(USERS_GRAPH, write=True)
            before = runner.run(GRAPH)
            result = CliRunner().invoke(
                cli,
                ["demo", "--preset", "smoke", "--epochs", "30", "--no-progress"],
                env={"MISHON_HOME": str(home)},
                catch_exceptions=False,
            )
            after = runner.run(GRAPH)
        demo_state = demo_server.state()
        recommended: dict[str, int] = {}
        embedded = -1
        if demo_state is not None:
            with Runner(demo_state.bolt_uri, demo_server.user, demo_server.password()) as demo:
                recommended = demo.run(RECOMMENDED)[0]
                embedded = int(demo.run(EMBEDDED)[0]["n"])
    finally:
        demo_server.stop()
        users.stop()
    return DemoRun(
        home, model, result.exit_code, result.output, before, after, demo_state is not None,
        recommended, embedded,
    )
