"""Edge behaviour of task-mcp's /mcp endpoint, with raw httpx (what SDKs hide from a test).

Streamable HTTP as the MCP revisions 2025-03-26 … 2026-07-28 define it, the authorization
spec's 401 challenge (RFC 9728 ``resource_metadata``), CORS and DNS-rebinding protection,
and the JSON-RPC error codes.
"""

from __future__ import annotations

import json
from typing import Any, Optional

import httpx
import pytest
from mcp_types import HEADER_MISMATCH, UNSUPPORTED_PROTOCOL_VERSION

from _support import DEMO_KEY

JSON_ACCEPT = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
LEGACY = {**JSON_ACCEPT, "MCP-Protocol-Version": "2025-11-25"}
MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": {"name": "conformance", "version": "1"},
}
ALLOWED_ORIGIN = "http://localhost:3000"
EVIL_ORIGIN = "https://evil.example"


def rpc(method: str, params: Optional[dict] = None, id_: Any = 1) -> dict:
    msg: dict = {"jsonrpc": "2.0", "id": id_, "method": method}
    if params is not None:
        msg["params"] = params
    return msg


def modern_headers(method: str, name: Optional[str] = None) -> dict:
    h = {**JSON_ACCEPT, "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": method}
    if name is not None:
        h["Mcp-Name"] = name
    return h


def rpc_error(resp: httpx.Response, status: int, code: int, *, id_: Any = "absent") -> dict:
    where = f"{resp.request.method} {resp.request.url.path}"
    assert resp.status_code == status, f"{where}: HTTP {resp.status_code} (expected {status}): {resp.text[:500]}"
    assert resp.headers.get("content-type", "").startswith("application/json"), resp.headers.get("content-type")
    body = resp.json()
    assert body.get("jsonrpc") == "2.0", body
    assert "result" not in body, body
    assert body["error"]["code"] == code, f"{where}: JSON-RPC code {body['error']['code']} (expected {code}): {body}"
    assert isinstance(body["error"]["message"], str) and body["error"]["message"], body
    if id_ != "absent":
        assert body.get("id") == id_, f"{where}: id {body.get('id')!r} (expected {id_!r})"
    return body


# --------------------------------------------------------------------------- authentication


def test_missing_credentials_get_a_bearer_challenge(tm_anon: httpx.Client, task_mcp_url: str) -> None:
    r = tm_anon.post("/mcp", json=rpc("tools/list"), headers=LEGACY)
    assert r.status_code == 401, r.text
    challenge = r.headers.get("www-authenticate", "")
    assert challenge.startswith("Bearer "), challenge
    assert f'resource_metadata="{task_mcp_url}/.well-known/oauth-protected-resource/mcp"' in challenge, challenge
    assert "error=" not in challenge, f"no credential was sent, so no error code belongs in the challenge: {challenge}"


@pytest.mark.parametrize("authorization", ["Bearer not a key", "Basic c2FuZGJveDpkZW1v", "Bearer short"])
def test_unacceptable_credentials_are_invalid_token(tm_anon: httpx.Client, authorization: str) -> None:
    r = tm_anon.post("/mcp", json=rpc("tools/list"), headers={**LEGACY, "Authorization": authorization})
    assert r.status_code == 401, r.text
    challenge = r.headers.get("www-authenticate", "")
    assert challenge.startswith("Bearer ") and "resource_metadata=" in challenge, challenge
    assert 'error="invalid_token"' in challenge, challenge


def test_api_key_header_is_not_accepted_on_mcp(tm_anon: httpx.Client) -> None:
    """/mcp takes bearer credentials only; x-api-key is a REST API convenience."""
    r = tm_anon.post("/mcp", json=rpc("tools/list"), headers={**LEGACY, "x-api-key": DEMO_KEY})
    assert r.status_code == 401, r.text


# --------------------------------------------------------------------------- HTTP methods and CORS


def test_get_is_405_without_a_stream(tm_http: httpx.Client) -> None:
    r = tm_http.get("/mcp", headers={"Accept": "text/event-stream"})
    assert r.status_code == 405, r.text
    assert "POST" in r.headers.get("allow", ""), r.headers


def test_delete_is_405_there_are_no_sessions(tm_http: httpx.Client) -> None:
    r = tm_http.delete("/mcp", headers={"Mcp-Session-Id": "abc"})
    assert r.status_code == 405, r.text


