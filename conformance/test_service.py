"""task-mcp run like a service: ``task-mcp serve`` as an operator starts, probes and stops it.

Covers:
  * the lifecycle of ``serve --sandbox``: listening line and SANDBOX MODE banner, ``/healthz``,
    ``/readyz``, an MCP call, and a graceful SIGTERM while an SSE ``tools/call`` stream is open
    (the stream completes with its JSON-RPC response, new connections are refused, exit 0
    within ``TASK_MCP_SHUTDOWN_GRACE``);
  * ``/metrics`` (Prometheus text with the MCP, HTTP and info series) and its optional bearer
    token (``TASK_MCP_METRICS_TOKEN``);
  * ``X-Request-Id`` echoed when sent, generated otherwise;
  * configuration errors: exit status 78, one ``configuration error:`` line per problem, a
    "did you mean" hint for a misspelt variable, no Swift stack trace;
  * a ``.env`` file in the working directory (port, JSON logs), and that the bearer key is
    never logged.

Every test starts its own ``task-mcp`` process in a fresh temporary working directory with a
clean environment (no inherited ``TASK_MCP_*`` / ``PARALLEL_*`` variables), so none of this
depends on the session-wide sandbox and server of ``conftest.py``.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import re
import secrets
import signal
import socket
import subprocess
import threading
import time
from typing import Any, Iterator, Optional

import httpx
import pytest

from _support import DEMO_KEY

try:  # Same binary resolution as the session fixtures (TASK_MCP_BIN, relative to the repo root).
    from conftest import _binary_path
except ImportError:  # pragma: no cover - conftest not importable as a module
    _REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent

    def _binary_path(env: str = "SANDBOX_BIN", default: str = ".build/debug/parallel-sandbox") -> pathlib.Path:
        path = pathlib.Path(os.environ.get(env) or default)
        return path if path.is_absolute() else _REPO_ROOT / path


LISTEN_RE = re.compile(r"^task-mcp listening on (http://127\.0\.0\.1:(\d+))\s*$")
STARTUP_TIMEOUT = 30.0
CONFIG_EXIT = 78  # EX_CONFIG
BEARER = {"Authorization": f"Bearer {DEMO_KEY}"}
MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream", **BEARER}
TOOLS = {"createDeepResearch", "createTaskGroup", "getStatus", "getResultMarkdown"}
STACK_TRACE_MARKERS = ("Fatal error", "Stack dump")


# --------------------------------------------------------------------------- processes


def _binary() -> pathlib.Path:
    binary = _binary_path("TASK_MCP_BIN", ".build/debug/task-mcp")
    if not (binary.exists() and os.access(binary, os.X_OK)):
        pytest.skip(f"task-mcp binary not found or not executable: {binary} (set TASK_MCP_BIN)")
    return binary


def clean_env(**extra: str) -> dict[str, str]:
    """The inherited environment without TASK_MCP_* / PARALLEL_* settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TASK_MCP_", "PARALLEL_"))}
    env.update(extra)
    return env


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports the kernel just handed out (held together, then released)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _tail(text: str, limit: int = 4000) -> str:
    return text if len(text) <= limit else "…" + text[-limit:]


