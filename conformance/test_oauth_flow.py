"""task-mcp as an OAuth 2.1 authorization server, end to end through the real binaries.

The browser is played headlessly with ``httpx`` (its own cookie jar, redirects followed one hop
at a time so every hop is asserted): task-mcp's consent page, then the sandbox's OAuth provider
(``/getKeys``, where the demo key is "picked"), then task-mcp's ``/oauth/callback``, which
sends the browser back to the client's redirect URI with ``code``, ``state`` and ``iss``.

* the official MCP Python SDK (``mcp`` 2.3.0 ``OAuthClientProvider``): discovery from the 401
  challenge, dynamic client registration, PKCE, RFC 9207 ``iss`` check, tool calls, and a
  refresh when its token expires — in the ``legacy`` and ``2026-07-28`` connection modes;
* a Client ID Metadata Document served from a loopback thread, by hand and through the SDK;
* refresh-token rotation: the superseded token is honoured once more, then its reuse ends the
  whole grant;
* RFC 7009 revocation, and ``task-mcp admin`` (listing without secrets, revocation that the
  very next ``/mcp`` request sees);
* a raw Parallel API key as bearer token, still accepted;
* refusals: unknown client, unregistered redirect URI, consent without the browser cookie,
  callback and code replay, PKCE mismatch; ``Cache-Control: no-store`` on token responses.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import hashlib
import http.server
import json
import re
import secrets
import threading
import time
from html.parser import HTMLParser
from typing import Any, AsyncIterator, Callable, Iterator, Optional
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import httpx2
import pytest
from mcp.client import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

from _support import DEMO_KEY, RUN_ID_RE

REDIRECT_URI = "http://localhost:3030/callback"
LEGACY = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-11-25",
}
TOOL_NAMES = {"createDeepResearch", "createTaskGroup", "getStatus", "getResultMarkdown", "listTasks"}
COOKIE_NAME = "task-mcp-signin"
ACCESS_PREFIX = "tmcp_at_"
REFRESH_PREFIX = "tmcp_rt_"


# --------------------------------------------------------------------------- helpers


def run(coro) -> Any:
    """asyncio.run, re-raising the first leaf of an ExceptionGroup (anyio task groups wrap an
    assertion failing inside ``async with Client(...)``) so that failures read plainly."""
    try:
        return asyncio.run(coro)
    except BaseExceptionGroup as group:  # noqa: F821 (Python 3.11+)
        leaf: BaseException = group
        while isinstance(leaf, BaseExceptionGroup) and leaf.exceptions:
            leaf = leaf.exceptions[0]
        raise leaf from None


@dataclasses.dataclass
class Server:
    base: str  # task-mcp's base URL, which is also its issuer
    sandbox: str  # the sandbox, whose /getKeys is the upstream provider

    @property
    def mcp(self) -> str:
        return self.base + "/mcp"


@pytest.fixture
def server(task_mcp_url: str, sandbox_url: str) -> Server:
    return Server(task_mcp_url, sandbox_url)


@dataclasses.dataclass
class Form:
    action: Optional[str]
    method: str
    inputs: dict[str, tuple[str, str]]  # name -> (type, value)
    buttons: list[tuple[Optional[str], Optional[str]]]  # (name, value)

    def hidden(self) -> dict[str, str]:
        return {name: value for name, (type_, value) in self.inputs.items() if type_ == "hidden"}


class PageParser(HTMLParser):
    """The forms of a page (action, method, inputs, buttons) and its visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Optional[Form] = None
        self._text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, Optional[str]]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self._form = Form(a.get("action"), (a.get("method") or "get").lower(), {}, [])
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and a.get("name"):
            self._form.inputs[a["name"]] = ((a.get("type") or "text").lower(), a.get("value", ""))
        elif tag == "button" and self._form is not None:
            self._form.buttons.append((a.get("name"), a.get("value")))
        elif tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag in ("style", "script"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._text.append(data)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self._text)).strip()


def parse_page(html_text: str) -> PageParser:
    parser = PageParser()
    parser.feed(html_text)
    parser.close()
    return parser


def query_of(url: str) -> dict[str, str]:
    """The query parameters of ``url``; each must appear once."""
    params = parse_qs(urlsplit(url).query, keep_blank_values=True)
    repeated = [k for k, v in params.items() if len(v) != 1]
    assert not repeated, f"repeated query parameters {repeated} in {url}"
    return {k: v[0] for k, v in params.items()}


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)  # 64 characters of [A-Za-z0-9_-]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def authorize_url(server: Server, client_id: str, challenge: str, state: str, *, redirect_uri: str = REDIRECT_URI, **extra: str) -> str:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "scope": "tasks",
        "resource": server.mcp,
        **extra,
    }
    return str(httpx.URL(server.base + "/authorize", params=params))


def assert_html_error_page(r: httpx.Response, status: int, where: str) -> str:
    """An error page the authorization server shows instead of redirecting; returns its text."""
    assert r.status_code == status, f"{where}: HTTP {r.status_code} (expected {status}): {r.text[:500]}"
    assert "location" not in r.headers, f"{where}: an error page must not redirect: {r.headers.get('location')}"
    assert r.headers.get("content-type", "").startswith("text/html"), f"{where}: content-type {r.headers.get('content-type')}"
    return parse_page(r.text).text


def assert_oauth_error(r: httpx.Response, status: int, error: str, where: str) -> dict:
    assert r.status_code == status, f"{where}: HTTP {r.status_code} (expected {status}): {r.text[:500]}"
    assert r.headers.get("content-type", "").startswith("application/json"), r.headers.get("content-type")
    body = r.json()
    assert body.get("error") == error, f"{where}: error {body.get('error')!r} (expected {error!r}): {body}"
    assert "no-store" in r.headers.get("cache-control", ""), f"{where}: Cache-Control {r.headers.get('cache-control')!r}"
    return body


def assert_token_response(r: httpx.Response, where: str) -> dict:
    assert r.status_code == 200, f"{where}: HTTP {r.status_code}: {r.text[:500]}"
    assert "no-store" in r.headers.get("cache-control", ""), f"{where}: token response Cache-Control {r.headers.get('cache-control')!r}"
    body = r.json()
    assert body.get("token_type", "").lower() == "bearer", body
    assert body["access_token"].startswith(ACCESS_PREFIX), body
    assert body["refresh_token"].startswith(REFRESH_PREFIX), body
    assert isinstance(body.get("expires_in"), int) and body["expires_in"] > 0, body
    assert body.get("scope") == "tasks", body
    return body


