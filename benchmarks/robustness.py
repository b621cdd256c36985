"""Robustness of ``mishon ingest``: hostile datasets and SIGKILLs against a throwaway Neo4j.

The benchmark starts its own Neo4j Community in a temp dir (``LocalNeo4j``, free ports) and never
reads ``NEO4J_URI`` or the other ``NEO4J_*`` variables: they are removed from its environment and
from every CLI run's, which point at the throwaway server only. Then:

1. The sentinel dataset (``hostile_records.sentinel_case``) is ingested.
2. ``--datasets`` hostile datasets (``hostile_records.hostile_case``, seeded), alternately under
   another name (must be refused: graph unchanged, rejects listed) and under the sentinel's name
   (the sentinel's records plus hostile ones: must merge exactly the good records). Each runs the
   real CLI in process (click's ``CliRunner``) with ``--min-hashtag-freq 1 --min-user-posts 1
   --cold-start-frac 0`` and is compared with the outcome computed independently by
   ``hostile_records``.
3. ``--kill-points`` runs of ``mishon ingest`` (a subprocess, synthetic ``tiny`` data,
   ``--batch-rows 4``) killed with SIGKILL at random points: ``mishon stats`` must refuse the
   interrupted graph and the rerun must give the graph of a clean run. Unless ``--quick``, the
   Neo4j JVM is also killed once mid-write, restarted, and the ingest rerun.

Output: one JSON line per dataset and per kill point, then one summary line::

    {"hostile_records": ..., "rejected_with_reason": ..., "stored_correctly": ..., "crashes": ...,
     "sentinel_nodes_lost": ..., "kill_points_tried": ..., "kill_points_recovered": ..., ...}

``crashes``: runs with a traceback, an ``Error: unexpected ...`` line, or an exit code other than
the expected one. ``mismatches``: expected rejects missing or extra, stored records wrong,
graphs other than expected. The exit status is 1 when any of these is non-zero or a kill point
did not recover. ``--include-pending`` also generates the values listed in
``hostile_records.PENDING`` (known gaps; they count as crashes until fixed).

Usage:
    python benchmarks/robustness.py            # ~5 minutes
    python benchmarks/robustness.py --quick    # ~1-2 minutes (fewer datasets, one kill point)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hostile_records as H
from click.testing import CliRunner, Result
from mishon_graph.loaders.synthetic import SyntheticSpec, generate

from mishon_graph.cli import cli
from mishon_graph.db.runner import Runner
from mishon_graph.db.scratch import USER_VARS, ScratchServer, child_env
from mishon_graph.db.server import LocalNeo4j, is_instance_jvm
from mishon_graph.errors import MishonError
from mishon_graph.testing.neo4j import hide_user_settings, start_local

HOSTILE_FLAGS = (
    "--min-hashtag-freq",
    "1",
    "--min-user-posts",
    "1",
    "--cold-start-frac",
    "0",
    "--no-progress",
)
KILL_FLAGS = ("--min-hashtag-freq", "2", "--batch-rows", "4", "--no-progress")
MISHON = str(Path(sys.executable).parent / "mishon")
ROWS = (
    "CALL () { MATCH (n) RETURN count(n) AS n } CALL () { MATCH ()-[r]->() RETURN count(r) AS r } "
    "RETURN n + r AS rows"
)
STATUS = "MATCH (m:GraphMeta {name: 'ingest'}) RETURN m.status AS s, m.started_at AS t"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="12 datasets, 1 kill point, no JVM kill")
    p.add_argument("--datasets", type=int, help="hostile datasets (default 40; --quick 12)")
    p.add_argument("--kill-points", type=int, help="CLI SIGKILL points (default 3; --quick 1)")
    p.add_argument("--no-jvm-kill", action="store_true", help="skip killing the Neo4j JVM")
    p.add_argument("--include-pending", action="store_true", help="also generate hostile_records.PENDING")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--heap", default="768m", help="heap of the throwaway Neo4j")
    args = p.parse_args(argv)
    args.datasets = args.datasets if args.datasets is not None else (12 if args.quick else 40)
    args.kill_points = args.kill_points if args.kill_points is not None else (1 if args.quick else 3)
    args.jvm_kill = not (args.quick or args.no_jvm_kill)
    return args


def emit(record: dict[str, Any]) -> None:
    print(json.dumps(record, ensure_ascii=True, sort_keys=False), flush=True)


# The server -------------------------------------------------------------------------------------
@dataclass
class Server:
    """The throwaway Neo4j and how the CLI reaches it."""

    neo: LocalNeo4j
    home: Path
    uri: str = ""
    pid: int = 0
    runner: Runner | None = None
    scratch: ScratchServer | None = None

    def start(self) -> None:
        self.scratch = start_local(self.neo)
        self.uri, self.pid = self.scratch.uri, self.scratch.pid or 0
        if self.runner is not None:
            self.runner.close()
        self.runner = self.scratch.runner()
        self.runner.verify()

    @property
    def db(self) -> Runner:
        assert self.runner is not None
        return self.runner

    def cli_env(self) -> dict[str, str | None]:
        """Every NEO4J_* variable set to the throwaway server (``None`` removes one)."""
        assert self.scratch is not None
        return {
            **dict.fromkeys(USER_VARS),
            **self.scratch.env(),
            "MISHON_HOME": str(self.home),
            "MISHON_FEATURE_CACHE": None,
        }

    def child_env(self) -> dict[str, str]:
        env = child_env(self.scratch)
        env.update({k: v for k, v in self.cli_env().items() if v is not None})
        return env

    def invoke(self, *args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=self.cli_env(), catch_exceptions=True)

    def wipe(self) -> None:
        self.db.run("MATCH (n) DETACH DELETE n", write=True)


@contextmanager
def throwaway_server(tmp: Path, heap: str) -> Iterator[Server]:
    hide_user_settings()  # nothing below may reach the user's server, home or cache
    server = Server(LocalNeo4j(tmp / "neo4j", heap=heap, pagecache="128m"), tmp / "home")
    try:
        server.start()
        yield server
    finally:
        if server.runner is not None:
            server.runner.close()
        server.neo.stop()


# Hostile datasets -------------------------------------------------------------------------------
@dataclass
class Tally:
    hostile_records: int = 0
    rejected_with_reason: int = 0
    stored_correctly: int = 0
    crashes: int = 0
    mismatches: int = 0
    sentinel_nodes_lost: int = 0
    kill_points_tried: int = 0
    kill_points_recovered: int = 0
    datasets: int = 0
    malformed_files_refused: int = 0
    other_datasets_refused: int = 0
    crash_kinds: Counter[str] = field(default_factory=Counter)


def crash_of(result: Result) -> str:
    """Why the run counts as a crash ("" when it does not)."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return f"exception {type(result.exception).__name__}"
    if "Traceback" in result.output:
        return "traceback in output"
    unexpected = [x for x in result.output.splitlines() if x.startswith("Error: unexpected ")]
    if unexpected:
        return unexpected[0][:160]
    errors = [x for x in result.output.splitlines() if x.startswith("Error:")]
    if result.exit_code != 0 and len(errors) != 1:
        return f"{len(errors)} Error: lines"
    return ""