class Server:
    """A running ``task-mcp serve`` process: stdout drained by a thread, stderr in a file."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: pathlib.Path, sandbox_port: Optional[int]) -> None:
        self.stderr_path = cwd / "task-mcp.stderr.log"
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [str(_binary()), *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=self._stderr,
            stdin=subprocess.DEVNULL, text=True, bufsize=1,
        )
        self.sandbox_url = f"http://127.0.0.1:{sandbox_port}" if sandbox_port else None
        self.stdout_lines: list[str] = []
        self._first_line = threading.Event()
        threading.Thread(target=self._pump, name="task-mcp-stdout", daemon=True).start()
        self.url, self.port = self._await_listening_line()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:  # keep draining so the pipe never fills
            self.stdout_lines.append(line)
            self._first_line.set()
        self._first_line.set()

    def _await_listening_line(self) -> tuple[str, int]:
        if not self._first_line.wait(STARTUP_TIMEOUT) or not self.stdout_lines:
            self.kill()
            raise AssertionError(f"task-mcp printed no listening line within {STARTUP_TIMEOUT}s\n{self.describe()}")
        match = LISTEN_RE.match(self.stdout_lines[0].rstrip("\r\n"))
        if not match:
            self.kill()
            raise AssertionError(f"unexpected first stdout line {self.stdout_lines[0]!r}\n{self.describe()}")
        return match.group(1), int(match.group(2))

    @property
    def stdout(self) -> str:
        return "".join(self.stdout_lines)

    def stderr(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def describe(self) -> str:
        """Exit status and output, for assertion messages."""
        return (
            f"exit code: {self.proc.poll()}\nstdout:\n{_tail(self.stdout, 2000)}\n"
            f"stderr ({self.stderr_path}):\n{_tail(self.stderr())}"
        )

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30.0, trust_env=False, **kwargs)

    def wait_ready(self, client: httpx.Client, timeout: float = 30.0) -> None:
        """Polls ``/readyz`` until it answers 200 ``ready``."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"task-mcp exited before it was ready\n{self.describe()}"
            try:
                r = client.get("/readyz")
                if r.status_code == 200:
                    assert r.text.strip() == "ready", f"/readyz body {r.text!r}\n{self.describe()}"
                    return
                last = f"HTTP {r.status_code}: {r.text[:200]}"
            except httpx.TransportError as exc:
                last = repr(exc)
            time.sleep(0.05)
        raise AssertionError(f"/readyz never answered 200 within {timeout}s (last: {last})\n{self.describe()}")

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, then the exit code (killed, and the test failed, if it does not exit in time)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"task-mcp did not exit within {timeout}s of SIGTERM\n{self.describe()}") from None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._stderr.close()


@contextlib.contextmanager
def serving(
    workdir: pathlib.Path, *, sandbox: bool = True, port_from_env: bool = True, **env: str
) -> Iterator[Server]:
    """Runs ``task-mcp serve --sandbox`` on free ports in ``workdir``; always killed at the end.

    ``port_from_env=False`` leaves ``TASK_MCP_PORT`` out of the process environment (for a .env)."""
    server_port, sandbox_port = free_ports(2)
    variables = dict(env)
    if port_from_env:
        variables.setdefault("TASK_MCP_PORT", str(server_port))
    args = ["serve", "--sandbox", "--sandbox-port", str(sandbox_port)] if sandbox else ["serve"]
    server = Server(args, clean_env(**variables), workdir, sandbox_port if sandbox else None)
    try:
        yield server
    finally:
        server.kill()


def run_serve(workdir: pathlib.Path, *args: str, timeout: float = 60.0, **env: str) -> subprocess.CompletedProcess:
    """Runs ``task-mcp serve …`` expecting it to exit by itself (a configuration error); ``timeout``
    is a hang guard."""
    try:
        return subprocess.run(
            [str(_binary()), "serve", *args], cwd=workdir, env=clean_env(**env), stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:  # run() has killed it
        raise AssertionError(
            f"task-mcp serve {' '.join(args)} did not exit within {timeout}s\n"
            f"stdout: {exc.stdout!r}\nstderr: {exc.stderr!r}"
        ) from None


# --------------------------------------------------------------------------- MCP and sandbox


def rpc(method: str, params: Optional[dict] = None, id_: int = 1) -> dict:
    message: dict = {"jsonrpc": "2.0", "id": id_, "method": method}
    if params is not None:
        message["params"] = params
    return message


def list_tools(client: httpx.Client, server: Server, **headers: str) -> dict[str, dict]:
    r = client.post("/mcp", json=rpc("tools/list"), headers={**MCP_HEADERS, **headers})
    assert r.status_code == 200, f"tools/list: HTTP {r.status_code}: {r.text[:500]}\n{server.describe()}"
    body = r.json()
    assert body.get("id") == 1 and "result" in body, body
    return {tool["name"]: tool for tool in body["result"]["tools"]}


def credits(server: Server) -> float:
    """The demo account's credit at the server's embedded sandbox."""
    assert server.sandbox_url
    r = httpx.get(f"{server.sandbox_url}/sandbox/accounts/{DEMO_KEY}", timeout=10.0, trust_env=False)
    assert r.status_code == 200, f"GET account: HTTP {r.status_code}: {r.text}"
    return float(r.json()["credits_usd"])


def set_faults(server: Server, **faults: Any) -> None:
    assert server.sandbox_url
    r = httpx.put(f"{server.sandbox_url}/sandbox/faults", json=faults, timeout=10.0, trust_env=False)
    assert r.status_code == 200, f"PUT /sandbox/faults {faults}: HTTP {r.status_code}: {r.text}"


def parse_sse(text: str) -> list[tuple[str, str]]:
    """(event, data) pairs of an SSE body; the event defaults to ``message``."""
    events = []
    for block in re.split(r"\r?\n\r?\n", text):
        event, data = "message", []
        for line in block.splitlines():
            if not line or line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "event":
                event = value
            elif name == "data":
                data.append(value)
        if data:
            events.append((event, "\n".join(data)))
    return events


class RefusalWatcher(threading.Thread):
    """Tries to connect to a port until a connection is refused; records when (monotonic)."""

    def __init__(self, port: int, deadline: float) -> None:
        super().__init__(name="refusal-watcher", daemon=True)
        self.port = port
        self.deadline = deadline
        self.refused_at: Optional[float] = None

    def run(self) -> None:
        while time.monotonic() < self.deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1.0):
                    pass
            except ConnectionRefusedError:
                self.refused_at = time.monotonic()
                return
            except OSError:
                pass  # timeout or reset: the listener is going away; try again
            time.sleep(0.1)


