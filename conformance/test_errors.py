"""Error paths: every status Parallel documents, mapped to the SDK's exception classes,
with the ErrorResponse envelope (or FastAPI 422 on group endpoints) strictly validated."""

from __future__ import annotations

import email.utils
import time

import httpx
import parallel
import pytest
from parallel import types as T

from _support import (
    DEMO_KEY,
    check_error_response,
    check_fastapi_422,
    check_run,
    read_sse,
    strict,
    wait_until,
)

UNKNOWN_RUN = "trun_" + "0" * 32
UNKNOWN_GROUP = "tgrp_" + "0" * 48


def _sdk_body(exc: parallel.APIStatusError, where: str) -> T.ErrorResponse:
    return strict(T.ErrorResponse, exc.body, where=where)


# --------------------------------------------------------------------------- 401


def test_401_bad_key_sdk(make_client):
    bad = make_client(api_key="not-a-real-key", max_retries=0)
    with pytest.raises(parallel.AuthenticationError) as ei:
        bad.task_run.create(input="q", processor="lite")
    assert ei.value.status_code == 401
    _sdk_body(ei.value, "401 create")
    with pytest.raises(parallel.AuthenticationError):
        bad.task_run.retrieve(UNKNOWN_RUN)
    with pytest.raises(parallel.AuthenticationError):
        bad.task_group.create()


def test_401_bad_key_on_existing_run(client, make_client):
    run = client.task_run.create(input="q", processor="lite")
    bad = make_client(api_key="nope", max_retries=0)
    for call in (
        lambda: bad.task_run.retrieve(run.run_id),
        lambda: bad.task_run.result(run.run_id, api_timeout=5),
        lambda: bad.task_run.retrieve_input(run.run_id),
        lambda: list(bad.task_run.events(run.run_id)),
    ):
        with pytest.raises(parallel.AuthenticationError):
            call()


@pytest.mark.parametrize(
    "method,path",
    [
        ("POST", "/v1/tasks/runs"),
        ("GET", f"/v1/tasks/runs/{UNKNOWN_RUN}"),
        ("GET", f"/v1/tasks/runs/{UNKNOWN_RUN}/result"),
        ("POST", "/v1/tasks/groups"),
        ("POST", "/v1beta/tasks/groups"),
        ("GET", f"/v1/tasks/groups/{UNKNOWN_GROUP}"),
    ],
)
def test_401_missing_or_bad_key_raw(sandbox_url, method, path):
    with httpx.Client(base_url=sandbox_url, timeout=30) as anon:
        body = {"input": "q", "processor": "lite"} if path == "/v1/tasks/runs" else {}
        r = anon.request(method, path, json=body if method == "POST" else None)
        check_error_response(r, 401, where=f"{method} {path} (no key)")
        r = anon.request(method, path, json=body if method == "POST" else None, headers={"x-api-key": "wrong"})
        check_error_response(r, 401, where=f"{method} {path} (bad key)")


# --------------------------------------------------------------------------- 404


def test_404_unknown_run_sdk(client_no_retry):
    c = client_no_retry
    for name, call in (
        ("retrieve", lambda: c.task_run.retrieve(UNKNOWN_RUN)),
        ("result", lambda: c.task_run.result(UNKNOWN_RUN, api_timeout=5)),
        ("input", lambda: c.task_run.retrieve_input(UNKNOWN_RUN)),
        ("events", lambda: list(c.task_run.events(UNKNOWN_RUN))),
    ):
        with pytest.raises(parallel.NotFoundError) as ei:
            call()
        _sdk_body(ei.value, f"404 {name}")


@pytest.mark.parametrize(
    "path",
    [
        f"/v1/tasks/runs/{UNKNOWN_RUN}",
        f"/v1/tasks/runs/{UNKNOWN_RUN}/input",
        f"/v1/tasks/runs/{UNKNOWN_RUN}/result",
        f"/v1/tasks/runs/{UNKNOWN_RUN}/events",
        f"/v1beta/tasks/runs/{UNKNOWN_RUN}/events",
        f"/v1/tasks/groups/{UNKNOWN_GROUP}",
        f"/v1beta/tasks/groups/{UNKNOWN_GROUP}",
        f"/v1/tasks/groups/{UNKNOWN_GROUP}/events",
        f"/v1/tasks/groups/{UNKNOWN_GROUP}/runs",
        f"/v1/tasks/groups/{UNKNOWN_GROUP}/runs/{UNKNOWN_RUN}",
    ],
)
def test_404_unknown_ids_raw(http, path):
    r = http.get(path)
    check_error_response(r, 404, where=f"GET {path}")


