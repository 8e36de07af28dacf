"""Task API runs through the official SDK: create, retrieve, input, result, execute, events."""

from __future__ import annotations

import jsonschema
import parallel
import pydantic
import pytest
from parallel import types as T

from _support import (
    WAITABLE_PROCESSORS,
    check_basis,
    check_error_response,
    check_result,
    check_run,
    check_timestamp,
    json_schema_example,
    read_sse,
    sse_payloads,
    strict,
    wait_until,
)

JSON_SPEC = {
    "output_schema": {
        "type": "json",
        "json_schema": {
            "type": "object",
            "properties": {
                "gdp": {"type": "string", "description": "GDP in USD with year"},
                "population": {"type": "integer", "description": "Population"},
            },
            "required": ["gdp", "population"],
            "additionalProperties": False,
        },
    }
}


# --------------------------------------------------------------------------- create / retrieve


def test_create_returns_202_queued_taskrun(http):
    body = {
        "input": "What was the GDP of France in 2023?",
        "processor": "lite",
        "metadata": {"source": "conformance", "n": 3, "ok": True, "ratio": 0.5},
        "task_spec": JSON_SPEC,
    }
    r = http.post("/v1/tasks/runs", json=body)
    assert r.status_code == 202, f"create: expected 202, got {r.status_code}: {r.text[:300]}"
    assert r.headers["content-type"].startswith("application/json")
    run = check_run(r.json(), where="create", processor="lite", group_id=None, metadata=body["metadata"])
    assert run.status == "queued", f"a fresh run should be queued, got {run.status}"
    assert run.is_active is True


def test_sdk_create_and_retrieve(client, http):
    run = client.task_run.create(input="What is the capital of France?", processor="base", metadata={"k": "v"})
    assert isinstance(run, T.TaskRun)
    assert run.status == "queued" and run.is_active
    assert run.metadata == {"k": "v"}

    again = client.task_run.retrieve(run.run_id)
    assert again.run_id == run.run_id
    assert again.interaction_id == run.interaction_id
    assert again.processor == "base"
    assert again.created_at == run.created_at

    raw = http.get(f"/v1/tasks/runs/{run.run_id}")
    assert raw.status_code == 200
    check_run(raw.json(), where="GET run", processor="base", group_id=None, metadata={"k": "v"})
    # Retrieve carries no output.
    assert "output" not in raw.json()


def test_run_lifecycle_reaches_completed(client, http):
    run = client.task_run.create(input="Who founded Parallel Web Systems?", processor="core", task_spec=JSON_SPEC)
    seen = set()

    def done():
        r = http.get(f"/v1/tasks/runs/{run.run_id}")
        cur = check_run(r.json(), where="poll", processor="core")
        seen.add(cur.status)
        return cur.status in ("completed", "failed")

    wait_until(done, timeout=60, interval=0.05, what="run to finish")
    final = client.task_run.retrieve(run.run_id)
    assert final.status == "completed", f"run ended {final.status}: {final.error}"
    assert not final.is_active
    assert seen <= {"queued", "running", "completed"}, f"unexpected statuses observed: {seen}"
    if final.modified_at and final.created_at:
        assert final.modified_at >= final.created_at


def test_retrieve_input_roundtrip(client, http):
    payload = dict(
        input={"country": "France", "year": 2023},
        processor="lite",
        metadata={"tag": "x", "num": 7},
        task_spec={
            "input_schema": {
                "type": "json",
                "json_schema": {
                    "type": "object",
                    "properties": {"country": {"type": "string"}, "year": {"type": "integer"}},
                    "required": ["country", "year"],
                    "additionalProperties": False,
                },
            },
            **JSON_SPEC,
        },
        source_policy={"include_domains": ["example.com", ".gov"], "exclude_domains": ["example.net"]},
        advanced_settings={"location": "fr"},
    )
    run = client.task_run.create(**payload)
    ri = client.task_run.retrieve_input(run.run_id)
    assert isinstance(ri, T.RunInput)

    raw = http.get(f"/v1/tasks/runs/{run.run_id}/input")
    assert raw.status_code == 200
    body = raw.json()
    model = strict(T.RunInput, body, where="GET input")
    assert model.input == payload["input"]
    assert model.processor == "lite"
    assert model.metadata == payload["metadata"]
    assert model.task_spec is not None
    assert body["task_spec"]["output_schema"] == JSON_SPEC["output_schema"]
    assert body["task_spec"]["input_schema"] == payload["task_spec"]["input_schema"]
    assert body["source_policy"]["include_domains"] == ["example.com", ".gov"]
    assert body["source_policy"]["exclude_domains"] == ["example.net"]
    assert body["advanced_settings"] == {"location": "fr"}


