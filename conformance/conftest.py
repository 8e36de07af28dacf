"""Fixtures: a running parallel-sandbox, SDK clients pointed at it, admin helpers, and a
task-mcp server (MCP + REST) whose upstream is that sandbox.

Environment:
  SANDBOX_URL          use an already-running sandbox instead of starting one
  SANDBOX_BIN          sandbox binary (default: <repo>/.build/debug/parallel-sandbox);
                       relative paths are resolved against the repository root
  SANDBOX_TIME_FACTOR  --time-factor passed to the binary (default 0.002)
  SANDBOX_BIN_WAIT     seconds to wait for the binary to appear (default 0)
  TASK_MCP_URL         use an already-running task-mcp (it must use the same sandbox)
  TASK_MCP_BIN         task-mcp binary (default: <repo>/.build/debug/task-mcp);
                       relative paths are resolved against the repository root

The task-mcp server gets a database file in a session temporary directory, a fixed
TASK_MCP_SECRET_KEY, the sandbox's OAuth provider (PARALLEL_OAUTH_URL) and loopback client
metadata documents; ``task_mcp_cli`` runs the admin CLI with that same environment.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import pathlib
import re
import signal
import subprocess
import tempfile
import threading
import time
from typing import Callable, Iterator, Optional

import httpx
import parallel
import pytest

from _support import DEMO_KEY

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
LISTEN_RE = re.compile(r"^parallel-sandbox listening on (http://127\.0\.0\.1:\d+)\s*$")
TASK_MCP_LISTEN_RE = re.compile(r"^task-mcp listening on (http://127\.0\.0\.1:\d+)\s*$")
STARTUP_TIMEOUT = 30.0
# task-mcp takes the Parallel API key as a bearer token.
BEARER = {"Authorization": f"Bearer {DEMO_KEY}"}


def _binary_path(env: str = "SANDBOX_BIN", default: str = ".build/debug/parallel-sandbox") -> pathlib.Path:
    raw = os.environ.get(env) or default
    path = pathlib.Path(raw)
    if not path.is_absolute():
        path = REPO_ROOT / path
    return path


def _wait_for_binary(binary: pathlib.Path, env: str) -> None:
    wait = float(os.environ.get("SANDBOX_BIN_WAIT", "0"))
    deadline = time.monotonic() + wait
    while not (binary.exists() and os.access(binary, os.X_OK)):
        if time.monotonic() > deadline:
            pytest.exit(f"binary not found or not executable: {binary} (set {env})", 2)
        time.sleep(2)


def _follow_first_line(proc: subprocess.Popen, name: str) -> tuple[list[str], threading.Event]:
    """Collects ``proc``'s first stdout line (the event is set then, or when stdout closes
    first) and keeps draining stdout so the pipe never fills."""
    first_line: list[str] = []
    got_line = threading.Event()

    def pump() -> None:
        assert proc.stdout is not None
        for i, line in enumerate(proc.stdout):
            if i == 0:
                first_line.append(line)
                got_line.set()
        got_line.set()

    threading.Thread(target=pump, name=f"{name}-stdout", daemon=True).start()
    return first_line, got_line


def _start_listening(
    cmd: list[str], listen_re: re.Pattern, name: str, env: Optional[dict] = None
) -> tuple[subprocess.Popen, str, "tempfile._TemporaryFileWrapper"]:
    """Start ``cmd``, wait for its first stdout line, and return (process, url, stderr log)."""
    log = tempfile.NamedTemporaryFile(prefix=f"{name}-", suffix=".log", delete=False)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True, bufsize=1, env=env)

    first_line, got_line = _follow_first_line(proc, name)
    if not got_line.wait(STARTUP_TIMEOUT) or not first_line:
        proc.kill()
        proc.wait()
        pytest.exit(
            f"{name} did not print its listening line within {STARTUP_TIMEOUT}s "
            f"(exit code {proc.returncode}); stderr in {log.name}",
            2,
        )
    match = listen_re.match(first_line[0].rstrip("\r\n"))
    if not match:
        proc.kill()
        proc.wait()
        pytest.exit(f"unexpected first stdout line from {name}: {first_line[0]!r}; stderr in {log.name}", 2)
    return proc, match.group(1), log


def _stop(proc: subprocess.Popen, log) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    log.close()


@pytest.fixture(scope="session")
def sandbox_url() -> Iterator[str]:
    external = os.environ.get("SANDBOX_URL")
    if external:
        yield external.rstrip("/")
        return

    binary = _binary_path()
    _wait_for_binary(binary, "SANDBOX_BIN or SANDBOX_URL")
    cmd = [
        str(binary),
        "--host", "127.0.0.1",
        "--port", "0",
        "--time-factor", os.environ.get("SANDBOX_TIME_FACTOR", "0.002"),
    ]
    proc, url, log = _start_listening(cmd, LISTEN_RE, "parallel-sandbox")
    try:
        yield url
    finally:
        _stop(proc, log)


@pytest.fixture(scope="session")
def task_mcp_env(sandbox_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment task-mcp runs with; the admin CLI (``task_mcp_cli``) gets the same one."""
    # Start from defaults: inherited TASK_MCP_* settings (origins, body limit, page size…) would
    # change the behaviour the tests assert.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TASK_MCP_") and not k.startswith("PARALLEL_OAUTH_") and k != "PARALLEL_API_KEY"
    }
    state = tmp_path_factory.mktemp("task-mcp-state")
    env |= {
        "TASK_MCP_HOST": "127.0.0.1",
        "TASK_MCP_PORT": "0",
        "PARALLEL_API_BASE_URL": sandbox_url,
        # A database file both the server and the admin CLI open (WAL: safe concurrently).
        "TASK_MCP_DATABASE": str(state / "task-mcp.sqlite"),
        # One key per session, so the CLI derives exactly the server's keys.
        "TASK_MCP_SECRET_KEY": base64.b64encode(os.urandom(32)).decode("ascii"),
        # Sign-in federates to the sandbox's OAuth provider.
        "PARALLEL_OAUTH_URL": sandbox_url + "/getKeys",
        # Development switch: accept http://127.0.0.1:<port>/… client metadata documents.
        "TASK_MCP_DEV_LOOPBACK_CLIENT_METADATA": "1",
        # Development switch: rows by URL from the suite's own file server on 127.0.0.1.
        "TASK_MCP_DEV_LOOPBACK_INPUT_URLS": "1",
        # The OAuth tests register many clients from one address.
        "TASK_MCP_REGISTRATIONS_PER_HOUR": "1000",
    }
    return env