def crash_kind(crash: str) -> str:
    """A short name for a crash: the exception of an ``Error: unexpected`` line, else the reason."""
    found = re.match(r"Error: unexpected (\w+)", crash)
    return found.group(1) if found else crash[:60]


def sentinel_lost(original: dict[str, Any], now: dict[str, Any]) -> int:
    """Sentinel nodes missing or changed, and sentinel links missing."""
    lost = 0
    for label, nodes in original.items():
        if isinstance(nodes, dict):
            lost += sum(1 for i, props in nodes.items() if now[label].get(i) != props)
        else:
            lost += sum(1 for rel in nodes if rel not in now[label])
    return lost


def run_hostile(server: Server, root: Path, args: argparse.Namespace, tally: Tally) -> None:
    sentinel = H.sentinel_case()
    result = server.invoke("ingest", str(sentinel.write(root / "sentinel")), *HOSTILE_FLAGS)
    if result.exit_code != 0 or H.graph_dump(server.db.run) != H.expected_graph(
        sentinel.expected, H.SENTINEL
    ):
        raise SystemExit(f"the sentinel did not ingest as expected: {result.output[-400:]}")
    original = H.sentinel_view(H.graph_dump(server.db.run))
    for i in range(args.datasets):
        t0 = time.monotonic()
        same = i % 2 == 1
        src = H.RandomSource(args.seed * 100_003 + i)
        name = H.SENTINEL if same else H.dataset_name(src)
        base = H.sentinel_records() if same else []
        case = H.hostile_case(src, name, base=base, include_pending=args.include_pending)
        where = root / f"case{i}"
        rejects = root / f"case{i}-rejects.jsonl"
        before = H.graph_dump(server.db.run)
        result = server.invoke("ingest", str(case.write(where)), *HOSTILE_FLAGS, "--rejects", str(rejects))
        after = H.graph_dump(server.db.run)
        expected = case.expected
        want_ok = same and expected.malformed is None
        crash = crash_of(result)
        if not crash and (result.exit_code == 0) != want_ok:
            errors = [x for x in result.output.splitlines() if x.startswith("Error:")]
            crash = f"exit {result.exit_code}: {errors[0][7:67] if errors else 'no Error: line'}"
        line: dict[str, Any] = {
            "dataset": i,
            "name": "same" if same else "other",
            "layout": case.layout,
            "records": len(case.records) - len(base),
            "defects": dict(case.defects),
            "malformed": expected.malformed is not None,
            "exit_code": result.exit_code,
            "crash": crash,
        }
        tally.datasets += 1
        tally.hostile_records += len(case.records) - len(base)
        if crash:
            tally.crashes += 1
            tally.crash_kinds[crash_kind(crash)] += 1
        if expected.malformed is None:
            got = _rejects(rejects, where)
            want = Counter((r.file, r.line, r.field) for r in expected.rejects)
            matched = sum((got & want).values())
            tally.rejected_with_reason += matched
            tally.mismatches += sum((want - got).values()) + sum((got - want).values())
            line.update(rejects_expected=sum(want.values()), rejects_matched=matched)
        if want_ok:
            graph = H.expected_graph(expected, H.SENTINEL)
            good = [
                (label, key)
                for label in ("User", "Video")
                for key in graph[label]
                if not key.startswith("S-")
            ]
            stored = sum(1 for label, key in good if after[label].get(key) == graph[label][key])
            tally.stored_correctly += stored
            tally.mismatches += (len(good) - stored) + (after != graph)
            line.update(stored_expected=len(good), stored_matched=stored, graph_ok=after == graph)
        else:
            unchanged = after == before
            tally.mismatches += not unchanged
            tally.malformed_files_refused += unchanged and expected.malformed is not None
            tally.other_datasets_refused += unchanged and expected.malformed is None and not same
            line["graph_unchanged"] = unchanged
        lost = sentinel_lost(original, H.sentinel_view(after))
        tally.sentinel_nodes_lost = max(tally.sentinel_nodes_lost, lost)
        line.update(sentinel_lost=lost, seconds=round(time.monotonic() - t0, 2))
        emit(line)


