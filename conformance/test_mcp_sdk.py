"""task-mcp's /mcp endpoint driven by the official Python MCP SDK (``mcp`` 2.3.0).

Every test runs in three connection modes of ``mcp.client.Client``:

* ``"2026-07-28"``: the stateless revision, adopted directly (every request carries ``_meta``
  and the ``Mcp-Method``/``Mcp-Name`` headers);
* ``"legacy"``: the ``initialize`` handshake, which must negotiate 2025-11-25;
* ``"auto"``: ``server/discover`` first, falling back to ``initialize``; task-mcp supports
  discovery, so this must end on 2026-07-28.

The SDK validates ``structuredContent`` against each tool's ``outputSchema`` itself, so every
successful create*/getStatus/listTasks call below is also an output-schema check.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from typing import Any, AsyncIterator, Optional

import httpx2
import pytest
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from _support import DEMO_KEY, GROUP_ID_RE, RUN_ID_RE

MODES = ["2026-07-28", "legacy", "auto"]
EXPECTED_VERSION = {"2026-07-28": "2026-07-28", "legacy": "2025-11-25", "auto": "2026-07-28"}
TOOL_NAMES = {"createDeepResearch", "createTaskGroup", "getStatus", "getResultMarkdown", "listTasks"}
WITH_OUTPUT_SCHEMA = {"createDeepResearch", "createTaskGroup", "getStatus"}
CURSOR_RE = re.compile(r'cursor "([^"]+)" for the next page')
LAST_PAGE_RE = re.compile(r"_Page (\d+) of (\d+) — this is the last page\._")
POLL_DEADLINE = 60.0

pytestmark = pytest.mark.parametrize("mode", MODES)


# --------------------------------------------------------------------------- helpers


def run(coro) -> None:
    """asyncio.run, re-raising the first leaf of an ExceptionGroup (anyio task groups wrap
    an assertion failing inside ``async with Client(...)``) so that failures read plainly."""
    try:
        asyncio.run(coro)
    except BaseExceptionGroup as group:  # noqa: F821 (Python 3.11+)
        leaf: BaseException = group
        while isinstance(leaf, BaseExceptionGroup) and leaf.exceptions:
            leaf = leaf.exceptions[0]
        raise leaf from None


@contextlib.asynccontextmanager
async def connect(
    endpoint: str, mode: str, key: str = DEMO_KEY, statuses: Optional[list[int]] = None
) -> AsyncIterator[Client]:
    """A connected SDK client sending ``Authorization: Bearer <key>``; HTTP statuses seen are
    appended to ``statuses`` when given."""
    headers = {"Authorization": f"Bearer {key}"}
    hooks = {}
    if statuses is not None:

        async def record(response: httpx2.Response) -> None:
            statuses.append(response.status_code)

        hooks["response"] = [record]
    async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0, read=120.0), event_hooks=hooks) as http:
        async with Client(streamable_http_client(endpoint, http_client=http), mode=mode) as client:
            yield client


def text_of(result: Any) -> str:
    texts = [block.text for block in result.content if getattr(block, "type", None) == "text"]
    assert texts, f"tool result has no text content: {result!r}"
    return "\n".join(texts)


async def call_ok(client: Client, name: str, arguments: dict, **kwargs) -> Any:
    result = await client.call_tool(name, arguments, **kwargs)
    assert not result.is_error, f"{name}({str(arguments)[:200]}) returned isError: {text_of(result)[:1000]}"
    return result


async def wait_inactive(client: Client, task_id: str, *, deadline: float = POLL_DEADLINE) -> dict:
    """Poll getStatus until the task is no longer active; returns the last structuredContent."""
    end = time.monotonic() + deadline
    seen: list[str] = []
    while True:
        status = (await call_ok(client, "getStatus", {"taskRunOrGroupId": task_id})).structured_content
        assert status is not None, "getStatus returned no structuredContent"
        assert status["id"] == task_id
        assert isinstance(status["next_step"], str) and status["next_step"], f"empty next_step: {status}"
        seen.append(status["status"])
        if not status["is_active"]:
            return status
        assert status["results_ready"] in (True, False)
        if time.monotonic() > end:
            raise AssertionError(f"{task_id} still active after {deadline}s; statuses seen: {seen}")
        await asyncio.sleep(0.25)


async def read_all_pages(client: Client, task_id: str, *, max_pages: int = 50) -> list[str]:
    """getResultMarkdown page by page, following the cursor each page ends with."""
    pages: list[str] = []
    cursor: Optional[str] = None
    while True:
        args = {"taskRunOrGroupId": task_id}
        if cursor is not None:
            args["cursor"] = cursor
        text = text_of(await call_ok(client, "getResultMarkdown", args))
        pages.append(text)
        found = CURSOR_RE.findall(text)
        assert len(found) <= 1, f"page {len(pages)} names several cursors: {found}"
        if not found:
            last = LAST_PAGE_RE.search(text)
            assert last, f"page {len(pages)} has neither a cursor nor a last-page marker; tail: {text[-400:]!r}"
            assert int(last.group(1)) == int(last.group(2)) == len(pages), (
                f"last-page marker {last.group(0)!r} after reading {len(pages)} pages"
            )
            return pages
        assert found[0] != cursor, "the next-page cursor equals the one just used"
        cursor = found[0]
        assert len(pages) < max_pages, f"more than {max_pages} pages: cursors never end"


def table_rows(markdown: str) -> list[dict[str, str]]:
    """Every data row of every '| # | …' table in ``markdown``, as {column: cell}."""
    rows: list[dict[str, str]] = []
    header: Optional[list[str]] = None
    for line in markdown.splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if cells and cells[0] == "#":
            header = cells
        elif header and cells and all(set(c) <= {"-", ":"} for c in cells):
            continue
        elif header:
            assert len(cells) == len(header), f"row has {len(cells)} cells, header {len(header)}: {line[:300]!r}"
            rows.append(dict(zip(header, cells)))
    return rows


# --------------------------------------------------------------------------- tests


def test_handshake_and_tool_list(mcp_endpoint: str, mode: str) -> None:
    async def scenario() -> None:
        async with connect(mcp_endpoint, mode) as client:
            assert client.protocol_version == EXPECTED_VERSION[mode]
            if mode != "2026-07-28":  # a pinned version skips discovery, so the SDK has no serverInfo yet
                assert client.server_info is not None and client.server_info.name == "task-mcp"
                assert client.server_capabilities.tools is not None, "server does not advertise tools"
            listing = await client.list_tools()
            assert listing.next_cursor is None
            by_name = {tool.name: tool for tool in listing.tools}
            assert len(listing.tools) == 5 and set(by_name) == TOOL_NAMES, sorted(by_name)
            for name, tool in by_name.items():
                schema = tool.input_schema
                assert schema.get("type") == "object" and isinstance(schema.get("properties"), dict), name
                assert tool.description and len(tool.description) > 40, f"{name}: no useful description"
                if name in WITH_OUTPUT_SCHEMA:
                    assert tool.output_schema and tool.output_schema.get("type") == "object", f"{name}: no outputSchema"
            assert by_name["createDeepResearch"].input_schema["required"] == ["input"]
            # The rows come as exactly one of inputs, inputs_url or file: the server says so when none is.
            assert set(by_name["createTaskGroup"].input_schema["required"]) == {"output", "output_type"}
            assert {"inputs", "inputs_url", "file", "sheet"} <= set(by_name["createTaskGroup"].input_schema["properties"])
            assert by_name["getStatus"].input_schema["required"] == ["taskRunOrGroupId"]
            assert {"cursor", "basis"} <= set(by_name["getResultMarkdown"].input_schema["properties"])

    run(scenario())


def test_deep_research_flow(mcp_endpoint: str, mode: str) -> None:
    question = f"How do solid-state batteries compare with lithium-ion ({mode})?"

    async def scenario() -> None:
        async with connect(mcp_endpoint, mode) as client:
            created = await call_ok(client, "createDeepResearch", {"input": question})
            sc = created.structured_content
            assert sc is not None, "createDeepResearch returned no structuredContent"
            assert RUN_ID_RE.match(sc["run_id"]), sc
            assert sc["processor"] == "pro"
            assert sc["status"] in ("queued", "running")
            assert sc["progress_url"].endswith(".html?view=" + sc["progress_url"].split("?view=", 1)[1])
            assert f"/{sc['run_id']}.html?view=" in sc["progress_url"]
            assert sc["progress_url"] in text_of(created), "the text block does not give the progress link"

            final = await wait_inactive(client, sc["run_id"])
            assert final["status"] == "completed" and final["results_ready"] is True, final
            assert final["kind"] == "run"

            pages = await read_all_pages(client, sc["run_id"])
            report = "\n".join(pages)
            assert report.startswith(f"# Task run `{sc['run_id']}`"), report[:200]
            assert f"# Research report: {question}" in report
            assert "**Status:** completed" in report
            assert "## Sources" in report
            assert re.search(r"https://example\.(com|org|net)/\S+", report), "no citation URL in the report"

            listed = (await call_ok(client, "listTasks", {"limit": 100})).structured_content
            ids = [t["id"] for t in listed["tasks"]]
            assert sc["run_id"] in ids, f"listTasks does not list {sc['run_id']}: {ids[:10]}"

    run(scenario())


def test_task_group_100_rows_paginated_with_progress(mcp_endpoint: str, mode: str) -> None:
    # Five long descriptive columns make each table row long (cells are cut at ~120 characters),
    # so the 100 rows overflow one page of the default budget (20k tokens, ~80 KB) and the
    # cursor chain is exercised.
    filler = "a long and varied description that keeps going so that the table cell gets truncated " * 2
    rows = [
        {
            "company": f"Company {i:03d}",
            "country": ["US", "DE", "JP", "FR"][i % 4],
            **{column: f"{column} of company {i}: {filler}".strip() for column in ("segment", "notes", "products", "history", "address")},
        }
        for i in range(100)
    ]
    progress: list[tuple[float, Optional[float], Optional[str]]] = []

    async def on_progress(value: float, total: Optional[float], message: Optional[str]) -> None:
        progress.append((value, total, message))

    async def scenario() -> None:
        async with connect(mcp_endpoint, mode) as client:
            created = await call_ok(
                client,
                "createTaskGroup",
                {"inputs": rows, "output": "ceo_name, founding_year", "output_type": "json"},
                progress_callback=on_progress,
            )
            sc = created.structured_content
            assert GROUP_ID_RE.match(sc["taskgroup_id"]), sc
            assert sc["run_count"] == 100 and sc["submitted"] == 100, sc
            assert sc["failed_rows"] == []
            assert sc["output_fields"] == ["ceo_name", "founding_year"]
            assert f"/{sc['taskgroup_id']}.html?view=" in sc["progress_url"]

            assert progress, "no notifications/progress arrived although a progressToken was sent"
            values = [p[0] for p in progress]
            assert values == sorted(values), f"progress not monotonic: {progress}"
            last_value, last_total, _ = progress[-1]
            assert last_total is None or last_value <= last_total, progress

            final = await wait_inactive(client, sc["taskgroup_id"])
            assert final["kind"] == "group" and final["total"] == 100, final
            assert final["status"] == "completed" and final["counts"] == {"completed": 100}, final

            pages = await read_all_pages(client, sc["taskgroup_id"])
            assert len(pages) >= 2, f"expected the 100 long rows to span several pages, got {len(pages)}"
            table = [r for page in pages for r in table_rows(page)]
            by_index: dict[int, list[dict[str, str]]] = {}
            for r in table:
                by_index.setdefault(int(r["#"]), []).append(r)
            assert sorted(by_index) == list(range(100)), (
                f"rows missing from the collected pages: {sorted(set(range(100)) - set(by_index))}; "
                f"unexpected: {sorted(set(by_index) - set(range(100)))}"
            )
            for i, found in by_index.items():
                assert len(found) == 1, f"row {i} appears {len(found)} times across the pages"
                r = found[0]
                assert r["company"] == rows[i]["company"], f"row {i}: company cell {r['company']!r}"
                assert r["country"] == rows[i]["country"], f"row {i}: country cell {r['country']!r}"
                assert r["status"] == "completed", f"row {i}: {r['status']!r}"
                assert r["ceo_name"] and r["founding_year"], f"row {i}: empty output cells {r}"
            collected = "\n".join(pages)
            for row in rows:
                assert f"| {row['company']} |" in collected, f"{row['company']} not in the collected markdown"

            # A cursor that this server never issued is refused with a recoverable message.
            bad = await client.call_tool("getResultMarkdown", {"taskRunOrGroupId": sc["taskgroup_id"], "cursor": "not-a-cursor"})
            assert bad.is_error, f"a forged cursor was accepted: {text_of(bad)[:300]}"
            assert "cursor" in text_of(bad).lower(), text_of(bad)

    run(scenario())


def test_task_group_from_csv_text(mcp_endpoint: str, mode: str) -> None:
    csv_text = 'company,country\nAcme Corp,US\n"Foo, Inc.",DE\nBar GmbH,DE\n'

    async def scenario() -> None:
        async with connect(mcp_endpoint, mode) as client:
            created = await call_ok(
                client, "createTaskGroup", {"inputs": csv_text, "output": "ceo_name", "output_type": "json", "processor": "lite"}
            )
            sc = created.structured_content
            assert sc["run_count"] == 3 and sc["submitted"] == 3, sc
            assert sc["processor"] == "lite" and sc.get("processor_chosen_automatically") in (None, False), sc
            final = await wait_inactive(client, sc["taskgroup_id"])
            assert final["status"] == "completed", final
            pages = await read_all_pages(client, sc["taskgroup_id"])
            rows = [r for page in pages for r in table_rows(page)]
            assert [(r["#"], r["company"], r["country"]) for r in rows] == [
                ("0", "Acme Corp", "US"),
                ("1", "Foo, Inc.", "DE"),
                ("2", "Bar GmbH", "DE"),
            ], rows

    run(scenario())


def test_invalid_calls_are_reported(mcp_endpoint: str, mode: str) -> None:
    async def scenario() -> None:
        async with connect(mcp_endpoint, mode) as client:
            too_long = await client.call_tool("createDeepResearch", {"input": "x" * 15_001})
            assert too_long.is_error, "an input of 15,001 characters was accepted"
            assert "15000" in text_of(too_long).replace(",", "") and "input" in text_of(too_long), text_of(too_long)

            bad_processor = await client.call_tool("createDeepResearch", {"input": "q", "processor": "turbo"})
            assert bad_processor.is_error, "processor 'turbo' was accepted"
            message = text_of(bad_processor)
            assert "processor" in message and "pro" in message and "ultra" in message, message

            missing = await client.call_tool("createTaskGroup", {"inputs": [{"company": "A"}], "output_type": "json"})
            assert missing.is_error and "output" in text_of(missing), text_of(missing)

            bad_id = await client.call_tool("getStatus", {"taskRunOrGroupId": "hello"})
            assert bad_id.is_error and "trun_" in text_of(bad_id) and "tgrp_" in text_of(bad_id), text_of(bad_id)

            unknown_run = await client.call_tool("getStatus", {"taskRunOrGroupId": "trun_" + "0" * 32})
            assert unknown_run.is_error, "status of a run that does not exist"
            assert "trun_" + "0" * 32 in text_of(unknown_run), text_of(unknown_run)

            with pytest.raises(MCPError) as excinfo:
                await client.call_tool("noSuchTool", {})
            assert "noSuchTool" in str(excinfo.value), str(excinfo.value)

    run(scenario())


def test_invalid_bearer_is_refused(mcp_endpoint: str, mode: str) -> None:
    """A malformed credential (a space inside it) must not reach the tools."""

    statuses: list[int] = []

    async def scenario() -> None:
        async with connect(mcp_endpoint, mode, key="not a key", statuses=statuses) as client:
            await client.list_tools()

    with pytest.raises(MCPError):
        run(scenario())
    assert statuses and set(statuses) == {401}, f"HTTP statuses seen: {statuses}"