def test_retrieve_input_string_input(client, http):
    run = client.task_run.create(input="plain text question", processor="lite")
    raw = http.get(f"/v1/tasks/runs/{run.run_id}/input")
    model = strict(T.RunInput, raw.json(), where="GET input")
    assert model.input == "plain text question"
    assert model.processor == "lite"


def test_spec_warnings_are_valid_sdk_warnings(http):
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "string"}, "sources": {"type": "string"}},
    }  # no "required", no additionalProperties:false, a basis-duplicating field
    r = http.post(
        "/v1/tasks/runs",
        json={"input": "q", "processor": "lite", "task_spec": {"output_schema": {"type": "json", "json_schema": schema}}},
    )
    assert r.status_code == 202, r.text[:300]
    run = check_run(r.json(), where="create with warnings")
    assert run.warnings, "schema-rule violations should produce warnings, not errors"
    assert all(w.type in ("spec_validation_warning", "warning") for w in run.warnings)


# --------------------------------------------------------------------------- result


def test_result_blocks_until_completed(client, http):
    run = client.task_run.create(input="What was the GDP of France in 2023?", processor="lite", task_spec=JSON_SPEC)
    res = client.task_run.result(run.run_id, api_timeout=60)
    assert isinstance(res, T.TaskRunResult)
    assert res.run.run_id == run.run_id
    assert res.run.status == "completed"
    assert res.output.type == "json"

    raw = http.get(f"/v1/tasks/runs/{run.run_id}/result", params={"timeout": 30})
    assert raw.status_code == 200, raw.text[:300]
    checked = check_result(raw.json(), where="GET result", processor="lite")
    jsonschema.validate(checked.output.content, JSON_SPEC["output_schema"]["json_schema"])
    # Same run is idempotently retrievable, deterministic content.
    raw2 = http.get(f"/v1/tasks/runs/{run.run_id}/result")
    assert raw2.status_code == 200
    assert raw2.json()["output"] == raw.json()["output"]


def test_result_408_while_still_active(http):
    # The sandbox derives latency from the input; "q" on ultra8x takes ~7 s at time-factor 0.002.
    r = http.post("/v1/tasks/runs", json={"input": "q", "processor": "ultra8x"})
    assert r.status_code == 202
    run_id = r.json()["run_id"]
    res = http.get(f"/v1/tasks/runs/{run_id}/result", params={"timeout": 1})
    if res.status_code == 200:
        pytest.skip("ultra8x run finished within 1 s; cannot observe 408")
    check_error_response(res, 408, where="GET result?timeout=1 (active run)")
    status = http.get(f"/v1/tasks/runs/{run_id}").json()
    assert status["is_active"] is True


def test_sdk_result_raises_408_without_retries(make_client, http):
    c = make_client(max_retries=0)
    run = c.task_run.create(input="q", processor="ultra8x")
    try:
        c.task_run.result(run.run_id, api_timeout=1)
    except parallel.APIStatusError as exc:
        assert exc.status_code == 408
        strict(T.ErrorResponse, exc.body, where="SDK 408 body")
    else:
        pytest.skip("ultra8x run finished within 1 s; cannot observe 408")


def test_result_default_retries_absorb_408_and_503(make_client, set_faults):
    """/result answering 408/503 transiently is absorbed by the SDK's default retries.

    Note: SDK 1.3.7's own wait loop (lib/_time.timeout_retry_context) cannot actually
    retry -- it is a @contextmanager that yields twice, so a retryable status reaching
    it raises RuntimeError.  Only the base client's max_retries protects execute()."""
    record: list = []
    c = make_client(max_retries=2, record=record)
    run = c.task_run.create(input="What is the tallest mountain?", processor="base", task_spec=JSON_SPEC)
    set_faults(fail_next=[{"status": 408, "count": 1}, {"status": 503, "count": 1}])
    res = c.task_run.result(run.run_id, api_timeout=60)
    assert res.run.status == "completed"
    statuses = [s for (m, p, s) in record if p.endswith("/result")]
    assert sorted(statuses[:2]) == [408, 503] and statuses[-1] == 200, statuses


def test_execute_wait_loop_with_transient_503_on_create(make_client, set_faults):
    record: list = []
    c = make_client(max_retries=2, record=record)
    set_faults(fail_next=[{"status": 503, "count": 2}])
    res = c.task_run.execute(input="What is the tallest mountain?", processor="lite", output="one line", timeout=60)
    assert res.run.status == "completed" and res.output.type == "text"
    creates = [s for (m, p, s) in record if m == "POST" and p == "/v1/tasks/runs"]
    assert creates == [503, 503, 202], creates