def test_404_unknown_group_sdk(client_no_retry):
    c = client_no_retry
    with pytest.raises(parallel.NotFoundError):
        c.task_group.retrieve(UNKNOWN_GROUP)
    with pytest.raises(parallel.NotFoundError):
        c.task_group.add_runs(UNKNOWN_GROUP, inputs=[{"input": "q", "processor": "lite"}])
    with pytest.raises(parallel.NotFoundError):
        list(c.task_group.events(UNKNOWN_GROUP))
    with pytest.raises(parallel.NotFoundError):
        list(c.task_group.get_runs(UNKNOWN_GROUP))


def test_404_run_via_wrong_group(client, http):
    gid = client.task_group.create().task_group_id
    run = client.task_run.create(input="q", processor="lite")  # not in the group
    r = http.get(f"/v1/tasks/groups/{gid}/runs/{run.run_id}")
    check_error_response(r, 404, where="run not in group")


def test_failed_run_result_is_404(client_no_retry, http, set_faults):
    set_faults(run_failure_rate=1.0)
    run = client_no_retry.task_run.create(input="q", processor="lite")
    set_faults(run_failure_rate=0.0)

    def failed():
        return http.get(f"/v1/tasks/runs/{run.run_id}").json()["status"] in ("failed", "completed")

    wait_until(failed, timeout=30, what="run to fail")
    raw = http.get(f"/v1/tasks/runs/{run.run_id}").json()
    r = check_run(raw, where="failed run", processor="lite")
    assert r.status == "failed", "run_failure_rate=1.0 should fail the run"
    assert r.error is not None and r.error.message
    with pytest.raises(parallel.NotFoundError) as ei:
        client_no_retry.task_run.result(run.run_id, api_timeout=5)
    _sdk_body(ei.value, "404 failed result")
    check_error_response(http.get(f"/v1/tasks/runs/{run.run_id}/result"), 404, where="result of failed run")
    # The events stream of a failed run ends with its failed state.
    resp, sse = read_sse(http, f"/v1/tasks/runs/{run.run_id}/events")
    assert resp.status_code == 200
    last = sse[-1].json()
    assert last["type"] in ("task_run.state", "error")
    if last["type"] == "task_run.state":
        assert last["run"]["status"] == "failed" and last.get("output") is None


def test_execute_on_failing_run_raises_not_found(client, set_faults):
    set_faults(run_failure_rate=1.0)
    with pytest.raises(parallel.NotFoundError):
        client.task_run.execute(input="q", processor="lite", output="one line", timeout=60)


# --------------------------------------------------------------------------- 403


def test_403_invalid_processor(client_no_retry, http):
    with pytest.raises(parallel.PermissionDeniedError) as ei:
        client_no_retry.task_run.create(input="q", processor="hyperdrive")
    _sdk_body(ei.value, "403 create")
    check_error_response(http.post("/v1/tasks/runs", json={"input": "q", "processor": "lite-slow"}), 403)


def test_403_invalid_processor_in_group(client_no_retry, http):
    gid = client_no_retry.task_group.create().task_group_id
    with pytest.raises(parallel.PermissionDeniedError):
        client_no_retry.task_group.add_runs(gid, inputs=[{"input": "q", "processor": "nope"}])
    assert client_no_retry.task_group.retrieve(gid).status.num_task_runs == 0


# --------------------------------------------------------------------------- 402