def test_cors_preflight_needs_no_auth(tm_anon: httpx.Client) -> None:
    r = tm_anon.options(
        "/mcp",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, mcp-protocol-version, mcp-method, mcp-name",
        },
    )
    assert r.status_code == 204, f"{r.status_code} {r.text[:300]}"
    assert r.headers.get("access-control-allow-origin") == ALLOWED_ORIGIN, r.headers
    assert "origin" in r.headers.get("vary", "").lower(), r.headers
    methods = {m.strip().upper() for m in r.headers.get("access-control-allow-methods", "").split(",")}
    assert "POST" in methods, r.headers
    allowed = {h.strip().lower() for h in r.headers.get("access-control-allow-headers", "").split(",")}
    missing = {"authorization", "content-type", "mcp-protocol-version", "mcp-method", "mcp-name"} - allowed
    assert not missing, f"preflight does not allow request headers {missing}: {r.headers}"
    assert not r.content


def test_cors_headers_on_allowed_origin_responses(tm_http: httpx.Client, tm_anon: httpx.Client) -> None:
    r = tm_http.post("/mcp", json=rpc("tools/list"), headers={**LEGACY, "Origin": ALLOWED_ORIGIN})
    assert r.status_code == 200, r.text
    assert r.headers.get("access-control-allow-origin") == ALLOWED_ORIGIN
    # A browser must be able to read the challenge of a 401 to start OAuth.
    r = tm_anon.post("/mcp", json=rpc("tools/list"), headers={**LEGACY, "Origin": ALLOWED_ORIGIN})
    assert r.status_code == 401
    assert r.headers.get("access-control-allow-origin") == ALLOWED_ORIGIN
    exposed = r.headers.get("access-control-expose-headers", "").lower()
    assert "www-authenticate" in exposed, r.headers


def test_foreign_origin_is_forbidden(tm_http: httpx.Client, tm_anon: httpx.Client) -> None:
    r = tm_http.post("/mcp", json=rpc("tools/list"), headers={**LEGACY, "Origin": EVIL_ORIGIN})
    assert r.status_code == 403, f"{r.status_code} {r.text[:300]}"
    assert "access-control-allow-origin" not in r.headers, r.headers
    pre = tm_anon.options("/mcp", headers={"Origin": EVIL_ORIGIN, "Access-Control-Request-Method": "POST"})
    assert pre.status_code == 403, f"preflight from a foreign origin: {pre.status_code}"
    assert "access-control-allow-origin" not in pre.headers, pre.headers


# --------------------------------------------------------------------------- body and content negotiation


def test_malformed_json_is_parse_error(tm_http: httpx.Client) -> None:
    r = tm_http.post("/mcp", content=b'{"jsonrpc": "2.0", "id": 1, "method": ', headers=LEGACY)
    rpc_error(r, 400, -32700, id_=None)


def test_invalid_request_object(tm_http: httpx.Client) -> None:
    r = tm_http.post("/mcp", json={"jsonrpc": "1.0", "id": 7, "method": "tools/list"}, headers=LEGACY)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == -32600, r.text


def test_unknown_method_legacy_is_32601(tm_http: httpx.Client) -> None:
    rpc_error(tm_http.post("/mcp", json=rpc("foo/bar", id_="x-1"), headers=LEGACY), 200, -32601, id_="x-1")


def test_unknown_method_2026_is_http_404(tm_http: httpx.Client) -> None:
    r = tm_http.post("/mcp", json=rpc("foo/bar", {"_meta": MODERN_META}, id_=5), headers=modern_headers("foo/bar"))
    rpc_error(r, 404, -32601, id_=5)


def test_body_over_limit_is_413(tm_http: httpx.Client) -> None:
    body = json.dumps(rpc("tools/list")).encode()
    limit = 8 * 1024 * 1024
    at_limit = body + b" " * (limit - len(body))
    assert tm_http.post("/mcp", content=at_limit, headers=LEGACY).status_code == 200, "a body of exactly 8 MiB is refused"
    r = tm_http.post("/mcp", content=at_limit + b" ", headers=LEGACY)
    assert r.status_code == 413, f"{r.status_code} {r.text[:300]}"


def test_accept_text_plain_only_is_406(tm_http: httpx.Client) -> None:
    r = tm_http.post("/mcp", json=rpc("tools/list"), headers={**LEGACY, "Accept": "text/plain"})
    assert r.status_code == 406, f"{r.status_code} {r.text[:300]}"


def test_non_json_content_type_is_415(tm_http: httpx.Client) -> None:
    r = tm_http.post(
        "/mcp", content=json.dumps(rpc("tools/list")), headers={**LEGACY, "Content-Type": "text/plain"}
    )
    assert r.status_code == 415, f"{r.status_code} {r.text[:300]}"


