"""The FastMCP peer of scripts/benchmark-load.sh: task-mcp's four task tools written the way a
Python MCP server would write them, with FastMCP and Parallel's own SDK (parallel-web), against
the same sandbox. Served over Streamable HTTP, stateless, with JSON responses (no SSE), so each
POST is one JSON-RPC request and one JSON answer, as task-mcp serves a call without a progress
token.

    python peer_fastmcp.py --upstream http://127.0.0.1:PORT [--host 127.0.0.1] [--port 0]

Prints ``fastmcp-peer listening on http://HOST:PORT`` on stdout once its socket is bound. The
caller's bearer token is its Parallel API key, as for task-mcp; one SDK client is kept per key
(connection pool reused), so that the peer is not charged for setting clients up per request.
Uvicorn's access log is off: the peer does less logging than task-mcp, not more.
"""

from __future__ import annotations

import argparse
import socket
from typing import Any, Optional, Union

import parallel
from fastmcp import FastMCP
from fastmcp.exceptions import ToolError
from fastmcp.server.dependencies import get_http_request

PAGE_CHARACTERS = 80_000  # about 20,000 tokens, task-mcp's default page
BATCH = 1_000  # the Task Group API takes at most this many runs per add-runs request

mcp = FastMCP("fastmcp-peer")
_upstream = ""
_clients: dict[str, parallel.AsyncParallel] = {}


def _client() -> parallel.AsyncParallel:
    """The SDK client for the caller's bearer key (one per key, created on first use)."""
    header = get_http_request().headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ToolError("Send your Parallel API key as 'Authorization: Bearer <key>'.")
    key = key.strip()
    client = _clients.get(key)
    if client is None:
        client = parallel.AsyncParallel(api_key=key, base_url=_upstream, max_retries=2)
        _clients[key] = client
    return client


def _processor_for(fields: list[str], output_type: str) -> str:
    if output_type == "text":
        return "core"
    count = len(fields)
    return "base" if count <= 3 else "core" if count <= 10 else "pro" if count <= 20 else "ultra2x"


def _task_spec(output: str, output_type: str) -> tuple[dict[str, Any], list[str]]:
    if output_type == "text":
        return {"output_schema": {"type": "text", "description": output}}, []
    fields = [part.split(":", 1)[0].strip() for part in output.split(",") if part.strip()]
    schema = {
        "type": "object",
        "properties": {name: {"type": "string"} for name in fields},
        "required": fields,
        "additionalProperties": False,
    }
    return {"output_schema": {"type": "json", "json_schema": schema}}, fields


def _rows(inputs: Union[list[dict[str, Any]], str]) -> list[dict[str, Any]]:
    if isinstance(inputs, str):
        lines = [line for line in inputs.splitlines() if line.strip()]
        if len(lines) < 2:
            raise ToolError("CSV inputs need a header line and at least one row.")
        header = [cell.strip() for cell in lines[0].split(",")]
        return [dict(zip(header, (cell.strip() for cell in line.split(",")))) for line in lines[1:]]
    return inputs


def _page(text: str, cursor: Optional[str]) -> str:
    start = int(cursor) if cursor and cursor.isdigit() else 0
    end = start + PAGE_CHARACTERS
    page = text[start:end]
    if end < len(text):
        page += f'\n\n_Page ends here: call getResultMarkdown again with cursor "{end}" for the next page._\n'
    return page


@mcp.tool
async def createDeepResearch(input: str, processor: str = "pro") -> dict[str, Any]:
    """Start a cited deep-research report; returns at once with the run id."""
    run = await _client().task_run.create(
        input=input, processor=processor, task_spec={"output_schema": {"type": "text"}}
    )
    return {"run_id": run.run_id, "status": run.status, "processor": processor}


