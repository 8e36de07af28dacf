"""Lost answers of creates: task-mcp behind a forwarding proxy that carries
every run create through to the sandbox, then drops the sandbox's answer and replies 504, as an
edge that timed out would. Nothing may be created or billed twice.

The proxy (a thread in this process, on an ephemeral loopback port) forwards everything else as
it is; a second task-mcp is started with the proxy as its Parallel base URL. What reached the
sandbox is read from its admin endpoints (``/sandbox/stats``, ``/sandbox/accounts/{key}``) and
from the group's run listing.
"""

from __future__ import annotations

import http.server
import json
import re
import threading
from typing import Iterator

import httpx
import pytest

from _support import DEMO_KEY
from conftest import BEARER, TASK_MCP_LISTEN_RE, _binary_path, _start_listening, _stop, _wait_for_binary

# POST /v1/tasks/runs and POST /v1/tasks/groups/{id}/runs: billed, not safe to repeat.
RUN_CREATE = re.compile(r"^/v1(beta)?/tasks/(runs|groups/[^/]+/runs)$")
GROUP_CREATE = re.compile(r"^/v1(beta)?/tasks/groups$")
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}
MCP_HEADERS = {"Accept": "application/json", "Content-Type": "application/json", "MCP-Protocol-Version": "2025-11-25"}


class LosingProxy:
    """Forwards to ``upstream``; answers 504 after each successful create it is told to lose."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.lose_run_creates = True
        self.lose_group_creates = 0  # how many group creations to lose
        self.lost: list[str] = []
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
                path = self.path.split("?", 1)[0]
                with httpx.Client(timeout=120) as client:
                    with client.stream(self.command, proxy.upstream + self.path, headers=headers, content=body) as r:
                        if self.command == "POST" and 200 <= r.status_code < 300 and proxy._should_lose(path):
                            r.read()  # the sandbox did the work; its answer is dropped
                            self._send(504, b'{"error":{"ref_id":"proxy","message":"Gateway Timeout"}}', {})
                            return
                        self.send_response(r.status_code)
                        for k, v in r.headers.items():
                            if k.lower() not in HOP_HEADERS:
                                self.send_header(k, v)
                        self.send_header("Connection", "close")
                        self.end_headers()
                        for chunk in r.iter_raw():
                            self.wfile.write(chunk)
                            self.wfile.flush()

            def _send(self, status: int, body: bytes, headers: dict) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="losing-proxy", daemon=True)

    def _should_lose(self, path: str) -> bool:
        with self.lock:
            if RUN_CREATE.match(path) and self.lose_run_creates:
                self.lost.append(path)
                return True
            if GROUP_CREATE.match(path) and self.lose_group_creates > 0:
                self.lose_group_creates -= 1
                self.lost.append(path)
                return True
            return False


@pytest.fixture(scope="module")
def proxy(sandbox_url: str) -> Iterator[LosingProxy]:
    p = LosingProxy(sandbox_url)
    p.thread.start()
    try:
        yield p
    finally:
        p.server.shutdown()
        p.server.server_close()


@pytest.fixture(scope="module")
def proxied_mcp(proxy: LosingProxy, task_mcp_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A task-mcp whose Parallel base URL is the losing proxy."""
    binary = _binary_path("TASK_MCP_BIN", ".build/debug/task-mcp")
    _wait_for_binary(binary, "TASK_MCP_BIN")
    env = {
        **task_mcp_env,
        "PARALLEL_API_BASE_URL": proxy.url,
        "TASK_MCP_DATABASE": str(tmp_path_factory.mktemp("lost-answers") / "task-mcp.sqlite"),
    }
    proc, url, log = _start_listening([str(binary), "serve"], TASK_MCP_LISTEN_RE, "task-mcp-proxied", env=env)
    try:
        with httpx.Client(base_url=url, headers=BEARER, timeout=120.0) as client:
            yield client
    finally:
        _stop(proc, log)


@pytest.fixture(autouse=True)
def _fresh_proxy(proxy: LosingProxy) -> None:
    with proxy.lock:
        proxy.lose_run_creates = True
        proxy.lose_group_creates = 0
        proxy.lost.clear()