# --------------------------------------------------------------------------- lifecycle


@pytest.mark.timeout(120)
def test_sigterm_lets_an_open_sse_stream_finish_then_exits_zero(tmp_path: pathlib.Path) -> None:
    grace = 20
    # The upstream call is held this long: the window for SIGTERM (and the checks below) to come
    # while it is in flight, wide enough for a busy machine, well inside the grace period.
    latency_ms = 10_000
    with serving(tmp_path, TASK_MCP_SHUTDOWN_GRACE=str(grace)) as server, server.client() as client:
        server.wait_ready(client)
        deadline = time.monotonic() + 5
        while "SANDBOX MODE" not in server.stdout and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "SANDBOX MODE" in server.stdout, f"no SANDBOX MODE banner\n{server.describe()}"

        r = client.get("/healthz")
        assert r.status_code == 200, f"/healthz: HTTP {r.status_code}: {r.text}"

        tools = list_tools(client, server)
        assert TOOLS <= tools.keys(), f"tools/list lacks {TOOLS - tools.keys()}: {sorted(tools)}"
        schema = tools["createDeepResearch"]["inputSchema"]
        assert "input" in schema["properties"] and schema.get("required") == ["input"], schema

        credits_before = credits(server)
        set_faults(server, added_latency_ms=latency_ms)
        call = rpc(
            "tools/call",
            {"name": "createDeepResearch", "arguments": {"input": "Test shutdown"}, "_meta": {"progressToken": "p1"}},
            id_=2,
        )
        timeout = httpx.Timeout(10.0, read=grace + 10.0)
        sent = time.monotonic()
        with client.stream("POST", "/mcp", json=call, headers=MCP_HEADERS, timeout=timeout) as stream:
            headers_after = time.monotonic() - sent
            assert stream.status_code == 200, f"HTTP {stream.status_code}\n{server.describe()}"
            assert stream.headers.get("content-type", "").startswith("text/event-stream"), stream.headers

            server.proc.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            watcher = RefusalWatcher(server.port, deadline=signalled + grace + 10)
            watcher.start()
            # The upstream create is still held by the injected latency (the sandbox charges and
            # creates the run only after it): the stream was open, and SIGTERM came, while the call
            # was in flight. The embedded sandbox, a service started before the server, still
            # answers while the server drains; its admin routes carry no injected latency.
            assert credits(server) == credits_before, (
                f"the upstream call had already finished at SIGTERM ({headers_after:.2f}s after the request)\n"
                f"{server.describe()}"
            )
            try:
                body = stream.read().decode("utf-8")
            except httpx.HTTPError as exc:
                raise AssertionError(f"the SSE stream broke after SIGTERM: {exc!r}\n{server.describe()}") from None
            stream_done = time.monotonic() - signalled

        try:
            code = server.proc.wait(timeout=grace + 5)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"task-mcp did not exit within {grace + 5}s of SIGTERM (grace {grace}s)\n{server.describe()}"
            ) from None
        exited = time.monotonic() - signalled
        watcher.join(timeout=grace + 10)
        refused = None if watcher.refused_at is None else watcher.refused_at - signalled

        print(
            f"\nSIGTERM -> exit: {exited:.2f}s (exit code {code}); stream ended {stream_done:.2f}s after SIGTERM; "
            f"new connections refused {'never' if refused is None else f'{refused:.2f}s'} after SIGTERM; "
            f"response headers {headers_after:.2f}s after the request"
        )

        events = parse_sse(body)
        assert events, f"empty SSE body: {body!r}\n{server.describe()}"
        event, data = events[-1]
        assert event == "message", f"last SSE event is {event!r}: {body!r}"
        response = json.loads(data)
        assert response.get("jsonrpc") == "2.0" and response.get("id") == 2, response
        assert "error" not in response and "result" in response, f"{response}\n{server.describe()}"
        result = response["result"]
        assert not result.get("isError"), f"the call became a tool error during shutdown: {result}\n{server.describe()}"
        # Without MCP-Protocol-Version the oldest revision applies: text content, no structuredContent.
        text = " ".join(item.get("text", "") for item in result.get("content", []))
        assert re.search(r"\btrun_[0-9a-f]{32}\b", text), result
        for event, data in events[:-1]:
            assert event == "message" and json.loads(data).get("method") == "notifications/progress", (event, data)

        assert code == 0, f"exit code {code} after SIGTERM\n{server.describe()}"
        assert exited <= grace + 5, f"exit took {exited:.2f}s (grace {grace}s)"
        assert refused is not None, f"port {server.port} still accepted connections after exit\n{server.describe()}"
        assert refused < stream_done, (
            f"new connections were accepted until {refused:.2f}s after SIGTERM, after the stream ended ({stream_done:.2f}s)"
        )
        for marker in STACK_TRACE_MARKERS:
            assert marker not in server.stderr(), server.describe()