def _rejects(path: Path, root: Path) -> Counter[tuple[str, int, str]]:
    """The rejects file's lines that carry file:line, field and a reason."""
    if not path.exists():
        return Counter()
    out: Counter[tuple[str, int, str]] = Counter()
    for text in path.read_text(encoding="utf-8").split("\n"):
        if not text:
            continue
        row = json.loads(text)
        if isinstance(row.get("reason"), str) and row["reason"].strip():
            try:
                out[H.reject_key(row["origin"], root, row["field"])] += 1
            except ValueError:
                out[("?", 0, str(row.get("field")))] += 1
    return out


# Kill points ------------------------------------------------------------------------------------
def dump_all(runner: Runner) -> list[str]:
    rows = runner.run("MATCH (n) WHERE NOT n:GraphMeta RETURN labels(n) AS l, properties(n) AS p")
    rows += runner.run(
        "MATCH (a)-[r]->(b) RETURN type(r) AS t, coalesce(a.id, a.name) AS a, coalesce(b.id, b.name) AS b, "
        "labels(b) AS lb, properties(r) AS p"
    )
    return sorted(json.dumps(r, sort_keys=True, default=str) for r in rows)


def kill_when(
    proc: subprocess.Popen[str], ready: Callable[[], bool], victim: int, limit: float = 300
) -> bool:
    deadline = time.monotonic() + limit
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            if ready():
                os.kill(victim, signal.SIGKILL)
                return True
        except MishonError:
            pass
        time.sleep(0.05)
    return False


def started_and_rows(server: Server, rows: int) -> Callable[[], bool]:
    before = server.db.run(STATUS)
    old = before[0]["t"] if before else None

    def ready() -> bool:
        row = server.db.run(STATUS)
        if not row or row[0]["s"] != "running" or row[0]["t"] == old:
            return False
        return server.db.run(ROWS)[0]["rows"] >= rows

    return ready