def test_notification_is_202_without_body(tm_http: httpx.Client) -> None:
    r = tm_http.post("/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=LEGACY)
    assert r.status_code == 202, f"{r.status_code} {r.text[:300]}"
    assert not r.content, r.content[:200]


# --------------------------------------------------------------------------- versions


@pytest.mark.parametrize(
    "requested, chosen",
    [("2025-03-26", "2025-03-26"), ("2025-06-18", "2025-06-18"), ("2025-11-25", "2025-11-25"), ("2024-11-05", "2025-11-25")],
)
def test_initialize_negotiates(tm_http: httpx.Client, requested: str, chosen: str) -> None:
    params = {"protocolVersion": requested, "capabilities": {}, "clientInfo": {"name": "conformance", "version": "1"}}
    r = tm_http.post("/mcp", json=rpc("initialize", params), headers=JSON_ACCEPT)
    assert r.status_code == 200, r.text
    result = r.json()["result"]
    assert result["protocolVersion"] == chosen, result
    assert result["serverInfo"]["name"] == "task-mcp"
    assert "tools" in result["capabilities"]
    assert "mcp-session-id" not in r.headers, "a stateless server must not issue sessions"


def test_unsupported_protocol_version_header_is_400(tm_http: httpx.Client) -> None:
    r = tm_http.post("/mcp", json=rpc("tools/list"), headers={**JSON_ACCEPT, "MCP-Protocol-Version": "1999-01-01"})
    assert r.status_code == 400, f"{r.status_code} {r.text[:300]}"


def test_server_discover(tm_http: httpx.Client) -> None:
    r = tm_http.post("/mcp", json=rpc("server/discover", {"_meta": MODERN_META}), headers=modern_headers("server/discover"))
    assert r.status_code == 200, r.text
    result = r.json()["result"]
    assert set(result["supportedVersions"]) >= {"2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"}, result
    assert result["resultType"] == "complete"
    assert result["capabilities"].get("tools") is not None
    assert result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"] == "task-mcp"


def test_2026_header_mismatch(tm_http: httpx.Client) -> None:
    params = {"name": "listTasks", "arguments": {}, "_meta": MODERN_META}
    r = tm_http.post("/mcp", json=rpc("tools/call", params), headers=modern_headers("tools/call", name="getStatus"))
    rpc_error(r, 400, HEADER_MISMATCH, id_=1)
    r = tm_http.post("/mcp", json=rpc("tools/call", params), headers=modern_headers("tools/list", name="listTasks"))
    rpc_error(r, 400, HEADER_MISMATCH, id_=1)


def test_2026_unsupported_version_in_meta(tm_http: httpx.Client) -> None:
    meta = {**MODERN_META, "io.modelcontextprotocol/protocolVersion": "2099-01-01"}
    headers = {**modern_headers("tools/list"), "MCP-Protocol-Version": "2099-01-01"}
    body = rpc_error(tm_http.post("/mcp", json=rpc("tools/list", {"_meta": meta}), headers=headers), 400, UNSUPPORTED_PROTOCOL_VERSION)
    assert "2026-07-28" in body["error"]["data"]["supported"], body


# --------------------------------------------------------------------------- tool calls over the wire


def test_tool_call_with_progress_token_streams_sse(tm_http: httpx.Client) -> None:
    params = {
        "name": "createTaskGroup",
        "arguments": {"inputs": [{"company": "Acme"}, {"company": "Globex"}], "output": "ceo_name", "output_type": "json"},
        "_meta": {"progressToken": "tok-1"},
    }
    with tm_http.stream("POST", "/mcp", json=rpc("tools/call", params, id_=42), headers=LEGACY) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream"), r.headers
        raw = r.read().decode()
    messages = [json.loads(line[len("data: "):]) for line in raw.splitlines() if line.startswith("data: ")]
    assert len(messages) >= 2, raw[:1000]
    progress, final = messages[:-1], messages[-1]
    for note in progress:
        assert note["method"] == "notifications/progress" and "id" not in note, note
        assert note["params"]["progressToken"] == "tok-1", note
    assert final["id"] == 42 and "result" in final, final
    assert final["result"]["structuredContent"]["run_count"] == 2, final


def test_tool_call_without_event_stream_accept_is_plain_json(tm_http: httpx.Client) -> None:
    params = {"name": "listTasks", "arguments": {"limit": 1}, "_meta": {"progressToken": 9}}
    r = tm_http.post("/mcp", json=rpc("tools/call", params), headers={**LEGACY, "Accept": "application/json"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json"), r.headers
    assert isinstance(r.json()["result"]["structuredContent"]["tasks"], list)


def test_invalid_arguments_are_tool_errors_not_protocol_errors(tm_http: httpx.Client) -> None:
    """SEP-1303: argument validation failures are returned as isError results the model can read."""
    params = {"name": "createTaskGroup", "arguments": {"inputs": 5, "output": "x", "output_type": "xml"}}
    r = tm_http.post("/mcp", json=rpc("tools/call", params), headers=LEGACY)
    assert r.status_code == 200, r.text
    result = r.json()["result"]
    assert result["isError"] is True, result
    text = result["content"][0]["text"]
    assert "inputs" in text and "output_type" in text, text
