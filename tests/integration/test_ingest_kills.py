"""``mishon ingest`` killed with SIGKILL: the CLI at random points, and the Neo4j JVM mid-write.

Whatever was interrupted, readers refuse the graph until the same command is run again, and that
rerun ends with exactly the graph of one uninterrupted run (every node and relationship with its
properties: nothing lost, nothing duplicated). The CLI runs as a subprocess (``--batch-rows 4`` on a
small synthetic dataset, so there are many transactions to land in); the JVM test starts its own
throwaway server, never the session's.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from mishon_graph.loaders.synthetic import SyntheticSpec, generate

from mishon_graph.cli import cli
from mishon_graph.db.runner import Runner
from mishon_graph.db.server import LocalNeo4j, is_instance_jvm
from mishon_graph.errors import MishonError

pytestmark = pytest.mark.slow

MISHON = str(Path(sys.executable).parent / "mishon")
FLAGS = ("--min-user-posts", "4", "--batch-rows", "4", "--no-progress")
ROWS = (
    "CALL () { MATCH (n) RETURN count(n) AS n } CALL () { MATCH ()-[r]->() RETURN count(r) AS r } "
    "RETURN n + r AS rows"
)
STATUS = "MATCH (m:GraphMeta {name: 'ingest'}) RETURN m.status AS s, m.started_at AS t"


def dump(runner: Runner) -> dict[str, list[str]]:
    """Every node (labels, properties) and relationship (type, ends, properties), GraphMeta left out."""
    nodes = runner.run("MATCH (n) WHERE NOT n:GraphMeta RETURN labels(n) AS l, properties(n) AS p")
    rels = runner.run(
        "MATCH (a)-[r]->(b) RETURN type(r) AS t, labels(a) AS la, coalesce(a.id, a.name) AS a, "
        "labels(b) AS lb, coalesce(b.id, b.name) AS b, properties(r) AS p"
    )
    key = lambda x: json.dumps(x, sort_keys=True, default=str)  # noqa: E731
    return {"nodes": sorted(map(key, nodes)), "rels": sorted(map(key, rels))}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = SyntheticSpec.preset("tiny", n_users=12, n_videos=120, cold_start_users=1)
    return generate(tmp_path_factory.mktemp("tiny"), spec)


class Cli:
    """``mishon`` as a subprocess and in process, against one server and home."""

    def __init__(self, env: Mapping[str, str], home: Path) -> None:
        self.env = {**os.environ, **env, "MISHON_HOME": str(home)}

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [MISHON, *args], env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )

    def run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run([MISHON, *args], env=self.env, capture_output=True, text=True, timeout=timeout)

    def refuses(self, *args: str) -> str:
        """Run in process; it must fail with one ``Error:`` line and no traceback. That line."""
        result = CliRunner().invoke(cli, list(args), env=self.env, catch_exceptions=False)
        return one_error_line(result.exit_code, result.output)


def one_error_line(code: int, output: str) -> str:
    assert code != 0, output
    assert "Traceback" not in output, output
    lines = [x for x in output.splitlines() if x.startswith("Error:")]
    assert len(lines) == 1, output
    return lines[0]


def kill_when(
    proc: subprocess.Popen[str], ready: Callable[[], bool], *, victim: int | None = None, limit: float = 300
) -> bool:
    """SIGKILL ``victim`` (default: ``proc``) once ``ready()``; False when ``proc`` ended first."""
    deadline = time.monotonic() + limit
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            if ready():
                os.kill(victim or proc.pid, signal.SIGKILL)
                return True
        except MishonError:
            pass  # the server is busy starting the run; ask again
        time.sleep(0.05)
    return False


def rows_at_least(runner: Runner, n: int) -> Callable[[], bool]:
    return lambda: runner.run(ROWS)[0]["rows"] >= n


def test_killed_cli_ingest_reruns_to_the_clean_graph(
    db: Runner, neo4j_server, tiny: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    cli_ = Cli(neo4j_server.env(), tmp_path / "home")
    ingest = ("ingest", str(tiny), "--min-hashtag-freq", "2", *FLAGS)
    assert cli_.run(*ingest).returncode == 0
    clean = dump(db)
    total = db.run(ROWS)[0]["rows"]
    rng = random.Random(20261128)
    tried: list[str] = []

    def interrupted(what: str, rows: int = 0, delay: float = 0.0) -> bool:
        """Run the ingest and SIGKILL it once this run has started writing, ``rows`` nodes plus
        relationships are visible and ``delay`` seconds have passed since its start was seen;
        whether the kill landed inside the writes."""
        before = _started(db)
        seen: list[float] = []

        def ready() -> bool:
            row = db.run(STATUS)
            if not row or row[0]["s"] != "running" or row[0]["t"] == before:
                return False
            seen[:] = seen or [time.monotonic()]
            return time.monotonic() - seen[0] >= delay and db.run(ROWS)[0]["rows"] >= rows

        proc = cli_.start(*ingest)
        killed = kill_when(proc, ready)
        proc.communicate()  # reaps it and closes its pipe
        if not killed:  # it finished first: a point past the end, nothing to test
            assert proc.returncode == 0
            return False
        if db.run(STATUS)[0]["s"] == "complete":
            # The kill landed after the run had marked the graph complete (between that last write and
            # the process's exit): a point past the end, like a run that finished first.
            assert dump(db) == clean, what
            return False
        tried.append(what)
        assert db.run(STATUS)[0]["s"] == "running", what
        assert "graph is incomplete" in cli_.refuses("stats"), what
        return True

    def rerun_matches(what: str) -> None:
        done = cli_.run(*ingest)
        assert done.returncode == 0, (what, done.stdout, done.stderr)
        assert db.run(STATUS)[0]["s"] == "complete", what
        assert dump(db) == clean, what

    # From an empty graph, at random points of the writes (rows visible = nodes + relationships).
    for fraction in sorted(rng.uniform(0.02, 0.95) for _ in range(3)):
        db.run("MATCH (n) DETACH DELETE n", write=True)
        interrupted(f"empty, {fraction:.2f}", rows=int(fraction * total))
        rerun_matches(f"empty, {fraction:.2f}")
    # Killed twice: during the run and again during its rerun, then rerun to the end.
    db.run("MATCH (n) DETACH DELETE n", write=True)
    first, second = sorted(rng.uniform(0.05, 0.9) for _ in range(2))
    interrupted(f"twice, {first:.2f}", rows=int(first * total))
    interrupted(f"twice, {second:.2f}", rows=int(second * total))
    rerun_matches("twice")
    # Over a complete graph of the same dataset built with other settings (more hashtags kept):
    # killed while the new settings are written, before the stale nodes are pruned.
    loose = ("ingest", str(tiny), "--min-hashtag-freq", "1", *FLAGS)

    def write_seconds() -> float:
        """Seconds a re-ingest's graph stays marked running (uninterrupted), on this machine now."""
        assert cli_.run(*loose).returncode == 0
        before, start, end = _started(db), None, None
        proc = cli_.start(*ingest)
        while proc.poll() is None and end is None:
            try:
                row = db.run(STATUS)
            except MishonError:
                row = []
            if row and row[0]["t"] != before:
                if start is None and row[0]["s"] == "running":
                    start = time.monotonic()
                elif start is not None and row[0]["s"] == "complete":
                    end = time.monotonic()
            time.sleep(0.005)
        proc.communicate()
        assert proc.returncode == 0
        return (end or time.monotonic()) - start if start is not None else 0.0

    # Delays are fractions of a measured re-ingest, so the kills land inside it on a fast or a busy
    # machine; a run that goes faster than the measured one (the load changed) ends before its kill,
    # and the point is tried again at half the delay.
    span = write_seconds()
    for delay in sorted(rng.uniform(0.05, 0.6) * span for _ in range(2)):
        for _ in range(4):
            assert cli_.run(*loose).returncode == 0
            if interrupted(f"re-ingest, {delay:.2f} s", delay=delay):
                break
            delay /= 2
        rerun_matches(f"re-ingest, {delay:.2f} s")
    assert len(tried) >= 6, tried