def test_execute_with_json_schema(client):
    res = client.task_run.execute(
        input="Describe Apple Inc.",
        processor="core",
        output={"type": "json", "json_schema": json_schema_example()},
        timeout=90,
    )
    assert isinstance(res, T.TaskRunResult)
    assert res.output.type == "json"
    jsonschema.validate(res.output.content, json_schema_example())


def test_execute_with_text_description(client):
    res = client.task_run.execute(
        input="Summarise the history of the Eiffel Tower",
        processor="lite",
        output="A two-paragraph summary",
        timeout=60,
    )
    assert res.output.type == "text"
    assert isinstance(res.output.content, str) and res.output.content.strip()


class CountryFacts(pydantic.BaseModel):
    capital: str = pydantic.Field(description="Capital city")
    population: int = pydantic.Field(description="Population estimate")
    official_languages: list[str] = pydantic.Field(description="Official languages")


def test_execute_with_pydantic_output(client):
    res = client.task_run.execute(input="France", processor="base", output=CountryFacts, timeout=60)
    assert isinstance(res, T.ParsedTaskRunResult)
    assert isinstance(res.output.parsed, CountryFacts)
    assert res.output.type == "json"


def test_interaction_chaining(client):
    first = client.task_run.execute(input="Who is the CEO of Example Corp?", processor="lite", output="short answer")
    follow = client.task_run.create(
        input="And when did they start?",
        processor="lite",
        previous_interaction_id=first.run.interaction_id,
    )
    assert follow.run_id != first.run.run_id
    res = client.task_run.result(follow.run_id, api_timeout=60)
    assert res.run.status == "completed"
    ri = client.task_run.retrieve_input(follow.run_id)
    assert ri.previous_interaction_id == first.run.interaction_id


@pytest.mark.parametrize("processor", WAITABLE_PROCESSORS)
def test_every_processor_completes(client, http, processor):
    run = client.task_run.create(
        input="Give a short answer: what is 2+2?",
        processor=processor,
        task_spec={"output_schema": {"type": "text", "description": "one line"}},
    )
    assert run.processor == processor
    raw = http.get(f"/v1/tasks/runs/{run.run_id}/result", params={"timeout": 60}, timeout=90)
    assert raw.status_code == 200, f"{processor}: {raw.status_code} {raw.text[:300]}"
    res = check_result(raw.json(), where=f"result[{processor}]", processor=processor)
    assert res.output.type == "text"


def test_ultra8x_is_accepted(http):
    for p in ("ultra8x", "ultra8x-fast"):
        r = http.post("/v1/tasks/runs", json={"input": "q", "processor": p})
        assert r.status_code == 202, f"{p}: {r.status_code} {r.text[:200]}"
        check_run(r.json(), where=f"create {p}", processor=p)


def test_ids_are_unique(http):
    ids = set()
    for _ in range(20):
        r = http.post("/v1/tasks/runs", json={"input": "q", "processor": "lite"})
        assert r.status_code == 202
        ids.add(r.json()["run_id"])
    assert len(ids) == 20


# --------------------------------------------------------------------------- events (SSE)

RUN_EVENT_TYPES = {"task_run.state", "task_run.progress_stats", "task_run.progress_msg.", "error"}


def _finish(client, run_id):
    return client.task_run.result(run_id, api_timeout=60)


