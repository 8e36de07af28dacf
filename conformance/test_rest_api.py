"""task-mcp's REST API: the OpenAPI document, the create/status/list/revoke operations,
the progress-link views ``/{id}.html|.md|.json``, and RFC 9457 problem responses."""

from __future__ import annotations

import json
import re

import time
from typing import Optional
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from openapi_spec_validator import validate

from _support import DEMO_KEY, GROUP_ID_RE, RUN_ID_RE

PROBLEM_JSON = "application/problem+json"
ROWS = [{"company": "Acme Corp", "country": "US"}, {"company": "Globex", "country": "DE"}, {"company": "Initech", "country": "JP"}]
MULTITASK = {"inputs": ROWS, "output": "ceo_name, founding_year", "output_type": "json"}


def check_problem(resp: httpx.Response, status: int, *, code: Optional[str] = None) -> dict:
    where = f"{resp.request.method} {resp.request.url.path}"
    assert resp.status_code == status, f"{where}: HTTP {resp.status_code} (expected {status}): {resp.text[:500]}"
    ctype = resp.headers.get("content-type", "")
    assert ctype.startswith(PROBLEM_JSON), f"{where}: content-type {ctype!r} is not {PROBLEM_JSON}"
    body = resp.json()
    assert body.get("status") == status, f"{where}: problem status {body.get('status')!r} != HTTP {status}: {body}"
    for member in ("type", "detail", "code"):
        assert isinstance(body.get(member), str) and body[member].strip(), (
            f"{where}: problem member {member!r} is missing or empty: {body}"
        )
    # An empty title is checked once, in test_problem_titles_are_not_empty.
    assert isinstance(body.get("title"), str), f"{where}: problem has no title: {body}"
    if code is not None:
        assert body["code"] == code, f"{where}: code {body['code']!r} (expected {code!r}): {body}"
    return body


def view_token(progress_url: str) -> str:
    token = parse_qs(urlparse(progress_url).query).get("view", [""])[0]
    assert token, f"progress_url carries no view token: {progress_url}"
    return token


