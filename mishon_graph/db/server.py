"""Lifecycle of a local Neo4j Community server obtained from Maven Central with ``mvn``.

The server jars (``org.neo4j.app:neo4j-server``) and Neo4j Browser (``org.neo4j.client:neo4j-browser``)
are resolved once into a shared distribution directory; each instance (conf, data, logs, password)
lives in its own directory. The server binds to 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from mishon_graph.errors import MishonError

NEO4J_VERSION = "5.26.30"
BROWSER_VERSION = "5.24.0"
MAVEN_COORDINATES = (
    f"org.neo4j.app:neo4j-server:{NEO4J_VERSION}",
    f"org.neo4j:neo4j-bootcheck:{NEO4J_VERSION}",
    f"org.neo4j.client:neo4j-browser:{BROWSER_VERSION}",
)
_MAIN_CLASS = "org.neo4j.server.CommunityEntryPoint"
# Servers started by this process: kept referenced so they are reaped on stop, not garbage-collected.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}
_ADMIN_CLASS = "org.neo4j.cli.AdminTool"

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.mishon</groupId><artifactId>neo4j-dist</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
{deps}
  </dependencies>
</project>
"""


def default_dist_dir() -> Path:
    """Shared, per-user directory holding the resolved Neo4j jars (``MISHON_NEO4J_DIST`` overrides)."""
    if os.environ.get("MISHON_NEO4J_DIST"):
        return Path(os.environ["MISHON_NEO4J_DIST"]).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("mishon-graph", appauthor=False)) / f"neo4j-{NEO4J_VERSION}"


def _pom_text() -> str:
    deps = []
    for coord in MAVEN_COORDINATES:
        group, artifact, version = coord.split(":")
        deps.append(
            f"    <dependency><groupId>{group}</groupId><artifactId>{artifact}</artifactId>"
            f"<version>{version}</version></dependency>"
        )
    return _POM.format(deps="\n".join(deps))