@dataclasses.dataclass
class SignIn:
    """What the browser saw: the consent page's text, each hop, and the final redirect."""

    consent_text: str
    hops: list[str]
    callback_url: str
    redirect: str
    params: dict[str, str]


async def sign_in(browser: httpx.AsyncClient, url: str, server: Server, *, api_key: str = DEMO_KEY) -> SignIn:
    """Plays the user: approve on task-mcp's consent page, pick the key at the sandbox's provider,
    and follow the provider's redirect through task-mcp's callback. Every hop is asserted."""
    hops = [f"GET {url}"]
    # 1. task-mcp's consent page, which binds the sign-in to this browser with a cookie.
    r = await browser.get(url)
    assert r.status_code == 200, f"GET /authorize: HTTP {r.status_code}: {r.text[:800]} {r.headers.get('location')}"
    assert r.headers.get("content-type", "").startswith("text/html"), r.headers
    assert "no-store" in r.headers.get("cache-control", ""), r.headers
    set_cookie = "; ".join(r.headers.get_list("set-cookie"))
    assert f"{COOKIE_NAME}=" in set_cookie, f"consent page sets no {COOKIE_NAME} cookie: {set_cookie!r}"
    assert "httponly" in set_cookie.lower(), set_cookie
    page = parse_page(r.text)
    forms = [f for f in page.forms if f.method == "post"]
    assert len(forms) == 1, f"expected one POST form on the consent page, found {page.forms}"
    form = forms[0]
    assert form.action == server.base + "/authorize/consent", form.action
    hidden = form.hidden()
    assert {"request_id", "csrf_token"} <= set(hidden), hidden
    assert all(hidden[k] for k in ("request_id", "csrf_token")), hidden
    assert ("decision", "approve") in form.buttons and ("decision", "deny") in form.buttons, form.buttons

    # 2. Approve: 303 to the provider's authorization endpoint.
    r = await browser.post(form.action, data={**hidden, "decision": "approve"})
    hops.append(f"POST {form.action} -> {r.status_code}")
    assert r.status_code == 303, f"consent approve: HTTP {r.status_code}: {r.text[:500]}"
    provider_url = r.headers["location"]
    assert provider_url.startswith(server.sandbox + "/getKeys/authorize?"), provider_url
    upstream = query_of(provider_url)
    assert upstream["response_type"] == "code", upstream
    assert upstream["redirect_uri"] == server.base + "/oauth/callback", upstream
    assert upstream["code_challenge_method"] == "S256" and len(upstream["code_challenge"]) == 43, upstream
    assert upstream.get("state"), upstream
    # None of the client's own values travel upstream.
    client_params = query_of(url)
    assert upstream["state"] != client_params.get("state"), "the client's state was forwarded upstream"
    assert upstream["code_challenge"] != client_params.get("code_challenge"), "the client's PKCE challenge was forwarded upstream"

    # 3. The provider's page; approve with the demo key.
    hops.append(f"GET {provider_url}")
    r = await browser.get(provider_url)
    assert r.status_code == 200, f"provider page: HTTP {r.status_code}: {r.text[:500]}"
    provider_forms = [f for f in parse_page(r.text).forms if f.method == "post"]
    assert len(provider_forms) == 1, provider_forms
    provider_form = provider_forms[0]
    post_to = urljoin(provider_url, provider_form.action or "")
    r = await browser.post(post_to, data={**provider_form.hidden(), "api_key": api_key, "decision": "approve"})
    hops.append(f"POST {post_to} -> {r.status_code}")
    assert r.status_code in (302, 303), f"provider approve: HTTP {r.status_code}: {r.text[:500]}"
    callback_url = r.headers["location"]
    assert callback_url.startswith(server.base + "/oauth/callback?"), callback_url
    assert query_of(callback_url).get("code"), callback_url

    # 4. task-mcp's callback: exchanges upstream, then 303 to the client with code, state, iss.
    hops.append(f"GET {callback_url}")
    r = await browser.get(callback_url)
    assert r.status_code == 303, f"callback: HTTP {r.status_code}: {r.text[:800]}"
    redirect = r.headers["location"]
    hops.append(f"-> {redirect}")
    params = query_of(redirect)
    assert "error" not in params, f"callback redirected with an error: {params}"
    assert params.get("code"), params
    assert params.get("iss") == server.base, f"iss {params.get('iss')!r} is not the issuer {server.base!r}"
    if "state" in client_params:
        assert params.get("state") == client_params["state"], (params, client_params)
    return SignIn(page.text, hops, callback_url, redirect, params)


def new_browser() -> httpx.AsyncClient:
    return httpx.AsyncClient(follow_redirects=False, timeout=30.0)


async def register(server: Server, *, auth_method: Optional[str] = "none", name: str = "Conformance client", **extra: Any) -> dict:
    body: dict[str, Any] = {
        "redirect_uris": [REDIRECT_URI],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "client_name": name,
        **extra,
    }
    if auth_method is not None:
        body["token_endpoint_auth_method"] = auth_method
    async with httpx.AsyncClient(timeout=30.0) as http:
        r = await http.post(server.base + "/register", json=body)
    assert r.status_code == 201, f"POST /register: HTTP {r.status_code}: {r.text[:500]}"
    registered = r.json()
    assert registered["client_id"], registered
    expected_method = auth_method or "client_secret_basic"  # RFC 7591 §2's default
    assert registered.get("token_endpoint_auth_method") == expected_method, registered
    if expected_method == "none":
        assert "client_secret" not in registered, registered
    else:
        assert registered.get("client_secret"), registered
    return registered


