"""MCP tasks with clients nobody here wrote: one per task generation.

- 2025-11-25 tasks (SEP-1686): the Python ``mcp`` SDK 1.x's experimental tasks client, in its
  own venv (``TASKS_2025_PYTHON``, made by scripts/test.sh from requirements-tasks-2025.txt).
- 2026-07-28 tasks extension (SEP-2663): FastMCP 4 with ``fastmcp_tasks``, in a subprocess so
  that its process-wide client extension does not change the other FastMCP tests.

Each gets the final research report without a second tool call.
"""

from __future__ import annotations

import asyncio
import json
import os
import pathlib
import subprocess
import sys

import pytest

from _support import DEMO_KEY, RUN_ID_RE

CLIENTS = pathlib.Path(__file__).parent / "clients"


def run_client(python: str, script: str, mcp_endpoint: str) -> dict:
    completed = subprocess.run(
        [python, str(CLIENTS / script), mcp_endpoint, DEMO_KEY], capture_output=True, text=True, timeout=240
    )
    assert completed.returncode == 0, f"{script} failed:\nstdout: {completed.stdout[-3000:]}\nstderr: {completed.stderr[-5000:]}"
    return json.loads(completed.stdout.strip().splitlines()[-1])


def tasks_2025_python() -> str:
    python = os.environ.get("TASKS_2025_PYTHON")
    if not python:
        pytest.fail("TASKS_2025_PYTHON is not set: scripts/test.sh makes the mcp 1.x venv it names")
    return python


def test_sep1686_client_gets_the_report_through_tasks_result(mcp_endpoint: str) -> None:
    seen = run_client(tasks_2025_python(), "sep1686_client.py", mcp_endpoint)
    assert seen["protocol"] == "2025-11-25"
    assert seen["capability"] == {"list": True, "cancel": True, "tools_call": True}
    assert seen["task_support"]["createDeepResearch"] == "optional"
    assert seen["task_support"]["createTaskGroup"] == "optional"
    assert seen["task_support"]["getStatus"] is None
    assert seen["created"]["status"] == "working"
    assert seen["created"]["ttl"] >= 120_000 and seen["created"]["poll"] > 0
    text = seen["result_text"]
    assert "# Research report: Which firms lead in sodium-ion batteries?" in text, text[:500]
    assert "## Sources" in text
    assert RUN_ID_RE.match(seen["result_structured"]["run_id"]), seen["result_structured"]
    assert seen["result_structured"]["status"] == "completed"
    assert seen["related"] == {"taskId": seen["ids"][0]}
    assert seen["final_status"] == "completed"
    assert seen["cancelled"]["status"] == "cancelled"
    assert "keeps running" in seen["cancelled"]["message"]
    assert seen["listed"][:2] == list(reversed(seen["ids"])), seen["listed"]
    # Without `task`, the same tool answers as it always did.
    assert seen["plain_structured"]["processor"] == "pro-fast" and "interaction_id" in seen["plain_structured"]


def test_sep2663_client_gets_the_report_in_the_same_call(mcp_endpoint: str) -> None:
    seen = run_client(sys.executable, "sep2663_client.py", mcp_endpoint)
    assert seen["protocol"] == "2026-07-28"
    text = seen["result_text"]
    assert "# Research report: Which firms lead in sodium-ion batteries?" in text, text[:500]
    assert seen["result_structured"]["status"] == "completed"
    assert seen["result_structured"]["page"] == 1
    assert seen["handle"]["status"] in {"working", "completed"}
    assert seen["handle"]["ttl_ms"] > 0
    assert "# Research report: Second" in seen["handle_text"]
    assert seen["cancelled"]["status"] == "cancelled"
    assert "keeps running" in seen["cancelled"]["message"]


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
def test_a_progress_token_call_gets_increasing_progress_then_the_result(mcp_endpoint: str, mode: str) -> None:
    """getResultMarkdown with wait_seconds and a progress token: progress while the run works,
    strictly increasing, then the report, in one call (the official mcp 2.x client, both eras)."""
    import httpx2
    from mcp.client import Client
    from mcp.client.streamable_http import streamable_http_client

    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, total, message))

    async def scenario() -> str:
        headers = {"Authorization": f"Bearer {DEMO_KEY}"}
        async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0, read=120.0)) as http:
            async with Client(streamable_http_client(mcp_endpoint, http_client=http), mode=mode) as client:
                return await flow(client)

    async def flow(client) -> str:
        created = await client.call_tool(
            "createDeepResearch", {"input": "How big is the heat pump market?", "processor": "ultra8x"}
        )
        run_id = created.structured_content["run_id"]
        result = await client.call_tool(
            "getResultMarkdown", {"taskRunOrGroupId": run_id, "wait_seconds": 50}, progress_callback=on_progress
        )
        assert not result.is_error
        return "\n".join(block.text for block in result.content if block.type == "text")

    text = asyncio.run(scenario())
    assert "# Research report: How big is the heat pump market?" in text, text[:500]
    values = [value for value, _, _ in progress]
    assert values, "no notifications/progress arrived although a progressToken was sent"
    assert all(a < b for a, b in zip(values, values[1:])), f"progress not strictly increasing: {progress}"
    assert all(total == 50 for _, total, _ in progress), progress
    assert all(message for _, _, message in progress), progress
