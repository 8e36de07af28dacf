"""A 2025-11-25 tasks (SEP-1686) client: the Python ``mcp`` SDK 1.x's experimental tasks API.

Run by test_mcp_tasks.py in its own venv (``requirements-tasks-2025.txt``): mcp 2.x removed
this API, so it cannot share the main conformance venv. Prints one JSON object describing what
it saw; the test asserts on it.

    python sep1686_client.py <mcp-url> <bearer>
"""

from __future__ import annotations

import asyncio
import json
import sys
import warnings

from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client
from mcp.types import CallToolResult

warnings.simplefilter("ignore", DeprecationWarning)


async def main(url: str, bearer: str) -> dict:
    seen: dict = {}
    async with streamablehttp_client(url, headers={"Authorization": f"Bearer {bearer}"}) as (read, write, _):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            seen["protocol"] = init.protocolVersion
            caps = init.capabilities.tasks
            seen["capability"] = {
                "list": caps is not None and caps.list is not None,
                "cancel": caps is not None and caps.cancel is not None,
                "tools_call": caps is not None and caps.requests is not None and caps.requests.tools is not None
                and caps.requests.tools.call is not None,
            }
            tools = await session.list_tools()
            seen["task_support"] = {t.name: (t.execution.taskSupport if t.execution else None) for t in tools.tools}

            # The task-augmented call returns at once; tasks/result blocks until the report is
            # ready and returns it: no second tool call.
            created = await session.experimental.call_tool_as_task(
                "createDeepResearch", {"input": "Which firms lead in sodium-ion batteries?", "processor": "pro-fast"}, ttl=120_000
            )
            task_id = created.task.taskId
            seen["created"] = {"status": created.task.status, "ttl": created.task.ttl, "poll": created.task.pollInterval}
            result = await session.experimental.get_task_result(task_id, CallToolResult)
            seen["result_text"] = "\n".join(block.text for block in result.content if block.type == "text")
            seen["result_structured"] = result.structuredContent
            seen["related"] = (result.meta or {}).get("io.modelcontextprotocol/related-task")
            status = await session.experimental.get_task(task_id)
            seen["final_status"] = status.status

            # Another task, cancelled while it works, then listed.
            second = await session.experimental.call_tool_as_task(
                "createDeepResearch", {"input": "A second question", "processor": "ultra8x"}
            )
            cancelled = await session.experimental.cancel_task(second.task.taskId)
            seen["cancelled"] = {"status": cancelled.status, "message": cancelled.statusMessage}
            listed = await session.experimental.list_tasks()
            seen["listed"] = [t.taskId for t in listed.tasks]
            seen["ids"] = [task_id, second.task.taskId]

            # An ordinary call still behaves as before.
            plain = await session.call_tool("createDeepResearch", {"input": "Plain call", "processor": "pro-fast"})
            seen["plain_structured"] = plain.structuredContent
    return seen


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], sys.argv[2]))))
