"""Three task-mcp replicas on one PostgreSQL database, behind a round-robin nginx.

The module starts its own world, shared by its tests:

* a throwaway PostgreSQL cluster (``scripts/postgres-cluster.sh``, Debian's ``postgresql``),
  which the outage test stops and starts again (``down``/``up``);
* one ``parallel-sandbox`` (the standalone binary) that signs completion webhooks with the
  module's webhook secret and delivers them to the public URL, so they land on any replica;
* three ``task-mcp serve`` processes started together on the empty database (migrations under
  the advisory lock), on ephemeral loopback ports, with the same ``TASK_MCP_SECRET_KEY``,
  ``TASK_MCP_SEALING_KEYS`` and ``TASK_MCP_WEBHOOK_SECRET``;
* nginx (Debian's) in front: round robin, no stickiness, no buffering (SSE), HTTP/1.1 to the
  replicas, long read timeouts, ``X-Forwarded-For`` (``TASK_MCP_TRUSTED_PROXIES=127.0.0.1``),
  and an access log with ``$upstream_addr`` that shows which replica answered each request.
  ``TASK_MCP_PUBLIC_URL`` is the proxy's URL.

Some tests go through the proxy, as clients would; others address replicas by port, to be sure
that a request lands where the test says. Nothing asserts a duration: deadlines only guard
against hangs (every HTTP request has a 30 s client timeout, to detect a hang, not to time it).

Skipped unless PostgreSQL's server binaries and nginx are installed; with ``REQUIRE_POSTGRES=1``
(CI, through ``.ci/run``) a missing one fails the tests instead.

Environment: ``NGINX_BIN`` (default: ``nginx`` on PATH or ``/usr/sbin/nginx``); the binaries as in
conftest (``SANDBOX_BIN``, ``TASK_MCP_BIN``, ``SANDBOX_TIME_FACTOR``).
"""

from __future__ import annotations

import base64
import collections
import concurrent.futures
import contextlib
import dataclasses
import glob
import json
import os
import pathlib
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from typing import Any, Iterator, Optional

import httpx
import httpx2
import pytest
from mcp.client import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

from _support import DEMO_KEY, RUN_ID_RE, wait_until
from conftest import LISTEN_RE, REPO_ROOT, TASK_MCP_LISTEN_RE, _binary_path, _follow_first_line, _wait_for_binary
from test_oauth_flow import (
    ACCESS_PREFIX,
    LEGACY,
    REDIRECT_URI,
    TOOL_NAMES,
    Flow,
    HeadlessUser,
    MemoryTokenStorage,
    Server,
    authorize_url,
    full_flow,
    new_browser,
    pkce_pair,
    register,
    run,
    sign_in,
)

REPLICAS = 3
# A client timeout that only a hang reaches.
HANG_GUARD = 30.0
STARTUP_TIMEOUT = 90.0
# Requests tagged with this header are found again in nginx's access log.
TAG_HEADER = "X-Conformance-Tag"
REQUIRED = os.environ.get("REQUIRE_POSTGRES") == "1"
CLUSTER_SCRIPT = REPO_ROOT / "scripts" / "postgres-cluster.sh"
MIGRATIONS = REPO_ROOT / "migrations" / "postgres"


# --------------------------------------------------------------------------- what it needs


def postgres_bin_dir() -> Optional[pathlib.Path]:
    """The newest Debian PostgreSQL bin folder (or the one of ``initdb`` on PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: [int(x) for x in re.findall(r"\d+", p)])
    if found:
        return pathlib.Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return pathlib.Path(initdb).parent if initdb else None


def nginx_binary() -> Optional[str]:
    configured = os.environ.get("NGINX_BIN")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


def missing_requirements() -> list[str]:
    missing = []
    if postgres_bin_dir() is None:
        missing.append("PostgreSQL server binaries (Debian's postgresql package)")
    if nginx_binary() is None:
        missing.append("nginx (Debian's nginx package, or NGINX_BIN)")
    return missing


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path: pathlib.Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as error:
        return f"({path}: {error})"


class Listening:
    """A process whose first stdout line announces its URL; stdout is drained afterwards."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], log: pathlib.Path, pattern: re.Pattern) -> None:
        self.name, self.cmd, self.env, self.log, self.pattern = name, cmd, env, log, pattern
        self.proc: Optional[subprocess.Popen] = None
        self.url = ""
        self._first: list[str] = []
        self._got = threading.Event()

    def start(self) -> "Listening":
        with open(self.log, "ab") as log:
            log.write(f"---- {self.name}: {' '.join(self.cmd)}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=log, text=True, bufsize=1, env=self.env)
        self._first, self._got = _follow_first_line(self.proc, self.name)
        return self

    def wait_listening(self) -> str:
        assert self.proc is not None
        if not self._got.wait(STARTUP_TIMEOUT) or not self._first:
            self.kill()
            raise AssertionError(
                f"{self.name} printed no listening line within {STARTUP_TIMEOUT}s (exit code {self.proc.returncode}):\n{tail(self.log)}"
            )
        match = self.pattern.match(self._first[0].rstrip("\r\n"))
        if not match:
            self.kill()
            raise AssertionError(f"{self.name}: unexpected first line {self._first[0]!r}:\n{tail(self.log)}")
        self.url = match.group(1)
        return self.url

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self, grace: float = 20.0) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclasses.dataclass
class Replica:
    index: int
    process: Listening

    @property
    def url(self) -> str:
        return self.process.url

    @property
    def address(self) -> str:
        """host:port, as nginx's ``$upstream_addr`` names it."""
        return self.url.removeprefix("http://")

    @property
    def port(self) -> int:
        return int(self.address.rsplit(":", 1)[1])

    @property
    def mcp(self) -> str:
        return self.url + "/mcp"

    def restart(self) -> None:
        """Starts the process again on the port it had (nginx knows the replica by it)."""
        port = self.port
        self.process.env = {**self.process.env, "TASK_MCP_PORT": str(port)}
        self.process.start()
        url = self.process.wait_listening()
        assert url.endswith(f":{port}"), f"replica {self.index} came back on {url}, not port {port}"