def test_402_no_credit(make_client, set_account, http):
    set_account("broke-key", credits_usd=0.0)
    broke = make_client(api_key="broke-key", max_retries=0)
    with pytest.raises(parallel.APIStatusError) as ei:
        broke.task_run.create(input="q", processor="lite")
    assert ei.value.status_code == 402
    _sdk_body(ei.value, "402 create")
    # Creating an (empty) group costs nothing; adding runs to it needs credit.
    gid = broke.task_group.create().task_group_id
    with pytest.raises(parallel.APIStatusError) as ei2:
        broke.task_group.add_runs(gid, inputs=[{"input": "q", "processor": "lite"}])
    assert ei2.value.status_code == 402


def test_402_reserved_credit(make_client, set_account):
    """Credit for in-flight runs is reserved at creation, as Parallel does."""
    set_account("tight-key", credits_usd=0.15)
    c = make_client(api_key="tight-key", max_retries=0)
    c.task_run.create(input="q", processor="pro")  # $0.10 reserved
    with pytest.raises(parallel.APIStatusError) as ei:
        c.task_run.create(input="q", processor="pro")
    assert ei.value.status_code == 402


def test_account_key_becomes_valid(make_client, set_account):
    set_account("fresh-key", credits_usd=5.0)
    c = make_client(api_key="fresh-key", max_retries=0)
    run = c.task_run.create(input="q", processor="lite")
    assert run.status == "queued"


# --------------------------------------------------------------------------- 422


@pytest.mark.parametrize(
    "body",
    [
        {"processor": "lite"},
        {"input": "q"},
        {"input": 42, "processor": "lite"},
        {"input": "q", "processor": "lite", "task_spec": {"output_schema": {"type": "json"}}},
    ],
    ids=["no-input", "no-processor", "input-int", "json-without-schema"],
)
def test_422_malformed_run_body(http, body):
    r = http.post("/v1/tasks/runs", json=body)
    check_error_response(r, 422, where=f"create body={body}")


def test_422_invalid_json(http):
    r = http.post("/v1/tasks/runs", content=b"{not json", headers={"content-type": "application/json"})
    check_error_response(r, 422, where="create with invalid JSON")


def test_422_sdk_class(client_no_retry):
    gid = client_no_retry.task_group.create().task_group_id
    with pytest.raises(parallel.UnprocessableEntityError) as ei:
        client_no_retry.task_group.add_runs(
            gid, inputs=[{"input": f"q{i}", "processor": "lite"} for i in range(1001)]
        )
    assert isinstance(ei.value.body, dict) and isinstance(ei.value.body.get("detail"), list)
    check_fastapi_422(ei.value.response)


# --------------------------------------------------------------------------- 429


def _retry_after_ok(value: str) -> bool:
    if value is None:
        return False
    try:
        return float(value) >= 0
    except ValueError:
        return email.utils.parsedate_to_datetime(value) is not None


def test_429_rate_limit(make_client, set_account):
    set_account("slow-key", credits_usd=100.0, rate_limit_per_minute=2)
    c = make_client(api_key="slow-key", max_retries=0)
    # Parallel's rate limit counts run-creating POSTs only; create the group first so that a
    # sandbox which also counts group creation is not penalised for the run checks below.
    gid = c.task_group.create().task_group_id
    ok = 0
    with pytest.raises(parallel.RateLimitError) as ei:
        for i in range(5):
            c.task_run.create(input=f"q{i}", processor="lite")
            ok += 1
    assert ok in (1, 2), f"limit 2/min allowed {ok} creates"
    assert ei.value.status_code == 429
    _sdk_body(ei.value, "429 create")
    assert _retry_after_ok(ei.value.response.headers.get("retry-after")), (
        f"429 needs a Retry-After header, got {ei.value.response.headers.get('retry-after')!r}"
    )
    # Group add-runs POSTs count against the same limit.
    with pytest.raises(parallel.RateLimitError):
        c.task_group.add_runs(gid, inputs=[{"input": "q", "processor": "lite"}])
    # GET polling is not rate limited (rate-limit pages: only resource-creating POSTs count).
    c.task_group.retrieve(gid)
    # Another key is unaffected.
    make_client(max_retries=0).task_run.create(input="q", processor="lite")


# --------------------------------------------------------------------------- 5xx / injected faults