def client_auth(client: dict, form: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The token request's form and headers, authenticated as the client registered."""
    method = client.get("token_endpoint_auth_method", "none")
    form = {**form}
    headers: dict[str, str] = {}
    if method == "client_secret_basic":
        raw = f"{client['client_id']}:{client['client_secret']}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
    elif method == "client_secret_post":
        form |= {"client_id": client["client_id"], "client_secret": client["client_secret"]}
    else:
        form["client_id"] = client["client_id"]
    return form, headers


async def token_request(server: Server, client: dict, form: dict[str, str]) -> httpx.Response:
    data, headers = client_auth(client, form)
    async with httpx.AsyncClient(timeout=30.0) as http:
        return await http.post(server.base + "/token", data=data, headers=headers)


@dataclasses.dataclass
class Flow:
    client: dict
    sign_in: SignIn
    verifier: str
    tokens: dict

    @property
    def access(self) -> str:
        return self.tokens["access_token"]

    @property
    def refresh(self) -> str:
        return self.tokens["refresh_token"]


async def full_flow(server: Server, client: dict, *, browser: Optional[httpx.AsyncClient] = None) -> Flow:
    """Authorization code flow with PKCE by hand: sign in, then exchange the code."""
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(16)
    own_browser = browser is None
    browser = browser or new_browser()
    try:
        done = await sign_in(browser, authorize_url(server, client["client_id"], challenge, state), server)
    finally:
        if own_browser:
            await browser.aclose()
    assert done.params["state"] == state
    r = await token_request(
        server,
        client,
        {
            "grant_type": "authorization_code",
            "code": done.params["code"],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
            "resource": server.mcp,
        },
    )
    return Flow(client, done, verifier, assert_token_response(r, "authorization_code exchange"))


def mcp_tools_list(server: Server, token: str) -> httpx.Response:
    return httpx.post(
        server.mcp,
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={**LEGACY, "Authorization": f"Bearer {token}"},
        timeout=30.0,
    )


def assert_mcp_ok(server: Server, token: str, where: str) -> None:
    r = mcp_tools_list(server, token)
    assert r.status_code == 200, f"{where}: /mcp tools/list HTTP {r.status_code}: {r.text[:500]}"
    names = {tool["name"] for tool in r.json()["result"]["tools"]}
    assert names == TOOL_NAMES, names


def assert_mcp_refused(server: Server, token: str, where: str) -> None:
    r = mcp_tools_list(server, token)
    assert r.status_code == 401, f"{where}: /mcp with a dead token: HTTP {r.status_code} (expected 401): {r.text[:300]}"
    challenge = r.headers.get("www-authenticate", "")
    assert challenge.startswith("Bearer "), challenge
    assert 'error="invalid_token"' in challenge, f"{where}: {challenge}"
    assert f'resource_metadata="{server.base}/.well-known/oauth-protected-resource/mcp"' in challenge, challenge


class MemoryTokenStorage:
    """The SDK's TokenStorage protocol, in memory."""

    def __init__(self) -> None:
        self.tokens: Optional[OAuthToken] = None
        self.client_info: Optional[OAuthClientInformationFull] = None
        self.token_history: list[OAuthToken] = []

    async def get_tokens(self) -> Optional[OAuthToken]:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens
        self.token_history.append(tokens)

    async def get_client_info(self) -> Optional[OAuthClientInformationFull]:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


class HeadlessUser:
    """The SDK's redirect and callback handlers: the redirect handler signs in headlessly and
    hands the authorization response to the callback handler through a queue."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.sign_ins: list[SignIn] = []
        self.authorization_urls: list[str] = []
        self._results: asyncio.Queue[AuthorizationCodeResult] = asyncio.Queue()

    async def redirect_handler(self, url: str) -> None:
        self.authorization_urls.append(url)
        assert url.startswith(self.server.base + "/authorize?"), url
        async with new_browser() as browser:
            done = await sign_in(browser, url, self.server)
        self.sign_ins.append(done)
        await self._results.put(AuthorizationCodeResult(code=done.params["code"], state=done.params.get("state"), iss=done.params.get("iss")))

    async def callback_handler(self) -> AuthorizationCodeResult:
        return await asyncio.wait_for(self._results.get(), timeout=60)


@contextlib.asynccontextmanager
async def sdk_client(server: Server, provider: OAuthClientProvider, mode: str, statuses: list[tuple[str, str, int]]) -> AsyncIterator[Client]:
    async def record(response: httpx2.Response) -> None:
        statuses.append((response.request.method, str(response.request.url), response.status_code))

    async with httpx2.AsyncClient(auth=provider, timeout=httpx2.Timeout(30.0, read=120.0), event_hooks={"response": [record]}) as http:
        async with Client(streamable_http_client(server.mcp, http_client=http), mode=mode) as client:
            yield client


async def call_ok(client: Client, name: str, arguments: dict) -> Any:
    result = await client.call_tool(name, arguments)
    texts = [getattr(b, "text", "") for b in result.content]
    assert not result.is_error, f"{name}({arguments}) returned isError: {' '.join(texts)[:800]}"
    return result


async def exercise_tools(client: Client, label: str) -> str:
    """tools/list, createDeepResearch, getStatus, listTasks; returns the run id."""
    listing = await client.list_tools()
    assert {tool.name for tool in listing.tools} == TOOL_NAMES
    created = (await call_ok(client, "createDeepResearch", {"input": f"OAuth conformance question ({label})"})).structured_content
    assert created is not None and RUN_ID_RE.match(created["run_id"]), created
    status = (await call_ok(client, "getStatus", {"taskRunOrGroupId": created["run_id"]})).structured_content
    assert status is not None and status["id"] == created["run_id"], status
    listed = (await call_ok(client, "listTasks", {"limit": 100})).structured_content
    assert created["run_id"] in [t["id"] for t in listed["tasks"]], listed
    return created["run_id"]


@contextlib.contextmanager
def metadata_document_server(document: Callable[[str], dict]) -> Iterator[str]:
    """Serves ``document(url)`` as JSON at ``http://127.0.0.1:<port>/client.json``; yields the URL.
    Records the requests it answered in ``server.requests``."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            requests.append(self.path)
            if self.path != "/client.json":
                self.send_error(404)
                return
            body = json.dumps(document(url)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "max-age=300")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    url = f"http://127.0.0.1:{httpd.server_address[1]}/client.json"
    thread = threading.Thread(target=httpd.serve_forever, name="cimd", daemon=True)
    thread.start()
    try:
        yield url
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def cimd_document(url: str, name: str = "Conformance CIMD client") -> dict:
    return {
        "client_id": url,
        "client_name": name,
        "redirect_uris": [REDIRECT_URI],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    }


# --------------------------------------------------------------------------- discovery


def test_discovery_documents_and_challenge(server: Server) -> None:
    with httpx.Client(timeout=30.0) as http:
        for path in ("/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"):
            r = http.get(server.base + path)
            assert r.status_code == 200, f"GET {path}: {r.status_code} {r.text[:300]}"
            prm = r.json()
            assert prm["resource"] == server.mcp, prm
            assert prm["authorization_servers"] == [server.base], prm
            assert prm["scopes_supported"] == ["tasks"], prm
        for path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
            r = http.get(server.base + path)
            assert r.status_code == 200, f"GET {path}: {r.status_code} {r.text[:300]}"
            asm = r.json()
            assert asm["issuer"] == server.base and not asm["issuer"].endswith("/"), asm
            assert asm["authorization_endpoint"] == server.base + "/authorize", asm
            assert asm["token_endpoint"] == server.base + "/token", asm
            assert asm["registration_endpoint"] == server.base + "/register", asm
            assert asm["revocation_endpoint"] == server.base + "/revoke", asm
            assert asm["code_challenge_methods_supported"] == ["S256"], asm
            assert asm["client_id_metadata_document_supported"] is True, asm
            assert asm["authorization_response_iss_parameter_supported"] is True, asm
            assert "code" in asm["response_types_supported"], asm
            assert {"authorization_code", "refresh_token"} <= set(asm["grant_types_supported"]), asm
        r = http.post(server.mcp, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers=LEGACY)
        assert r.status_code == 401, r.text
        challenge = r.headers.get("www-authenticate", "")
        assert challenge.startswith("Bearer "), challenge
        assert f'resource_metadata="{server.base}/.well-known/oauth-protected-resource/mcp"' in challenge, challenge
        assert 'scope="tasks"' in challenge, challenge


def test_registration_defaults_and_methods(server: Server) -> None:
    async def scenario() -> None:
        default = await register(server, auth_method=None)  # RFC 7591: client_secret_basic
        assert default["client_secret"].startswith("tmcp_cs_"), default
        post = await register(server, auth_method="client_secret_post")
        assert post["client_secret"] != default["client_secret"]
        public = await register(server, auth_method="none")
        assert public["client_id"] not in (default["client_id"], post["client_id"])
        async with httpx.AsyncClient(timeout=30.0) as http:
            r = await http.post(server.base + "/register", json={"redirect_uris": ["http://evil.example/cb"], "token_endpoint_auth_method": "none"})
            assert_oauth_error(r, 400, "invalid_redirect_uri", "register http non-loopback redirect URI")
            r = await http.post(server.base + "/register", json={"client_name": "no redirect"})
            assert r.status_code == 400 and r.json()["error"] in ("invalid_redirect_uri", "invalid_client_metadata"), r.text

    run(scenario())


# --------------------------------------------------------------------------- 1. the official SDK (DCR)


SDK_CASES = [
    pytest.param("legacy", "client_secret_basic", id="legacy-client_secret_basic"),
    pytest.param("2026-07-28", "none", id="2026-07-28-public"),
    pytest.param("2026-07-28", "client_secret_post", id="2026-07-28-client_secret_post"),
]


@pytest.mark.parametrize("mode,auth_method", SDK_CASES)
def test_sdk_oauth_flow_with_dynamic_registration(server: Server, mode: str, auth_method: str) -> None:
    storage = MemoryTokenStorage()
    user = HeadlessUser(server)
    statuses: list[tuple[str, str, int]] = []

    async def scenario() -> None:
        provider = OAuthClientProvider(
            server_url=server.mcp,
            client_metadata=OAuthClientMetadata(
                redirect_uris=[REDIRECT_URI],
                grant_types=["authorization_code", "refresh_token"],
                response_types=["code"],
                token_endpoint_auth_method=auth_method,
                client_name=f"Conformance SDK client ({mode})",
            ),
            storage=storage,
            redirect_handler=user.redirect_handler,
            callback_handler=user.callback_handler,
        )
        async with sdk_client(server, provider, mode, statuses) as client:
            await exercise_tools(client, f"sdk {mode}")

            # The SDK refreshes once its token has expired: pretend it has.
            first = storage.tokens
            assert first is not None
            provider.context.token_expiry_time = time.time() - 1
            listing = await client.list_tools()
            assert {tool.name for tool in listing.tools} == TOOL_NAMES
            assert storage.tokens is not None and storage.tokens.access_token != first.access_token, "the SDK did not refresh"
            assert storage.tokens.refresh_token != first.refresh_token, "the refresh token was not rotated"
            assert storage.tokens.access_token.startswith(ACCESS_PREFIX)
            await call_ok(client, "listTasks", {"limit": 5})

    run(scenario())

    # One interactive sign-in, through a registration the SDK made.
    assert len(user.sign_ins) == 1, user.authorization_urls
    info = storage.client_info
    assert info is not None and info.client_id.startswith("tmcp_client_"), info
    assert info.token_endpoint_auth_method == auth_method, info
    assert (info.client_secret is None) == (auth_method == "none"), info
    auth_params = query_of(user.authorization_urls[0])
    assert auth_params["client_id"] == info.client_id
    assert auth_params["code_challenge_method"] == "S256"
    assert auth_params["resource"] == server.mcp, auth_params
    assert auth_params.get("scope") == "tasks", auth_params
    consent = user.sign_ins[0].consent_text
    assert f"Conformance SDK client ({mode})" in consent, consent[:500]
    # The SDK learnt about OAuth from a 401 on /mcp, and used our endpoints.
    mcp_statuses = [s for m, u, s in statuses if u.startswith(server.mcp)]
    assert mcp_statuses and mcp_statuses[0] == 401, statuses[:6]
    urls = [u for _, u, _ in statuses]
    assert any(u.startswith(server.base + "/register") for u in urls), urls
    assert sum(u.startswith(server.base + "/token") for u in urls) == 2, urls  # code exchange + one refresh
    assert all(s < 500 for _, _, s in statuses), statuses
    assert len(storage.token_history) == 2, storage.token_history


# --------------------------------------------------------------------------- 2. CIMD


def test_client_id_metadata_document_by_hand(server: Server) -> None:
    async def scenario() -> None:
        with metadata_document_server(cimd_document) as url:
            client = {"client_id": url, "token_endpoint_auth_method": "none"}
            flow = await full_flow(server, client)
            text = flow.sign_in.consent_text
            assert "Conformance CIMD client" in text, text[:800]
            assert url in text, f"the consent page does not show the client id {url}: {text[:800]}"
            # The access token works with the SDK as a plain bearer token.
            headers = {"Authorization": f"Bearer {flow.access}"}
            async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0, read=120.0)) as http:
                async with Client(streamable_http_client(server.mcp, http_client=http), mode="legacy") as sdk:
                    await exercise_tools(sdk, "cimd by hand")
            # Refresh works for a CIMD client too (public: client_id only).
            r = await token_request(server, client, {"grant_type": "refresh_token", "refresh_token": flow.refresh})
            refreshed = assert_token_response(r, "CIMD refresh")
            assert_mcp_ok(server, refreshed["access_token"], "CIMD refreshed token")

    run(scenario())


