"""Fixtures that run the real herald binary for integration tests.

Each server gets a free loopback port and a fresh data directory; it is
stopped with SIGTERM and must exit 0. Tokens are minted here (HS256 with the
server's secret) so tests can choose exp freely.
"""
import base64
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest
import requests

SECRET = "integration-test-secret-0123456789abcdef"


def pytest_addoption(parser):
    parser.addoption("--herald", action="store", default=None,
                     help="path to the herald server binary")
    parser.addoption("--database", action="store", default="sqlite", choices=("sqlite", "postgres"),
                     help="storage every server uses: SQLite in its data directory (default), or "
                          "a PostgreSQL this run starts, one database per data directory")


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: checks SQLite's own files; skipped on --database postgres")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--database") != "postgres":
        return
    skip = pytest.mark.skip(reason="checks SQLite's files (run with --database sqlite)")
    for item in items:
        if item.get_closest_marker("sqlite_only"):
            item.add_marker(skip)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_token(user_id, username=None, ttl=3600, secret=SECRET, header=None, **extra):
    """An HS256 access token; ttl may be negative for an already-expired one.
    `header` replaces the JOSE header (default {"alg": "HS256", "typ": "JWT"});
    extra claims are added or replace the defaults (None removes one)."""
    now = int(time.time())
    claims = {"sub": str(user_id), "iat": now, "exp": now + ttl, "type": "access"}
    if username is not None:
        claims["username"] = username
    claims.update(extra)
    claims = {k: v for k, v in claims.items() if v is not None}
    header = _b64(json.dumps(header or {"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims).encode())
    sig = hmac.new(secret.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{_b64(sig)}"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One running herald process."""

    def __init__(self, binary, data_dir, extra_args):
        self.binary = binary
        self.data_dir = str(data_dir)
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None
        # A server started with --tls-cert speaks only TLS; its (self-signed)
        # certificate is what clients verify against.
        self.tls_cert = (self.extra_args[self.extra_args.index("--tls-cert") + 1]
                         if "--tls-cert" in self.extra_args else None)

    @property
    def verify(self):
        return self.tls_cert if self.tls_cert else True

    @property
    def base(self):
        return f"{'https' if self.tls_cert else 'http'}://127.0.0.1:{self.port}"

    def ws_url(self, token=None, query=""):
        url = f"{'wss' if self.tls_cert else 'ws'}://127.0.0.1:{self.port}/api/v1/ws"
        params = []
        if token is not None:
            params.append(f"token={token}")
        if query:
            params.append(query)
        return url + ("?" + "&".join(params) if params else "")

    def start(self):
        self.port = _free_port()
        args = [self.binary, "serve", "--port", str(self.port), "--data-dir", self.data_dir,
                "--jwt-secret", SECRET, "--workers", "2", "--log-level", "warn"] + self.extra_args
        self.log = open(os.path.join(self.data_dir, f"server-{self.port}.log"), "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"herald exited early with {self.proc.returncode}")
            try:
                if requests.get(self.base + "/health", timeout=1, verify=self.verify).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise RuntimeError("herald did not become healthy")

    def stop(self, timeout=12):
        """SIGTERM and wait; returns the exit code (a crash shows as negative)."""
        if self.proc is None:
            return None
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        finally:
            self.log.close()
        return rc

    def token(self, user_id, username=None, ttl=3600, **extra):
        return make_token(user_id, username if username is not None else f"user{user_id}", ttl, **extra)

    def get(self, path, token=None, **kw):
        headers = kw.pop("headers", {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return requests.get(self.base + path, headers=headers, timeout=5, verify=self.verify, **kw)

    def post(self, path, token=None, **kw):
        headers = kw.pop("headers", {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return requests.post(self.base + path, headers=headers, timeout=5, verify=self.verify, **kw)


@pytest.fixture
def herald_binary(request):
    path = request.config.getoption("--herald") or os.environ.get("HERALD_BIN") \
        or "/work/main/build/herald"
    assert os.path.exists(path), f"herald binary not found: {path}"
    return path


class PostgresServer:
    """A PostgreSQL of the run's own (Debian's postgresql-15): initdb in a temp
    dir, a free loopback port, trust auth for the role `herald`, fsync off.
    PostgreSQL refuses to run as root, so as root it runs as `postgres`."""

    BIN = "/usr/lib/postgresql/15/bin"

    def __init__(self, directory):
        self.directory = str(directory)
        self.port = _free_port()
        self.databases = {}  # data dir -> database name

    def _run(self, *args):
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(prefix + list(args), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self):
        os.makedirs(self.directory, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        data = os.path.join(self.directory, "data")
        if not os.path.exists(data):  # a restart keeps the cluster
            self._run(f"{self.BIN}/initdb", "-D", data, "-U", "herald", "--auth=trust", "-E", "UTF8",
                      "--no-sync", "-N")
        self._run(f"{self.BIN}/pg_ctl", "-D", data, "-l", os.path.join(self.directory, "log"), "-w", "-s",
                  "-o", f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off "
                        f"-c max_connections=300", "start")
        return self

    def stop(self):
        self._run(f"{self.BIN}/pg_ctl", "-D", os.path.join(self.directory, "data"), "-w", "-s", "-m", "fast",
                  "stop")

    def url_for(self, data_dir):
        """The database of one data directory: a server restarted on the same
        directory finds its data again, as with SQLite."""
        name = self.databases.get(str(data_dir))
        if name is None:
            name = f"d{len(self.databases) + 1}"
            subprocess.run([f"{self.BIN}/psql", "-h", "127.0.0.1",
                            "-p", str(self.port), "-U", "herald", "-d", "postgres", "-q",
                            "-c", f"CREATE DATABASE {name}"], check=True, stdout=subprocess.DEVNULL)
            self.databases[str(data_dir)] = name
        return f"postgresql://herald@127.0.0.1:{self.port}/{name}"


class _LazyPostgres:
    """One PostgreSQL for the whole run, started on first use."""

    def __init__(self):
        self.server = None
        self.directory = None

    def get(self):
        if self.server is None:
            if not os.path.exists(PostgresServer.BIN + "/initdb"):
                pytest.skip("PostgreSQL 15 is not installed (scripts/install-deps.sh installs it)")
            # Its own dir under /tmp: pytest's temp dirs are root's only, and
            # the server runs as `postgres` when the tests run as root.
            self.directory = tempfile.mkdtemp(prefix="herald-it-pg-")
            self.server = PostgresServer(self.directory).start()
        return self.server

    def close(self):
        if self.server is not None:
            self.server.stop()
            shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture(scope="session")
def _postgres():
    lazy = _LazyPostgres()
    yield lazy
    lazy.close()


@pytest.fixture
def postgres_server(request, _postgres):
    """The run's PostgreSQL when every server is to use it (--database
    postgres), else None."""
    if request.config.getoption("--database") != "postgres":
        return None
    return _postgres.get()


@pytest.fixture
def shared_database(_postgres, tmp_path):
    """A fresh PostgreSQL database URL for a cluster test's nodes to share."""
    return _postgres.get().url_for(tmp_path / "shared")


@pytest.fixture
def herald_factory(herald_binary, tmp_path, request, postgres_server):
    """Start servers with custom flags; all are stopped (and checked) at teardown.
    With --database postgres each data directory has its own database.

    A test marked xfail (a known server bug, which may crash the server) is not
    also failed at teardown for the exit code: its body asserts what matters."""
    servers = []

    def start(*extra_args, data_dir=None):
        d = data_dir or (tmp_path / f"data{len(servers)}")
        os.makedirs(d, exist_ok=True)
        if postgres_server is not None and "--database-url" not in extra_args:
            extra_args = tuple(extra_args) + ("--database-url", postgres_server.url_for(d))
        srv = Server(herald_binary, d, extra_args).start()
        servers.append(srv)
        return srv

    yield start
    codes = [s.stop() for s in servers]
    if request.node.get_closest_marker("xfail") is None:
        for rc in codes:
            assert rc in (None, 0), f"herald exited with {rc}"


@pytest.fixture
def herald(herald_factory):
    return herald_factory()


class RedisServer:
    """A redis-server of the test's own on a free loopback port, in a temp
    dir, with nothing persisted; stop() and start() take it away and bring
    it back on the same port (a Redis restart, as a cluster node sees it)."""

    BINARY = "/usr/bin/redis-server"

    def __init__(self, directory):
        self.directory = str(directory)
        self.port = _free_port()
        self.proc = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def start(self):
        os.makedirs(self.directory, exist_ok=True)
        self.log = open(os.path.join(self.directory, "redis.log"), "ab")
        self.proc = subprocess.Popen(
            [self.BINARY, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.directory],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()


@pytest.fixture
def redis_server(tmp_path):
    if not os.path.exists(RedisServer.BINARY):
        pytest.skip("redis-server is not installed (scripts/install-deps.sh installs it)")
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()
