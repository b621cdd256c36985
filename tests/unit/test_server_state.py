"""Managed-server safety without a server: PID checks, state file, password handling, locks, modes."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mishon_graph.cli import cli
from mishon_graph.config import Config
from mishon_graph.db import connect as connect_mod
from mishon_graph.db import server as server_mod
from mishon_graph.db.runner import CredentialsRejected
from mishon_graph.db.server import LocalNeo4j, ServerState
from mishon_graph.errors import MishonError

MAIN_CLASS = "org.neo4j.server.CommunityEntryPoint"


@pytest.fixture
def spawn() -> Iterator[Any]:
    """Start harmless ``sleep`` processes (optionally dressed up as a Neo4j JVM); killed after the test."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(*extra_args: str) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", *extra_args])
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def _write_state(server: LocalNeo4j, pid: int, bolt: int = 7687, http: int = 7474) -> None:
    server.dir.mkdir(parents=True, exist_ok=True)
    server.state_file.write_text(json.dumps({"pid": pid, "bolt_port": bolt, "http_port": http}))


def _fake_store(server: LocalNeo4j) -> None:
    (server.dir / "data" / "dbms").mkdir(parents=True)
    (server.dir / "data" / "dbms" / "auth.ini").write_text("neo4j:SHA-256,x,y,1024:\n")


@pytest.fixture
def fake_dist(tmp_path: Path) -> Path:
    """A distribution dir that looks installed (no JVM is ever launched from it in these tests)."""
    dist = tmp_path / "dist"
    (dist / "lib").mkdir(parents=True)
    (dist / ".complete").write_text(server_mod.NEO4J_VERSION)
    return dist


# Problem 1: a state file naming an unrelated live process -------------------------------------
def test_unrelated_pid_in_state_is_neither_believed_nor_killed(tmp_path: Path, spawn: Any) -> None:
    bystander = spawn()
    home = tmp_path / "home"
    server = LocalNeo4j(home / "neo4j")
    _write_state(server, bystander.pid)

    assert server.state() is None
    env = {"MISHON_HOME": str(home), "NEO4J_URI": ""}
    status = CliRunner().invoke(cli, ["db", "status"], env=env)
    assert status.exit_code == 3, status.output
    assert "not running" in status.output
    stop = CliRunner().invoke(cli, ["db", "stop"], env=env)
    assert stop.exit_code == 0, stop.output
    assert "no local Neo4j was running" in stop.output
    assert server.stop() is False

    time.sleep(0.2)
    assert bystander.poll() is None, "db stop signalled a process that is not this instance's Neo4j"


def test_jvm_of_another_instance_is_not_ours(tmp_path: Path, spawn: Any) -> None:
    other = spawn(MAIN_CLASS, f"--home-dir={tmp_path / 'other'}")
    server = LocalNeo4j(tmp_path / "mine")
    _write_state(server, other.pid)
    assert server.state() is None
    assert server.stop() is False
    assert other.poll() is None


def test_state_believed_for_this_instances_jvm_and_found_without_state_file(
    tmp_path: Path, spawn: Any
) -> None:
    server = LocalNeo4j(tmp_path / "neo4j")
    (server.dir / "conf").mkdir(parents=True)
    server._write_conf(bolt=17687, http=17474)
    jvm = spawn(MAIN_CLASS, f"--home-dir={server.dir}", f"--config-dir={server.dir / 'conf'}")
    time.sleep(0.1)  # let exec finish so /proc shows the new command line

    _write_state(server, jvm.pid, 17687, 17474)
    assert server.state() == ServerState(pid=jvm.pid, bolt_port=17687, http_port=17474)

    # Missing or corrupt state file: found by scanning /proc, ports from neo4j.conf (never orphaned).
    server.state_file.unlink()
    assert server.state() == ServerState(pid=jvm.pid, bolt_port=17687, http_port=17474)
    server.state_file.write_text("{not json")
    assert server.state() == ServerState(pid=jvm.pid, bolt_port=17687, http_port=17474)

    assert server.stop(timeout=10) is True
    assert jvm.wait(timeout=10) is not None
    assert not server.state_file.exists()