@mcp.tool
async def createTaskGroup(
    inputs: Union[list[dict[str, Any]], str],
    output: str,
    output_type: str = "json",
    processor: Optional[str] = None,
) -> dict[str, Any]:
    """Enrich a list of rows with the same fields, as one task group."""
    client = _client()
    rows = _rows(inputs)
    spec, fields = _task_spec(output, output_type)
    chosen = processor or _processor_for(fields, output_type)
    group = await client.task_group.create()
    for first in range(0, len(rows), BATCH):
        batch = [{"input": row, "processor": chosen} for row in rows[first : first + BATCH]]
        await client.task_group.add_runs(group.task_group_id, inputs=batch, default_task_spec=spec)
    return {"taskgroup_id": group.task_group_id, "run_count": len(rows), "processor": chosen}


@mcp.tool
async def getStatus(taskRunOrGroupId: str) -> dict[str, Any]:
    """Cheap status check of a run or group."""
    client = _client()
    if taskRunOrGroupId.startswith("tgrp_"):
        group = await client.task_group.retrieve(taskRunOrGroupId)
        counts = dict(group.status.task_run_status_counts or {})
        active = group.status.is_active
        return {
            "kind": "group",
            "id": taskRunOrGroupId,
            "status": "running" if active else "completed",
            "total": group.status.num_task_runs,
            "counts": counts,
            "is_active": active,
            "results_ready": not active,
            "next_step": "call getStatus later" if active else "call getResultMarkdown",
        }
    if not taskRunOrGroupId.startswith("trun_"):
        raise ToolError("taskRunOrGroupId must be a run id (trun_…) or a group id (tgrp_…).")
    run = await client.task_run.retrieve(taskRunOrGroupId)
    return {
        "kind": "run",
        "id": taskRunOrGroupId,
        "status": run.status,
        "processor": run.processor,
        "is_active": run.is_active,
        "results_ready": run.status == "completed",
        "next_step": "call getResultMarkdown" if run.status == "completed" else "call getStatus later",
    }


@mcp.tool
async def getResultMarkdown(taskRunOrGroupId: str, cursor: Optional[str] = None) -> str:
    """A run's report, or a group's table (one row per input), as paginated markdown."""
    client = _client()
    if taskRunOrGroupId.startswith("tgrp_"):
        lines: list[str] = []
        header: Optional[list[str]] = None
        async for event in await client.task_group.get_runs(
            taskRunOrGroupId, include_input=True, include_output=True
        ):
            if getattr(event, "type", None) != "task_run.state":
                continue
            content = getattr(getattr(event, "output", None), "content", None)
            values = content if isinstance(content, dict) else {"output": content}
            if header is None:
                header = list(values)
                lines.append("| status | " + " | ".join(header) + " |")
                lines.append("|---" * (len(header) + 1) + "|")
            cells = [str(values.get(name, "")).replace("|", "\\|") for name in header]
            lines.append(f"| {event.run.status} | " + " | ".join(cells) + " |")
        return _page("\n".join(lines) + "\n", cursor)
    result = await client.task_run.result(taskRunOrGroupId, timeout=1)
    content = result.output.content
    return _page(content if isinstance(content, str) else str(content), cursor)


def main() -> None:
    global _upstream
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="the sandbox's base URL")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    _upstream = args.upstream.rstrip("/")

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this (Linux). Without it uvicorn's two writes per answer
    # (head, then body) meet the client's delayed ACK on a kept-alive connection: every answer
    # after the first waits about 40 ms, which would measure TCP, not FastMCP. task-mcp's
    # Hummingbird sets it too.
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    listener.bind((args.host, args.port))
    listener.listen(1024)
    print(f"fastmcp-peer listening on http://{args.host}:{listener.getsockname()[1]}", flush=True)
    mcp.run(
        transport="http",
        show_banner=False,
        path="/mcp",
        stateless_http=True,
        json_response=True,
        log_level="warning",
        uvicorn_config={"access_log": False},
        sockets=[listener],
    )


if __name__ == "__main__":
    main()