def test_client_id_metadata_document_through_the_sdk(server: Server) -> None:
    """The SDK's own CIMD path. Its constructor accepts only https client_metadata_url values, so
    the loopback http URL (accepted by the server's development switch) is set on the provider's
    context after construction; everything else is the SDK's unmodified flow."""
    storage = MemoryTokenStorage()
    user = HeadlessUser(server)
    statuses: list[tuple[str, str, int]] = []

    async def scenario() -> None:
        with metadata_document_server(lambda u: cimd_document(u, "Conformance CIMD client (SDK)")) as url:
            provider = OAuthClientProvider(
                server_url=server.mcp,
                client_metadata=OAuthClientMetadata(
                    redirect_uris=[REDIRECT_URI],
                    grant_types=["authorization_code", "refresh_token"],
                    response_types=["code"],
                    token_endpoint_auth_method="none",
                    client_name="Conformance CIMD client (SDK)",
                ),
                storage=storage,
                redirect_handler=user.redirect_handler,
                callback_handler=user.callback_handler,
            )
            provider.context.client_metadata_url = url
            async with sdk_client(server, provider, "2026-07-28", statuses) as client:
                await exercise_tools(client, "cimd sdk")
            assert storage.client_info is not None and storage.client_info.client_id == url, storage.client_info

    run(scenario())
    urls = [u for _, u, _ in statuses]
    assert not any(u.startswith(server.base + "/register") for u in urls), f"the SDK registered instead of using CIMD: {urls}"
    assert len(user.sign_ins) == 1
    assert "Conformance CIMD client (SDK)" in user.sign_ins[0].consent_text


