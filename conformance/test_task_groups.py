"""Task Group API through the SDK (v1) plus raw checks of the v1beta path family."""

from __future__ import annotations

import time

import jsonschema
import pytest
from parallel import types as T

from _support import (
    RUN_ID_RE,
    TERMINAL_STATUSES,
    check_fastapi_422,
    check_group,
    check_group_status,
    check_result,
    check_run,
    read_sse,
    sse_payloads,
    strict,
    wait_until,
)

SCHEMA = {
    "type": "object",
    "properties": {
        "ceo": {"type": "string", "description": "Current CEO"},
        "founded": {"type": "integer", "description": "Founding year"},
    },
    "required": ["ceo", "founded"],
    "additionalProperties": False,
}
DEFAULT_SPEC = {"output_schema": {"type": "json", "json_schema": SCHEMA}}
TEXT_SPEC = {"output_schema": {"type": "text", "description": "one paragraph"}}
PREFIXES = ["/v1", "/v1beta"]


def _inputs(n, processor="lite"):
    return [{"input": {"company": f"Company {i}"}, "processor": processor, "metadata": {"row": i}} for i in range(n)]


def _wait_group(client, gid, timeout=60):
    def done():
        g = client.task_group.retrieve(gid)
        return g if not g.status.is_active else None

    return wait_until(done, timeout=timeout, interval=0.1, what=f"group {gid} to become inactive")


# --------------------------------------------------------------------------- create / retrieve


@pytest.mark.parametrize("prefix", PREFIXES)
def test_create_and_get_group_raw(http, prefix):
    r = http.post(f"{prefix}/tasks/groups", json={"metadata": {"project": "conformance", "n": 1}})
    assert r.status_code == 200, f"create group: {r.status_code} {r.text[:300]}"
    g = check_group(r.json(), where=f"POST {prefix}/tasks/groups", metadata={"project": "conformance", "n": 1})
    assert g.status.num_task_runs == 0
    assert g.status.is_active is False
    assert g.status.task_run_status_counts == {} or sum(g.status.task_run_status_counts.values()) == 0

    got = http.get(f"{prefix}/tasks/groups/{g.task_group_id}")
    assert got.status_code == 200
    check_group(got.json(), where=f"GET {prefix}/tasks/groups/id")
    assert got.json()["taskgroup_id"] == g.task_group_id

    empty = http.post(f"{prefix}/tasks/groups", json={})
    assert empty.status_code == 200
    check_group(empty.json(), where="create with {}")


def test_groups_shared_between_v1_and_v1beta(http):
    gid = http.post("/v1/tasks/groups", json={}).json()["taskgroup_id"]
    r = http.get(f"/v1beta/tasks/groups/{gid}")
    assert r.status_code == 200
    assert r.json()["taskgroup_id"] == gid


def test_sdk_group_flow(client, http):
    group = client.task_group.create(metadata={"batch": "alpha"})
    assert isinstance(group, T.TaskGroup)
    gid = group.task_group_id

    inputs = _inputs(3)
    inputs[2]["task_spec"] = TEXT_SPEC  # per-run spec overrides the default
    resp = client.task_group.add_runs(gid, inputs=inputs, default_task_spec=DEFAULT_SPEC)
    assert isinstance(resp, T.TaskGroupRunResponse)
    assert len(resp.run_ids) == 3 and len(set(resp.run_ids)) == 3
    assert all(RUN_ID_RE.match(i) for i in resp.run_ids)
    assert resp.status.num_task_runs == 3
    assert not resp.run_cursor and not resp.event_cursor, "cursors are empty for the first batch"

    final = _wait_group(client, gid)
    assert final.status.num_task_runs == 3
    assert final.status.task_run_status_counts.get("completed") == 3, final.status.task_run_status_counts
    assert final.metadata == {"batch": "alpha"}
    check_group(http.get(f"/v1/tasks/groups/{gid}").json(), where="GET group (done)")

    # Per-run results via the run endpoints.
    for idx, run_id in enumerate(resp.run_ids):
        res = client.task_run.result(run_id, api_timeout=30)
        assert res.run.task_group_id == gid
        assert res.run.metadata == {"row": idx}
        if idx == 2:
            assert res.output.type == "text", "per-run task_spec must override default_task_spec"
        else:
            assert res.output.type == "json"
            jsonschema.validate(res.output.content, SCHEMA)
        raw = http.get(f"/v1/tasks/runs/{run_id}/result")
        check_result(raw.json(), where=f"group run result {idx}", processor="lite")

    # retrieve_run through the group path equals the plain run.
    for run_id in resp.run_ids:
        via_group = client.task_group.retrieve_run(run_id, task_group_id=gid)
        assert isinstance(via_group, T.TaskRun)
        assert via_group.run_id == run_id and via_group.task_group_id == gid
        raw = http.get(f"/v1/tasks/groups/{gid}/runs/{run_id}")
        assert raw.status_code == 200
        check_run(raw.json(), where="GET group run", group_id=gid, processor="lite")
        assert raw.json() == http.get(f"/v1/tasks/runs/{run_id}").json()


