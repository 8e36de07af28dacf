"""Shared helpers for the parallel-sandbox conformance suite.

The Stainless-generated SDK builds its response models *leniently* (it uses
``construct`` rather than validation), so a malformed response can slip
through an ordinary SDK call.  Every helper here therefore re-validates raw
JSON with the SDK's own pydantic classes in pydantic *strict* mode and also
rejects fields the SDK model does not declare (they would only land in
``model_extra``).
"""

from __future__ import annotations

import json
import re
import time
from typing import Any, Callable, Iterable, Optional
from urllib.parse import urlparse

import httpx
import pydantic
from parallel import types as T
from parallel._streaming import SSEDecoder, ServerSentEvent

DEMO_KEY = "sandbox-demo-key"

RUN_ID_RE = re.compile(r"^trun_[0-9a-f]{32}$")
GROUP_ID_RE = re.compile(r"^tgrp_[0-9a-f]{48}$")
RFC3339_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

RUN_STATUSES = {"queued", "action_required", "running", "completed", "failed", "cancelling", "cancelled"}
ACTIVE_STATUSES = {"queued", "running", "cancelling"}
TERMINAL_STATUSES = {"completed", "failed", "cancelled"}
CONFIDENCES = {"low", "medium", "high", None}
# RFC 2606 reserves example.com, example.org and example.net; the sandbox cites all three.
CITATION_HOSTS = ("example.com", "example.org", "example.net")
# Reserved example domains (RFC 2606).  check_basis accepts all of them so that one
# host-choice deviation does not mask every other output check; the stricter
# contract (example.com/example.org only) is asserted once in test_outputs.py.
RESERVED_HOSTS = ("example.com", "example.org", "example.net")

BASE_PROCESSORS = ["lite", "base", "core", "core2x", "pro", "ultra", "ultra2x", "ultra4x", "ultra8x"]
ALL_PROCESSORS = BASE_PROCESSORS + [p + "-fast" for p in BASE_PROCESSORS]
# ultra8x can take ~15 s even with --time-factor 0.002; never wait on it.
WAITABLE_PROCESSORS = [p for p in ALL_PROCESSORS if p != "ultra8x"]

_UNSET: Any = object()


# --------------------------------------------------------------------------- strict model validation


def collect_extras(obj: Any, path: str = "$") -> list[str]:
    """Paths of every field that only landed in some model's ``model_extra``."""
    out: list[str] = []
    if isinstance(obj, pydantic.BaseModel):
        for key in (obj.model_extra or {}):
            out.append(f"{path}.{key}")
        for name in type(obj).model_fields:
            out.extend(collect_extras(getattr(obj, name), f"{path}.{name}"))
    elif isinstance(obj, (list, tuple)):
        for i, item in enumerate(obj):
            out.extend(collect_extras(item, f"{path}[{i}]"))
    elif isinstance(obj, dict):
        for key, value in obj.items():
            if isinstance(value, (pydantic.BaseModel, list, dict)):
                out.extend(collect_extras(value, f"{path}.{key}"))
    return out


def strict(model_cls: type[pydantic.BaseModel], data: Any, *, where: str = "") -> Any:
    """Validate ``data`` with an SDK model in strict mode and forbid undeclared fields."""
    label = f"{where}: " if where else ""
    try:
        obj = model_cls.model_validate(data, strict=True)
    except pydantic.ValidationError as exc:
        raise AssertionError(
            f"{label}SDK model {model_cls.__name__} rejects the response: {exc}\n"
            f"raw={json.dumps(data)[:3000]}"
        ) from None
    extras = collect_extras(obj)
    assert not extras, f"{label}fields not declared by SDK model {model_cls.__name__}: {extras}"
    return obj


def check_timestamp(value: Optional[str], what: str, *, required: bool = True) -> None:
    if value is None:
        assert not required, f"{what} is null/missing"
        return
    assert RFC3339_RE.match(value), f"{what} is not RFC 3339: {value!r}"