def _started(runner: Runner) -> str | None:
    row = runner.run(STATUS)
    return row[0]["t"] if row else None


def test_neo4j_killed_mid_write_reruns_to_the_clean_graph(tiny: Path, tmp_path: Path) -> None:
    server = LocalNeo4j(tmp_path / "neo4j", heap="512m", pagecache="64m")
    runner: Runner | None = None
    try:
        state, _ = server.start(ports=(0, 0))
        runner, cli_ = _connect(server, state.bolt_uri, tmp_path / "home")
        ingest = ("ingest", str(tiny), "--min-hashtag-freq", "2", *FLAGS)
        assert cli_.run(*ingest).returncode == 0
        clean = dump(runner)
        total = runner.run(ROWS)[0]["rows"]
        runner.run("MATCH (n) DETACH DELETE n", write=True)

        proc = cli_.start(*ingest)
        assert is_instance_jvm(state.pid, server.dir)  # never signal anything but our own server
        assert kill_when(proc, rows_at_least(runner, total // 3), victim=state.pid)
        output, _ = proc.communicate(timeout=300)
        one_error_line(proc.returncode, output)
        deadline = time.monotonic() + 60
        while is_instance_jvm(state.pid, server.dir) and time.monotonic() < deadline:
            time.sleep(0.2)
        runner.close()

        state, _ = server.start(ports=(0, 0))  # recovers the store from its transaction log
        runner, cli_ = _connect(server, state.bolt_uri, tmp_path / "home")
        assert runner.run(STATUS)[0]["s"] == "running"
        assert "graph is incomplete" in cli_.refuses("stats")
        done = cli_.run(*ingest)
        assert done.returncode == 0, (done.stdout, done.stderr)
        assert dump(runner) == clean
    finally:
        if runner is not None:
            runner.close()
        server.stop()


def _connect(server: LocalNeo4j, uri: str, home: Path) -> tuple[Runner, Cli]:
    env: dict[str, Any] = {
        "NEO4J_URI": uri,
        "NEO4J_USER": server.user,
        "NEO4J_PASSWORD": server.password(),
        "NEO4J_DATABASE": "neo4j",
    }
    return Runner(uri, server.user, server.password()), Cli(env, home)
