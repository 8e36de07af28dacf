"""The emulated /getKeys OAuth provider (Parallel's sign-in for API keys), driven with plain httpx."""

from __future__ import annotations

import base64
import hashlib
import secrets
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlparse

import httpx
import parallel
import pytest

from _support import DEMO_KEY

REDIRECT_URI = "http://localhost:8787/callback"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)[:64]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._cur: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self._cur = {"method": a.get("method", "get").lower(), "action": a.get("action", ""), "inputs": []}
            self.forms.append(self._cur)
        elif tag in ("input", "button", "select", "textarea") and self._cur is not None:
            self._cur["inputs"].append({"tag": tag, **a})

    def handle_endtag(self, tag):
        if tag == "form":
            self._cur = None


@pytest.fixture
def oauth(sandbox_url):
    with httpx.Client(base_url=sandbox_url, timeout=30, follow_redirects=False) as c:
        yield c


def _metadata(oauth) -> dict:
    r = oauth.get("/.well-known/oauth-authorization-server")
    assert r.status_code == 200, r.text[:300]
    return r.json()


def _register(oauth, meta) -> str:
    r = oauth.post(meta["registration_endpoint"], json={"redirect_uris": [REDIRECT_URI]})
    assert r.status_code == 201, f"register: {r.status_code} {r.text[:300]}"
    body = r.json()
    assert isinstance(body.get("client_id"), str) and body["client_id"]
    return body["client_id"]


def _authorize_page(oauth, meta, client_id, challenge, state, method="S256"):
    params = {
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": "key:read",
        "state": state,
    }
    if challenge is not None:
        params["code_challenge"] = challenge
    if method is not None:
        params["code_challenge_method"] = method
    return oauth.get(meta["authorization_endpoint"], params=params)


def _approve(oauth, page: httpx.Response, api_key: str = DEMO_KEY, decision: str = "approve") -> httpx.Response:
    assert page.status_code == 200, f"authorize page: {page.status_code} {page.text[:300]}"
    assert "text/html" in page.headers.get("content-type", "")
    p = _FormParser()
    p.feed(page.text)
    forms = [f for f in p.forms if f["method"] == "post"]
    assert forms, "authorize page has no <form method=post>"
    form = forms[0]
    names = {i.get("name") for i in form["inputs"]}
    assert "api_key" in names, f"form lacks an api_key field: {names}"
    data = {i["name"]: i.get("value", "") for i in form["inputs"] if i.get("type", "").lower() == "hidden" and i.get("name")}
    data["api_key"] = api_key
    data["decision"] = decision
    action = urljoin(str(page.url), form["action"]) if form["action"] else str(page.url)
    return oauth.post(action, data=data)


def _code_from(resp: httpx.Response, state: str) -> str:
    assert resp.status_code in (302, 303), f"consent POST: {resp.status_code} {resp.text[:300]}"
    loc = resp.headers["location"]
    assert loc.startswith(REDIRECT_URI + "?"), f"redirect to {loc!r}"
    q = parse_qs(urlparse(loc).query)
    assert q.get("state") == [state], f"state not echoed: {q}"
    assert q.get("code") and q["code"][0], f"no code in {loc}"
    return q["code"][0]