def wait_inactive(http: httpx.Client, task_id: str, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        r = http.get(f"/v1/tasks/{task_id}")
        assert r.status_code == 200, f"GET /v1/tasks/{task_id}: {r.status_code} {r.text[:300]}"
        status = r.json()
        if not status["is_active"]:
            return status
        assert time.monotonic() < deadline, f"{task_id} still active after {timeout}s: {status}"
        time.sleep(0.25)


@pytest.fixture
def group(tm_http: httpx.Client) -> dict:
    """A completed 3-row group created through POST /v1/multitask."""
    r = tm_http.post("/v1/multitask", json=MULTITASK)
    assert r.status_code == 202, f"POST /v1/multitask: {r.status_code} {r.text[:500]}"
    body = r.json()
    body["_location"] = r.headers.get("location")
    assert wait_inactive(tm_http, body["taskgroup_id"])["status"] == "completed"
    return body


# --------------------------------------------------------------------------- OpenAPI


def test_openapi_document_is_valid_3_1(tm_anon: httpx.Client, task_mcp_url: str) -> None:
    r = tm_anon.get("/openapi.json")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json"), r.headers
    doc = r.json()
    assert doc["openapi"].startswith("3.1"), doc["openapi"]
    validate(doc)  # raises OpenAPIValidationError with the exact location of a problem
    assert doc["servers"][0]["url"] == task_mcp_url
    paths = set(doc["paths"])
    expected = {"/v1/deep-research", "/v1/multitask", "/v1/tasks", "/v1/tasks/{id}", "/v1/tasks/{id}/links", "/openapi.json"}
    assert expected <= paths, f"missing paths: {expected - paths}"
    schemes = doc["components"].get("securitySchemes", {})
    assert any(s.get("type") == "http" and s.get("scheme", "").lower() == "bearer" for s in schemes.values()), schemes
    assert "202" in doc["paths"]["/v1/multitask"]["post"]["responses"]
    assert "207" in doc["paths"]["/v1/multitask"]["post"]["responses"]


def test_openapi_describes_the_views(tm_anon: httpx.Client) -> None:
    """The progress links are GET /{id}.html?view=…; an HTML view answers errors as HTML."""
    op = tm_anon.get("/openapi.json").json()["paths"]["/{task}"]["get"]
    problems = []
    params = {(p["in"], p["name"]) for p in op.get("parameters", [])}
    if ("query", "view") not in params:
        problems.append(f"the view-token query parameter is not documented (parameters: {sorted(params)})")
    html_errors = {status for status, resp in op["responses"].items() if "text/html" in resp.get("content", {})}
    if "401" not in html_errors:
        problems.append(
            f"GET /{{id}}.html without a link answers 401 text/html, but text/html is documented only for {sorted(html_errors)}"
        )
    assert not problems, "; ".join(problems)


# --------------------------------------------------------------------------- create and views


def test_multitask_202_with_location_and_views(tm_http: httpx.Client, tm_anon: httpx.Client, group: dict) -> None:
    gid = group["taskgroup_id"]
    assert GROUP_ID_RE.match(gid), group
    assert group["run_count"] == 3 and group["failed_rows"] == [], group
    assert group["_location"] == group["progress_url"], "Location differs from progress_url"
    url = urlparse(group["progress_url"])
    assert url.path == f"/{gid}.html", url.path
    token = view_token(group["progress_url"])

    # The HTML page opens without credentials (the link is the credential). The only script it
    # may run is its own live-progress script, allowed by hash: no inline handlers, no
    # 'unsafe-inline' scripts, connections only to this server.
    page = tm_anon.get(f"/{gid}.html", params={"view": token})
    assert page.status_code == 200, f"{page.status_code} {page.text[:300]}"
    assert page.headers["content-type"].startswith("text/html"), page.headers
    html = page.text
    assert html.lower().count("<script") <= 1, "more than one <script> element on the progress page"
    assert " on" + "load=" not in html.lower() and "javascript:" not in html.lower()
    csp = page.headers.get("content-security-policy", "")
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";") if d.strip()}
    assert directives.get("default-src") == "default-src 'none'", csp
    # One policy for every page: the hash admits the live script and nothing else.
    assert re.fullmatch(r"script-src 'sha256-[A-Za-z0-9+/]+=*'", directives.get("script-src", "")), csp
    assert directives.get("connect-src") == "connect-src 'self'", csp
    assert "no-store" in page.headers.get("cache-control", ""), page.headers
    assert page.headers.get("referrer-policy") == "no-referrer", page.headers
    assert gid in html
    for row in ROWS:
        assert row["company"] in html, f"{row['company']} not on the HTML page"

    md = tm_anon.get(f"/{gid}.md", params={"view": token})
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown"), md.headers
    assert md.text.startswith(f"# Task group `{gid}`"), md.text[:200]
    for i, row in enumerate(ROWS):
        assert f"| {i} | completed | {row['company']} | {row['country']} |" in md.text, md.text[:1500]

    js = tm_anon.get(f"/{gid}.json", params={"view": token})
    assert js.status_code == 200 and js.headers["content-type"].startswith("application/json"), js.headers
    doc = js.json()
    assert doc["group"]["taskgroup_id"] == gid
    assert [r["input"] for r in doc["rows"]] == ROWS, doc["rows"]
    assert all(r["status"] == "completed" and r["output"]["content"]["ceo_name"] for r in doc["rows"]), doc["rows"]

    # The same views with the API key instead of the link.
    assert tm_anon.get(f"/{gid}.md", headers={"x-api-key": DEMO_KEY}).status_code == 200
    assert tm_http.get(f"/{gid}.json").status_code == 200


@pytest.mark.parametrize("fmt", ["html", "md", "json"])
def test_tampered_view_token_is_404(tm_anon: httpx.Client, group: dict, fmt: str) -> None:
    gid, token = group["taskgroup_id"], view_token(group["progress_url"])
    # Flip a character in the middle: the last base64url character of a 256-bit MAC also
    # holds two padding bits, so changing only those may decode to the same bytes.
    middle = len(token) // 2
    flipped = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    for bad in (flipped, token[:-4], "x" + token, ""):
        r = tm_anon.get(f"/{gid}.{fmt}", params={"view": bad})
        assert r.status_code == 404, f"view={bad!r} on .{fmt}: {r.status_code} {r.text[:200]}"
        assert ROWS[0]["company"] not in r.text, "a refused view still shows the results"


def test_view_token_is_bound_to_its_task(tm_http: httpx.Client, tm_anon: httpx.Client, group: dict) -> None:
    other = tm_http.post("/v1/multitask", json={**MULTITASK, "inputs": ROWS[:1]})
    assert other.status_code == 202
    r = tm_anon.get(f"/{other.json()['taskgroup_id']}.md", params={"view": view_token(group["progress_url"])})
    assert r.status_code == 404, f"another task's view token opened this task: {r.status_code}"