# --------------------------------------------------------------------------- 3. refresh rotation


def test_refresh_rotation_and_reuse_detection(server: Server) -> None:
    async def scenario() -> None:
        client = await register(server, auth_method="client_secret_basic", name="Conformance refresh client")
        flow = await full_flow(server, client)
        at1, rt1 = flow.access, flow.refresh
        assert_mcp_ok(server, at1, "first access token")

        def refresh_form(rt: str) -> dict[str, str]:
            return {"grant_type": "refresh_token", "refresh_token": rt, "resource": server.mcp}

        # Rotation: a new pair; both old and new access tokens work (each until it expires).
        second = assert_token_response(await token_request(server, client, refresh_form(rt1)), "refresh #1")
        at2, rt2 = second["access_token"], second["refresh_token"]
        assert at2 != at1 and rt2 != rt1
        assert_mcp_ok(server, at2, "access token from refresh #1")

        # Retry tolerance: the superseded refresh token is honoured once more.
        third = assert_token_response(await token_request(server, client, refresh_form(rt1)), "refresh #2 with the previous token")
        at3, rt3 = third["access_token"], third["refresh_token"]
        assert len({at1, at2, at3}) == 3 and len({rt1, rt2, rt3}) == 3
        assert_mcp_ok(server, at3, "access token from the retried refresh")

        # A third presentation is reuse: invalid_grant, and the whole grant is revoked.
        assert_oauth_error(await token_request(server, client, refresh_form(rt1)), 400, "invalid_grant", "reused refresh token")
        for i, token in enumerate((at1, at2, at3), 1):
            assert_mcp_refused(server, token, f"access token #{i} after refresh-token reuse")
        assert_oauth_error(await token_request(server, client, refresh_form(rt3)), 400, "invalid_grant", "newest refresh token after reuse")

        # A refresh token belongs to its client.
        other = await register(server, auth_method="none", name="Conformance other client")
        fresh = await full_flow(server, client)
        assert_oauth_error(await token_request(server, other, refresh_form(fresh.refresh)), 400, "invalid_grant", "another client's refresh token")
        assert_token_response(await token_request(server, client, refresh_form(fresh.refresh)), "own refresh token")

    run(scenario())


def test_revocation_endpoint(server: Server) -> None:
    async def scenario() -> None:
        client = await register(server, auth_method="client_secret_post", name="Conformance revoke client")
        flow = await full_flow(server, client)
        async with httpx.AsyncClient(timeout=30.0) as http:

            async def revoke(token: str, **extra: str) -> httpx.Response:
                data, headers = client_auth(client, {"token": token, **extra})
                return await http.post(server.base + "/revoke", data=data, headers=headers)

            # An unknown token: 200 all the same (RFC 7009 §2.2).
            r = await revoke(ACCESS_PREFIX + "unknown")
            assert r.status_code == 200, r.text
            # The access token alone: it stops working, the refresh token still works.
            r = await revoke(flow.access, token_type_hint="access_token")
            assert r.status_code == 200, r.text
            assert_mcp_refused(server, flow.access, "revoked access token")
            refreshed = assert_token_response(
                await token_request(server, client, {"grant_type": "refresh_token", "refresh_token": flow.refresh}), "refresh after access revocation"
            )
            assert_mcp_ok(server, refreshed["access_token"], "new access token")
            # The refresh token: the whole grant ends.
            r = await revoke(refreshed["refresh_token"], token_type_hint="refresh_token")
            assert r.status_code == 200, r.text
            assert_mcp_refused(server, refreshed["access_token"], "access token of a revoked grant")
            assert_oauth_error(
                await token_request(server, client, {"grant_type": "refresh_token", "refresh_token": refreshed["refresh_token"]}),
                400,
                "invalid_grant",
                "revoked refresh token",
            )
            # Without client authentication: refused.
            r = await http.post(server.base + "/revoke", data={"token": flow.refresh})
            assert r.status_code in (400, 401), r.text
            assert r.json()["error"] in ("invalid_client", "invalid_request"), r.text

    run(scenario())


# --------------------------------------------------------------------------- 4. admin CLI