def test_relative_instance_dir_is_identified_from_any_cwd(
    tmp_path: Path, spawn: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    server = LocalNeo4j(Path("neo4j"))
    assert server.dir == (tmp_path / "neo4j").resolve()
    jvm = spawn(MAIN_CLASS, f"--home-dir={server.dir}")
    time.sleep(0.1)
    monkeypatch.chdir("/")
    assert LocalNeo4j(tmp_path / "neo4j").state() is not None
    assert jvm.poll() is None


# Problem 2: corrupt state files and atomic writes ----------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "[1, 2]",
        '"pid"',
        '{"pid": "12", "bolt_port": 1, "http_port": 2}',
        '{"pid": 12, "bolt_port": 1}',
        '{"pid": 12, "bolt_port": 1, "http_port": 2, "extra": 3}',
        '{"pid": -1, "bolt_port": 1, "http_port": 2}',
        '{"pid": true, "bolt_port": 1, "http_port": 2}',
        '{"pid": 12, "bolt_port": 1, "http_port": 2, "version": 5}',
        b"\x00\x01garbage",
        b"\xff\xfe{}",  # not UTF-8
        b'{"pid": 12, "bolt_',  # a partial write
    ],
)
def test_corrupt_state_file_is_no_state(
    tmp_path: Path, text: str | bytes, caplog: pytest.LogCaptureFixture
) -> None:
    server = LocalNeo4j(tmp_path / "neo4j")
    server.dir.mkdir()
    server.state_file.write_bytes(text.encode() if isinstance(text, str) else text)
    with caplog.at_level(logging.DEBUG, logger="mishon_graph.db.server"):
        assert server.state() is None
    assert any("state.json" in r.getMessage() and "no state" in r.getMessage() for r in caplog.records)
    status = CliRunner().invoke(cli, ["db", "status"], env={"MISHON_HOME": str(tmp_path), "NEO4J_URI": ""})
    assert status.exit_code == 3, status.output
    assert isinstance(status.exception, SystemExit)
    assert server.stop() is False
    assert not server.state_file.exists()  # names no server of ours: removed by stop