def test_views_without_link_or_credentials_are_401(tm_anon: httpx.Client, group: dict) -> None:
    gid = group["taskgroup_id"]
    body = check_problem(tm_anon.get(f"/{gid}.json"), 401)
    assert "link" in body["detail"].lower()
    page = tm_anon.get(f"/{gid}.html")
    assert page.status_code == 401 and page.headers["content-type"].startswith("text/html")
    assert ROWS[0]["company"] not in page.text


def test_revoking_links(tm_http: httpx.Client, tm_anon: httpx.Client, group: dict) -> None:
    gid, token = group["taskgroup_id"], view_token(group["progress_url"])
    assert tm_anon.get(f"/{gid}.md", params={"view": token}).status_code == 200

    check_problem(tm_anon.delete(f"/v1/tasks/{gid}/links"), 401)
    r = tm_http.delete(f"/v1/tasks/{gid}/links")
    assert r.status_code == 204, f"{r.status_code} {r.text[:300]}"
    assert not r.content

    for fmt in ("html", "md", "json"):
        after = tm_anon.get(f"/{gid}.{fmt}", params={"view": token})
        assert after.status_code == 404, f"revoked link still opens .{fmt}: {after.status_code}"
    # The owner keeps access with credentials.
    assert tm_http.get(f"/{gid}.md").status_code == 200
    check_problem(tm_http.delete("/v1/tasks/tgrp_" + "0" * 48 + "/links"), 404, code="not_found")


def test_deep_research_over_rest(tm_http: httpx.Client) -> None:
    r = tm_http.post("/v1/deep-research", json={"input": "What limits sodium-ion battery density?", "processor": "pro-fast"})
    assert r.status_code == 202, f"{r.status_code} {r.text[:500]}"
    created = r.json()
    assert RUN_ID_RE.match(created["run_id"]) and created["processor"] == "pro-fast", created
    assert r.headers["location"] == created["progress_url"]
    status = wait_inactive(tm_http, created["run_id"])
    assert status["kind"] == "run" and status["status"] == "completed" and status["results_ready"], status
    md = tm_http.get(f"/{created['run_id']}.md")
    assert md.status_code == 200
    assert "# Research report: What limits sodium-ion battery density?" in md.text, md.text[:600]

    listed = tm_http.get("/v1/tasks", params={"limit": 100})
    assert listed.status_code == 200
    ids = [t["id"] for t in listed.json()["tasks"]]
    assert ids and ids[0] == created["run_id"], f"newest task is not first: {ids[:5]}"


def test_multitask_partial_failure_is_207(tm_http: httpx.Client, set_account) -> None:
    """1001 rows go upstream as two add-runs batches (1000 + 1); with $5 of credit the 1000-row
    batch ($10 on base) is refused with 402 and the 1-row batch succeeds."""
    set_account(DEMO_KEY, credits_usd=5.0)
    body = {"inputs": [{"company": f"C{i}"} for i in range(1001)], "output": "ceo_name", "output_type": "json", "processor": "base"}
    r = tm_http.post("/v1/multitask", json=body)
    assert r.status_code == 207, f"{r.status_code} {r.text[:800]}"
    created = r.json()
    assert r.headers.get("location") == created["progress_url"]
    assert created["submitted"] == 1001 and created["run_count"] == 1, created
    assert created["failed_rows"] == [
        {
            "first_row": 0,
            "last_row": 999,
            "count": 1000,
            "upstream_status": 402,
            "error": created["failed_rows"][0]["error"],
        }
    ], created["failed_rows"]
    assert "credit" in created["failed_rows"][0]["error"].lower()


# --------------------------------------------------------------------------- errors


def test_missing_credentials_on_tasks_is_401_problem(tm_anon: httpx.Client, task_mcp_url: str) -> None:
    r = tm_anon.get("/v1/tasks")
    check_problem(r, 401, code="unauthorized")
    assert r.headers.get("www-authenticate", "").startswith("Bearer "), r.headers
    assert "resource_metadata=" in r.headers["www-authenticate"]
    assert tm_anon.get("/v1/tasks", headers={"x-api-key": DEMO_KEY}).status_code == 200


def test_invalid_bodies_are_400_problems(tm_http: httpx.Client) -> None:
    body = check_problem(tm_http.post("/v1/deep-research", json={"input": 5}), 400, code="invalid_argument")
    assert "input" in body["detail"]
    body = check_problem(tm_http.post("/v1/deep-research", json={"input": "q", "processor": "turbo"}), 400)
    assert "processor" in body["detail"]
    body = check_problem(tm_http.post("/v1/multitask", json={"inputs": [], "output": "x", "output_type": "json"}), 400)
    assert "inputs" in body["detail"]
    check_problem(tm_http.post("/v1/deep-research", content=b"[1, 2", headers={"Content-Type": "application/json"}), 400)
    check_problem(tm_http.post("/v1/deep-research", content=b"input=q", headers={"Content-Type": "text/plain"}), 415)
    check_problem(tm_http.get("/v1/tasks", params={"limit": 0}), 400, code="invalid_argument")


