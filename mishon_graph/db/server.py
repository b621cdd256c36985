"""Lifecycle of a local Neo4j Community server obtained from Maven Central with ``mvn``.

The server jars (``org.neo4j.app:neo4j-server``) and Neo4j Browser (``org.neo4j.client:neo4j-browser``)
are resolved once into a shared distribution directory; each instance (conf, data, logs, password)
lives in its own directory. The server binds to 127.0.0.1 only.

Data safety: the instance directory is private to the user (0700, files 0600, the JVM runs with umask
0o077); a PID from ``state.json`` is believed and signalled only when ``/proc/<pid>/cmdline`` shows this
instance's JVM; the password never appears on a command line (the admin tool reads it from a 0600
Java argument file); one lock serialises install, one per instance serialises start/stop.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

from mishon_graph.db.runner import Runner
from mishon_graph.errors import MishonError

_LOG = logging.getLogger(__name__)

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


class _PortTaken(MishonError):
    """The server exited at start because another process holds one of its ports."""


def reap_children() -> list[int]:
    """Reap the servers this process started that have ended on their own (killed, crashed): without
    it each stays a zombie until this process exits. Returns their pids."""
    gone = [pid for pid, proc in _CHILDREN.items() if proc.poll() is not None]
    for pid in gone:
        del _CHILDREN[pid]
    return gone
_ADMIN_CLASS = "org.neo4j.cli.AdminTool"
# Files the JVM creates (store, logs, auth) are owner-only.
_UMASK = 0o077
_SUBDIRS = ("conf", "data", "logs", "run", "plugins", "import")

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
    """Shared, per-user directory holding the resolved Neo4j jars (``Config.neo4j_dist`` overrides)."""
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
    # Two first starts must not resolve into the same folder at once; the second one finds the marker.
    with _flocked(dist / ".install.lock"):
        if marker.is_file():
            return lib
        _resolve(dist, lib, quiet=quiet)
        marker.write_text(NEO4J_VERSION, encoding="utf-8")
    return lib


def _resolve(dist: Path, lib: Path, *, quiet: bool) -> None:
    (dist / "pom.xml").write_text(_pom_text(), encoding="utf-8")
    cmd = ["mvn", "-B", "dependency:copy-dependencies", f"-DoutputDirectory={lib}", "-DincludeScope=runtime"]
    if quiet:
        cmd.insert(1, "-q")
    proc = subprocess.run(cmd, cwd=dist, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
        raise MishonError(f"mvn could not resolve Neo4j {NEO4J_VERSION}: {' | '.join(tail)}")


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


def _cmdline(pid: int) -> list[str]:
    """The process's arguments (empty when it is gone, a zombie, or not ours to read)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return raw.decode("utf-8", "replace").split("\0")[:-1] if raw else []


def is_instance_jvm(pid: int, home: Path) -> bool:
    """Whether ``pid`` is a live Neo4j server JVM of the user, started with ``--home-dir=<home>``."""
    if pid <= 0:
        return False
    try:
        if os.stat(f"/proc/{pid}").st_uid != os.getuid():
            return False
    except OSError:
        return False
    args = _cmdline(pid)
    return _MAIN_CLASS in args and f"--home-dir={home}" in args