def install(dist_dir: Path | None = None, *, quiet: bool = True) -> Path:
    """Resolve the Neo4j server and Browser jars with ``mvn`` into ``dist_dir/lib`` (idempotent)."""
    dist = dist_dir or default_dist_dir()
    lib = dist / "lib"
    marker = dist / ".complete"
    if marker.is_file():
        return lib
    for tool, pkg in (("java", "openjdk-17-jre-headless"), ("mvn", "maven")):
        if shutil.which(tool) is None:
            raise MishonError(f"`{tool}` is not installed: run `apt-get install -y {pkg}` (Java 17 needed)")
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "pom.xml").write_text(_pom_text(), encoding="utf-8")
    cmd = ["mvn", "-B", "dependency:copy-dependencies", f"-DoutputDirectory={lib}", "-DincludeScope=runtime"]
    if quiet:
        cmd.insert(1, "-q")
    proc = subprocess.run(cmd, cwd=dist, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
        raise MishonError(f"mvn could not resolve Neo4j {NEO4J_VERSION}: {' | '.join(tail)}")
    marker.write_text(NEO4J_VERSION, encoding="utf-8")
    return lib


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _free_port(preferred: int) -> int:
    if preferred and _port_free(preferred):
        return preferred
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child counts as dead
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return True


@dataclass(frozen=True)
class ServerState:
    """Where a managed server runs."""

    pid: int
    bolt_port: int
    http_port: int
    version: str = NEO4J_VERSION

    @property
    def bolt_uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    @property
    def browser_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/browser/"


class LocalNeo4j:
    """One managed Neo4j instance.

    Args:
        instance_dir: Directory for conf, data, logs and the password file.
        dist_dir: Directory with the resolved jars (shared between instances).
        heap: Java heap size (e.g. ``"1g"``).
        pagecache: Page cache size.
    """

    user = "neo4j"

    def __init__(
        self,
        instance_dir: Path,
        dist_dir: Path | None = None,
        heap: str | None = None,
        pagecache: str | None = None,
    ) -> None:
        self.dir = Path(instance_dir)
        self.dist = dist_dir or default_dist_dir()
        self.heap = heap or os.environ.get("MISHON_NEO4J_HEAP", "1g")
        self.pagecache = pagecache or os.environ.get("MISHON_NEO4J_PAGECACHE", "512m")

    def __repr__(self) -> str:
        return f"LocalNeo4j(dir={str(self.dir)!r})"

    @property
    def password_file(self) -> Path:
        return self.dir / "password"

    @property
    def state_file(self) -> Path:
        return self.dir / "state.json"

    def password(self) -> str:
        """The generated password (file readable only by the user)."""
        if not self.password_file.is_file():
            raise MishonError(f"no password file at {self.password_file}: run `mishon db start` first")
        return self.password_file.read_text(encoding="utf-8").strip()

    def state(self) -> ServerState | None:
        """The running server, or ``None`` (a stale state file is ignored)."""
        if not self.state_file.is_file():
            return None
        data = json.loads(self.state_file.read_text(encoding="utf-8"))
        state = ServerState(**data)
        return state if _pid_alive(state.pid) else None

    # Lifecycle -------------------------------------------------------------------------------
    def start(
        self, timeout: float = 180.0, *, ports: tuple[int, int] = (7687, 7474)
    ) -> tuple[ServerState, bool]:
        """Start the server unless it runs; returns (state, started_now).

        Args:
            timeout: Seconds to wait for bolt and HTTP to answer.
            ports: Preferred (bolt, http) ports, used when free; ``0`` picks any free port.
        """
        running = self.state()
        if running is not None:
            return running, False
        lib = install(self.dist)
        for sub in ("conf", "data", "logs", "run", "plugins", "import"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        bolt, http = _free_port(ports[0]), _free_port(ports[1])
        if http == bolt:
            http = _free_port(0)
        self._write_conf(bolt, http)
        env = self._env()
        if not self.password_file.is_file():
            self._set_initial_password(lib, env)
        log = open(self.dir / "logs" / "console.log", "ab")  # noqa: SIM115 - owned by the child
        proc = subprocess.Popen(
            [
                "java",
                f"-Xms{self.heap}",
                f"-Xmx{self.heap}",
                "-XX:+UseG1GC",
                "-cp",
                f"{lib}/*",
                _MAIN_CLASS,
                f"--home-dir={self.dir}",
                f"--config-dir={self.dir / 'conf'}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        log.close()
        _CHILDREN[proc.pid] = proc
        state = ServerState(pid=proc.pid, bolt_port=bolt, http_port=http)
        self.state_file.write_text(json.dumps(state.__dict__), encoding="utf-8")
        self._wait_ready(state, proc, timeout)
        return state, True

    def stop(self, timeout: float = 60.0) -> bool:
        """Stop the server (data stays); returns whether one was running."""
        state = self.state()
        if state is None:
            return False
        os.kill(state.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _pid_alive(state.pid):
            time.sleep(0.3)
        if _pid_alive(state.pid):
            os.kill(state.pid, signal.SIGKILL)
        child = _CHILDREN.pop(state.pid, None)
        if child is not None:
            child.wait(timeout=10)
        self.state_file.unlink(missing_ok=True)
        return True

    # Internals -------------------------------------------------------------------------------
    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["NEO4J_HOME"] = str(self.dir)
        env["NEO4J_CONF"] = str(self.dir / "conf")
        return env

    def _write_conf(self, bolt: int, http: int) -> None:
        d = self.dir
        lines = [
            "server.default_listen_address=127.0.0.1",
            "server.default_advertised_address=127.0.0.1",
            f"server.bolt.listen_address=127.0.0.1:{bolt}",
            f"server.bolt.advertised_address=127.0.0.1:{bolt}",
            f"server.http.listen_address=127.0.0.1:{http}",
            f"server.http.advertised_address=127.0.0.1:{http}",
            "server.https.enabled=false",
            f"server.directories.data={d / 'data'}",
            f"server.directories.logs={d / 'logs'}",
            f"server.directories.run={d / 'run'}",
            f"server.directories.plugins={d / 'plugins'}",
            f"server.directories.import={d / 'import'}",
            f"server.memory.heap.initial_size={self.heap}",
            f"server.memory.heap.max_size={self.heap}",
            f"server.memory.pagecache.size={self.pagecache}",
            "dbms.usage_report.enabled=false",
            "db.transaction.timeout=0",
        ]
        (d / "conf" / "neo4j.conf").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def _set_initial_password(self, lib: Path, env: dict[str, str]) -> None:
        # Never starts with "-" (the admin tool would read it as an option).
        password = "m" + secrets.token_urlsafe(24)
        proc = subprocess.run(
            ["java", "-cp", f"{lib}/*", _ADMIN_CLASS, "dbms", "set-initial-password", password],
            capture_output=True,
            text=True,
            env=env,
        )
        if proc.returncode != 0:
            last = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            raise MishonError(f"could not set the initial Neo4j password: {last[0]}")
        fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(password + "\n")

    def _wait_ready(self, state: ServerState, proc: subprocess.Popen[bytes], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.state_file.unlink(missing_ok=True)
                log = self.dir / "logs" / "console.log"
                raise MishonError(f"Neo4j exited during start (code {proc.returncode}); see {log}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{state.http_port}/", timeout=2) as r:
                    if r.status == 200 and _bolt_open(state.bolt_port):
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise MishonError(f"Neo4j did not answer within {timeout:.0f} s; see {self.dir / 'logs'}")


def _bolt_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False