@pytest.fixture(scope="session")
def task_mcp_url(task_mcp_env: dict[str, str]) -> Iterator[str]:
    """Base URL of a task-mcp server whose upstream is the session's sandbox."""
    external = os.environ.get("TASK_MCP_URL")
    if external:
        yield external.rstrip("/")
        return

    binary = _binary_path("TASK_MCP_BIN", ".build/debug/task-mcp")
    _wait_for_binary(binary, "TASK_MCP_BIN or TASK_MCP_URL")
    proc, url, log = _start_listening([str(binary), "serve"], TASK_MCP_LISTEN_RE, "task-mcp", env=task_mcp_env)
    try:
        yield url
    finally:
        _stop(proc, log)


@dataclasses.dataclass
class CLIResult:
    """One run of the task-mcp CLI."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return f"task-mcp {' '.join(self.args)} -> exit {self.returncode}\nstdout: {self.stdout[:2000]}\nstderr: {self.stderr[:2000]}"


@pytest.fixture(scope="session")
def task_mcp_cli(task_mcp_url: str, task_mcp_env: dict[str, str]) -> Callable[..., CLIResult]:
    """Runs ``task-mcp <args…>`` with the server's environment (same database and keys).

    ``task_mcp_cli("admin", "tokens", "--json", env={"X": "y"})``: extra variables are laid over
    the server's environment. Skips when the server is external (its database is unknown)."""
    if os.environ.get("TASK_MCP_URL"):
        pytest.skip("TASK_MCP_URL: the external server's database is not known to the suite")
    binary = _binary_path("TASK_MCP_BIN", ".build/debug/task-mcp")

    def run(*args: str, env: Optional[dict[str, str]] = None, timeout: float = 60.0) -> CLIResult:
        completed = subprocess.run(
            [str(binary), *args],
            env={**task_mcp_env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return CLIResult(list(args), completed.returncode, completed.stdout, completed.stderr)

    return run


@pytest.fixture(scope="session")
def mcp_endpoint(task_mcp_url: str) -> str:
    return task_mcp_url + "/mcp"


@pytest.fixture(scope="session")
def tm_http(task_mcp_url: str) -> Iterator[httpx.Client]:
    """Raw HTTP client for task-mcp, carrying the demo key as a bearer token."""
    with httpx.Client(base_url=task_mcp_url, headers=BEARER, timeout=60.0) as c:
        yield c


@pytest.fixture(scope="session")
def tm_anon(task_mcp_url: str) -> Iterator[httpx.Client]:
    """Raw HTTP client for task-mcp without credentials."""
    with httpx.Client(base_url=task_mcp_url, timeout=60.0) as c:
        yield c


@pytest.fixture(scope="session")
def admin(sandbox_url: str) -> Iterator[httpx.Client]:
    """Unauthenticated client for the /sandbox/* admin endpoints."""
    with httpx.Client(base_url=sandbox_url, timeout=30.0) as c:
        yield c


@pytest.fixture(autouse=True)
def _reset_sandbox(admin: httpx.Client) -> Iterator[None]:
    r = admin.post("/sandbox/reset")
    assert r.status_code in (200, 204), f"POST /sandbox/reset -> {r.status_code} {r.text[:300]}"
    yield
    # Never leave a fault configured for the next test, even if this one failed.
    admin.post("/sandbox/reset")


@pytest.fixture(scope="session")
def http(sandbox_url: str) -> Iterator[httpx.Client]:
    """Raw HTTP client carrying the demo key (for strict validation of raw JSON)."""
    with httpx.Client(base_url=sandbox_url, headers={"x-api-key": DEMO_KEY}, timeout=60.0) as c:
        yield c


@pytest.fixture
def make_client(sandbox_url: str) -> Iterator[Callable[..., parallel.Parallel]]:
    """Factory: make_client(api_key=..., max_retries=..., record=list) -> parallel.Parallel.

    When ``record`` is given, every HTTP response the SDK receives is appended to it
    as (method, path, status)."""
    made: list[parallel.Parallel] = []

    def factory(
        api_key: str = DEMO_KEY,
        max_retries: int = 2,
        record: Optional[list] = None,
        **kwargs,
    ) -> parallel.Parallel:
        if record is not None:
            hook = lambda r: record.append((r.request.method, r.request.url.path, r.status_code))  # noqa: E731
            kwargs["http_client"] = httpx.Client(event_hooks={"response": [hook]})
        c = parallel.Parallel(api_key=api_key, base_url=sandbox_url, max_retries=max_retries, **kwargs)
        made.append(c)
        return c

    yield factory
    for c in made:
        c.close()


@pytest.fixture
def client(make_client) -> parallel.Parallel:
    """SDK client with the SDK's default retry policy (2 retries)."""
    return make_client()


@pytest.fixture
def client_no_retry(make_client) -> parallel.Parallel:
    return make_client(max_retries=0)


@pytest.fixture
def set_faults(admin: httpx.Client) -> Callable[..., dict]:
    def apply(**faults) -> dict:
        r = admin.put("/sandbox/faults", json=faults)
        assert r.status_code in (200, 204), f"PUT /sandbox/faults -> {r.status_code} {r.text[:300]}"
        return r.json() if r.content else {}

    return apply


@pytest.fixture
def set_account(admin: httpx.Client) -> Callable[..., dict]:
    def apply(api_key: str, *, credits_usd: float = 100.0, rate_limit_per_minute: int = 2000) -> dict:
        r = admin.put(
            f"/sandbox/accounts/{api_key}",
            json={"credits_usd": credits_usd, "rate_limit_per_minute": rate_limit_per_minute},
        )
        assert r.status_code in (200, 201, 204), f"PUT /sandbox/accounts/{api_key} -> {r.status_code} {r.text[:300]}"
        return r.json() if r.content else {}

    return apply