def test_add_runs_response_raw_and_run_order(http):
    gid = http.post("/v1/tasks/groups", json={}).json()["taskgroup_id"]
    inputs = _inputs(5)
    r = http.post(f"/v1/tasks/groups/{gid}/runs", json={"inputs": inputs, "default_task_spec": DEFAULT_SPEC})
    assert r.status_code == 200, f"add runs: {r.status_code} {r.text[:300]}"
    body = strict(T.TaskGroupRunResponse, r.json(), where="add runs")
    check_group_status(r.json()["status"], where="add runs.status")
    # run_ids come back in input order: run i carries metadata row=i.
    for i, run_id in enumerate(body.run_ids):
        run = http.get(f"/v1/tasks/runs/{run_id}").json()
        check_run(run, where=f"run {i}", group_id=gid, processor="lite")
        assert run["metadata"] == {"row": i}, "run_ids must be in input order"
        ri = http.get(f"/v1/tasks/runs/{run_id}/input").json()
        strict(T.RunInput, ri, where=f"input {i}")
        assert ri["input"] == inputs[i]["input"]


def test_add_runs_refresh_status_false(client):
    gid = client.task_group.create().task_group_id
    resp = client.task_group.add_runs(gid, inputs=_inputs(2), refresh_status=False, default_task_spec=TEXT_SPEC)
    assert len(resp.run_ids) == 2
    _wait_group(client, gid)


def test_second_batch_cursors_resume_runs_stream(client, http):
    gid = client.task_group.create().task_group_id
    first = client.task_group.add_runs(gid, inputs=_inputs(2), default_task_spec=TEXT_SPEC)
    second = client.task_group.add_runs(gid, inputs=_inputs(3), default_task_spec=TEXT_SPEC)
    assert second.status.num_task_runs == 5
    assert second.run_cursor, "run_cursor must be set for a later batch"
    _wait_group(client, gid)

    resp, sse = read_sse(http, f"/v1/tasks/groups/{gid}/runs", params={"last_event_id": second.run_cursor})
    assert resp.status_code == 200
    ids = [d["run"]["run_id"] for d, _ in sse_payloads(sse, where="runs from cursor", allowed={"task_run.state"})]
    assert ids == second.run_ids, f"resuming at run_cursor should yield exactly the second batch: {ids}"
    assert not set(ids) & set(first.run_ids)


def test_second_batch_event_cursor(client, http):
    gid = client.task_group.create().task_group_id
    client.task_group.add_runs(gid, inputs=_inputs(2), default_task_spec=TEXT_SPEC)
    _wait_group(client, gid)
    second = client.task_group.add_runs(gid, inputs=_inputs(2), default_task_spec=TEXT_SPEC)
    assert second.event_cursor, (
        f"event_cursor must be set for a later batch (run_cursor={second.run_cursor!r}, "
        f"event_cursor={second.event_cursor!r})"
    )
    _wait_group(client, gid)
    r, sse = read_sse(http, f"/v1/tasks/groups/{gid}/events", params={"last_event_id": second.event_cursor})
    payloads = sse_payloads(sse, where="events from event_cursor", allowed={"task_group_status", "task_run.state"})
    terminated = {d["run"]["run_id"] for d, _ in payloads if d["type"] == "task_run.state"}
    assert terminated == set(second.run_ids), f"events after event_cursor should cover the second batch: {terminated}"


# --------------------------------------------------------------------------- runs stream