def check_run(
    raw: dict,
    *,
    where: str = "TaskRun",
    processor: Optional[str] = None,
    group_id: Any = _UNSET,
    metadata: Any = _UNSET,
) -> T.TaskRun:
    """Strictly validate a TaskRun and check the invariants Parallel documents for it."""
    run = strict(T.TaskRun, raw, where=where)
    assert RUN_ID_RE.match(run.run_id), f"{where}: run_id {run.run_id!r} is not trun_+32 hex"
    assert isinstance(run.interaction_id, str) and run.interaction_id, f"{where}: empty interaction_id"
    assert run.is_active == (run.status in ACTIVE_STATUSES), (
        f"{where}: is_active={run.is_active} inconsistent with status={run.status}"
    )
    if run.status == "failed":
        assert run.error is not None, f"{where}: failed run has no error"
        assert run.error.ref_id and run.error.message, f"{where}: error lacks ref_id/message"
    else:
        assert run.error is None, f"{where}: non-failed run ({run.status}) carries error {run.error}"
    check_timestamp(run.created_at, f"{where}.created_at")
    check_timestamp(run.modified_at, f"{where}.modified_at", required=False)
    if processor is not None:
        assert run.processor == processor, f"{where}: processor {run.processor!r} != {processor!r}"
    if group_id is not _UNSET:
        assert run.task_group_id == group_id, f"{where}: taskgroup_id {run.task_group_id!r} != {group_id!r}"
    if metadata is not _UNSET:
        assert run.metadata == metadata, f"{where}: metadata {run.metadata!r} != {metadata!r}"
    for w in run.warnings or []:
        assert w.message, f"{where}: warning without message"
    return run


def check_group_status(raw: dict, *, where: str = "TaskGroupStatus") -> T.TaskGroupStatus:
    st = strict(T.TaskGroupStatus, raw, where=where)
    assert st.num_task_runs >= 0
    for key, count in st.task_run_status_counts.items():
        assert key in RUN_STATUSES, f"{where}: unknown status key {key!r} in task_run_status_counts"
        assert count >= 0
    assert sum(st.task_run_status_counts.values()) == st.num_task_runs, (
        f"{where}: counts {st.task_run_status_counts} do not sum to num_task_runs={st.num_task_runs}"
    )
    active = sum(st.task_run_status_counts.get(s, 0) for s in ACTIVE_STATUSES)
    assert st.is_active == (active > 0), f"{where}: is_active={st.is_active} but counts={st.task_run_status_counts}"
    check_timestamp(st.modified_at, f"{where}.modified_at", required=False)
    return st


def check_group(raw: dict, *, where: str = "TaskGroup", metadata: Any = _UNSET) -> T.TaskGroup:
    grp = strict(T.TaskGroup, raw, where=where)
    assert "taskgroup_id" in raw, f"{where}: wire field must be 'taskgroup_id', got keys {sorted(raw)}"
    assert GROUP_ID_RE.match(grp.task_group_id), f"{where}: id {grp.task_group_id!r} is not tgrp_+48 hex"
    check_group_status(raw["status"], where=f"{where}.status")
    check_timestamp(grp.created_at, f"{where}.created_at")
    if metadata is not _UNSET:
        assert grp.metadata == metadata, f"{where}: metadata {grp.metadata!r} != {metadata!r}"
    return grp


def check_error_response(resp: httpx.Response, status: int, *, where: str = "") -> T.ErrorResponse:
    """The ErrorResponse envelope {"type":"error","error":{"ref_id","message","detail"?}}."""
    where = where or f"{resp.request.method} {resp.request.url.path}"
    assert resp.status_code == status, f"{where}: expected {status}, got {resp.status_code}: {resp.text[:500]}"
    assert resp.headers.get("content-type", "").startswith("application/json"), (
        f"{where}: error content-type {resp.headers.get('content-type')!r}"
    )
    err = strict(T.ErrorResponse, resp.json(), where=where)
    assert err.error.ref_id, f"{where}: empty ref_id"
    assert err.error.message, f"{where}: empty message"
    return err