def test_input_limit_counts_characters_as_json_schema_does(tm_http: httpx.Client) -> None:
    """``maxLength: 15000`` (the published schema) counts Unicode code points (JSON Schema
    2020-12 §6.3.1). 7,501 × "e" + COMBINING ACUTE ACCENT is 15,002 code points but only 7,501
    grapheme clusters: it must be refused like 15,001 ASCII characters are."""
    ascii_over = tm_http.post("/v1/deep-research", json={"input": "x" * 15_001})
    assert ascii_over.status_code == 400, ascii_over.text[:200]
    r = tm_http.post("/v1/deep-research", json={"input": "e\u0301" * 7_501})
    assert r.status_code == 400, (
        f"an input of 15,002 code points (7,501 grapheme clusters) was accepted: {r.status_code} {r.text[:200]}"
    )


def test_problem_titles_are_not_empty(tm_http: httpx.Client) -> None:
    """RFC 9457 §3.1.3: ``title`` is a short human-readable summary (the OpenAPI Problem schema
    requires it). Every error path must fill it, not only the ones built in the HTTP layer."""
    cases = {
        "schema check (POST /v1/deep-research input=5)": tm_http.post("/v1/deep-research", json={"input": 5}),
        "service check (POST /v1/multitask inputs=[])": tm_http.post(
            "/v1/multitask", json={"inputs": [], "output": "x", "output_type": "json"}
        ),
        "service check (POST /v1/deep-research 15,001 chars)": tm_http.post("/v1/deep-research", json={"input": "x" * 15_001}),
        "upstream 404 (GET /v1/tasks/trun_0…)": tm_http.get("/v1/tasks/trun_" + "0" * 32),
        "query check (GET /v1/tasks?limit=0)": tm_http.get("/v1/tasks", params={"limit": 0}),
    }
    empty = {name: r.json() for name, r in cases.items() if not r.json().get("title", "").strip()}
    assert not empty, "problems with an empty title:\n" + "\n".join(f"  {k}: {v}" for k, v in empty.items())


def test_unknown_task_is_404_problem(tm_http: httpx.Client) -> None:
    """A well-formed id that Parallel does not know: the upstream 404 becomes a complete problem."""
    check_problem(tm_http.get("/v1/tasks/trun_" + "0" * 32), 404, code="not_found")
    check_problem(tm_http.get("/v1/tasks/tgrp_" + "0" * 48), 404, code="not_found")


def test_key_rejected_upstream_is_401_with_challenge(tm_anon: httpx.Client, tm_http: httpx.Client, group: dict) -> None:
    """A well-formed key that Parallel rejects: 401, which (RFC 9110 §15.5.2) MUST carry WWW-Authenticate."""
    r = tm_anon.get(f"/v1/tasks/{group['taskgroup_id']}", headers={"Authorization": "Bearer unknown-key-0000"})
    assert r.status_code == 401, f"{r.status_code} {r.text[:300]}"
    assert r.headers.get("www-authenticate", "").startswith("Bearer "), (
        f"401 without a WWW-Authenticate challenge: headers={dict(r.headers)}"
    )
    check_problem(r, 401)


def test_live_progress_events_stream_ends_with_done(tm_anon: httpx.Client, group: dict) -> None:
    """GET /{id}/events with the view token: an SSE stream of progress snapshots (JSON), then
    `done` once the group has finished, then the server closes it."""
    gid = group["taskgroup_id"]
    token = view_token(group["progress_url"])
    events: list[tuple[str, str]] = []
    with tm_anon.stream("GET", f"/{gid}/events", params={"view": token}, timeout=60) as response:
        assert response.status_code == 200, response.read()[:300]
        assert response.headers["content-type"].startswith("text/event-stream"), response.headers
        name, data = None, []
        for line in response.iter_lines():
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                data.append(line.split(":", 1)[1].strip())
            elif line == "" and name:
                events.append((name, "\n".join(data)))
                name, data = None, []
    names = [name for name, _ in events]
    assert names and names[-1] == "done", names
    progress = [json.loads(data) for name, data in events if name == "progress"]
    assert progress, names
    assert all(p["id"] == gid for p in progress), progress
    assert tm_anon.get(f"/{gid}/events", params={"view": "not-a-token"}).status_code == 404