def test_get_runs_stream_with_input_and_output(client, http):
    gid = client.task_group.create().task_group_id
    inputs = _inputs(4)
    resp = client.task_group.add_runs(gid, inputs=inputs, default_task_spec=DEFAULT_SPEC)
    _wait_group(client, gid)

    events = list(client.task_group.get_runs(gid, include_input=True, include_output=True))
    assert len(events) == 4
    by_id = {}
    for ev in events:
        assert isinstance(ev, T.TaskRunEvent), f"unexpected event {type(ev).__name__}"
        assert ev.run.task_group_id == gid
        assert ev.input is not None and ev.output is not None
        by_id[ev.run.run_id] = ev
    assert set(by_id) == set(resp.run_ids)
    for i, run_id in enumerate(resp.run_ids):
        ev = by_id[run_id]
        assert ev.input.input == inputs[i]["input"]
        jsonschema.validate(ev.output.content, SCHEMA)

    r, sse = read_sse(http, f"/v1/tasks/groups/{gid}/runs", params={"include_input": "true", "include_output": "true"})
    assert r.status_code == 200
    payloads = sse_payloads(sse, where="group runs (input+output)", allowed={"task_run.state", "error"})
    cursors = []
    for d, m in payloads:
        check_run(d["run"], where="runs stream run", group_id=gid, processor="lite")
        assert isinstance(d.get("event_id"), str) and d["event_id"], "group run events carry an event_id cursor"
        cursors.append(d["event_id"])
        assert m.input is not None and m.output is not None
    assert len(set(cursors)) == len(cursors), "event_ids must be unique"

    # Resume after the first event.
    r2, sse2 = read_sse(http, f"/v1/tasks/groups/{gid}/runs", params={"last_event_id": cursors[0]})
    rest = [d["event_id"] for d, _ in sse_payloads(sse2, where="resumed runs", allowed={"task_run.state"})]
    assert rest == cursors[1:], f"resume at {cursors[0]} gave {rest}"


def test_get_runs_stream_without_includes(client, http):
    gid = client.task_group.create().task_group_id
    client.task_group.add_runs(gid, inputs=_inputs(2), default_task_spec=DEFAULT_SPEC)
    _wait_group(client, gid)
    r, sse = read_sse(http, f"/v1/tasks/groups/{gid}/runs")
    payloads = sse_payloads(sse, where="group runs (plain)", allowed={"task_run.state"})
    assert len(payloads) == 2
    for d, m in payloads:
        assert m.input is None, "input must be omitted unless include_input=true"
        assert m.output is None, "output must be omitted unless include_output=true"


def test_get_runs_status_filter(client, http):
    gid = client.task_group.create().task_group_id
    client.task_group.add_runs(gid, inputs=_inputs(3), default_task_spec=TEXT_SPEC)
    _wait_group(client, gid)
    done = list(client.task_group.get_runs(gid, status="completed"))
    assert len(done) == 3 and all(e.run.status == "completed" for e in done)
    failed = list(client.task_group.get_runs(gid, status="failed"))
    assert failed == []


def test_get_runs_is_a_snapshot_of_active_group(client, http):
    gid = client.task_group.create().task_group_id
    resp = client.task_group.add_runs(gid, inputs=_inputs(3, processor="ultra4x"), default_task_spec=TEXT_SPEC)
    r, sse = read_sse(http, f"/v1/tasks/groups/{gid}/runs", read_timeout=60)
    payloads = sse_payloads(sse, where="snapshot runs", allowed={"task_run.state"})
    assert {d["run"]["run_id"] for d, _ in payloads} == set(resp.run_ids)
    statuses = {d["run"]["status"] for d, _ in payloads}
    if statuses <= TERMINAL_STATUSES:
        pytest.skip("runs finished before the snapshot was taken")
    # The stream ended by itself while runs were still going: a snapshot, not a follow.
    if not client.task_group.retrieve(gid).status.is_active:
        pytest.skip("the group finished before the snapshot's end could be told apart from the group's")
    for d, m in payloads:
        assert m.output is None


# --------------------------------------------------------------------------- events stream


