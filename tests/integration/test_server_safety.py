"""Data safety of the managed server against a real Neo4j (issue #13): modes, password, PIDs, recovery."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from mishon_graph.cli import cli
from mishon_graph.config import Config
from mishon_graph.db.connect import connect
from mishon_graph.db.runner import Runner
from mishon_graph.db.server import LocalNeo4j
from mishon_graph.errors import MishonError


class _CmdlineWatcher(threading.Thread):
    """Records every process command line seen in /proc until stopped."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.seen: set[tuple[str, ...]] = set()
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            for name in os.listdir("/proc"):
                if name.isdigit():
                    try:
                        raw = Path(f"/proc/{name}/cmdline").read_bytes()
                    except OSError:
                        continue
                    self.seen.add(tuple(raw.decode("utf-8", "replace").split("\0")))
            self._done.wait(0.01)

    def stop(self) -> None:
        self._done.set()
        self.join(timeout=10)


def _loose_modes(root: Path) -> list[str]:
    loose = []
    for path in [root, *root.rglob("*")]:
        st = path.lstat()
        if not stat.S_ISLNK(st.st_mode) and st.st_mode & 0o077:
            loose.append(f"{path} {oct(stat.S_IMODE(st.st_mode))}")
    return loose


def test_first_start_is_private_and_never_shows_or_loses_the_password(tmp_path: Path) -> None:
    server = LocalNeo4j(tmp_path / "neo4j")
    config = Config(home=tmp_path)
    env = {"MISHON_HOME": str(tmp_path), "NEO4J_URI": ""}
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    watcher = _CmdlineWatcher()
    watcher.start()
    try:
        try:
            state, started = server.start(ports=(0, 0))
        finally:
            watcher.stop()
        assert started
        password = server.password()

        # 3. The admin tool ran while we watched, and no command line ever held the password.
        assert any(any(a.startswith("@") and ".admin-" in a for a in args) for args in watcher.seen)
        assert not [args for args in watcher.seen if any(password in a for a in args)]
        assert not list((server.dir / "run").glob(".admin-*"))  # argfile deleted
        with Runner(state.bolt_uri, server.user, password) as runner:
            runner.verify()  # the password set through the argfile is the store's

        # 4. Nothing under the instance dir is readable by group or others (store files included).
        assert (server.dir / "data" / "databases" / "neo4j").is_dir()
        assert _loose_modes(server.dir) == []
        for private in (server.password_file, server.state_file, server.dir / "conf" / "neo4j.conf"):
            assert stat.S_IMODE(private.stat().st_mode) == 0o600, private

        # 5c. A wrong password for the managed server: the message names the file and the recovery.
        server.password_file.write_text("wrong\n")
        with pytest.raises(MishonError) as err:
            connect(config, autostart=False, schema=False)
        assert str(server.password_file) in str(err.value) and "mishon db reset-password" in str(err.value)
        assert "NEO4J_" not in str(err.value)
        server.password_file.write_text(password + "\n")
        connect(config, autostart=False, schema=False).close()

        # 1. state.json naming an unrelated live process: the real server is found, the process spared.
        server.state_file.write_text(f'{{"pid": {bystander.pid}, "bolt_port": 1, "http_port": 2}}')
        assert server.state() == state
        status = CliRunner().invoke(cli, ["db", "status"], env=env)
        assert status.exit_code == 0 and f"pid {state.pid}" in status.output, status.output
        server.state_file.write_text("{corrupt")
        assert server.state() == state

        stopped = CliRunner().invoke(cli, ["db", "stop"], env=env)
        assert stopped.exit_code == 0 and "Neo4j stopped" in stopped.output, stopped.output
        assert server.state() is None
        assert bystander.poll() is None

        # 5a. Password file lost: no new password is made up for a store that has one.
        server.password_file.unlink()
        with pytest.raises(MishonError, match="mishon db reset-password"):
            server.start(ports=(0, 0))
        assert not server.password_file.exists()
        assert server.state() is None
    finally:
        server.stop()
        bystander.kill()
        bystander.wait(timeout=10)


@pytest.mark.slow
def test_reset_password_recovers_a_lost_password_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    env = {"MISHON_HOME": str(tmp_path), "NEO4J_URI": ""}
    run = CliRunner().invoke
    server = LocalNeo4j(tmp_path / "neo4j")
    try:
        assert run(cli, ["db", "start"], env=env).exit_code == 0
        state = server.state()
        assert state is not None
        wrote = run(cli, ["db", "cypher", "CREATE (u:User {id: 'kept'}) RETURN u.id", "--write"], env=env)
        assert wrote.output.strip() == "kept", wrote.output
        old = server.password()
        server.password_file.unlink()

        locked = run(cli, ["db", "cypher", "RETURN 1"], env=env)
        assert locked.exit_code != 0 and "mishon db reset-password" in locked.output, locked.output
        assert "NEO4J_" not in locked.output

        with caplog.at_level(logging.DEBUG):
            reset = run(cli, ["db", "reset-password"], env=env)
        assert reset.exit_code == 0, reset.output
        assert "started again" in reset.output
        new = server.password()
        assert new != old and new not in reset.output
        assert new not in caplog.text  # the driver's debug log of the ALTER USER parameters is muted
        assert stat.S_IMODE(server.password_file.stat().st_mode) == 0o600
        assert "auth_enabled" not in (server.dir / "conf" / "neo4j.conf").read_text()

        again = server.state()
        assert again is not None and again.bolt_port == state.bolt_port  # same ports as before
        back = run(cli, ["db", "cypher", "MATCH (u:User {id: 'kept'}) RETURN count(u)"], env=env)
        assert back.output.strip() == "1", back.output
        with Runner(again.bolt_uri, server.user, old) as runner, pytest.raises(MishonError):
            runner.verify()  # the lost password no longer opens the store
    finally:
        server.stop()


@pytest.mark.slow
def test_start_never_takes_another_server_for_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two starts racing for the default ports: the loser's JVM cannot bind them and exits, while the
    winner answers on them. Start must not report the winner as its server (its commands would then
    reach someone else's database); it starts again on free ports."""
    import http.server
    import socket

    from mishon_graph.db import server as server_mod

    impostor = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=impostor.serve_forever, daemon=True).start()
    bolt = socket.socket()
    bolt.bind(("127.0.0.1", 0))
    bolt.listen()
    taken = (bolt.getsockname()[1], impostor.server_address[1])
    picks = iter([taken])  # the race: both ports looked free when they were picked
    real_pick = LocalNeo4j._pick_ports
    monkeypatch.setattr(
        LocalNeo4j, "_pick_ports", lambda self, ports: next(picks, None) or real_pick(self, ports)
    )
    server = LocalNeo4j(tmp_path / "neo4j", heap="512m", pagecache="64m")
    try:
        state, started = server.start()
        assert started and (state.bolt_port, state.http_port) != taken
        assert server_mod._listens(state.pid, (state.bolt_port, state.http_port))
        with Runner(state.bolt_uri, server.user, server.password()) as runner:
            assert runner.run("RETURN 1 AS one") == [{"one": 1}]
    finally:
        server.stop()
        impostor.shutdown()
        impostor.server_close()
        bolt.close()