def cli_json(task_mcp_cli, *args: str) -> list[dict]:
    result = task_mcp_cli(*args, "--json")
    assert result.returncode == 0, str(result)
    data = json.loads(result.stdout)
    assert isinstance(data, list), result.stdout[:500]
    return data


def all_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from all_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from all_strings(v)


HOSTILE_NAMES = {
    "ESC (window title)": "Evil\x1b]0;pwned\x07 client",
    "BEL": "Bell\x07client",
    "C1 CSI": "Csi\x9b2Jclient",
    "newline (forged row)": "Two\nlines tok_forged  access  active",
    "carriage return": "Back\rwrite",
    "RLO": "Safe \u202etxt.exe",
    "isolate": "Iso\u2066late\u2069",
    "NUL": "Nul\x00truncated",
    "DEL": "Del\x7fete",
}


def test_register_refuses_control_and_bidi_characters_in_client_name(server: Server) -> None:
    # One rule for both registration paths: metadata documents already refused these.
    async def scenario() -> None:
        async with httpx.AsyncClient(timeout=30.0) as http:
            for what, name in HOSTILE_NAMES.items():
                body = {"redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "none", "client_name": name}
                r = await http.post(server.base + "/register", json=body)
                assert_oauth_error(r, 400, "invalid_client_metadata", f"client_name with {what}")
            # Ordinary non-ASCII names stay welcome.
            r = await http.post(
                server.base + "/register",
                json={"redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "none", "client_name": "Café 東京 עברית"},
            )
            assert r.status_code == 201 and r.json()["client_name"] == "Café 東京 עברית", r.text

    run(scenario())


def test_admin_tables_escape_non_printable_characters(server: Server, task_mcp_cli, task_mcp_env: dict[str, str]) -> None:
    # A name stored before /register refused such names (or written by anything else) must not
    # reach the terminal raw: a table cell shows escapes, never ESC, BEL, C1, newlines or bidi.
    import sqlite3

    client = run(register(server, auth_method="none", name="Conformance escape client"))
    run(full_flow(server, client))
    hostile = "".join(HOSTILE_NAMES.values()).replace("\x00", "")
    with contextlib.closing(sqlite3.connect(task_mcp_env["TASK_MCP_DATABASE"], timeout=30)) as db:
        db.execute("UPDATE clients SET name = ? WHERE id = ?", (hostile, client["client_id"]))
        db.commit()
    raw = set("\x1b\x07\x9b\r\x7f\u202e\u2066\u2069")
    for args in (("clients",), ("grants", "--client", client["client_id"]), ("tokens",)):
        result = task_mcp_cli("admin", *args)
        assert result.returncode == 0, str(result)
        found = sorted({hex(ord(c)) for c in result.stdout if c in raw})
        assert not found, f"admin {args[0]} printed raw {found}: {result.stdout[:500]!r}"
        # The whole name stays on its row: its first and last fragments share one line.
        rows = [line for line in result.stdout.splitlines() if "Evil" in line or "Del" in line]
        assert rows and all("Evil" in line and "Del" in line for line in rows), f"admin {args[0]}: a name broke a row: {rows!r}"
        assert not any(line.startswith("lines tok_forged") for line in result.stdout.splitlines()), f"forged row: {result.stdout!r}"
        assert "\\u{1B}" in result.stdout, f"admin {args[0]}: the escape is not shown: {result.stdout[:500]!r}"
    # JSON stays exact (it escapes by itself).
    listed = [c for c in cli_json(task_mcp_cli, "admin", "clients") if c["id"] == client["client_id"]]
    assert listed and listed[0]["name"] == hostile, listed


def test_admin_lists_without_secrets_and_revokes_a_client(server: Server, task_mcp_cli) -> None:
    client = run(register(server, auth_method="client_secret_basic", name="Conformance admin client"))
    flow = run(full_flow(server, client))
    assert_mcp_ok(server, flow.access, "before revocation")
    secrets_ = [flow.access, flow.refresh, client["client_secret"], DEMO_KEY, flow.sign_in.params["code"]]

    clients = cli_json(task_mcp_cli, "admin", "clients")
    mine = [c for c in clients if c["id"] == client["client_id"]]
    assert len(mine) == 1, clients
    assert mine[0]["name"] == "Conformance admin client" and mine[0]["kind"] == "dcr", mine
    assert mine[0]["grantCount"] == 1, mine

    grants = cli_json(task_mcp_cli, "admin", "grants", "--client", client["client_id"])
    assert len(grants) == 1, grants
    grant = grants[0]
    assert grant["clientID"] == client["client_id"] and grant["userID"].startswith("u_"), grant
    assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$", grant["createdAt"]), grant

    tokens = cli_json(task_mcp_cli, "admin", "tokens")
    mine_tokens = [t for t in tokens if t["clientID"] == client["client_id"]]
    assert sorted(t["kind"] for t in mine_tokens) == ["access", "refresh"], mine_tokens
    assert {t["grantID"] for t in mine_tokens} == {grant["id"]}, mine_tokens
    assert cli_json(task_mcp_cli, "admin", "tokens", "--grant", grant["id"]) == mine_tokens
    by_user = cli_json(task_mcp_cli, "admin", "grants", "--user", grant["userID"])
    assert grant["id"] in [g["id"] for g in by_user], by_user

    # No listing, JSON or table, carries a token, code, client secret or API key.
    outputs = []
    for args in (("clients",), ("grants",), ("tokens",)):
        for json_flag in ((), ("--json",)):
            result = task_mcp_cli("admin", *args, *json_flag)
            assert result.returncode == 0, str(result)
            outputs.append(result.stdout + result.stderr)
    for listing in (clients, grants, tokens):
        for text in all_strings(listing):
            for secret in secrets_:
                assert secret not in text, f"an admin listing contains a secret ({secret[:10]}…): {text[:200]}"
    for output in outputs:
        for secret in secrets_:
            assert secret not in output, f"admin output contains a secret ({secret[:10]}…)"
    table = task_mcp_cli("admin", "tokens", "--grant", grant["id"])
    lines = table.stdout.strip().splitlines()
    assert lines[0].split()[:2] == ["TOKEN", "ID"], table.stdout
    assert len(lines) == 3 and all(any(t["id"] in line for line in lines) for t in mine_tokens), table.stdout
    assert re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z", table.stdout), table.stdout

    # Revoke every grant of the client: the very next /mcp request is refused.
    result = task_mcp_cli("admin", "revoke", "--client", client["client_id"])
    assert result.returncode == 0, str(result)
    assert "1" in result.stdout and "grant" in result.stdout, result.stdout
    assert_mcp_refused(server, flow.access, "after admin revoke --client")
    assert_oauth_error(
        run(token_request(server, client, {"grant_type": "refresh_token", "refresh_token": flow.refresh})),
        400,
        "invalid_grant",
        "refresh after admin revoke --client",
    )
    assert cli_json(task_mcp_cli, "admin", "tokens", "--grant", grant["id"]) == []

    # Nothing left to revoke: exit code 1 and a message.
    again = task_mcp_cli("admin", "revoke", "--client", client["client_id"])
    assert again.returncode == 1, str(again)
    assert again.stderr.strip(), str(again)

    # The client itself stays registered and can sign in again; then delete-client ends it all.
    second = run(full_flow(server, client))
    assert_mcp_ok(server, second.access, "after signing in again")
    deleted = task_mcp_cli("admin", "delete-client", client["client_id"])
    assert deleted.returncode == 0, str(deleted)
    assert_mcp_refused(server, second.access, "after admin delete-client")
    assert client["client_id"] not in [c["id"] for c in cli_json(task_mcp_cli, "admin", "clients")]
    missing = task_mcp_cli("admin", "delete-client", client["client_id"])
    assert missing.returncode == 1, str(missing)


def test_admin_revokes_a_token_a_grant_and_a_user(server: Server, task_mcp_cli) -> None:
    client = run(register(server, auth_method="none", name="Conformance admin client 2"))
    first = run(full_flow(server, client))
    second = run(full_flow(server, client))
    grants = cli_json(task_mcp_cli, "admin", "grants", "--client", client["client_id"])
    assert len(grants) == 2, grants

    # --token: that access token only; its refresh token still works.
    tokens = cli_json(task_mcp_cli, "admin", "tokens", "--grant", grants[0]["id"])
    access = [t for t in tokens if t["kind"] == "access"]
    assert len(access) == 1, tokens
    result = task_mcp_cli("admin", "revoke", "--token", access[0]["id"])
    assert result.returncode == 0, str(result)
    dead = [f for f in (first, second) if mcp_tools_list(server, f.access).status_code == 401]
    assert len(dead) == 1, "revoking one access token by id must end exactly that token"
    survivor = second if dead[0] is first else first
    assert_mcp_ok(server, survivor.access, "the other grant's token")
    refreshed = assert_token_response(
        run(token_request(server, client, {"grant_type": "refresh_token", "refresh_token": dead[0].refresh})), "refresh after --token"
    )
    assert_mcp_ok(server, refreshed["access_token"], "refreshed after --token")

    # --grant: one grant, the other survives.
    result = task_mcp_cli("admin", "revoke", "--grant", grants[0]["id"])
    assert result.returncode == 0, str(result)
    assert_mcp_refused(server, refreshed["access_token"], "after --grant")
    assert_mcp_ok(server, survivor.access, "the other grant after --grant")

    # --user: every grant of the user (the demo key's user), whatever the client.
    result = task_mcp_cli("admin", "revoke", "--user", grants[1]["userID"])
    assert result.returncode == 0, str(result)
    assert_mcp_refused(server, survivor.access, "after --user")
    assert cli_json(task_mcp_cli, "admin", "grants", "--user", grants[1]["userID"]) == []

    # Unknown ids: exit code 1.
    for option, value in (("--token", "tok_0000000000000000"), ("--grant", "grt_unknown"), ("--user", "u_unknown")):
        result = task_mcp_cli("admin", "revoke", option, value)
        assert result.returncode == 1, str(result)


def test_admin_cli_usage_and_configuration_errors(task_mcp_cli, task_mcp_env: dict[str, str]) -> None:
    # Exactly one revocation target.
    for args in (("admin", "revoke"), ("admin", "revoke", "--token", "a", "--grant", "b")):
        result = task_mcp_cli(*args)
        assert result.returncode == 64, str(result)  # ArgumentParser's usage error
    # Configuration problems: one line each on stderr, exit 78 (as `serve`).
    result = task_mcp_cli("admin", "clients", env={"TASK_MCP_SECRET_KEY": "not base64 of 32 bytes", "TASK_MCP_PORT": "99999"})
    assert result.returncode == 78, str(result)
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 2, result.stderr
    assert "TASK_MCP_SECRET_KEY" in result.stderr and "TASK_MCP_PORT" in result.stderr, result.stderr
    assert result.stdout == "", result.stdout
    # The in-memory database is refused, from the option or the environment.
    for extra_args, env in ((("--database", ":memory:"), None), ((), {"TASK_MCP_DATABASE": ":memory:"})):
        result = task_mcp_cli("admin", "tokens", *extra_args, env=env)
        assert result.returncode == 78, str(result)
        assert ":memory:" in result.stderr, result.stderr
    # A database file that does not exist is not silently created by an admin command.
    missing = task_mcp_env["TASK_MCP_DATABASE"] + ".missing"
    result = task_mcp_cli("admin", "clients", "--database", missing)
    assert result.returncode == 78, str(result)
    # migrate: the server already migrated its database; a new file gets every migration.
    result = task_mcp_cli("migrate")
    assert result.returncode == 0 and "up to date" in result.stdout, str(result)
    fresh = task_mcp_env["TASK_MCP_DATABASE"] + ".fresh"
    result = task_mcp_cli("migrate", "--database", fresh)
    assert result.returncode == 0 and "0001_" in result.stdout, str(result)
    assert "up to date" in task_mcp_cli("migrate", "--database", fresh).stdout
    # purge and rotate-key run against the live database.
    result = task_mcp_cli("admin", "purge")
    assert result.returncode == 0 and result.stdout.startswith("Purged"), str(result)
    result = task_mcp_cli("admin", "rotate-key")
    assert result.returncode == 0 and result.stdout.startswith("Re-sealed"), str(result)
    help_text = task_mcp_cli("admin", "rotate-key", "--help").stdout
    assert "TASK_MCP_SEALING_KEYS" in help_text and "first" in help_text.lower(), help_text


# --------------------------------------------------------------------------- 5. raw API key


def test_raw_parallel_api_key_still_works(server: Server) -> None:
    assert_mcp_ok(server, DEMO_KEY, "raw Parallel API key as bearer")


# --------------------------------------------------------------------------- 6. refusals


def test_unknown_client_gets_an_error_page_not_a_redirect(server: Server) -> None:
    _, challenge = pkce_pair()
    with httpx.Client(timeout=30.0, follow_redirects=False) as http:
        r = http.get(authorize_url(server, "tmcp_client_doesnotexist", challenge, "s1"))
        assert_html_error_page(r, 400, "unknown client_id")


def test_unregistered_redirect_uri_gets_an_error_page(server: Server) -> None:
    client = run(register(server, auth_method="none", name="Conformance redirect client"))
    _, challenge = pkce_pair()
    with httpx.Client(timeout=30.0, follow_redirects=False) as http:
        for redirect_uri in ("https://evil.example/callback", "http://localhost:3030/other"):
            r = http.get(authorize_url(server, client["client_id"], challenge, "s1", redirect_uri=redirect_uri))
            assert_html_error_page(r, 400, f"redirect_uri {redirect_uri}")
        # Even with client and redirect URI known, request errors before the consent page stay on
        # our page: a self-registered redirect URI is nobody's vetted address (RFC 9700 §4.11.2).
        r = http.get(authorize_url(server, client["client_id"], challenge, "s2", code_challenge_method="plain"))
        assert_html_error_page(r, 400, "PKCE method plain")


def test_authorize_errors_never_redirect_to_a_self_registered_uri(server: Server) -> None:
    evil = "https://evil.example/land"
    client = run(register(server, auth_method="none", name="Conformance open-redirect client", redirect_uris=[evil]))
    _, challenge = pkce_pair()
    with httpx.Client(timeout=30.0, follow_redirects=False) as http:
        for extra in ({"response_type": "token"}, {"code_challenge_method": "plain"}, {"resource": "https://other.example/mcp"}):
            r = http.get(authorize_url(server, client["client_id"], challenge, "s1", redirect_uri=evil, **extra))
            assert "location" not in r.headers, f"{extra}: redirected to {r.headers.get('location')}"
            assert_html_error_page(r, 400, f"authorize with {extra}")


def test_consent_needs_the_browser_cookie(server: Server) -> None:
    async def scenario() -> None:
        client = await register(server, auth_method="none", name="Conformance cookie client")
        _, challenge = pkce_pair()
        async with new_browser() as browser:
            r = await browser.get(authorize_url(server, client["client_id"], challenge, "s1"))
            assert r.status_code == 200, r.text[:300]
            form = [f for f in parse_page(r.text).forms if f.method == "post"][0]
            # Another browser (no cookie) posts this page's form: refused.
            async with new_browser() as other:
                r = await other.post(form.action, data={**form.hidden(), "decision": "approve"})
            assert_html_error_page(r, 403, "consent without the binding cookie")
            # A wrong CSRF token from the right browser: refused as well.
            r = await browser.post(form.action, data={**form.hidden(), "csrf_token": "csrf_wrong", "decision": "approve"})
            assert r.status_code in (400, 403), f"{r.status_code} {r.text[:300]}"
            assert "location" not in r.headers
            # Deny from the right browser: back to the client with access_denied.
            r = await browser.get(authorize_url(server, client["client_id"], challenge, "s3"))
            form = [f for f in parse_page(r.text).forms if f.method == "post"][0]
            r = await browser.post(form.action, data={**form.hidden(), "decision": "deny"})
            assert r.status_code == 303, f"{r.status_code} {r.text[:300]}"
            params = query_of(r.headers["location"])
            assert params["error"] == "access_denied" and params["state"] == "s3" and params["iss"] == server.base, params

    run(scenario())


def test_callback_replay_and_code_replay(server: Server) -> None:
    async def scenario() -> None:
        client = await register(server, auth_method="client_secret_basic", name="Conformance replay client")
        async with new_browser() as browser:
            flow = await full_flow(server, client, browser=browser)
            # The same callback URL again, in the same browser: the state was single-use.
            r = await browser.get(flow.sign_in.callback_url)
            assert_html_error_page(r, 400, "callback replay")
        assert_mcp_ok(server, flow.access, "token from the first exchange")

        # The code again: invalid_grant, and the tokens issued with it are revoked (RFC 6749 §4.1.2).
        r = await token_request(
            server,
            client,
            {"grant_type": "authorization_code", "code": flow.sign_in.params["code"], "redirect_uri": REDIRECT_URI, "code_verifier": flow.verifier},
        )
        assert_oauth_error(r, 400, "invalid_grant", "code replay")
        assert_mcp_refused(server, flow.access, "token issued with a replayed code")

    run(scenario())


def test_pkce_and_client_mismatches_at_the_token_endpoint(server: Server) -> None:
    async def scenario() -> None:
        client = await register(server, auth_method="none", name="Conformance PKCE client")
        other = await register(server, auth_method="none", name="Conformance PKCE other")
        confidential = await register(server, auth_method="client_secret_basic", name="Conformance PKCE confidential")

        async def code_for(c: dict) -> tuple[str, str]:
            verifier, challenge = pkce_pair()
            async with new_browser() as browser:
                done = await sign_in(browser, authorize_url(server, c["client_id"], challenge, "st"), server)
            return done.params["code"], verifier

        def exchange(c: dict, code: str, verifier: str, **extra: str):
            return token_request(
                server, c, {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier, **extra}
            )

        code, verifier = await code_for(client)
        assert_oauth_error(await exchange(client, code, pkce_pair()[0]), 400, "invalid_grant", "wrong code_verifier")

        code, verifier = await code_for(client)
        assert_oauth_error(await exchange(other, code, verifier), 400, "invalid_grant", "code of another client")

        code, verifier = await code_for(client)
        assert_oauth_error(await exchange(client, code, verifier, redirect_uri="http://localhost:3030/other"), 400, "invalid_grant", "other redirect_uri")

        code, verifier = await code_for(confidential)
        wrong = {**confidential, "client_secret": "tmcp_cs_wrong"}
        r = await exchange(wrong, code, verifier)
        assert_oauth_error(r, 401, "invalid_client", "wrong client secret")
        assert_token_response(await exchange(confidential, code, verifier), "right client secret")

        async with httpx.AsyncClient(timeout=30.0) as http:
            r = await http.post(server.base + "/token", data={"grant_type": "password", "client_id": client["client_id"]})
            assert_oauth_error(r, 400, "unsupported_grant_type", "password grant")

    run(scenario())