def test_private_writes_are_atomic_and_owner_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "state.json"
    server_mod._write_private(target, "first")
    assert target.read_text() == "first"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600

    def broken_replace(src: str, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(server_mod.os, "replace", broken_replace)
    with pytest.raises(OSError):
        server_mod._write_private(target, "second")
    assert target.read_text() == "first"  # never a half-written file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]  # temp file removed


# Problem 3: the password is never on a command line ---------------------------------------------
def test_initial_password_travels_in_a_private_argfile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = LocalNeo4j(tmp_path / "neo4j")
    (server.dir / "run").mkdir(parents=True)
    seen: dict[str, Any] = {}

    def fake_run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        argfile = Path(next(a[1:] for a in argv if a.startswith("@")))
        seen.update(argv=argv, kwargs=kwargs, argfile=argfile, mode=stat.S_IMODE(argfile.stat().st_mode))
        seen["args"] = argfile.read_text().split()
        return subprocess.CompletedProcess(argv, 0, "", "")

    monkeypatch.setattr(server_mod.subprocess, "run", fake_run)
    server._set_initial_password(tmp_path / "lib", "mSecret123")

    assert not any("mSecret123" in a for a in seen["argv"])
    assert seen["args"] == ["org.neo4j.cli.AdminTool", "dbms", "set-initial-password", "mSecret123"]
    assert seen["mode"] == 0o600
    assert seen["kwargs"]["umask"] == 0o077
    assert not seen["argfile"].exists()
    assert server.password() == "mSecret123"
    assert stat.S_IMODE(server.password_file.stat().st_mode) == 0o600


def test_argfile_removed_and_password_file_dropped_when_the_admin_tool_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = LocalNeo4j(tmp_path / "neo4j")
    (server.dir / "run").mkdir(parents=True)

    def failing_run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(argv, 1, "", "boom")

    monkeypatch.setattr(server_mod.subprocess, "run", failing_run)
    with pytest.raises(MishonError, match="boom"):
        server._set_initial_password(tmp_path / "lib", "mSecret123")
    assert list((server.dir / "run").iterdir()) == []
    assert not server.password_file.exists()


def test_java_launcher_expands_argfile_after_classpath(tmp_path: Path) -> None:
    """The mechanism itself: ``java -cp X @file`` reads the main class and its arguments from the file."""
    if not (server_mod.shutil.which("java") and server_mod.shutil.which("javac")):
        pytest.skip("java/javac not installed")
    src = tmp_path / "Echo.java"
    src.write_text(
        "public class Echo { public static void main(String[] a) {"
        ' System.out.println(String.join(",", a)); } }'
    )
    subprocess.run(["javac", "-d", str(tmp_path), str(src)], check=True, timeout=120)
    lib = tmp_path / "lib"  # `lib/*` on the class path matches jars: a jar is a zip file
    lib.mkdir()
    with zipfile.ZipFile(lib / "echo.jar", "w") as jar:
        jar.write(tmp_path / "Echo.class", "Echo.class")
    argfile = tmp_path / "args"
    argfile.write_text("Echo\ndbms\nset-initial-password\nmS3cret-_x\n")
    argv = server_mod._admin_argv(lib, argfile)
    assert not any("mS3cret" in a for a in argv)
    out = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "dbms,set-initial-password,mS3cret-_x"


# Problem 4: private files and folders ----------------------------------------------------------
def test_existing_instance_tree_is_made_owner_only(tmp_path: Path) -> None:
    server = LocalNeo4j(tmp_path / "neo4j")
    (server.dir / "data" / "databases" / "neo4j").mkdir(parents=True)
    store = server.dir / "data" / "databases" / "neo4j" / "neostore"
    store.write_text("x")
    os.chmod(store, 0o644)
    for d in (server.dir, server.dir / "data", server.dir / "data" / "databases"):
        os.chmod(d, 0o755)
    (server.dir / "link").symlink_to("/etc/hostname")

    server._make_private_dir()
    server._tighten_tree()

    assert stat.S_IMODE(server.dir.stat().st_mode) == 0o700
    for root, dirs, files in os.walk(server.dir):
        for name in dirs + files:
            st = os.lstat(os.path.join(root, name))
            if not stat.S_ISLNK(st.st_mode):
                assert st.st_mode & 0o077 == 0, os.path.join(root, name)
    assert stat.S_IMODE(os.stat("/etc/hostname").st_mode) & 0o044  # symlink target untouched


def test_conf_is_owner_only(tmp_path: Path) -> None:
    server = LocalNeo4j(tmp_path / "neo4j")
    (server.dir / "conf").mkdir(parents=True)
    server._write_conf(1, 2)
    assert stat.S_IMODE((server.dir / "conf" / "neo4j.conf").stat().st_mode) == 0o600
    assert "auth_enabled" not in (server.dir / "conf" / "neo4j.conf").read_text()


# Problem 5: a lost password file -----------------------------------------------------------------
def test_no_new_password_for_an_existing_store(
    tmp_path: Path, fake_dist: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = LocalNeo4j(tmp_path / "neo4j", dist_dir=fake_dist)
    _fake_store(server)

    def no_jvm(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("no process may be started")

    monkeypatch.setattr(server_mod.subprocess, "run", no_jvm)
    monkeypatch.setattr(server_mod.subprocess, "Popen", no_jvm)
    with pytest.raises(MishonError, match="mishon db reset-password") as err:
        server.start(ports=(0, 0))
    assert "NEO4J_" not in str(err.value)
    assert not server.password_file.exists()
    with pytest.raises(MishonError, match="mishon db reset-password"):
        server.password()


def test_reset_password_needs_a_store_and_a_local_server(tmp_path: Path) -> None:
    with pytest.raises(MishonError, match="mishon db start"):
        LocalNeo4j(tmp_path / "neo4j").reset_password()
    external = CliRunner().invoke(
        cli,
        ["db", "reset-password"],
        env={"MISHON_HOME": str(tmp_path), "NEO4J_URI": "bolt://127.0.0.1:1", "NEO4J_PASSWORD": "x"},
    )
    assert external.exit_code != 0
    assert "only manages the local Neo4j" in external.output


class _RejectingRunner:
    def __init__(self, uri: str, user: str, password: str, database: str = "neo4j") -> None:
        self.uri = uri
        self.closed = False

    def verify(self) -> None:
        raise CredentialsRejected(
            f"Neo4j at {self.uri} rejected the credentials (check NEO4J_USER/NEO4J_PASSWORD)"
        )

    def close(self) -> None:
        self.closed = True


def test_managed_server_auth_failure_names_password_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connect_mod, "Runner", _RejectingRunner)
    monkeypatch.setattr(LocalNeo4j, "state", lambda self: ServerState(pid=1, bolt_port=7687, http_port=7474))
    config = Config(home=tmp_path)
    server = connect_mod.local_server(config)
    server.dir.mkdir(parents=True)
    server.password_file.write_text("wrong\n")

    with pytest.raises(MishonError) as err:
        connect_mod.connect(config, schema=False)
    message = str(err.value)
    assert str(server.password_file) in message and "mishon db reset-password" in message
    assert "NEO4J_" not in message


def test_external_server_auth_failure_keeps_env_wording(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connect_mod, "Runner", _RejectingRunner)
    config = Config(home=tmp_path, neo4j_uri="bolt://db.example:7687", neo4j_password="x")
    with pytest.raises(MishonError, match="NEO4J_USER/NEO4J_PASSWORD"):
        connect_mod.connect(config, schema=False)


# Problem 6: locks --------------------------------------------------------------------------------
def test_concurrent_installs_resolve_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[float] = []

    def slow_resolve(dist: Path, lib: Path, *, quiet: bool) -> None:
        calls.append(time.monotonic())
        time.sleep(0.5)
        lib.mkdir(parents=True)

    monkeypatch.setattr(server_mod, "_resolve", slow_resolve)
    dist = tmp_path / "dist"
    results: list[Path] = []
    threads = [threading.Thread(target=lambda: results.append(server_mod.install(dist))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(calls) == 1
    assert results == [dist / "lib"] * 3
    assert (dist / ".complete").is_file()


def test_concurrent_starts_launch_one_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    launched: list[int] = []
    inside = [0, 0]  # (now, most at once)
    running: list[ServerState] = []

    def fake_start(self: LocalNeo4j, timeout: float, ports: tuple[int, int]) -> tuple[ServerState, bool]:
        inside[0] += 1
        inside[1] = max(inside)
        try:
            if running:  # what the real `_start` sees through `state()`
                return running[0], False
            time.sleep(0.5)  # the JVM starting up
            launched.append(1)
            running.append(ServerState(pid=4242, bolt_port=1, http_port=2))
            return running[0], True
        finally:
            inside[0] -= 1

    monkeypatch.setattr(LocalNeo4j, "_start", fake_start)
    results: list[tuple[ServerState, bool]] = []
    threads = [
        threading.Thread(target=lambda: results.append(LocalNeo4j(tmp_path / "neo4j").start()))
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert launched == [1]
    assert inside[1] == 1
    assert sorted(started for _, started in results) == [False, False, True]


def test_a_server_child_that_ended_on_its_own_is_reaped(monkeypatch: pytest.MonkeyPatch) -> None:
    """A JVM killed from outside (a crash, the OOM killer) stays a zombie until reaped; the next start
    or stop reaps it, and a child still running is kept."""
    children: dict[int, subprocess.Popen[bytes]] = {}
    monkeypatch.setattr(server_mod, "_CHILDREN", children)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    children.update({dead.pid: dead, alive.pid: alive})
    try:
        deadline = time.monotonic() + 30
        while _state_letter(dead.pid) != "Z" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _state_letter(dead.pid) == "Z"  # exited, not reaped yet
        assert server_mod.reap_children() == [dead.pid]
        assert dead.returncode == 0 and list(children) == [alive.pid]
        assert server_mod.reap_children() == []
    finally:
        alive.kill()
        alive.wait(timeout=10)


def _state_letter(pid: int) -> str:
    """The process state from ``/proc/PID/stat`` (``Z``: zombie)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        return f.read().rpartition(")")[2].split()[0]


def test_a_port_counts_as_ours_only_when_our_process_listens_on_it() -> None:
    """Start waits for its own JVM on both ports: a server started a moment earlier on a port we
    also picked answers there too, and must not pass for ours."""
    import socket

    with socket.socket() as mine, socket.socket() as bound_only:
        mine.bind(("127.0.0.1", 0))
        mine.listen()
        bound_only.bind(("127.0.0.1", 0))  # bound, not listening
        port, other = mine.getsockname()[1], bound_only.getsockname()[1]
        assert server_mod._listens(os.getpid(), (port,))
        assert not server_mod._listens(os.getpid(), (port, other))
        with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as child:
            try:
                assert not server_mod._listens(child.pid, (port,))  # listening, but not by that process
            finally:
                child.kill()
    assert not server_mod._listens(2**22 + 12345, (port,))  # no such process