def refused(server: Server) -> bool:
    result = server.invoke("stats")
    errors = [x for x in result.output.splitlines() if x.startswith("Error:")]
    return result.exit_code != 0 and len(errors) == 1 and "graph is incomplete" in errors[0]


def run_kills(server: Server, data: Path, args: argparse.Namespace, tally: Tally) -> None:
    ingest = [MISHON, "ingest", str(data), *KILL_FLAGS]
    server.wipe()
    if subprocess.run(ingest, env=server.child_env(), capture_output=True).returncode != 0:
        raise SystemExit("the clean ingest of the kill-point data failed")
    clean = dump_all(server.db)
    total = server.db.run(ROWS)[0]["rows"]
    rng = random.Random(args.seed)
    points = [("cli", rng.uniform(0.05, 0.9)) for _ in range(args.kill_points)]
    if args.jvm_kill:
        points.append(("neo4j", rng.uniform(0.2, 0.6)))
    for kind, fraction in points:
        t0 = time.monotonic()
        server.wipe()
        ready = started_and_rows(server, int(fraction * total))
        proc = subprocess.Popen(
            ingest, env=server.child_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        victim = proc.pid
        if kind == "neo4j":
            if not is_instance_jvm(server.pid, server.neo.dir):
                raise SystemExit(f"pid {server.pid} is not the throwaway server's JVM")
            victim = server.pid
        killed = kill_when(proc, ready, victim)
        output, _ = proc.communicate(timeout=600)
        line: dict[str, Any] = {"kill_point": kind, "fraction": round(fraction, 2), "killed": killed}
        if not killed:
            emit({**line, "note": "the run ended before the point"})
            continue
        tally.kill_points_tried += 1
        clean_exit = True
        if kind == "neo4j":
            errors = [x for x in output.splitlines() if x.startswith("Error:")]
            clean_exit = proc.returncode != 0 and len(errors) == 1 and "Traceback" not in output
            line["cli_error"] = errors[0][:200] if errors else output[-200:]
            if not clean_exit:
                tally.crashes += 1
                tally.crash_kinds["neo4j killed: CLI output"] += 1
            deadline = time.monotonic() + 60
            while is_instance_jvm(server.pid, server.neo.dir) and time.monotonic() < deadline:
                time.sleep(0.2)
            server.start()
        status = server.db.run(STATUS)[0]["s"]
        stats_refused = refused(server)
        rerun = subprocess.run(ingest, env=server.child_env(), capture_output=True, text=True)
        same = rerun.returncode == 0 and dump_all(server.db) == clean
        recovered = status == "running" and stats_refused and same and clean_exit
        tally.kill_points_recovered += recovered
        emit(
            {
                **line,
                "status_after_kill": status,
                "stats_refused": stats_refused,
                "rerun_exit": rerun.returncode,
                "rerun_equals_clean": same,
                "recovered": recovered,
                "seconds": round(time.monotonic() - t0, 1),
            }
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    t0 = time.monotonic()
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="mishon-robustness-") as tmp:
        root = Path(tmp)
        with throwaway_server(root, args.heap) as server:
            emit({"server": server.uri, "startup_seconds": round(time.monotonic() - t0, 1)})
            run_hostile(server, root / "hostile", args, tally)
            if args.kill_points or args.jvm_kill:
                spec = SyntheticSpec.preset("tiny", n_users=12, n_videos=100, cold_start_users=1)
                run_kills(server, generate(root / "tiny", spec), args, tally)
    summary = {
        "hostile_records": tally.hostile_records,
        "rejected_with_reason": tally.rejected_with_reason,
        "stored_correctly": tally.stored_correctly,
        "crashes": tally.crashes,
        "sentinel_nodes_lost": tally.sentinel_nodes_lost,
        "kill_points_tried": tally.kill_points_tried,
        "kill_points_recovered": tally.kill_points_recovered,
        "mismatches": tally.mismatches,
        "datasets": tally.datasets,
        "malformed_files_refused": tally.malformed_files_refused,
        "other_datasets_refused": tally.other_datasets_refused,
        "crash_kinds": dict(tally.crash_kinds),
        "include_pending": args.include_pending,
        "seconds": round(time.monotonic() - t0, 1),
    }
    emit(summary)
    failed = (
        tally.crashes
        or tally.mismatches
        or tally.sentinel_nodes_lost
        or tally.kill_points_recovered < tally.kill_points_tried
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