class _ValidationErrorItem(pydantic.BaseModel):
    # FastAPI also emits "input", "ctx" and "url" on newer versions; tolerate those.
    model_config = pydantic.ConfigDict(extra="allow")
    loc: list[str | int]
    msg: str
    type: str


class HTTPValidationError(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    detail: list[_ValidationErrorItem]


def check_fastapi_422(resp: httpx.Response, *, where: str = "") -> HTTPValidationError:
    where = where or f"{resp.request.method} {resp.request.url.path}"
    assert resp.status_code == 422, f"{where}: expected 422, got {resp.status_code}: {resp.text[:500]}"
    try:
        body = HTTPValidationError.model_validate(resp.json(), strict=True)
    except pydantic.ValidationError as exc:
        raise AssertionError(f"{where}: 422 body is not FastAPI HTTPValidationError: {exc}\n{resp.text[:1000]}")
    assert body.detail, f"{where}: empty detail list"
    for item in body.detail:
        assert item.loc and item.msg and item.type, f"{where}: incomplete detail item {item}"
    return body


# --------------------------------------------------------------------------- outputs and basis


def check_citation_url(url: str, where: str, hosts: tuple[str, ...] = RESERVED_HOSTS) -> None:
    parsed = urlparse(url)
    assert parsed.scheme in ("http", "https"), f"{where}: citation url {url!r} is not http(s)"
    host = parsed.hostname or ""
    assert any(host == h or host.endswith("." + h) for h in hosts), (
        f"{where}: citation url {url!r} is not on {'/'.join(hosts)}"
    )


def check_basis(basis: Iterable[T.FieldBasis], where: str = "basis") -> None:
    for i, fb in enumerate(basis):
        w = f"{where}[{i}]"
        assert isinstance(fb.field, str) and fb.field, f"{w}: empty field name"
        assert isinstance(fb.reasoning, str) and fb.reasoning.strip(), f"{w}: empty reasoning"
        assert fb.confidence in CONFIDENCES, f"{w}: confidence {fb.confidence!r} not low/medium/high/null"
        assert fb.citations is not None, f"{w}: citations is null (OA default is [])"
        for j, c in enumerate(fb.citations):
            check_citation_url(c.url, f"{w}.citations[{j}]")
            assert c.title is None or isinstance(c.title, str)
            assert c.excerpts is None or all(isinstance(e, str) for e in c.excerpts)


def check_result(raw: dict, *, where: str = "TaskRunResult", processor: Optional[str] = None) -> T.TaskRunResult:
    res = strict(T.TaskRunResult, raw, where=where)
    check_run(raw["run"], where=f"{where}.run", processor=processor)
    assert res.run.status == "completed", f"{where}: result run status {res.run.status}"
    assert res.run.is_active is False
    out_type = raw.get("output", {}).get("type")
    expected_cls = T.TaskRunTextOutput if out_type == "text" else T.TaskRunJsonOutput
    assert out_type in ("text", "json"), f"{where}: output.type {out_type!r}"
    assert isinstance(res.output, expected_cls), f"{where}: output parsed as {type(res.output).__name__}"
    check_basis(res.output.basis, f"{where}.output.basis")
    return res


def resolve_path(content: Any, dotted: str) -> Any:
    """Follow a basis field name such as ``a.b`` or ``list.0.name`` into JSON content."""
    cur = content
    for part in dotted.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            raise KeyError(f"basis field {dotted!r} does not resolve in content (stuck at {part!r})")
    return cur


# --------------------------------------------------------------------------- SSE


EVENT_MODELS: dict[str, type[pydantic.BaseModel]] = {
    "task_run.state": T.TaskRunEvent,
    "task_run.progress_stats": T.TaskRunProgressStatsEvent,
    "task_group_status": T.TaskGroupStatusEvent,
    "error": T.ErrorEvent,
}


def event_model_for(type_: str) -> type[pydantic.BaseModel]:
    if type_.startswith("task_run.progress_msg."):
        return T.TaskRunProgressMessageEvent
    if type_ not in EVENT_MODELS:
        raise AssertionError(f"unknown SSE event type {type_!r}")
    return EVENT_MODELS[type_]


def read_sse(
    http: httpx.Client,
    path: str,
    *,
    params: Optional[dict] = None,
    headers: Optional[dict] = None,
    read_timeout: float = 60.0,
    max_events: Optional[int] = None,
) -> tuple[httpx.Response, list[ServerSentEvent]]:
    """Read an SSE stream with the SDK's own decoder (so framing quirks that would
    break the SDK break here too).  Returns (response, events)."""
    hdrs = {"Accept": "text/event-stream", **(headers or {})}
    events: list[ServerSentEvent] = []
    with http.stream(
        "GET", path, params=params, headers=hdrs, timeout=httpx.Timeout(read_timeout, connect=10.0)
    ) as resp:
        if resp.status_code != 200:
            resp.read()
            return resp, events
        ctype = resp.headers.get("content-type", "")
        assert ctype.startswith("text/event-stream"), f"GET {path}: content-type {ctype!r}"
        for sse in SSEDecoder().iter_bytes(resp.iter_bytes()):
            events.append(sse)
            if max_events is not None and len(events) >= max_events:
                break
    return resp, events


def sse_payloads(events: list[ServerSentEvent], *, where: str, allowed: set[str]) -> list[tuple[dict, Any]]:
    """Decode every SSE event as the SDK does (``sse.json()``), then strictly validate it.

    ``allowed`` is the set of event-type prefixes permitted on this stream."""
    out = []
    for i, sse in enumerate(events):
        w = f"{where} event[{i}]"
        try:
            data = sse.json()
        except json.JSONDecodeError:
            raise AssertionError(
                f"{w}: data is not JSON (the SDK calls sse.json() on every dispatched event): "
                f"event={sse.event!r} data={sse.data[:300]!r} id={sse.id!r}"
            ) from None
        assert isinstance(data, dict) and "type" in data, f"{w}: payload without 'type': {sse.data[:300]}"
        type_ = data["type"]
        assert any(type_ == a or type_.startswith(a) for a in allowed), f"{w}: type {type_!r} not allowed here"
        if sse.event is not None:
            assert sse.event == type_, f"{w}: 'event: {sse.event}' differs from JSON type {type_!r}"
        model = strict(event_model_for(type_), data, where=w)
        out.append((data, model))
    return out


# --------------------------------------------------------------------------- misc


def wait_until(predicate: Callable[[], Any], *, timeout: float = 60.0, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def json_schema_example() -> dict:
    """A representative output schema exercising objects, arrays, enums and scalars."""
    return {
        "type": "object",
        "properties": {
            "company_name": {"type": "string", "description": "Official company name"},
            "founded_year": {"type": "integer", "description": "Year the company was founded"},
            "revenue_usd": {"type": "number", "description": "Latest annual revenue in USD"},
            "is_public": {"type": "boolean", "description": "Whether the company is publicly traded"},
            "sector": {"type": "string", "enum": ["tech", "finance", "health", "other"]},
            "headquarters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "country": {"type": "string"},
                },
                "required": ["city", "country"],
                "additionalProperties": False,
            },
            "key_executives": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}, "title": {"type": "string"}},
                    "required": ["name", "title"],
                    "additionalProperties": False,
                },
            },
            "ceo_twitter": {"type": ["string", "null"], "description": "CEO twitter handle if any"},
        },
        "required": [
            "company_name",
            "founded_year",
            "revenue_usd",
            "is_public",
            "sector",
            "headquarters",
            "key_executives",
            "ceo_twitter",
        ],
        "additionalProperties": False,
    }