@dataclasses.dataclass
class LogEntry:
    msec: float
    upstreams: list[str]  # every replica nginx tried, the one that answered last
    upstream_status: str
    status: int
    method: str
    uri: str
    tag: str

    @property
    def upstream(self) -> str:
        return self.upstreams[-1] if self.upstreams else "-"


class Nginx:
    """Round-robin reverse proxy in front of the replicas (config generated in a tmp dir)."""

    LOG_FORMAT = "$msec|$upstream_addr|$upstream_status|$status|$request_method|$uri|$http_x_conformance_tag"

    def __init__(self, binary: str, directory: pathlib.Path, port: int, upstreams: list[str]) -> None:
        self.binary, self.dir, self.port = binary, directory, port
        self.url = f"http://127.0.0.1:{port}"
        self.access_log = directory / "access.log"
        self.error_log = directory / "error.log"
        self.conf = directory / "nginx.conf"
        for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (directory / sub).mkdir(parents=True, exist_ok=True)
        servers = "\n".join(f"        server {u} max_fails=1 fail_timeout=2s;" for u in upstreams)
        # Running as root, workers would default to `nobody`, who cannot enter pytest's tmp dirs.
        user = "user root;\n" if os.geteuid() == 0 else ""
        self.conf.write_text(
            f"""{user}worker_processes 1;
daemon off;
pid {directory}/nginx.pid;
error_log {self.error_log} notice;
events {{ worker_connections 1024; }}
http {{
    log_format replicas '{self.LOG_FORMAT}';
    access_log {self.access_log} replicas;
    client_body_temp_path {directory}/client_body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;

    # Round robin (nginx's default), no session affinity: any replica serves any request.
    upstream task_mcp {{
{servers}
    }}

    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 9m;
        location / {{
            proxy_pass http://task_mcp;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            # SSE: pass events on as they come, and let streams and long waits stay open.
            proxy_buffering off;
            proxy_cache off;
            proxy_read_timeout 300s;
            proxy_send_timeout 300s;
            proxy_connect_timeout 5s;
            # A replica that refuses the connection (down) is skipped; a request it may have
            # acted on is not sent again (nginx never retries a POST once sent).
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 3;
        }}
    }}
}}
"""
        )
        self.proc: Optional[subprocess.Popen] = None

    def start(self) -> None:
        check = subprocess.run(
            [self.binary, "-t", "-p", str(self.dir), "-c", str(self.conf), "-e", str(self.error_log)],
            capture_output=True, text=True, timeout=30,
        )
        assert check.returncode == 0, f"nginx -t: {check.stderr}"
        self.proc = subprocess.Popen(
            [self.binary, "-p", str(self.dir), "-c", str(self.conf), "-e", str(self.error_log)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

        def up() -> bool:
            assert self.proc is not None
            assert self.proc.poll() is None, f"nginx exited ({self.proc.returncode}):\n{tail(self.error_log)}"
            try:
                return httpx.get(self.url + "/healthz", timeout=5.0).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(up, timeout=STARTUP_TIMEOUT, what="nginx to proxy /healthz")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def entries(self, tag: Optional[str] = None) -> list[LogEntry]:
        out = []
        for line in self.access_log.read_text(errors="replace").splitlines():
            parts = line.split("|")
            if len(parts) != 7:
                continue
            msec, upstreams, upstream_status, status, method, uri, line_tag = parts
            if tag is not None and line_tag != tag:
                continue
            # "a, b" when nginx tried a then b; " : " between the groups of internal redirects.
            addrs = [a for a in re.split(r"\s*,\s*|\s+:\s+", upstreams.strip()) if a and a != "-"]
            out.append(LogEntry(float(msec), addrs, upstream_status, int(status), method, uri, line_tag))
        return out


@dataclasses.dataclass
class CLIResult:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return f"task-mcp {' '.join(self.args)} -> exit {self.returncode}\nstdout: {self.stdout[:2000]}\nstderr: {self.stderr[:2000]}"


@dataclasses.dataclass
class World:
    """Everything the module started."""

    state: pathlib.Path
    pg_dir: str
    database_url: str
    database_password: str
    sandbox_url: str
    env: dict[str, str]
    replicas: list[Replica]
    nginx: Nginx
    binary: pathlib.Path
    postgres_down: bool = False

    @property
    def proxy(self) -> str:
        return self.nginx.url

    @property
    def server(self) -> Server:
        """The public face: the proxy is the issuer, the sandbox the upstream provider."""
        return Server(self.proxy, self.sandbox_url)

    def replica_by_address(self) -> dict[str, int]:
        return {r.address: r.index for r in self.replicas}

    def cli(self, *args: str, timeout: float = 60.0) -> CLIResult:
        """``task-mcp <args>`` with the replicas' environment (same database and keys)."""
        completed = subprocess.run(
            [str(self.binary), *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )
        return CLIResult(list(args), completed.returncode, completed.stdout, completed.stderr)

    def cli_json(self, *args: str) -> list[dict]:
        result = self.cli(*args, "--json")
        assert result.returncode == 0, str(result)
        data = json.loads(result.stdout)
        assert isinstance(data, list), result.stdout[:500]
        return data

    def postgres(self, command: str) -> None:
        """``down`` (an outage: the server stops, the data stays) or ``up`` (same port again)."""
        done = subprocess.run(["bash", str(CLUSTER_SCRIPT), command, self.pg_dir], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"postgres-cluster.sh {command}: {done.stderr}"
        self.postgres_down = command == "down"

    def logs(self) -> str:
        return "\n".join(f"== replica {r.index} ({r.url}):\n{tail(r.process.log, 25)}" for r in self.replicas)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    missing = missing_requirements()
    if missing:
        reason = "three-replica tests need " + " and ".join(missing)
        if REQUIRED:
            pytest.fail(f"{reason}, which REQUIRE_POSTGRES=1 asks for", pytrace=False)
        pytest.skip(reason)
    nginx_bin = nginx_binary()
    assert nginx_bin is not None
    sandbox_bin = _binary_path()
    task_mcp_bin = _binary_path("TASK_MCP_BIN", ".build/debug/task-mcp")
    _wait_for_binary(sandbox_bin, "SANDBOX_BIN")
    _wait_for_binary(task_mcp_bin, "TASK_MCP_BIN")

    state = tmp_path_factory.mktemp("replicas")
    with contextlib.ExitStack() as stack:
        # Outside pytest's 0700 tmp dirs: as root the cluster runs as the postgres user.
        pg_dir = tempfile.mkdtemp(prefix="task-mcp-replicas-pg.", dir="/tmp")
        stack.callback(lambda: subprocess.run(["bash", str(CLUSTER_SCRIPT), "stop", pg_dir], capture_output=True, timeout=120))
        started = subprocess.run(["bash", str(CLUSTER_SCRIPT), "start", pg_dir], capture_output=True, text=True, timeout=180)
        assert started.returncode == 0, f"postgres-cluster.sh start: {started.stderr}"
        database_url = started.stdout.strip()

        webhook_secret = "whsec_" + base64.b64encode(os.urandom(32)).decode("ascii")
        sandbox = Listening(
            "parallel-sandbox",
            [
                str(sandbox_bin), "--host", "127.0.0.1", "--port", "0",
                "--time-factor", os.environ.get("SANDBOX_TIME_FACTOR", "0.002"),
                "--webhook-secret", webhook_secret, "--webhook-retry-delay", "1",
            ],
            {k: v for k, v in os.environ.items() if not k.startswith("PARALLEL_SANDBOX_")},
            state / "sandbox.log",
            LISTEN_RE,
        )
        stack.callback(sandbox.stop)
        sandbox_url = sandbox.start().wait_listening()

        proxy_port = free_port()
        # Never written to a URL: the cluster trusts loopback, so this checks only that the
        # password variable is accepted and never printed.
        database_password = "replica-db-" + secrets.token_hex(8)
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("TASK_MCP_") and not k.startswith("PARALLEL_OAUTH_") and k != "PARALLEL_API_KEY"
        }
        env |= {
            "TASK_MCP_HOST": "127.0.0.1",
            "TASK_MCP_PORT": "0",
            "TASK_MCP_DATABASE": database_url,
            "TASK_MCP_DATABASE_PASSWORD": database_password,
            "TASK_MCP_PUBLIC_URL": f"http://127.0.0.1:{proxy_port}",
            "TASK_MCP_TRUSTED_PROXIES": "127.0.0.1",
            # The same keys on every replica: user ids, progress links, sealed API keys, webhooks.
            "TASK_MCP_SECRET_KEY": base64.b64encode(os.urandom(32)).decode("ascii"),
            "TASK_MCP_SEALING_KEYS": "k1:" + base64.b64encode(os.urandom(32)).decode("ascii"),
            "TASK_MCP_WEBHOOK_SECRET": webhook_secret,
            "PARALLEL_API_BASE_URL": sandbox_url,
            "PARALLEL_OAUTH_URL": sandbox_url + "/getKeys",
            "TASK_MCP_DEV_LOOPBACK_CLIENT_METADATA": "1",
            # Every request comes from one address; limits must not be what these tests meet.
            "TASK_MCP_REGISTRATIONS_PER_HOUR": "1000",
            "TASK_MCP_AUTHORIZATIONS_PER_MINUTE": "6000",
            "TASK_MCP_TOKEN_REQUESTS_PER_MINUTE": "6000",
            "TASK_MCP_SHUTDOWN_GRACE": "5",
        }
        replicas = [
            Replica(i, Listening(f"task-mcp-{i}", [str(task_mcp_bin), "serve"], dict(env), state / f"replica-{i}.log", TASK_MCP_LISTEN_RE))
            for i in range(REPLICAS)
        ]
        # Started together on the empty database: each applies migrations under the advisory lock.
        for replica in replicas:
            stack.callback(replica.process.stop)
            replica.process.start()
        for replica in replicas:
            replica.process.wait_listening()

        nginx = Nginx(nginx_bin, state / "nginx", proxy_port, [r.address for r in replicas])
        stack.callback(nginx.stop)
        nginx.start()

        world = World(
            state=state, pg_dir=pg_dir, database_url=database_url, database_password=database_password,
            sandbox_url=sandbox_url, env=env, replicas=replicas, nginx=nginx, binary=task_mcp_bin,
        )
        stack.callback(lambda: world.postgres_down and world.postgres("up"))
        yield world


@pytest.fixture(autouse=True)
def _reset_sandbox(world: World) -> Iterator[None]:
    """Overrides conftest's: these tests use the module's own sandbox (the one that signs
    webhooks), and start from a healthy world even when an earlier test failed half-way."""
    if world.postgres_down:
        world.postgres("up")
    for replica in world.replicas:
        if not replica.process.alive:
            replica.restart()
    assert world.nginx.proc is not None and world.nginx.proc.poll() is None, f"nginx exited:\n{tail(world.nginx.error_log)}"
    for replica in world.replicas:
        wait_until(lambda: readyz(replica.url)[0] == 200, timeout=90, what=f"replica {replica.index} /readyz 200")
    r = httpx.post(world.sandbox_url + "/sandbox/reset", timeout=HANG_GUARD)
    assert r.status_code in (200, 204), f"POST /sandbox/reset -> {r.status_code} {r.text[:300]}"
    yield


# --------------------------------------------------------------------------- HTTP helpers


def readyz(base: str) -> tuple[int, str]:
    try:
        r = httpx.get(base + "/readyz", timeout=HANG_GUARD)
        return r.status_code, r.text
    except httpx.TransportError as error:
        return 0, repr(error)


def rpc_request(base: str, bearer: str, method: str, params: Optional[dict] = None, *, id: int = 1, http: Optional[httpx.Client] = None) -> httpx.Response:
    """One 2025-11-25 JSON-RPC request to ``<base>/mcp`` (stateless: no initialize needed)."""
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        body["params"] = params
    headers = {**LEGACY, "Authorization": f"Bearer {bearer}"}
    if http is not None:
        return http.post(base + "/mcp", json=body, headers=headers)
    return httpx.post(base + "/mcp", json=body, headers=headers, timeout=httpx.Timeout(HANG_GUARD, read=120.0))


def rpc_message(r: httpx.Response, where: str) -> dict:
    """The JSON-RPC answer: the JSON body, or the last event of an SSE stream."""
    assert r.status_code == 200, f"{where}: HTTP {r.status_code}: {r.text[:500]}"
    if r.headers.get("content-type", "").startswith("text/event-stream"):
        events = [json.loads(line[5:]) for line in r.text.splitlines() if line.startswith("data:") and line[5:].strip()]
        assert events, f"{where}: SSE stream without data: {r.text[:500]}"
        return events[-1]
    return r.json()


def rpc_result(base: str, bearer: str, method: str, params: Optional[dict] = None, *, where: str) -> dict:
    message = rpc_message(rpc_request(base, bearer, method, params), where)
    assert "result" in message, f"{where}: {json.dumps(message)[:800]}"
    return message["result"]


def assert_mcp_ok(base: str, token: str, where: str) -> None:
    r = rpc_request(base, token, "tools/list")
    assert r.status_code == 200, f"{where}: tools/list HTTP {r.status_code}: {r.text[:500]}"
    names = {tool["name"] for tool in rpc_message(r, where)["result"]["tools"]}
    assert names == TOOL_NAMES, f"{where}: {names}"


def assert_mcp_refused(base: str, token: str, where: str) -> None:
    r = rpc_request(base, token, "tools/list")
    assert r.status_code == 401, f"{where}: tools/list with a dead token: HTTP {r.status_code} (expected 401): {r.text[:300]}"
    assert 'error="invalid_token"' in r.headers.get("www-authenticate", ""), f"{where}: {r.headers.get('www-authenticate')}"


def post_token(base: str, form: dict[str, str], *, http: Optional[httpx.Client] = None) -> httpx.Response:
    if http is not None:
        return http.post(base + "/token", data=form)
    return httpx.post(base + "/token", data=form, timeout=HANG_GUARD)


def refresh_form(world: World, client_id: str, refresh_token: str) -> dict[str, str]:
    return {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id, "resource": world.server.mcp}


def oauth_error(r: httpx.Response) -> tuple[str, str]:
    try:
        body = r.json()
    except ValueError:
        return "", r.text[:200]
    return str(body.get("error", "")), str(body.get("error_description", ""))


@dataclasses.dataclass
class Presented:
    """One racer's answer."""

    replica: int
    status: Optional[int]
    error: str
    description: str
    body: dict
    failure: str = ""  # a transport error or timeout


def race(world: World, form: dict[str, str], racers: int = 20) -> list[Presented]:
    """``racers`` concurrent POST /token with the same form, spread over the replicas in turn.
    Each opens its connection first and waits at a barrier, so the requests leave together."""
    barrier = threading.Barrier(racers)

    def one(i: int) -> Presented:
        replica = world.replicas[i % len(world.replicas)]
        with httpx.Client(timeout=HANG_GUARD) as http:
            http.get(replica.url + "/healthz")
            barrier.wait(timeout=HANG_GUARD)
            try:
                r = post_token(replica.url, form, http=http)
            except httpx.HTTPError as error:
                return Presented(replica.index, None, "", "", {}, failure=repr(error))
            error, description = oauth_error(r)
            body = r.json() if r.status_code == 200 else {}
            return Presented(replica.index, r.status_code, error, description, body)

    with concurrent.futures.ThreadPoolExecutor(racers) as pool:
        return list(pool.map(one, range(racers)))


# --------------------------------------------------------------------------- load


@dataclasses.dataclass
class Call:
    worker: str
    what: str
    started: float
    ended: float
    status: Optional[int]
    detail: str  # the body's start, or the transport error


class Load:
    """A few clients working through the proxy until stopped: each refreshes its own grant's
    token and calls tools/list with the access token it holds. A refresh whose answer was lost
    (a 5xx or 502) is repeated with the same refresh token, as a client does (the previous token
    is honoured once). Bounded: each worker stops by itself after ``limit`` rounds."""

    def __init__(self, world: World, client_id: str, flows: list[Flow], limit: int = 2000, pause: float = 0.1) -> None:
        self.world, self.client_id, self.limit, self.pause = world, client_id, limit, pause
        self.tokens = [{"access": f.access, "refresh": f.refresh} for f in flows]
        self.calls: list[Call] = []
        self.lock = threading.Lock()
        self.halt = threading.Event()
        self.threads = [threading.Thread(target=self._work, args=(i,), name=f"load-{i}", daemon=True) for i in range(len(flows))]

    def __enter__(self) -> "Load":
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.halt.set()
        for t in self.threads:
            t.join(timeout=HANG_GUARD * 3)

    def _record(self, worker: str, what: str, started: float, status: Optional[int], detail: str) -> None:
        with self.lock:
            self.calls.append(Call(worker, what, started, time.monotonic(), status, detail))

    def _work(self, i: int) -> None:
        worker = f"client-{i}"
        mine = self.tokens[i]
        with httpx.Client(timeout=HANG_GUARD) as http:
            for _ in range(self.limit):
                if self.halt.is_set():
                    return
                started = time.monotonic()
                try:
                    r = post_token(self.world.proxy, refresh_form(self.world, self.client_id, mine["refresh"]), http=http)
                    if r.status_code == 200:
                        body = r.json()
                        mine["access"], mine["refresh"] = body["access_token"], body["refresh_token"]
                    self._record(worker, "refresh", started, r.status_code, r.text[:300])
                except httpx.HTTPError as error:
                    self._record(worker, "refresh", started, None, repr(error))
                started = time.monotonic()
                try:
                    r = rpc_request(self.world.proxy, mine["access"], "tools/list", http=http)
                    self._record(worker, "tools/list", started, r.status_code, r.text[:300])
                except httpx.HTTPError as error:
                    self._record(worker, "tools/list", started, None, repr(error))
                self.halt.wait(self.pause)

    def snapshot(self) -> list[Call]:
        with self.lock:
            return list(self.calls)

    def ok_since(self, moment: float) -> dict[str, int]:
        counts: collections.Counter[str] = collections.Counter()
        for call in self.snapshot():
            if call.started >= moment and call.status == 200:
                counts[f"{call.worker} {call.what}"] += 1
        return counts

    def every_worker_succeeded_since(self, moment: float, times: int) -> bool:
        counts = self.ok_since(moment)
        return all(counts[f"client-{i} {what}"] >= times for i in range(len(self.threads)) for what in ("refresh", "tools/list"))


def summary(calls: list[Call]) -> str:
    counts = collections.Counter((c.what, c.status) for c in calls)
    return ", ".join(f"{what} {status}: {n}" for (what, status), n in sorted(counts.items(), key=str))


# --------------------------------------------------------------------------- the SDK


class TaggingTransport(httpx2.AsyncBaseTransport):
    """Tags every request the SDK sends, its OAuth provider's own (discovery, registration,
    token) included: those are built outside the client and do not get its default headers."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.inner = httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        request.headers[TAG_HEADER] = self.tag
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class TaggedUser(HeadlessUser):
    """The headless user of test_oauth_flow, whose browser tags its requests for nginx's log."""

    def __init__(self, server: Server, tag: str) -> None:
        super().__init__(server)
        self.tag = tag

    async def redirect_handler(self, url: str) -> None:
        self.authorization_urls.append(url)
        assert url.startswith(self.server.base + "/authorize?"), url
        async with httpx.AsyncClient(follow_redirects=False, timeout=HANG_GUARD, headers={TAG_HEADER: self.tag}) as browser:
            done = await sign_in(browser, url, self.server)
        self.sign_ins.append(done)
        await self._results.put(AuthorizationCodeResult(code=done.params["code"], state=done.params.get("state"), iss=done.params.get("iss")))


async def call_ok(client: Client, name: str, arguments: dict) -> Any:
    result = await client.call_tool(name, arguments)
    texts = [getattr(b, "text", "") for b in result.content]
    assert not result.is_error, f"{name}({arguments}) returned isError: {' '.join(texts)[:800]}"
    return result


def text_of(result: Any) -> str:
    return "\n".join(getattr(b, "text", "") for b in result.content if getattr(b, "type", None) == "text")


def test_replicas_started_together_on_an_empty_database_are_all_ready(world: World) -> None:
    for replica in world.replicas:
        status, body = readyz(replica.url)
        assert status == 200, f"replica {replica.index} /readyz: {status} {body}"
    # Each migration is recorded once, by whichever replica took the lock first.
    psql = postgres_bin_dir() / "psql"  # type: ignore[operator]
    counted = subprocess.run(
        [str(psql), world.database_url, "-Atc", "SELECT count(*), count(DISTINCT name) FROM schema_migrations"],
        capture_output=True, text=True, timeout=60,
    )
    assert counted.returncode == 0, counted.stderr
    files = sorted(MIGRATIONS.glob("*.sql"))
    assert counted.stdout.strip() == f"{len(files)}|{len(files)}", (counted.stdout, [f.name for f in files])
    # A one-shot `migrate` (the job a deployment may run first) finds nothing left to do.
    migrated = world.cli("migrate", "--database", world.database_url)
    assert migrated.returncode == 0, str(migrated)
    assert "up to date" in migrated.stdout, str(migrated)
    for text in (migrated.stdout, migrated.stderr, *(tail(r.process.log, 400) for r in world.replicas)):
        assert world.database_password not in text, "the database password was printed"


@pytest.mark.parametrize("mode", ["2026-07-28", "legacy"])
def test_the_sdk_signs_in_through_the_proxy_and_its_requests_land_on_every_replica(world: World, mode: str) -> None:
    server = world.server
    tag = f"sdk-{mode}-{secrets.token_hex(4)}"
    storage = MemoryTokenStorage()
    user = TaggedUser(server, tag)
    statuses: list[tuple[str, str, int]] = []
    question = f"Which replicas answered this question ({mode})?"
    seen: dict[str, Any] = {}

    async def record(response: httpx2.Response) -> None:
        statuses.append((response.request.method, str(response.request.url), response.status_code))

    async def scenario() -> None:
        provider = OAuthClientProvider(
            server_url=server.mcp,
            client_metadata=OAuthClientMetadata(
                redirect_uris=[REDIRECT_URI],
                grant_types=["authorization_code", "refresh_token"],
                response_types=["code"],
                token_endpoint_auth_method="none",
                client_name=f"Replica SDK client ({mode})",
            ),
            storage=storage,
            redirect_handler=user.redirect_handler,
            callback_handler=user.callback_handler,
        )
        async with httpx2.AsyncClient(
            auth=provider, transport=TaggingTransport(tag), timeout=httpx2.Timeout(HANG_GUARD, read=120.0), event_hooks={"response": [record]}
        ) as http:
            async with Client(streamable_http_client(server.mcp, http_client=http), mode=mode) as client:
                listing = await client.list_tools()
                assert {tool.name for tool in listing.tools} == TOOL_NAMES
                created = (await call_ok(client, "createDeepResearch", {"input": question, "processor": "pro-fast"})).structured_content
                assert created is not None and RUN_ID_RE.match(created["run_id"]), created
                assert created["progress_url"].startswith(server.base + "/"), created["progress_url"]
                seen["created"] = created
                status = (await call_ok(client, "getStatus", {"taskRunOrGroupId": created["run_id"]})).structured_content
                assert status is not None and status["id"] == created["run_id"], status
                deadline = time.monotonic() + 120
                while True:
                    result = await call_ok(client, "getResultMarkdown", {"taskRunOrGroupId": created["run_id"], "wait_seconds": 20})
                    report = text_of(result)
                    if f"# Research report: {question}" in report:
                        break
                    assert time.monotonic() < deadline, f"no report after 120 s: {report[:500]}"
                seen["report"] = report
                # A refresh through the proxy, then more calls with the rotated token.
                first = storage.tokens
                assert first is not None
                provider.context.token_expiry_time = time.time() - 1
                await client.list_tools()
                assert storage.tokens is not None and storage.tokens.access_token != first.access_token, "the SDK did not refresh"
                assert storage.tokens.access_token.startswith(ACCESS_PREFIX)
                await call_ok(client, "getStatus", {"taskRunOrGroupId": created["run_id"]})
                await call_ok(client, "listTasks", {"limit": 5})

    run(scenario())

    assert len(user.sign_ins) == 1, user.authorization_urls
    assert all(s < 500 for _, _, s in statuses), statuses
    assert "**Status:** completed" in seen["report"], seen["report"][:500]
    # The progress link, signed by one replica, opens on every replica (same secret key).
    link = seen["created"]["progress_url"].removeprefix(server.base)
    for replica in world.replicas:
        r = httpx.get(replica.url + link, timeout=HANG_GUARD)
        assert r.status_code == 200, f"progress link on replica {replica.index}: {r.status_code} {r.text[:300]}"

    # nginx's log: which replica answered each of the SDK's and the browser's requests.
    names = world.replica_by_address()
    entries = world.nginx.entries(tag)
    assert entries, f"no request tagged {tag} in nginx's log"
    unknown = [e for e in entries if e.upstream not in names]
    assert not unknown, f"requests answered by no replica: {unknown[:5]}"
    served = collections.Counter(names[e.upstream] for e in entries)
    assert set(served) == set(range(REPLICAS)), f"requests per replica {dict(served)}: round robin should reach all {REPLICAS}"
    mcp_served = {names[e.upstream] for e in entries if e.uri == "/mcp"}
    assert len(mcp_served) >= 2, f"/mcp requests all landed on replica {mcp_served}"
    # One sign-in, started on one replica and finished on others (the pending sign-in is shared).
    hops = [names[e.upstream] for e in entries if e.uri in ("/authorize", "/authorize/consent", "/oauth/callback")]
    assert len(hops) == 3 and len(set(hops)) >= 2, f"sign-in hops by replica: {hops}"
    assert [e.status for e in entries if e.uri == "/token"] == [200, 200], [(e.uri, e.status) for e in entries]


def test_an_mcp_task_created_on_one_replica_is_read_and_completed_from_another(world: World) -> None:
    creator, reader, finisher = world.replicas
    before_webhooks = len([e for e in world.nginx.entries() if e.uri == "/webhooks/parallel"])
    question = "Which batteries last longest in cold weather (replicas)?"
    created = rpc_result(
        creator.url, DEMO_KEY, "tools/call",
        {"name": "createDeepResearch", "arguments": {"input": question, "processor": "pro-fast"}, "task": {"ttl": 120_000}},
        where="tools/call with task on replica 0",
    )
    task = created.get("task")
    assert task and task["status"] == "working", created
    task_id = task["taskId"]

    got = rpc_result(reader.url, DEMO_KEY, "tasks/get", {"taskId": task_id}, where="tasks/get on replica 1")
    assert got["taskId"] == task_id and got["status"] in ("working", "completed"), got
    result = rpc_result(reader.url, DEMO_KEY, "tasks/result", {"taskId": task_id}, where="tasks/result on replica 1")
    assert result.get("isError") is not True, result
    assert result["structuredContent"]["status"] == "completed", result["structuredContent"]
    text = "\n".join(block.get("text", "") for block in result["content"])
    assert f"# Research report: {question}" in text, text[:500]
    assert result["_meta"]["io.modelcontextprotocol/related-task"]["taskId"] == task_id, result.get("_meta")

    after = rpc_result(finisher.url, DEMO_KEY, "tasks/get", {"taskId": task_id}, where="tasks/get on replica 2")
    assert after["status"] == "completed", after
    listed = rpc_result(finisher.url, DEMO_KEY, "tasks/list", {}, where="tasks/list on replica 2")
    assert task_id in [t["taskId"] for t in listed["tasks"]], listed
    # The run's completion webhook reached a replica through the proxy and was accepted there
    # (every replica verifies with the same secret).
    def webhooks() -> list[LogEntry]:
        return [e for e in world.nginx.entries() if e.uri == "/webhooks/parallel"][before_webhooks:]

    delivered = wait_until(webhooks, timeout=60, what="a completion webhook through the proxy")
    assert all(e.status == 200 for e in delivered), [(e.upstream, e.status) for e in delivered]


def test_twenty_concurrent_redemptions_of_one_code_one_wins(world: World) -> None:
    server = world.server
    client = run(register(server, auth_method="none", name="Replica code race"))
    verifier, challenge = pkce_pair()

    async def code() -> str:
        async with new_browser() as browser:
            done = await sign_in(browser, authorize_url(server, client["client_id"], challenge, "race"), server)
        return done.params["code"]

    form = {
        "grant_type": "authorization_code",
        "code": run(code()),
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
        "client_id": client["client_id"],
        "resource": server.mcp,
    }
    answers = race(world, form)
    table = [(a.replica, a.status, a.error, a.description[:60], a.failure) for a in answers]
    assert not [a for a in answers if a.failure], f"racers without an answer: {table}"
    assert not [a for a in answers if a.status is not None and a.status >= 500], f"5xx: {table}"
    winners = [a for a in answers if a.status == 200]
    assert len(winners) == 1, f"{len(winners)} redemptions succeeded: {table}"
    losers = [a for a in answers if a.status != 200]
    assert all(a.status == 400 and a.error == "invalid_grant" for a in losers), table
    assert {a.replica for a in answers} == set(range(REPLICAS))
    # A loser that came in after the winner's redemption is a replay: the code's grant is revoked
    # (RFC 6749 §4.1.2), and the code with it, so that later ones find nothing; one that raced
    # the winner changes nothing.
    replayed = [a for a in losers if "already used" in a.description]
    raced = [a for a in losers if "concurrent request" in a.description]
    gone = [a for a in losers if "invalid or expired" in a.description]
    assert len(replayed) + len(raced) + len(gone) == len(losers), table
    assert replayed or not gone, f"the code vanished without a replay: {table}"
    access = winners[0].body["access_token"]
    for replica in world.replicas:
        if replayed:
            assert_mcp_refused(replica.url, access, f"winner's token after a replay, replica {replica.index}")
        else:
            assert_mcp_ok(replica.url, access, f"winner's token, replica {replica.index}")


def test_twenty_concurrent_refreshes_of_one_token_rotate_it_once(world: World) -> None:
    server = world.server
    client = run(register(server, auth_method="none", name="Replica refresh race"))
    flow = run(full_flow(server, client))
    answers = race(world, refresh_form(world, client["client_id"], flow.refresh))
    table = [(a.replica, a.status, a.error, a.description[:60], a.failure) for a in answers]
    assert not [a for a in answers if a.failure], f"racers without an answer: {table}"
    assert not [a for a in answers if a.status is not None and a.status >= 500], f"5xx: {table}"
    rotated = [a for a in answers if a.status == 200]
    losers = [a for a in answers if a.status != 200]
    assert all(a.status == 400 and a.error == "invalid_grant" for a in losers), table
    raced = [a for a in losers if "concurrent request" in a.description]
    reused = [a for a in losers if "already replaced" in a.description]
    gone = [a for a in losers if "invalid or expired" in a.description]
    assert len(raced) + len(reused) + len(gone) == len(losers), table
    # One rotation, plus at most the previous token honoured once (a presentation that came in
    # after the first rotation); a presentation after that is reuse and revokes the family, and
    # any later one finds nothing.
    assert 1 <= len(rotated) <= 2, f"{len(rotated)} rotations: {table}"
    assert len(reused) <= 1, table
    if reused:
        assert len(rotated) == 2, f"reuse detected after {len(rotated)} rotation(s): {table}"
    else:
        assert not gone, f"tokens vanished without a reuse: {table}"

    access_tokens = [flow.access] + [a.body["access_token"] for a in rotated]
    refresh_tokens = [flow.refresh] + [a.body["refresh_token"] for a in rotated]
    grants = world.cli_json("admin", "grants", "--client", client["client_id"])
    if reused:
        assert grants == [], grants
        for replica in world.replicas:
            for token in access_tokens:
                assert_mcp_refused(replica.url, token, f"replica {replica.index} after reuse")
        for token in refresh_tokens:
            r = post_token(world.replicas[0].url, refresh_form(world, client["client_id"], token))
            assert r.status_code == 400 and oauth_error(r)[0] == "invalid_grant", r.text
        return
    # The family is intact: one grant, every access token issued still works everywhere, exactly
    # one active refresh token; the presented one is previous (one rotation) or retired (two).
    assert len(grants) == 1, grants
    tokens = world.cli_json("admin", "tokens", "--grant", grants[0]["id"])
    refresh_states = collections.Counter(t["state"] for t in tokens if t["kind"] == "refresh")
    expected = {"previous": 1, "active": 1} if len(rotated) == 1 else {"retired": 2, "active": 1}
    assert dict(refresh_states) == expected, (dict(refresh_states), table)
    assert len([t for t in tokens if t["kind"] == "access"]) == len(access_tokens), tokens
    for replica in world.replicas:
        for token in access_tokens:
            assert_mcp_ok(replica.url, token, f"replica {replica.index}, intact family")
    if len(rotated) == 1:
        r = post_token(world.replicas[2].url, refresh_form(world, client["client_id"], rotated[0].body["refresh_token"]))
        assert r.status_code == 200, f"the winner's refresh token: {r.status_code} {r.text[:300]}"


def test_admin_revoke_takes_effect_on_every_replica_at_the_next_request(world: World) -> None:
    server = world.server
    one_client = run(register(server, auth_method="none", name="Replica admin client one"))
    two_client = run(register(server, auth_method="none", name="Replica admin client two"))
    one = run(full_flow(server, one_client))
    two = run(full_flow(server, two_client))
    for replica in world.replicas:
        assert_mcp_ok(replica.url, one.access, f"replica {replica.index} before revocation")
        assert_mcp_ok(replica.url, two.access, f"replica {replica.index} before revocation")

    database = ["--database", world.database_url]
    (one_grant,) = world.cli_json("admin", "grants", "--client", one_client["client_id"], *database)
    (two_grant,) = world.cli_json("admin", "grants", "--client", two_client["client_id"], *database)
    one_access = [t for t in world.cli_json("admin", "tokens", "--grant", one_grant["id"], *database) if t["kind"] == "access"]
    assert len(one_access) == 1, one_access

    # One access token: refused by every replica at once; its grant lives on.
    revoked = world.cli("admin", "revoke", "--token", one_access[0]["id"], *database)
    assert revoked.returncode == 0, str(revoked)
    for replica in world.replicas:
        assert_mcp_refused(replica.url, one.access, f"replica {replica.index} after revoke --token")
        assert_mcp_ok(replica.url, two.access, f"replica {replica.index}: another grant")
    r = post_token(world.replicas[1].url, refresh_form(world, one_client["client_id"], one.refresh))
    assert r.status_code == 200, f"refresh after revoke --token: {r.status_code} {r.text[:300]}"

    # A whole grant: its access and refresh tokens end everywhere.
    revoked = world.cli("admin", "revoke", "--grant", two_grant["id"], *database)
    assert revoked.returncode == 0, str(revoked)
    for replica in world.replicas:
        assert_mcp_refused(replica.url, two.access, f"replica {replica.index} after revoke --grant")
        r = post_token(replica.url, refresh_form(world, two_client["client_id"], two.refresh))
        assert r.status_code == 400 and oauth_error(r)[0] == "invalid_grant", f"replica {replica.index}: {r.status_code} {r.text[:300]}"
    for text in (revoked.stdout, revoked.stderr):
        assert world.database_password not in text


def sign_in_clients(world: World, count: int) -> tuple[dict, list[Flow]]:
    client = run(register(world.server, auth_method="none", name="Replica load client"))
    return client, [run(full_flow(world.server, client)) for _ in range(count)]


def test_a_replica_killed_under_load_loses_nothing_and_restarts_on_the_same_database(world: World) -> None:
    client, flows = sign_in_clients(world, 3)
    keeper = run(full_flow(world.server, client))  # issued before the kill, used only after it
    victim = world.replicas[1]
    survivors = [r for r in world.replicas if r is not victim]
    # A run and an MCP task created on the victim before it dies.
    run_id = rpc_result(victim.url, keeper.access, "tools/call", {"name": "createDeepResearch", "arguments": {"input": "Kept across a crash", "processor": "pro-fast"}}, where="create on the victim")["structuredContent"]["run_id"]
    task_id = rpc_result(
        victim.url, keeper.access, "tools/call",
        {"name": "createDeepResearch", "arguments": {"input": "A task kept across a crash", "processor": "pro-fast"}, "task": {}},
        where="task on the victim",
    )["task"]["taskId"]

    with Load(world, client["client_id"], flows) as load:
        start = time.monotonic()
        wait_until(lambda: load.every_worker_succeeded_since(start, 3), timeout=90, what="load before the kill")
        victim.process.kill()  # SIGKILL, then reaped: its sockets are closed from here on
        killed_at = time.monotonic()
        wait_until(lambda: load.every_worker_succeeded_since(killed_at, 5), timeout=90, what="load after the kill")
    calls = load.snapshot()

    after = [c for c in calls if c.started >= killed_at]
    failed_after = [c for c in after if c.status != 200]
    assert not failed_after, f"requests sent after the kill failed: {failed_after[:5]} ({summary(calls)})"
    # Only a request the victim held when it died may have lost its answer (nginx: 502).
    in_flight = [c for c in calls if c.started < killed_at and c.status != 200]
    assert all(c.status == 502 and c.ended >= killed_at for c in in_flight), in_flight[:5]
    assert all(r.process.alive for r in survivors)

    # Nothing lost: tokens issued before, the run and the task created on the victim.
    for replica in survivors:
        assert_mcp_ok(replica.url, keeper.access, f"replica {replica.index}: token issued before the kill")
        status = rpc_result(replica.url, keeper.access, "tools/call", {"name": "getStatus", "arguments": {"taskRunOrGroupId": run_id}}, where="getStatus")
        assert status.get("isError") is not True and status["structuredContent"]["id"] == run_id, status
        got = rpc_result(replica.url, keeper.access, "tasks/get", {"taskId": task_id}, where=f"tasks/get on replica {replica.index}")
        assert got["taskId"] == task_id, got
    for tokens in load.tokens:
        assert_mcp_ok(survivors[0].url, tokens["access"], "a load client's newest token")

    # Back on the same port and database: it serves what was stored before, and nginx uses it again.
    victim.restart()
    wait_until(lambda: readyz(victim.url)[0] == 200, timeout=90, what="the restarted replica's /readyz")
    assert_mcp_ok(victim.url, keeper.access, "restarted replica: token issued before the kill")
    got = rpc_result(victim.url, keeper.access, "tasks/get", {"taskId": task_id}, where="tasks/get on the restarted replica")
    assert got["taskId"] == task_id, got
    tag = "after-restart-" + secrets.token_hex(4)

    def proxied_to_victim() -> bool:
        r = httpx.post(world.proxy + "/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                       headers={**LEGACY, "Authorization": f"Bearer {keeper.access}", TAG_HEADER: tag}, timeout=HANG_GUARD)
        assert r.status_code == 200, r.text[:300]
        return any(e.upstream == victim.address and e.status == 200 for e in world.nginx.entries(tag))

    wait_until(proxied_to_victim, timeout=60, interval=0.5, what="nginx to send requests to the restarted replica")


def is_honest_error(call: Call) -> bool:
    """A 5xx the replica itself answered (503 or 500) with a message; not nginx's 502/504, which
    would mean a replica died or hung."""
    return call.status in (500, 503) and bool(call.detail.strip()) and "nginx" not in call.detail


@pytest.mark.timeout(420)
def test_a_database_outage_gives_bounded_honest_errors_and_recovers_without_restarts(world: World) -> None:
    client, flows = sign_in_clients(world, 3)
    pids = [r.process.proc.pid for r in world.replicas if r.process.proc is not None]
    reasons: dict[int, str] = {}
    probe_failures: list[str] = []  # /readyz probes that got no answer at all

    with Load(world, client["client_id"], flows) as load:
        start = time.monotonic()
        wait_until(lambda: load.every_worker_succeeded_since(start, 3), timeout=90, what="load before the outage")
        world.postgres("down")
        down_at = time.monotonic()
        for replica in world.replicas:
            def not_ready() -> bool:
                sent = time.monotonic()
                status, body = readyz(replica.url)
                if status == 503:
                    reasons[replica.index] = body
                elif status == 0:
                    probe_failures.append(f"replica {replica.index} /readyz sent {sent - down_at:+.1f}s after the stop: {body[:120]}")
                return status == 503
            wait_until(not_ready, timeout=90, what=f"replica {replica.index} /readyz 503 while PostgreSQL is down")
        # Let the clients meet the outage for a while: every request must still get an answer.
        wait_until(lambda: len([c for c in load.snapshot() if c.started >= down_at]) >= 30, timeout=120, what="requests during the outage")
        world.postgres("up")
        up_at = time.monotonic()
        for replica in world.replicas:
            wait_until(lambda: readyz(replica.url)[0] == 200, timeout=120, what=f"replica {replica.index} /readyz 200 after PostgreSQL returned")
        ready_at = time.monotonic()
        wait_until(lambda: load.every_worker_succeeded_since(ready_at, 3), timeout=120, what="load after the recovery")
    calls = load.snapshot()

    assert all(reason.strip() for reason in reasons.values()), reasons
    during = [c for c in calls if c.started >= down_at and c.ended <= up_at]
    assert during, "no request ran during the outage"

    def when(c: Call) -> str:
        return f"{c.worker} {c.what} sent {c.started - down_at:+.1f}s after the stop, took {c.ended - c.started:.1f}s: {c.status} {c.detail[:160]!r}"

    # Every request got an answer (none hung past the guard), and every error was an honest one.
    unanswered = [when(c) for c in calls if c.status is None]
    dishonest = [when(c) for c in calls if c.status is not None and c.status != 200 and not is_honest_error(c)]
    assert not unanswered and not dishonest and not probe_failures, (
        f"PostgreSQL stopped {up_at - down_at:.1f}s; outcomes {summary(calls)}\n"
        f"/readyz without an answer: {probe_failures[:4]}\n"
        f"without an answer (a hang past {HANG_GUARD}s or a dropped connection): {len(unanswered)} {unanswered[:4]}\n"
        f"errors other than an honest 500/503: {len(dishonest)} {dishonest[:4]}"
    )
    # No replica exited or was restarted.
    assert [r.process.proc.pid for r in world.replicas if r.process.proc is not None] == pids
    assert all(r.process.alive for r in world.replicas), world.logs()
    # Afterwards everything works again, on every replica: tokens, refreshes, new tasks.
    for replica in world.replicas:
        for tokens in load.tokens:
            assert_mcp_ok(replica.url, tokens["access"], f"replica {replica.index} after the outage")
        created = rpc_result(
            replica.url, load.tokens[0]["access"], "tools/call",
            {"name": "createDeepResearch", "arguments": {"input": f"After the outage ({replica.index})", "processor": "pro-fast"}},
            where=f"create on replica {replica.index} after the outage",
        )
        assert created.get("isError") is not True, created