# --------------------------------------------------------------------------- metrics and request ids


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One ``serve --sandbox`` with defaults, shared by the read-only probes below."""
    with serving(tmp_path_factory.mktemp("service")) as server, server.client() as client:
        server.wait_ready(client)
        yield server


@pytest.mark.timeout(120)
def test_metrics_exposition(service: Server) -> None:
    with service.client() as client:
        list_tools(client, service)
        r = client.get("/metrics")
    assert r.status_code == 200, f"/metrics: HTTP {r.status_code}: {r.text[:500]}\n{service.describe()}"
    assert r.headers.get("content-type", "").startswith("text/plain"), r.headers
    text = r.text
    mcp = [line for line in text.splitlines() if line.startswith("mcp_requests_total{")]
    assert any('method="tools/list"' in line for line in mcp), f"no tools/list sample in {mcp}\n{_tail(text)}"
    hb = [line for line in text.splitlines() if line.startswith("hb_requests{")]
    assert any('http_route="/mcp"' in line for line in hb), f"no /mcp sample in {hb}\n{_tail(text)}"
    assert re.search(r'^task_mcp_info\{version="[^"]+"\} 1', text, re.M), _tail(text)


@pytest.mark.timeout(120)
def test_metrics_token_guards_the_scrape(tmp_path: pathlib.Path) -> None:
    token = secrets.token_hex(12)  # 24 hex characters
    with serving(tmp_path, TASK_MCP_METRICS_TOKEN=token) as server, server.client() as client:
        server.wait_ready(client)
        for headers in ({}, {"Authorization": f"Bearer {token}x"}, BEARER):
            r = client.get("/metrics", headers=headers)
            assert r.status_code == 401, f"/metrics with {headers or 'no credentials'}: HTTP {r.status_code}"
        r = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, f"/metrics with the token: HTTP {r.status_code}: {r.text[:300]}"
        assert "task_mcp_info{" in r.text, _tail(r.text)


@pytest.mark.timeout(120)
def test_request_id_is_echoed_or_generated(service: Server) -> None:
    with service.client() as client:
        r = client.post("/mcp", json=rpc("tools/list"), headers={**MCP_HEADERS, "X-Request-Id": "conformance-123"})
        assert r.status_code == 200, r.text[:300]
        assert r.headers.get("x-request-id") == "conformance-123", r.headers

        generated = []
        for _ in range(2):
            r = client.post("/mcp", json=rpc("tools/list"), headers=MCP_HEADERS)
            assert r.status_code == 200, r.text[:300]
            generated.append(r.headers.get("x-request-id", ""))
        assert all(generated), f"no X-Request-Id generated: {r.headers}"
        assert generated[0] != generated[1], f"two requests got the same id: {generated}"

        # Not a plain token: replaced by a generated id rather than echoed.
        r = client.get("/healthz", headers={"X-Request-Id": "bad id\twith spaces"})
        assert r.status_code == 200
        assert r.headers.get("x-request-id") and r.headers["x-request-id"] != "bad id\twith spaces", r.headers


# --------------------------------------------------------------------------- configuration


def _check_config_failure(result: subprocess.CompletedProcess) -> list[str]:
    """Exit 78 without a stack trace; returns the non-empty stderr lines."""
    output = f"exit {result.returncode}\nstdout: {result.stdout!r}\nstderr:\n{result.stderr}"
    assert result.returncode == CONFIG_EXIT, output
    for marker in STACK_TRACE_MARKERS:
        assert marker not in result.stderr + result.stdout, output
    assert "listening on" not in result.stdout, output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and all(line.startswith("configuration error:") for line in lines), output
    return lines


@pytest.mark.timeout(60)
def test_configuration_errors_exit_78_one_line_each(tmp_path: pathlib.Path) -> None:
    result = run_serve(
        tmp_path,
        TASK_MCP_PORT="eighty",
        TASK_MCP_PUBLIC_URL="https://mcp.example.com/mcp",
        TASK_MCP_SEALING_KEYS="k1:short",
        TASK_MCP_PROT="1",
    )
    lines = _check_config_failure(result)
    # Reported before anything was opened: no database (or other file) in the working directory.
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "files created despite the configuration errors"
    # Four bad values, plus the missing secret key: every problem in one attempt.
    assert len(lines) == 5, f"expected one line per problem (5):\n{result.stderr}"
    for name in ("TASK_MCP_PORT", "TASK_MCP_PUBLIC_URL", "TASK_MCP_SEALING_KEYS", "TASK_MCP_PROT", "TASK_MCP_SECRET_KEY"):
        assert any(name in line for line in lines), f"{name} is not named:\n{result.stderr}"
    typo = [line for line in lines if "TASK_MCP_PROT" in line]
    assert len(typo) == 1 and re.search(r"did you mean\W+TASK_MCP_PORT\b", typo[0]), result.stderr
    assert any("TASK_MCP_PORT" in line and "eighty" in line for line in lines), result.stderr


@pytest.mark.timeout(60)
def test_serve_without_secret_key_exits_78(tmp_path: pathlib.Path) -> None:
    (port,) = free_ports(1)
    lines = _check_config_failure(run_serve(tmp_path, TASK_MCP_PORT=str(port)))
    assert any("TASK_MCP_SECRET_KEY" in line for line in lines), lines


@pytest.mark.timeout(60)
def test_missing_env_file_exits_78(tmp_path: pathlib.Path) -> None:
    missing = tmp_path / "does-not-exist.env"
    server_port, sandbox_port = free_ports(2)
    result = run_serve(
        tmp_path, "--sandbox", "--sandbox-port", str(sandbox_port), "--env-file", str(missing),
        TASK_MCP_PORT=str(server_port),
    )
    lines = _check_config_failure(result)
    assert any(str(missing) in line for line in lines), lines


# --------------------------------------------------------------------------- .env and logs


@pytest.mark.timeout(120)
def test_dotenv_file_sets_port_and_json_logs_without_the_key(tmp_path: pathlib.Path) -> None:
    (port,) = free_ports(1)
    (tmp_path / ".env").write_text(f"# written by test_service.py\nTASK_MCP_LOG_FORMAT=json\nTASK_MCP_PORT={port}\n")
    with serving(tmp_path, port_from_env=False) as server:
        assert server.port == port, f"listening on {server.url}, .env said {port}\n{server.describe()}"
        with server.client() as client:
            server.wait_ready(client)
            r = client.post("/mcp", json=rpc("tools/list"), headers={**MCP_HEADERS, "X-Request-Id": "dotenv-1"})
            assert r.status_code == 200, r.text[:300]
        code = server.stop()
        stderr = server.stderr()
        assert code == 0, f"exit code {code} after SIGTERM\n{server.describe()}"

    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines, "no log lines on stderr"
    records = []
    for line in lines:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise AssertionError(f"stderr line is not JSON: {line!r}\n{_tail(stderr)}") from None
        assert isinstance(record, dict) and "level" in record and "message" in record, line
        records.append(record)
    assert any(r.get("hb.request.id") == "dotenv-1" and r.get("http.path") == "/mcp" for r in records), (
        f"no access-log line for the MCP call:\n{_tail(stderr)}"
    )
    leaks = [line for line in lines if DEMO_KEY in line]
    assert not leaks, f"the bearer key was logged: {leaks}"


# --------------------------------------------------------------------------- a newcomer's first tries


@pytest.mark.timeout(120)
def test_serve_port_and_host_flags_win_over_the_environment(tmp_path: pathlib.Path) -> None:
    """``serve --host 127.0.0.1 --port N`` (the first thing a newcomer tries) binds there, over TASK_MCP_PORT."""
    flag_port, env_port, sandbox_port = free_ports(3)
    args = ["serve", "--sandbox", "--sandbox-port", str(sandbox_port), "--host", "127.0.0.1", "--port", str(flag_port)]
    server = Server(args, clean_env(TASK_MCP_PORT=str(env_port), TASK_MCP_HOST="0.0.0.0"), tmp_path, sandbox_port)
    try:
        assert server.port == flag_port, f"listening on {server.url}, --port said {flag_port}\n{server.describe()}"
        assert server.url.startswith("http://127.0.0.1:"), server.describe()
        with server.client() as client:
            server.wait_ready(client)
    finally:
        server.kill()


@pytest.mark.timeout(60)
def test_serve_refuses_a_bad_port_flag(tmp_path: pathlib.Path) -> None:
    result = run_serve(tmp_path, "--sandbox", "--port", "70000")
    assert result.returncode != 0 and "--port" in result.stderr, result.stderr
    assert "listening on" not in result.stdout


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "url",
    [
        "postgres://task:s3cret-pw@db.example:5432",  # no database
        "postgresql://task:s3cret-pw@db.example/taskmcp?sslmode=sometimes",
        "mysql://u:s3cret-pw@h/d",
        "file:///tmp/x.sqlite",
    ],
)
def test_database_url_is_a_configuration_error_not_a_file(tmp_path: pathlib.Path, url: str) -> None:
    """A bad PostgreSQL URL, or any other ``scheme://``, becomes exit 78 naming what is supported,
    never a SQLite file named after the URL, and never repeats the password."""
    (port,) = free_ports(1)
    lines = _check_config_failure(run_serve(tmp_path, "--sandbox", TASK_MCP_PORT=str(port), TASK_MCP_DATABASE=url))
    database = [line for line in lines if "TASK_MCP_DATABASE" in line]
    assert len(database) == 1, lines
    assert "postgres://USER" in database[0], database
    if not url.startswith("postgres"):
        assert "SQLite" in database[0] and ":memory:" in database[0], database
    assert "s3cret-pw" not in "\n".join(lines), "the database password was printed"
    assert list(tmp_path.iterdir()) == [], f"files were created: {list(tmp_path.iterdir())}"
    # `migrate` reads the same setting.
    result = subprocess.run(
        [str(_binary()), "migrate"], cwd=tmp_path, env=clean_env(TASK_MCP_DATABASE=url), stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == CONFIG_EXIT, f"exit {result.returncode}\n{result.stderr}"
    assert "TASK_MCP_DATABASE" in result.stderr and "s3cret-pw" not in result.stderr
    assert list(tmp_path.iterdir()) == [], f"files were created: {list(tmp_path.iterdir())}"


@pytest.mark.timeout(120)
def test_migrators_started_together_on_a_fresh_sqlite_file_all_succeed(tmp_path: pathlib.Path) -> None:
    """Processes on one host opening one new SQLite file at once: the first switches it to WAL,
    which the others may find locked; each must wait its turn, not fail."""
    for attempt in range(3):
        database = tmp_path / f"fresh-{attempt}.sqlite"
        processes = [
            subprocess.Popen(
                [str(_binary()), "migrate", "--database", str(database)], cwd=tmp_path, env=clean_env(),
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
            for _ in range(4)
        ]
        outcomes = [(process.wait(timeout=60), process.stdout.read(), process.stderr.read()) for process in processes]
        assert all(code == 0 for code, _, _ in outcomes), outcomes
        applied = sum(out.count("  0") for _, out, _ in outcomes)
        up_to_date = sum("up to date" in out for _, out, _ in outcomes)
        # Each migration applied by exactly one process; the others found nothing to do or a part.
        assert applied == len(list((pathlib.Path(__file__).parent.parent / "migrations" / "sqlite").glob("0*.sql"))), outcomes
        assert up_to_date <= 3, outcomes