def test_group_events_sdk(client, http):
    gid = client.task_group.create().task_group_id
    resp = client.task_group.add_runs(gid, inputs=_inputs(3, processor="base"), default_task_spec=TEXT_SPEC)

    terminations = {}
    last_status = None
    with client.task_group.events(gid) as stream:
        for ev in stream:
            if isinstance(ev, T.TaskGroupStatusEvent):
                last_status = ev.status
                assert ev.event_id
                if not ev.status.is_active:
                    break
            elif isinstance(ev, T.TaskRunEvent):
                assert ev.run.status in TERMINAL_STATUSES, "group /events reports run terminations only"
                assert ev.output is None, "group /events carries no output"
                terminations[ev.run.run_id] = ev.run.status
            else:
                pytest.fail(f"unexpected group event {ev}")
    assert last_status is not None and not last_status.is_active
    assert last_status.num_task_runs == 3

    # Raw replay of the finished group: strictly valid, closes by itself, resumable.
    # read_sse returns only once the server closed the stream (pytest's timeout is the hang guard).
    r, sse = read_sse(http, f"/v1/tasks/groups/{gid}/events", read_timeout=60)
    assert r.status_code == 200
    payloads = sse_payloads(sse, where="group events", allowed={"task_group_status", "task_run.state", "error"})
    run_events = [d for d, _ in payloads if d["type"] == "task_run.state"]
    assert {d["run"]["run_id"] for d in run_events} == set(resp.run_ids)
    status_events = [d for d, _ in payloads if d["type"] == "task_group_status"]
    assert status_events, "no task_group_status events"
    check_group_status(status_events[-1]["status"], where="last group status event")
    assert status_events[-1]["status"]["is_active"] is False
    for d, _ in payloads:
        assert isinstance(d.get("event_id"), str) and d["event_id"], f"event without event_id: {d}"
        if d["type"] == "task_run.state":
            check_run(d["run"], where="group events run", group_id=gid)
            assert d.get("output") is None
    ids = [d["event_id"] for d, _ in payloads]
    assert len(set(ids)) == len(ids), "event_ids must be unique"

    r2, sse2 = read_sse(http, f"/v1/tasks/groups/{gid}/events", params={"last_event_id": ids[0]}, read_timeout=30)
    resumed = [d["event_id"] for d, _ in sse_payloads(sse2, where="resumed group events", allowed={"task_group_status", "task_run.state"})]
    assert ids[0] not in resumed
    assert set(resumed) <= set(ids[1:]) and resumed, f"resume after {ids[0]!r} gave {resumed}"

    # v1beta path serves the same stream.
    r3, sse3 = read_sse(http, f"/v1beta/tasks/groups/{gid}/events", read_timeout=30)
    assert r3.status_code == 200
    sse_payloads(sse3, where="v1beta group events", allowed={"task_group_status", "task_run.state"})


def test_group_events_timeout_param(client, http):
    gid = client.task_group.create().task_group_id
    client.task_group.add_runs(gid, inputs=_inputs(1, processor="ultra4x"), default_task_spec=TEXT_SPEC)
    # The unit/semantics of `timeout` are unconfirmed; only require that it is accepted.
    r, sse = read_sse(http, f"/v1/tasks/groups/{gid}/events", params={"timeout": 1}, read_timeout=30)
    assert r.status_code == 200
    sse_payloads(sse, where="group events timeout=1", allowed={"task_group_status", "task_run.state"})


# --------------------------------------------------------------------------- v1beta family & limits


