"""task-mcp's /mcp endpoint driven by FastMCP's client (``fastmcp`` 4.1.2): one end-to-end flow.

FastMCP wraps the official SDK but has its own transport inference (a URL ending in ``/mcp``
means Streamable HTTP), its own auth plumbing (``auth=BearerAuth(...)`` or a bare token) and
its own result parsing (``.data`` built from ``outputSchema``), so it catches different
mismatches than test_mcp_sdk.py.
"""

from __future__ import annotations

import asyncio
import re
import time

import pytest
from fastmcp import Client
from fastmcp.client.auth import BearerAuth
from fastmcp.exceptions import ToolError

from _support import DEMO_KEY, RUN_ID_RE

TOOL_NAMES = {"createDeepResearch", "createTaskGroup", "getStatus", "getResultMarkdown", "listTasks"}


@pytest.mark.parametrize("auth", ["bearer-auth", "token-string"])
def test_fastmcp_deep_research_flow(mcp_endpoint: str, auth: str) -> None:
    credential = BearerAuth(DEMO_KEY) if auth == "bearer-auth" else DEMO_KEY
    question = f"Which companies make solid-state batteries? ({auth})"

    async def scenario() -> None:
        async with Client(mcp_endpoint, auth=credential, timeout=60) as client:
            # mode="auto" (the default) probes server/discover, which task-mcp answers.
            assert client.protocol_version == "2026-07-28", client.protocol_version
            tools = await client.list_tools()
            assert {t.name for t in tools} == TOOL_NAMES

            created = await client.call_tool("createDeepResearch", {"input": question, "processor": "pro-fast"})
            assert not created.is_error
            sc = created.structured_content
            assert RUN_ID_RE.match(sc["run_id"]) and sc["processor"] == "pro-fast", sc
            assert created.data is not None, "FastMCP did not build .data from the structured output"

            deadline = time.monotonic() + 60
            while True:
                status = (await client.call_tool("getStatus", {"taskRunOrGroupId": sc["run_id"]})).structured_content
                if not status["is_active"]:
                    break
                assert time.monotonic() < deadline, f"still active after 60 s: {status}"
                await asyncio.sleep(0.25)
            assert status["status"] == "completed" and status["results_ready"] is True, status

            result = await client.call_tool("getResultMarkdown", {"taskRunOrGroupId": sc["run_id"]})
            text = "\n".join(block.text for block in result.content if block.type == "text")
            assert f"# Research report: {question}" in text, text[:500]
            assert "## Sources" in text and re.search(r"https://example\.(com|org|net)/", text)
            assert "this is the last page" in text

            # raise_on_error (the default) turns an isError result into ToolError carrying the message.
            with pytest.raises(ToolError, match="15000|15,000"):
                await client.call_tool("createDeepResearch", {"input": "x" * 15_001})

    asyncio.run(scenario())
