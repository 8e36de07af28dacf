"""Rows in by URL, results out as files, judged by tools nobody here wrote: CSVs written by
Python's ``csv`` module (BOM, CRLF, quoted commas and newlines), an XLSX written by
``openpyxl`` (numbers, dates, empty cells), each served by a local HTTP server on 127.0.0.1
(task-mcp runs with TASK_MCP_DEV_LOOPBACK_INPUT_URLS); results read back from ``/{id}.csv``
with ``csv`` and from ``/{id}.xlsx`` with ``openpyxl``, row for row, formulas neutralised.
Hostile files (a zip bomb, a DOCTYPE, too many rows, an HTML page, a private address) are
refused with an error that says what to do, and the server keeps serving."""

from __future__ import annotations

import asyncio
import csv
import datetime
import http.server
import io
import socketserver
import threading
import time
import zipfile
from typing import Iterator
from urllib.parse import parse_qs, urlparse

import httpx
import openpyxl
import pytest

ROWS = [
    {"company": "Acme, Inc.", "note": "two\nlines", "employees": "12"},
    {"company": "Globex", "note": "=1+1", "employees": ""},
    {"company": "Initech \u00e9", "note": "@SUM(A1)", "employees": "7"},
]


def csv_bytes(rows: list[dict]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Companies"
    sheet.append(["company", "founded", "revenue", "listed"])
    sheet.append(["Acme", datetime.date(1999, 3, 15), 12.5, True])
    sheet.append(["Globex", None, 1000, False])
    sheet.append(["Initech", datetime.date(2004, 1, 2), None, None])
    other = book.create_sheet("Other")
    other.append(["name"])
    other.append(["Hooli"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def big_xlsx(rows: int) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Big")
    sheet.append(["company"])
    for i in range(rows):
        sheet.append([f"Company {i}"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zip_bomb() -> bytes:
    """A workbook whose sheet inflates to 300 MiB of spaces (about 300 KiB on the wire)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(
            "_rels/.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        with archive.open("xl/workbook.xml", "w") as entry:
            chunk = b" " * (1 << 20)
            for _ in range(300):
                entry.write(chunk)
    return out.getvalue()


def doctype_xlsx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">&lol2;</Relationships>',
        )
    return out.getvalue()


FILES: dict[str, tuple[str, bytes]] = {}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        entry = FILES.get(self.path)
        if entry is None:
            self.send_response(404)
            self.end_headers()
            return
        content_type, body = entry
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:  # quiet
        pass


@pytest.fixture(scope="module")
def files() -> Iterator[str]:
    FILES.update(
        {
            "/rows.csv": ("text/csv", csv_bytes(ROWS)),
            "/rows.xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx_bytes()),
            "/bomb.xlsx": ("application/octet-stream", zip_bomb()),
            "/doctype.xlsx": ("application/octet-stream", doctype_xlsx()),
            "/many.csv": ("text/csv", csv_bytes([{"company": f"C{i}"} for i in range(10_001)])),
            "/many.xlsx": ("application/octet-stream", big_xlsx(10_001)),
            "/page.html": ("text/html; charset=utf-8", b"<!doctype html><title>Sign in</title>"),
        }
    )
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def create(tm_http: httpx.Client, **rows) -> httpx.Response:
    return tm_http.post("/v1/multitask", json={**rows, "output": "ceo_name", "output_type": "json", "processor": "lite"})


def wait_done(tm_http: httpx.Client, task_id: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        status = tm_http.get(f"/v1/tasks/{task_id}").json()
        if not status["is_active"]:
            assert status["status"] == "completed", status
            return
        assert time.monotonic() < deadline, f"{task_id} still active: {status}"
        time.sleep(0.25)


def created_group(tm_http: httpx.Client, **rows) -> tuple[str, str]:
    r = create(tm_http, **rows)
    assert r.status_code == 202, f"{r.status_code} {r.text[:500]}"
    body = r.json()
    token = parse_qs(urlparse(body["progress_url"]).query)["view"][0]
    wait_done(tm_http, body["taskgroup_id"])
    return body["taskgroup_id"], token


def exported_csv(tm_anon: httpx.Client, group_id: str, token: str) -> list[dict]:
    r = tm_anon.get(f"/{group_id}.csv", params={"view": token})
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == f'attachment; filename="{group_id}.csv"'
    assert r.content.startswith(b"\xef\xbb\xbf"), "CSV export starts with a UTF-8 BOM"
    return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"), newline="")))


def exported_xlsx(tm_anon: httpx.Client, group_id: str, token: str) -> list[list]:
    r = tm_anon.get(f"/{group_id}.xlsx", params={"view": token})
    assert r.status_code == 200, r.text[:300]
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def test_a_python_csv_by_url_comes_back_row_for_row_with_formulas_neutralised(
    tm_http: httpx.Client, tm_anon: httpx.Client, files: str
) -> None:
    group_id, token = created_group(tm_http, inputs_url=f"{files}/rows.csv")
    rows = exported_csv(tm_anon, group_id, token)
    assert [r["company"] for r in rows] == ["Acme, Inc.", "Globex", "Initech \u00e9"]
    assert rows[0]["note"] == "two\nlines"
    assert rows[1]["note"] == "'=1+1", "a formula from the input is neutralised"
    assert rows[2]["note"] == "'@SUM(A1)"
    assert [r["employees"] for r in rows] == ["12", "", "7"]
    assert all(r["status"] == "completed" and r["ceo_name"] for r in rows), rows
    header = list(rows[0])
    assert header[:4] == ["#", "company", "note", "employees"] and "ceo_name" in header

    sheet = exported_xlsx(tm_anon, group_id, token)
    assert sheet[0][:4] == ("#", "company", "note", "employees") or list(sheet[0][:4]) == ["#", "company", "note", "employees"]
    assert [row[1] for row in sheet[1:]] == ["Acme, Inc.", "Globex", "Initech \u00e9"]
    assert sheet[2][2] == "'=1+1"
    assert all(not (isinstance(c, str) and c.startswith("=")) for row in sheet for c in row), "no cell is a formula"


def test_an_openpyxl_workbook_by_url_keeps_numbers_dates_and_empty_cells(
    tm_http: httpx.Client, tm_anon: httpx.Client, files: str
) -> None:
    group_id, token = created_group(tm_http, inputs_url=f"{files}/rows.xlsx")
    rows = exported_csv(tm_anon, group_id, token)
    assert [(r["company"], r["founded"], r["revenue"], r["listed"]) for r in rows] == [
        ("Acme", "1999-03-15", "12.5", "true"),
        ("Globex", "", "1000", "false"),
        ("Initech", "2004-01-02", "", ""),
    ]
    # Another sheet by name.
    other_id, other_token = created_group(tm_http, inputs_url=f"{files}/rows.xlsx", sheet="Other")
    assert [r["name"] for r in exported_csv(tm_anon, other_id, other_token)] == ["Hooli"]


@pytest.mark.parametrize(
    "path, words",
    [
        ("/bomb.xlsx", "MiB"),
        ("/doctype.xlsx", "DOCTYPE"),
        ("/many.csv", "10000"),
        ("/many.xlsx", "10,000 data rows"),
        ("/page.html", "web page"),
        ("/missing.csv", "HTTP 404"),
    ],
)
def test_hostile_or_wrong_files_are_refused_saying_what_to_do(tm_http: httpx.Client, files: str, path: str, words: str) -> None:
    started = time.monotonic()
    r = create(tm_http, inputs_url=f"{files}{path}")
    assert r.status_code == 400, f"{r.status_code} {r.text[:500]}"
    assert r.headers["content-type"].startswith("application/problem+json")
    detail = r.json()["detail"]
    assert words.lower() in detail.lower(), detail
    # Bounded (a hang guard, not a timing claim), and the server still serves.
    assert time.monotonic() - started < 120
    assert tm_http.get("/v1/tasks").status_code == 200


def test_a_private_address_is_refused(tm_http: httpx.Client) -> None:
    r = create(tm_http, inputs_url="https://10.0.0.1/rows.csv")
    assert r.status_code == 400
    assert "private or local address" in r.json()["detail"]


def test_get_result_markdown_links_the_exports(task_mcp_url: str, tm_http: httpx.Client, files: str) -> None:
    from mcp.client import Client
    from mcp.client.streamable_http import streamable_http_client
    import httpx2

    from _support import DEMO_KEY

    group_id, _ = created_group(tm_http, inputs_url=f"{files}/rows.csv")

    async def read() -> list:
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {DEMO_KEY}"}, timeout=60.0) as http:
            async with Client(streamable_http_client(f"{task_mcp_url}/mcp", http_client=http), mode="legacy") as client:
                result = await client.call_tool("getResultMarkdown", {"taskRunOrGroupId": group_id})
                assert not result.is_error
                return list(result.content)

    content = asyncio.run(read())
    links = [block for block in content if getattr(block, "type", None) == "resource_link"]
    assert sorted(str(link.uri).split("?")[0].rsplit(".", 1)[1] for link in links) == ["csv", "xlsx"], content
    texts = "\n".join(block.text for block in content if getattr(block, "type", None) == "text")
    for link in links:
        assert str(link.uri) in texts, "the links are also plain URLs in the text"


def test_an_upload_with_curl_becomes_a_group_and_its_url_is_one_time(
    tm_http: httpx.Client, tm_anon: httpx.Client, task_mcp_url: str, tmp_path
) -> None:
    """What an agent with a shell does: open a slot, ``curl -T`` a local file to it, use its id."""
    import shutil
    import subprocess

    opened = tm_http.post("/v1/uploads")
    assert opened.status_code == 201, opened.text[:300]
    slot = opened.json()
    assert slot["method"] == "PUT" and slot["upload_url"].startswith(task_mcp_url)
    path = tmp_path / "rows.csv"
    path.write_bytes(csv_bytes(ROWS))
    if shutil.which("curl"):
        done = subprocess.run(["curl", "--silent", "--show-error", "--fail-with-body", "-T", str(path), slot["upload_url"]],
                              capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr.decode() + done.stdout.decode()
    else:
        put = tm_anon.put(slot["upload_url"], content=path.read_bytes())
        assert put.status_code == 201, put.text[:300]
    # One-time: a second PUT is refused with a problem saying what to do.
    again = tm_anon.put(slot["upload_url"], content=b"company\nX\n")
    assert again.status_code == 409 and "POST /v1/uploads" in again.json()["detail"]

    group_id, token = created_group(tm_http, inputs_upload=slot["upload_id"])
    assert [r["company"] for r in exported_csv(tm_anon, group_id, token)] == ["Acme, Inc.", "Globex", "Initech \u00e9"]
    reused = create(tm_http, inputs_upload=slot["upload_id"])
    assert reused.status_code == 400, "an upload is used once"


def test_an_uploaded_openpyxl_workbook_becomes_a_group(tm_http: httpx.Client, tm_anon: httpx.Client) -> None:
    slot = tm_http.post("/v1/uploads").json()
    put = tm_anon.put(slot["upload_url"], content=xlsx_bytes(),
                      headers={"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    assert put.status_code == 201, put.text[:300]
    group_id, token = created_group(tm_http, inputs_upload=slot["upload_id"], sheet="Companies")
    sheet = exported_xlsx(tm_anon, group_id, token)
    header = list(sheet[0])
    assert header[:5] == ["#", "company", "founded", "revenue", "listed"], header
    assert [list(row[1:5]) for row in sheet[1:]] == [
        ["Acme", "1999-03-15", "12.5", "true"],
        ["Globex", None, "1000", "false"],
        ["Initech", "2004-01-02", None, None],
    ]