def find_instance_jvm(home: Path) -> int | None:
    """Scan ``/proc`` for this instance's server JVM (used when ``state.json`` is missing or wrong)."""
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    for name in entries:
        if name.isdigit() and is_instance_jvm(int(name), home):
            return int(name)
    return None


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` atomically (temp file in the same folder, then ``os.replace``), mode 0600."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _flocked(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created 0600) for the block."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextlib.contextmanager
def _muted(logger_name: str) -> Iterator[None]:
    """Raise a logger to WARNING for the block."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        logger.setLevel(level)


def _admin_argv(lib: Path, argfile: Path) -> list[str]:
    """The admin tool's command line; its main class and arguments (the password) are in ``argfile``."""
    # The java launcher expands @argfiles, also after -cp, so the password stays off every command line.
    return ["java", "-cp", f"{lib}/*", f"@{argfile}"]


def _new_password() -> str:
    # Never starts with "-" (the admin tool would read it as an option); URL-safe characters need no
    # quoting in a Java argument file.
    return "m" + secrets.token_urlsafe(24)


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


def _parse_state(text: bytes) -> ServerState:
    """``state.json`` content to a state; ``ValueError`` when it is not a well-formed one."""
    data = json.loads(text)  # JSONDecodeError and UnicodeDecodeError are ValueErrors
    if not isinstance(data, dict) or set(data) - {"pid", "bolt_port", "http_port", "version"}:
        raise ValueError(f"unexpected content {data!r}")
    ints = [data.get(k) for k in ("pid", "bolt_port", "http_port")]
    if not all(type(v) is int and v > 0 for v in ints):
        raise ValueError(f"pid and ports must be positive integers, got {ints}")
    if not isinstance(data.get("version", NEO4J_VERSION), str):
        raise ValueError("version must be a string")
    return ServerState(**data)


class LocalNeo4j:
    """One managed Neo4j instance.

    Args:
        instance_dir: Directory for conf, data, logs and the password file (made private: 0700).
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
        # Absolute, so that the ``--home-dir`` that identifies the JVM is the same from any cwd.
        self.dir = Path(instance_dir).expanduser().resolve()
        self.dist = dist_dir or default_dist_dir()
        self.heap = heap or "1g"
        self.pagecache = pagecache or "512m"

    def __repr__(self) -> str:
        return f"LocalNeo4j(dir={str(self.dir)!r})"

    @property
    def password_file(self) -> Path:
        return self.dir / "password"

    @property
    def state_file(self) -> Path:
        return self.dir / "state.json"

    def store_exists(self) -> bool:
        """Whether the store already holds a password (set by the admin tool or by a first start)."""
        data = self.dir / "data"
        return (data / "databases" / "system").exists() or (data / "dbms" / "auth.ini").exists()

    def password(self) -> str:
        """The generated password (file readable only by the user)."""
        if not self.password_file.is_file():
            if self.store_exists():
                raise MishonError(
                    f"the password file {self.password_file} is missing: "
                    "run `mishon db reset-password` to set a new password"
                )
            raise MishonError(f"no password file at {self.password_file}: run `mishon db start` first")
        return self.password_file.read_text(encoding="utf-8").strip()

    def state(self) -> ServerState | None:
        """The running server, or ``None``.

        ``state.json`` is believed only when its PID is this instance's JVM; when it is missing, corrupt
        or names another process, ``/proc`` is scanned for this instance's JVM so a running server is
        never orphaned (its ports then come from ``conf/neo4j.conf``).
        """
        recorded = self._read_state()
        if recorded is not None:
            if is_instance_jvm(recorded.pid, self.dir):
                return recorded
            _LOG.debug("%s: pid %d is not this instance's Neo4j; ignored", self.state_file, recorded.pid)
        pid = find_instance_jvm(self.dir)
        if pid is None:
            return None
        bolt, http = self._conf_ports()
        _LOG.debug("found this instance's Neo4j as pid %d (bolt %d, http %d)", pid, bolt, http)
        return ServerState(pid=pid, bolt_port=bolt, http_port=http)

    # Lifecycle -------------------------------------------------------------------------------
    def start(
        self, timeout: float = 180.0, *, ports: tuple[int, int] = (7687, 7474)
    ) -> tuple[ServerState, bool]:
        """Start the server unless it runs; returns (state, started_now).

        Args:
            timeout: Seconds to wait for bolt and HTTP to answer.
            ports: Preferred (bolt, http) ports, used when free; ``0`` picks any free port.
        """
        self._make_private_dir()
        with self._instance_lock():
            return self._start(timeout, ports)

    def stop(self, timeout: float = 60.0) -> bool:
        """Stop the server (data stays); returns whether one was running."""
        if not self.dir.is_dir():
            return False
        with self._instance_lock():
            return self._stop(timeout)

    def reset_password(self, timeout: float = 180.0) -> bool:
        """Give the ``neo4j`` user a new password, written to :attr:`password_file`.

        Neo4j's recovery procedure: stop the server, start it once with authentication disabled (bound
        to 127.0.0.1, on free ports), ``ALTER USER`` in the ``system`` database, stop it, and restore the
        configuration with authentication on. The server is started again when it was running.

        Returns:
            Whether the server was running (and so was started again).
        """
        if not self.store_exists():
            raise MishonError(
                f"no Neo4j store in {self.dir / 'data'}: `mishon db start` creates one with a new password"
            )
        self._make_private_dir()
        with self._instance_lock():
            running = self.state()
            ports = (running.bolt_port, running.http_port) if running else (7687, 7474)
            if running is not None:
                self._stop(60.0)
            lib = install(self.dist)
            password = _new_password()
            bolt, http = self._pick_ports((0, 0))
            self._write_conf(bolt, http, auth=False)
            try:
                state = self._launch(lib, bolt, http, timeout)
                try:
                    # Parameterised; authentication is off, so the credentials given are not checked.
                    # The driver's DEBUG log prints query parameters: muted so `--debug` hides the password.
                    with _muted("neo4j"), Runner(state.bolt_uri, self.user, "", database="system") as runner:
                        runner.run(
                            "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                            {"password": password},
                            write=True,
                        )
                finally:
                    self._stop(60.0)
            finally:
                self._write_conf(bolt, http, auth=True)
            _write_private(self.password_file, password + "\n")
            if running is not None:
                self._start(timeout, ports)
            return running is not None

    # Internals -------------------------------------------------------------------------------
    def _read_state(self) -> ServerState | None:
        try:
            text = self.state_file.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            _LOG.debug("%s unreadable (%s); treated as no state", self.state_file, exc)
            return None
        try:
            return _parse_state(text)
        except (ValueError, TypeError) as exc:
            _LOG.debug("%s is corrupt (%s); treated as no state", self.state_file, exc)
            return None

    @contextlib.contextmanager
    def _instance_lock(self) -> Iterator[None]:
        with _flocked(self.dir / ".lock"):
            yield

    def _make_private_dir(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.dir, 0o700)

    def _tighten_tree(self) -> None:
        """Drop group/other permissions under the instance dir (instances made before they were private)."""
        for root, dirs, files in os.walk(self.dir):
            for name in dirs + files:
                path = os.path.join(root, name)
                try:
                    st = os.lstat(path)
                    if not stat.S_ISLNK(st.st_mode) and st.st_mode & 0o077:
                        os.chmod(path, stat.S_IMODE(st.st_mode) & 0o700)
                except OSError as exc:
                    _LOG.debug("could not restrict %s: %s", path, exc)

    def _start(self, timeout: float, ports: tuple[int, int]) -> tuple[ServerState, bool]:
        running = self.state()
        if running is not None:
            return running, False
        lib = install(self.dist)
        for sub in _SUBDIRS:
            (self.dir / sub).mkdir(exist_ok=True, mode=0o700)
        self._tighten_tree()
        bolt, http = self._pick_ports(ports)
        self._write_conf(bolt, http)
        if not self.store_exists():
            # A fresh store: its password is set before the first start (a leftover password file, from a
            # store since deleted, is replaced).
            self._set_initial_password(lib, _new_password())
        elif not self.password_file.is_file():
            # A new password now would never reach the store, which keeps its own: the user is locked out.
            raise MishonError(
                f"the Neo4j store in {self.dir / 'data'} has a password but the password file "
                f"{self.password_file} is missing: run `mishon db reset-password` to set a new one"
            )
        try:
            return self._launch(lib, bolt, http, timeout), True
        except _PortTaken as exc:  # lost a race for a preferred port: any free ones will do
            _LOG.info("%s; starting on other free ports", exc)
            bolt, http = self._pick_ports((0, 0))
            self._write_conf(bolt, http)
            return self._launch(lib, bolt, http, timeout), True

    def _launch(self, lib: Path, bolt: int, http: int, timeout: float) -> ServerState:
        reap_children()
        fd = os.open(self.dir / "logs" / "console.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "ab") as log:  # the child keeps its own copy of the descriptor
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
                env=self._env(),
                start_new_session=True,
                umask=_UMASK,
            )
        _CHILDREN[proc.pid] = proc
        state = ServerState(pid=proc.pid, bolt_port=bolt, http_port=http)
        _write_private(self.state_file, json.dumps(state.__dict__))
        self._wait_ready(state, proc, timeout)
        return state

    def _stop(self, timeout: float) -> bool:
        state = self.state()
        if state is None:
            self.state_file.unlink(missing_ok=True)  # stale or corrupt: it names no server of ours
            return False
        # Signal only a process verified (just above, and again before SIGKILL) as this instance's JVM.
        with contextlib.suppress(ProcessLookupError):
            os.kill(state.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and is_instance_jvm(state.pid, self.dir):
            time.sleep(0.3)
        if is_instance_jvm(state.pid, self.dir):
            with contextlib.suppress(ProcessLookupError):
                os.kill(state.pid, signal.SIGKILL)
        child = _CHILDREN.pop(state.pid, None)
        if child is not None:
            child.wait(timeout=10)
        reap_children()
        self.state_file.unlink(missing_ok=True)
        return True

    def _pick_ports(self, ports: tuple[int, int]) -> tuple[int, int]:
        bolt, http = _free_port(ports[0]), _free_port(ports[1])
        if http == bolt:
            http = _free_port(0)
        return bolt, http

    def _conf_ports(self) -> tuple[int, int]:
        """(bolt, http) ports from ``conf/neo4j.conf``; 0 where unknown."""
        found = {"server.bolt.listen_address": 0, "server.http.listen_address": 0}
        try:
            lines = (self.dir / "conf" / "neo4j.conf").read_text(encoding="utf-8").splitlines()
        except OSError:
            lines = []
        for line in lines:
            key, _, value = line.partition("=")
            if key.strip() in found:
                port = value.rpartition(":")[2].strip()
                found[key.strip()] = int(port) if port.isdigit() else 0
        return found["server.bolt.listen_address"], found["server.http.listen_address"]

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["NEO4J_HOME"] = str(self.dir)
        env["NEO4J_CONF"] = str(self.dir / "conf")
        return env

    def _write_conf(self, bolt: int, http: int, *, auth: bool = True) -> None:
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
        if not auth:
            lines.append("dbms.security.auth_enabled=false")  # only while `reset_password` runs
        _write_private(d / "conf" / "neo4j.conf", "\n".join(lines) + "\n")

    def _set_initial_password(self, lib: Path, password: str) -> None:
        # Password file first: if the tool then fails the store is unchanged and the file is removed; if
        # it succeeds, the password is already saved (never a store whose password nobody knows).
        _write_private(self.password_file, password + "\n")
        fd, argfile = tempfile.mkstemp(prefix=".admin-", suffix=".args", dir=self.dir / "run")  # 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write("\n".join([_ADMIN_CLASS, "dbms", "set-initial-password", password]) + "\n")
            proc = subprocess.run(
                _admin_argv(lib, Path(argfile)),
                capture_output=True,
                text=True,
                env=self._env(),
                umask=_UMASK,
            )
        finally:
            os.unlink(argfile)
        if proc.returncode != 0:
            self.password_file.unlink(missing_ok=True)
            last = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            raise MishonError(f"could not set the initial Neo4j password: {last[0]}")

    def _wait_ready(self, state: ServerState, proc: subprocess.Popen[bytes], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.state_file.unlink(missing_ok=True)
                _CHILDREN.pop(proc.pid, None)
                log = self.dir / "logs" / "console.log"
                taken = [p for p in (state.bolt_port, state.http_port) if not _port_free(p)]
                if taken:  # another server bound it between our check and our start
                    raise _PortTaken(f"Neo4j could not listen on port {taken[0]}: another process took it")
                raise MishonError(f"Neo4j exited during start (code {proc.returncode}); see {log}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{state.http_port}/", timeout=2) as r:
                    answered = r.status == 200 and _bolt_open(state.bolt_port)
            except OSError:
                answered = False
            # Another server that took a port between our check and our bind answers too: only our
            # own JVM listening on both ports counts (else it is about to exit, "address in use").
            if answered and _listens(proc.pid, (state.bolt_port, state.http_port)):
                return
            time.sleep(0.5)
        raise MishonError(f"Neo4j did not answer within {timeout:.0f} s; see {self.dir / 'logs'}")


def _listens(pid: int, ports: tuple[int, ...]) -> bool:
    """Process ``pid`` holds a listening TCP socket on every one of ``ports``."""
    try:
        conns = psutil.Process(pid).net_connections(kind="tcp")
    except (psutil.Error, OSError):
        return False
    mine = {c.laddr.port for c in conns if c.status == psutil.CONN_LISTEN and c.laddr}
    return set(ports) <= mine


def _bolt_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False