def call_tool(client: httpx.Client, name: str, arguments: dict) -> dict:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments}}
    r = client.post("/mcp", json=body, headers=MCP_HEADERS)
    assert r.status_code == 200, r.text[:2000]
    return r.json()["result"]


def stats(admin: httpx.Client) -> dict:
    r = admin.get("/sandbox/stats")
    assert r.status_code == 200, r.text
    return r.json()


def credits(admin: httpx.Client) -> float:
    r = admin.get(f"/sandbox/accounts/{DEMO_KEY}")
    assert r.status_code == 200, r.text
    return r.json()["credits_usd"]


def group_runs(sandbox_url: str, group_id: str) -> list[dict]:
    """Every run of the group, from the sandbox's own listing (the /runs snapshot stream)."""
    runs: list[dict] = []
    with httpx.Client(base_url=sandbox_url, headers={"x-api-key": DEMO_KEY}, timeout=60) as c:
        with c.stream("GET", f"/v1/tasks/groups/{group_id}/runs") as r:
            assert r.status_code == 200
            for line in r.iter_lines():
                if line.startswith("data:"):
                    event = json.loads(line[5:])
                    if event.get("type") == "task_run.state":
                        runs.append(event["run"])
    return runs


def test_a_deep_research_whose_answer_is_lost_makes_one_run_and_one_charge(
    proxy: LosingProxy, proxied_mcp: httpx.Client, admin: httpx.Client
) -> None:
    before = credits(admin)
    result = call_tool(proxied_mcp, "createDeepResearch", {"input": "Who makes heat pumps in Europe?", "processor": "pro"})
    assert stats(admin)["runs"] == 1, f"runs upstream: {stats(admin)}; proxy lost {proxy.lost}"
    assert proxy.lost == ["/v1/tasks/runs"], proxy.lost
    assert before - credits(admin) == pytest.approx(0.10), "billed once, for one pro run"
    # The answer was lost: an honest error, saying the run may exist and what to do.
    assert result.get("isError") is True, result
    text = result["content"][0]["text"]
    assert "may have" in text and "billed" in text and "platform.parallel.ai" in text, text


def test_a_task_group_whose_add_answers_are_lost_has_each_row_once(
    proxy: LosingProxy, proxied_mcp: httpx.Client, admin: httpx.Client, sandbox_url: str
) -> None:
    rows = [{"company": f"Company {i}"} for i in range(10)]
    before = credits(admin)
    result = call_tool(
        proxied_mcp, "createTaskGroup", {"inputs": rows, "output": "ceo_name", "output_type": "json", "processor": "lite"}
    )
    assert not result.get("isError"), result
    structured = result["structuredContent"]
    assert structured["run_count"] == 10 and structured["failed_rows"] == [], structured
    runs = group_runs(sandbox_url, structured["taskgroup_id"])
    indexes = sorted(run["metadata"]["input_index"] for run in runs)
    assert indexes == list(range(10)), f"each input once: {indexes}"
    assert stats(admin)["runs"] == 10
    assert before - credits(admin) == pytest.approx(10 * 0.005), "ten lite rows billed once each"
    assert proxy.lost, "the proxy did lose the add-runs answers"


def test_a_lost_group_creation_leaves_at_most_an_empty_group(
    proxy: LosingProxy, proxied_mcp: httpx.Client, admin: httpx.Client, sandbox_url: str
) -> None:
    """Creating a group is retried: a group whose answer was lost is empty and costs nothing."""
    with proxy.lock:
        proxy.lose_run_creates = False
        proxy.lose_group_creates = 1
    rows = [{"company": f"Company {i}"} for i in range(3)]
    result = call_tool(
        proxied_mcp, "createTaskGroup", {"inputs": rows, "output": "ceo_name", "output_type": "json", "processor": "lite"}
    )
    assert not result.get("isError"), result
    assert result["structuredContent"]["run_count"] == 3
    assert stats(admin) == {"runs": 3, "groups": 2}, "one stray empty group, no stray runs"