def test_v1beta_group_family_raw(http):
    gid = http.post("/v1beta/tasks/groups", json={"metadata": {"k": "v"}}).json()["taskgroup_id"]
    r = http.post(f"/v1beta/tasks/groups/{gid}/runs", json={"inputs": _inputs(2), "default_task_spec": TEXT_SPEC})
    assert r.status_code == 200, r.text[:300]
    body = strict(T.TaskGroupRunResponse, r.json(), where="v1beta add runs")

    def inactive():
        return not http.get(f"/v1beta/tasks/groups/{gid}").json()["status"]["is_active"]

    wait_until(inactive, timeout=60, what="v1beta group inactive")
    check_group(http.get(f"/v1beta/tasks/groups/{gid}").json(), where="v1beta get group", metadata={"k": "v"})
    rs, sse = read_sse(http, f"/v1beta/tasks/groups/{gid}/runs", params={"include_output": "true"})
    assert rs.status_code == 200
    payloads = sse_payloads(sse, where="v1beta runs", allowed={"task_run.state"})
    assert {d["run"]["run_id"] for d, _ in payloads} == set(body.run_ids)
    one = http.get(f"/v1beta/tasks/groups/{gid}/runs/{body.run_ids[0]}")
    assert one.status_code == 200
    check_run(one.json(), where="v1beta group run", group_id=gid)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_add_runs_1001_inputs_is_422(http, prefix):
    gid = http.post(f"{prefix}/tasks/groups", json={}).json()["taskgroup_id"]
    r = http.post(f"{prefix}/tasks/groups/{gid}/runs", json={"inputs": _inputs(1001)})
    check_fastapi_422(r, where=f"{prefix} add 1001 runs")
    g = http.get(f"{prefix}/tasks/groups/{gid}").json()
    assert g["status"]["num_task_runs"] == 0, "a rejected batch must not create runs"


def test_add_runs_1000_inputs_ok(client):
    gid = client.task_group.create().task_group_id
    resp = client.task_group.add_runs(
        gid, inputs=_inputs(1000), default_task_spec=TEXT_SPEC, refresh_status=False, timeout=120
    )
    assert len(resp.run_ids) == 1000 and len(set(resp.run_ids)) == 1000
    g = client.task_group.retrieve(gid)
    assert g.status.num_task_runs == 1000


def test_add_runs_malformed_body_is_fastapi_422(http):
    gid = http.post("/v1/tasks/groups", json={}).json()["taskgroup_id"]
    for body in ({}, {"inputs": "nope"}, {"inputs": [{"input": "x"}]}):
        r = http.post(f"/v1/tasks/groups/{gid}/runs", json=body)
        check_fastapi_422(r, where=f"add runs body={body}")


def test_group_with_failed_runs(client, http, set_faults):
    set_faults(run_failure_rate=1.0)
    gid = client.task_group.create().task_group_id
    resp = client.task_group.add_runs(gid, inputs=_inputs(2), default_task_spec=TEXT_SPEC)
    final = _wait_group(client, gid)
    assert final.status.task_run_status_counts.get("failed") == 2, final.status.task_run_status_counts
    events = list(client.task_group.get_runs(gid, include_output=True))
    for ev in events:
        assert ev.run.status == "failed" and ev.run.error is not None
        assert ev.output is None, "output only when status == completed"
    r, sse = read_sse(http, f"/v1/tasks/groups/{gid}/runs", params={"include_output": "true", "status": "failed"})
    for d, _ in sse_payloads(sse, where="failed runs", allowed={"task_run.state"}):
        check_run(d["run"], where="failed group run", group_id=gid)
    assert len(sse) == 2


@pytest.mark.slow
def test_group_events_sdk_survives_idle_heartbeat(client):
    """A group /events stream that stays idle long enough to send a keep-alive must stay
    parseable by the SDK.  The SDK's SSE decoder keeps ``last_event_id`` across events, so
    after an ``id:`` line a comment followed by a blank line (``: ping\\n\\n``) is dispatched as
    an event with empty data and ``sse.json()`` raises."""
    gid = client.task_group.create().task_group_id
    client.task_group.add_runs(gid, inputs=[{"input": "a", "processor": "lite"}])
    _wait_group(client, gid)
    # "idle-gap-5" on ultra8x takes >12 s with --time-factor 0.002 (the sandbox derives latency
    # from the input), leaving a >10 s gap with no events after the replayed termination.
    client.task_group.add_runs(gid, inputs=[{"input": "idle-gap-5", "processor": "ultra8x"}])
    started = time.monotonic()
    seen = []
    with client.task_group.events(gid, timeout=60) as stream:
        for ev in stream:
            seen.append(ev)
            if isinstance(ev, T.TaskGroupStatusEvent) and not ev.status.is_active:
                break
    elapsed = time.monotonic() - started
    if elapsed < 10.5:
        pytest.skip(f"the long run finished after {elapsed:.1f}s; no idle gap to exercise keep-alives")
    assert isinstance(seen[-1], T.TaskGroupStatusEvent) and not seen[-1].status.is_active
    assert sum(isinstance(e, T.TaskRunEvent) for e in seen) == 2