def test_events_sdk_completed_run(client, http):
    run = client.task_run.create(
        input="Research the history of example.com",
        processor="pro",
        enable_events=True,
        betas=["events-sse-2025-07-24"],
        task_spec={"output_schema": {"type": "text"}},
    )
    _finish(client, run.run_id)

    events = list(client.task_run.events(run.run_id))
    assert events, "no events for a completed run"
    assert isinstance(events[0], T.TaskRunEvent), f"first event should be task_run.state, got {events[0]}"
    last = events[-1]
    assert isinstance(last, T.TaskRunEvent), f"last event should be task_run.state, got {type(last).__name__}"
    assert last.run.status == "completed"
    assert last.output is not None, "final task_run.state must carry the output"
    assert last.output.type == "text"

    # Strict validation of the same stream, decoded with the SDK's SSE decoder.
    resp, sse = read_sse(http, f"/v1/tasks/runs/{run.run_id}/events", headers={"parallel-beta": "events-sse-2025-07-24"})
    assert resp.status_code == 200
    payloads = sse_payloads(sse, where="run events", allowed=RUN_EVENT_TYPES)
    types = [d["type"] for d, _ in payloads]
    assert types[0] == "task_run.state" and types[-1] == "task_run.state", types
    stats = [m for d, m in payloads if d["type"] == "task_run.progress_stats"]
    assert len(stats) <= 1, "reconnecting must replay only the latest progress_stats"
    for m in stats:
        assert 0 <= m.progress_meter <= 100
    msgs = [m for d, m in payloads if d["type"].startswith("task_run.progress_msg.")]
    assert msgs, "a pro run with enable_events should have progress messages"
    for d, m in payloads:
        if d["type"] == "task_run.state":
            check_run(d["run"], where="event.run", processor="pro")
            assert d.get("event_id") is None, "event_id is always empty for non-group runs"
        if d["type"].startswith("task_run.progress_msg.") and m.timestamp is not None:
            check_timestamp(m.timestamp, "progress_msg.timestamp")
    final = payloads[-1][1]
    check_basis(final.output.basis, "final event basis")

    # Not resumable: a second connection replays the same sequence.
    _, sse2 = read_sse(http, f"/v1/tasks/runs/{run.run_id}/events")

    def shape(evts):
        return [(j["type"], j.get("message"), (j.get("run") or {}).get("status")) for j in (e.json() for e in evts)]

    assert shape(sse2) == shape(sse), "replay differs between connections"


def test_events_v1beta_path(client, http):
    run = client.task_run.create(input="q", processor="lite", task_spec={"output_schema": {"type": "text"}})
    _finish(client, run.run_id)
    resp, sse = read_sse(http, f"/v1beta/tasks/runs/{run.run_id}/events")
    assert resp.status_code == 200
    payloads = sse_payloads(sse, where="v1beta run events", allowed=RUN_EVENT_TYPES)
    assert payloads[0][0]["type"] == "task_run.state"
    assert payloads[-1][0]["type"] == "task_run.state"
    assert payloads[-1][1].output is not None


def test_events_stream_follows_active_run(client, http):
    run = client.task_run.create(
        input="Deep research on widgets",
        processor="pro",
        enable_events=True,
        betas=["events-sse-2025-07-24"],
    )
    resp, sse = read_sse(http, f"/v1/tasks/runs/{run.run_id}/events", read_timeout=60)
    assert resp.status_code == 200
    payloads = sse_payloads(sse, where="live run events", allowed=RUN_EVENT_TYPES)
    assert payloads[0][0]["type"] == "task_run.state"
    assert payloads[-1][0]["type"] == "task_run.state"
    assert payloads[-1][1].run.status == "completed", "live stream should end with the terminal state"
    assert payloads[-1][1].output is not None


def test_events_sdk_stream_live(client):
    run = client.task_run.create(input="Deep research on gadgets", processor="pro-fast", enable_events=True)
    kinds = []
    with client.task_run.events(run.run_id) as stream:
        for ev in stream:
            kinds.append(type(ev).__name__)
            if isinstance(ev, T.TaskRunEvent) and not ev.run.is_active:
                assert ev.run.status == "completed"
                assert ev.output is not None
                break
    assert kinds and kinds[0] == "TaskRunEvent"
    assert kinds[-1] == "TaskRunEvent"


def test_async_client_flow(sandbox_url):
    """The AsyncParallel client exercises the async SSE decoder and the same models."""
    import asyncio

    async def main():
        async with parallel.AsyncParallel(api_key="sandbox-demo-key", base_url=sandbox_url, max_retries=0) as c:
            run = await c.task_run.create(input="q", processor="lite", task_spec={"output_schema": {"type": "text"}})
            res = await c.task_run.result(run.run_id, api_timeout=30)
            assert res.output.type == "text"
            events = [ev async for ev in await c.task_run.events(run.run_id)]
            assert isinstance(events[-1], T.TaskRunEvent) and events[-1].output is not None
            gid = (await c.task_group.create()).task_group_id
            added = await c.task_group.add_runs(gid, inputs=[{"input": "a", "processor": "lite"}])
            res2 = await c.task_run.execute(input="q2", processor="lite", output="one line", timeout=30)
            assert res2.run.status == "completed"
            await c.task_run.result(added.run_ids[0], api_timeout=30)
            runs = [ev async for ev in await c.task_group.get_runs(gid, include_output=True)]
            assert [e.run.run_id for e in runs] == added.run_ids

    asyncio.run(main())