def test_503_fail_next_without_retries(make_client, set_faults, http):
    c = make_client(max_retries=0)
    set_faults(fail_next=[{"status": 503, "count": 2}])
    for _ in range(2):
        with pytest.raises(parallel.InternalServerError) as ei:
            c.task_run.create(input="q", processor="lite")
        assert ei.value.status_code == 503
        _sdk_body(ei.value, "503 fail_next")
    run = c.task_run.create(input="q", processor="lite")
    assert run.status == "queued"


def test_503_fail_next_default_retries_succeed(make_client, set_faults):
    record: list = []
    c = make_client(record=record)  # SDK default: 2 retries
    set_faults(fail_next=[{"status": 503, "count": 2}])
    run = c.task_run.create(input="q", processor="lite")
    assert run.status == "queued"
    assert [s for (_, _, s) in record] == [503, 503, 202]


def test_503_exhausts_default_retries(make_client, set_faults):
    c = make_client()
    set_faults(fail_next=[{"status": 503, "count": 3}])
    with pytest.raises(parallel.InternalServerError):
        c.task_run.create(input="q", processor="lite")


@pytest.mark.parametrize("status,exc", [(500, parallel.InternalServerError), (502, parallel.InternalServerError), (429, parallel.RateLimitError)])
def test_fail_next_statuses(make_client, set_faults, status, exc):
    c = make_client(max_retries=0)
    set_faults(fail_next=[{"status": status, "count": 1}])
    with pytest.raises(exc) as ei:
        c.task_run.create(input="q", processor="lite")
    assert ei.value.status_code == status
    _sdk_body(ei.value, f"{status} fail_next")
    c.task_run.create(input="q", processor="lite")


def test_fail_next_applies_to_reads(make_client, set_faults, client):
    run = client.task_run.create(input="q", processor="lite")
    c = make_client(max_retries=0)
    set_faults(fail_next=[{"status": 502, "count": 1}])
    with pytest.raises(parallel.InternalServerError):
        c.task_run.retrieve(run.run_id)
    assert c.task_run.retrieve(run.run_id).run_id == run.run_id


def test_faults_admin_roundtrip(admin, set_faults, http):
    set_faults(error_rates={"503": 1.0}, added_latency_ms=0)
    got = admin.get("/sandbox/faults")
    assert got.status_code == 200
    assert float(got.json()["error_rates"]["503"]) == 1.0
    r = http.get(f"/v1/tasks/runs/{UNKNOWN_RUN}")
    check_error_response(r, 503, where="error_rates 503=1.0")
    assert admin.post("/sandbox/reset").status_code in (200, 204)
    assert http.get(f"/v1/tasks/runs/{UNKNOWN_RUN}").status_code == 404


def test_added_latency(set_faults, http):
    set_faults(added_latency_ms=400)
    t0 = time.monotonic()
    http.get(f"/v1/tasks/runs/{UNKNOWN_RUN}")
    assert time.monotonic() - t0 >= 0.35


def test_sse_cut_after_events(client, http, set_faults):
    run = client.task_run.create(input="q", processor="pro", enable_events=True)
    client.task_run.result(run.run_id, api_timeout=60)
    full_resp, full = read_sse(http, f"/v1/tasks/runs/{run.run_id}/events")
    assert len(full) > 2
    set_faults(sse_cut_after_events=2)
    try:
        _, cut = read_sse(http, f"/v1/tasks/runs/{run.run_id}/events")
    except httpx.HTTPError:
        return  # an abrupt connection cut is an acceptable way to emulate this
    assert len(cut) <= 2


@pytest.mark.parametrize(
    "extra",
    [
        {"metadata": {"k" * 17: "v"}},
        {"task_spec": {"output_schema": {"type": "json", "json_schema": {"type": "array", "items": {"type": "string"}}}}},
        {"mcp_servers": [{"type": "url", "url": f"https://m{i}.example.com/mcp", "name": f"s{i}"} for i in range(11)]},
        {"source_policy": {"include_domains": [f"d{i}.example.com" for i in range(201)]}},
    ],
    ids=["metadata-key-17", "schema-root-array", "mcp-servers-11", "domains-201"],
)
def test_422_reference_limits(http, extra):
    r = http.post("/v1/tasks/runs", json={"input": "q", "processor": "lite", **extra})
    check_error_response(r, 422, where=f"create with {list(extra)}")