def _token(oauth, meta, code, client_id, verifier):
    return oauth.post(
        meta["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": client_id,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
    )


def _get_code(oauth, meta, client_id, challenge, api_key=DEMO_KEY):
    state = secrets.token_hex(8)
    page = _authorize_page(oauth, meta, client_id, challenge, state)
    return _code_from(_approve(oauth, page, api_key=api_key), state)


# --------------------------------------------------------------------------- tests


def test_authorization_server_metadata(oauth, sandbox_url):
    meta = _metadata(oauth)
    assert meta["issuer"] == sandbox_url
    assert meta["authorization_endpoint"] == f"{sandbox_url}/getKeys/authorize"
    assert meta["token_endpoint"] == f"{sandbox_url}/getKeys/token"
    assert meta["registration_endpoint"] == f"{sandbox_url}/getKeys/register"
    assert "code" in meta.get("response_types_supported", [])
    assert "authorization_code" in meta.get("grant_types_supported", [])
    assert meta.get("code_challenge_methods_supported") == ["S256"]
    assert "none" in meta.get("token_endpoint_auth_methods_supported", [])


def test_register_requires_redirect_uris(oauth):
    meta = _metadata(oauth)
    for bad in ({}, {"redirect_uris": []}):
        r = oauth.post(meta["registration_endpoint"], json=bad)
        assert 400 <= r.status_code < 500, f"register {bad}: {r.status_code}"


def test_full_pkce_flow_yields_api_key(oauth, make_client):
    meta = _metadata(oauth)
    client_id = _register(oauth, meta)
    verifier, challenge = pkce_pair()
    code = _get_code(oauth, meta, client_id, challenge)

    r = _token(oauth, meta, code, client_id, verifier)
    assert r.status_code == 200, f"token: {r.status_code} {r.text[:300]}"
    assert r.headers["content-type"].startswith("application/json")
    tok = r.json()
    assert tok["access_token"] == DEMO_KEY, "the access_token is the user's API key"
    if "token_type" in tok:
        assert tok["token_type"].lower() == "bearer"

    # The token works as x-api-key with the official SDK.
    sdk = make_client(api_key=tok["access_token"], max_retries=0)
    run = sdk.task_run.create(input="q", processor="lite")
    assert run.status == "queued"


def test_flow_with_custom_account_key(oauth, set_account, make_client):
    set_account("oauth-user-key", credits_usd=10.0)
    meta = _metadata(oauth)
    client_id = _register(oauth, meta)
    verifier, challenge = pkce_pair()
    code = _get_code(oauth, meta, client_id, challenge, api_key="oauth-user-key")
    r = _token(oauth, meta, code, client_id, verifier)
    assert r.status_code == 200
    assert r.json()["access_token"] == "oauth-user-key"
    make_client(api_key="oauth-user-key", max_retries=0).task_run.create(input="q", processor="lite")


def test_code_reuse_is_invalid_grant(oauth):
    meta = _metadata(oauth)
    client_id = _register(oauth, meta)
    verifier, challenge = pkce_pair()
    code = _get_code(oauth, meta, client_id, challenge)
    assert _token(oauth, meta, code, client_id, verifier).status_code == 200
    again = _token(oauth, meta, code, client_id, verifier)
    assert again.status_code == 400, f"reused code: {again.status_code} {again.text[:300]}"
    assert again.json()["error"] == "invalid_grant"


def test_wrong_verifier_is_invalid_grant(oauth):
    meta = _metadata(oauth)
    client_id = _register(oauth, meta)
    verifier, challenge = pkce_pair()
    code = _get_code(oauth, meta, client_id, challenge)
    other_verifier, _ = pkce_pair()
    r = _token(oauth, meta, code, client_id, other_verifier)
    assert r.status_code == 400, f"bad verifier: {r.status_code} {r.text[:300]}"
    assert r.json()["error"] == "invalid_grant"


def test_unknown_code_is_invalid_grant(oauth):
    meta = _metadata(oauth)
    client_id = _register(oauth, meta)
    verifier, _ = pkce_pair()
    r = _token(oauth, meta, "auth_doesnotexist", client_id, verifier)
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_grant"


def _is_authorize_error(r: httpx.Response) -> bool:
    if 400 <= r.status_code < 500:
        return True
    if r.status_code in (302, 303):
        q = parse_qs(urlparse(r.headers.get("location", "")).query)
        return "error" in q and "code" not in q
    return False


@pytest.mark.parametrize(
    "challenge,method",
    [(None, None), (None, "S256"), ("x" * 43, None), ("x" * 43, "plain")],
    ids=["no-pkce", "no-challenge", "no-method", "plain"],
)
def test_authorize_requires_s256_pkce(oauth, challenge, method):
    meta = _metadata(oauth)
    client_id = _register(oauth, meta)
    r = _authorize_page(oauth, meta, client_id, challenge, "st", method=method)
    assert _is_authorize_error(r), (
        f"authorize without S256 PKCE must fail, got {r.status_code} (page shows a consent form)"
    )


def test_token_requires_authorization_code_grant(oauth):
    meta = _metadata(oauth)
    client_id = _register(oauth, meta)
    verifier, challenge = pkce_pair()
    code = _get_code(oauth, meta, client_id, challenge)
    r = oauth.post(
        meta["token_endpoint"],
        data={"grant_type": "client_credentials", "code": code, "client_id": client_id, "code_verifier": verifier},
    )
    assert r.status_code == 400
    assert r.json()["error"] in ("unsupported_grant_type", "invalid_request", "invalid_grant")


def test_deny_redirects_with_access_denied(oauth):
    meta = _metadata(oauth)
    client_id = _register(oauth, meta)
    _, challenge = pkce_pair()
    page = _authorize_page(oauth, meta, client_id, challenge, "deny-state")
    r = _approve(oauth, page, decision="deny")
    assert r.status_code in (302, 303)
    q = parse_qs(urlparse(r.headers["location"]).query)
    assert q.get("error") == ["access_denied"] and q.get("state") == ["deny-state"] and "code" not in q


def test_unknown_api_key_gets_no_code(oauth):
    meta = _metadata(oauth)
    client_id = _register(oauth, meta)
    _, challenge = pkce_pair()
    page = _authorize_page(oauth, meta, client_id, challenge, "st")
    r = _approve(oauth, page, api_key="definitely-not-a-key")
    if r.status_code in (302, 303):
        assert "code=" not in r.headers.get("location", ""), "a code was issued for an unknown API key"
    else:
        assert 400 <= r.status_code < 500


def test_unregistered_redirect_uri_is_rejected_without_redirect(oauth):
    meta = _metadata(oauth)
    client_id = _register(oauth, meta)
    _, challenge = pkce_pair()
    r = oauth.get(
        meta["authorization_endpoint"],
        params={
            "client_id": client_id,
            "redirect_uri": "http://attacker.example.net/cb",
            "response_type": "code",
            "scope": "key:read",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": "s",
        },
    )
    assert 400 <= r.status_code < 500, "must not redirect to an unregistered redirect_uri"
