"""A 2026-07-28 tasks-extension (SEP-2663) client: FastMCP 4 with ``fastmcp_tasks`` imported.

Importing ``fastmcp_tasks`` turns task support on for every FastMCP ``Client`` in the process,
so this runs in a subprocess of test_mcp_tasks.py, away from the tests that check the plain
behaviour. Prints one JSON object describing what it saw.

    python sep2663_client.py <mcp-url> <bearer>
"""

from __future__ import annotations

import asyncio
import json
import sys

import fastmcp_tasks
from fastmcp import Client
from fastmcp.client.auth import BearerAuth


async def main(url: str, bearer: str) -> dict:
    seen: dict = {}
    async with Client(url, auth=BearerAuth(bearer), timeout=120) as client:
        seen["protocol"] = client.protocol_version
        # Transparent: call_tool returns the finished report, polling tasks/get under the hood.
        result = await client.call_tool(
            "createDeepResearch", {"input": "Which firms lead in sodium-ion batteries?", "processor": "pro-fast"}
        )
        seen["result_text"] = "\n".join(block.text for block in result.content if block.type == "text")
        seen["result_structured"] = result.structured_content

        # Explicit handle: created at once, then driven, then cancelled on another task.
        task = await fastmcp_tasks.call_tool_task(client, "createDeepResearch", {"input": "Second", "processor": "pro-fast"})
        first = await task.status()
        seen["handle"] = {"id": task.task_id, "status": first.status, "poll_ms": first.poll_interval_ms, "ttl_ms": first.ttl_ms}
        done = await task.result()
        seen["handle_text"] = "\n".join(block.text for block in done.content if block.type == "text")

        slow = await fastmcp_tasks.call_tool_task(client, "createDeepResearch", {"input": "Third", "processor": "ultra8x"})
        await slow.cancel()
        after = await slow.status()
        seen["cancelled"] = {"status": after.status, "message": after.status_message}
    return seen


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], sys.argv[2]))))
