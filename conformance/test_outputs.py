"""Synthetic outputs: json (validates against the given schema), text (markdown + basis 'output'),
auto (nested JSON + output_schema + dotted basis).  Every result is strictly validated."""

from __future__ import annotations

import re

import jsonschema
import pytest
from parallel import types as T

from _support import CITATION_HOSTS, check_citation_url, check_result, json_schema_example, resolve_path


def _result(client, http, **create):
    run = client.task_run.create(**create)
    r = http.get(f"/v1/tasks/runs/{run.run_id}/result", params={"timeout": 60}, timeout=90)
    assert r.status_code == 200, f"result: {r.status_code} {r.text[:300]}"
    return r.json(), check_result(r.json(), processor=create["processor"])


# --------------------------------------------------------------------------- json


@pytest.mark.parametrize("processor", ["lite", "base", "core", "pro"])
def test_json_output_validates_against_schema(client, http, processor):
    schema = json_schema_example()
    raw, res = _result(
        client,
        http,
        input="Company profile for Example Corp",
        processor=processor,
        task_spec={"output_schema": {"type": "json", "json_schema": schema}},
    )
    out = res.output
    assert isinstance(out, T.TaskRunJsonOutput)
    jsonschema.validate(out.content, schema)
    assert out.output_schema is None, "output_schema is populated only for auto schemas"

    top = set(schema["properties"])
    fields = [b.field for b in out.basis]
    assert len(fields) == len(set(fields)), f"duplicate basis fields: {fields}"
    missing = top - set(fields)
    assert not missing, f"basis lacks entries for top-level fields {sorted(missing)}"
    for f in fields:
        head, _, rest = f.partition(".")
        assert head in top, f"basis field {f!r} is not a top-level output field"
        if rest:
            # Only per-element entries of top-level arrays are allowed besides the parent.
            assert rest.isdigit() and isinstance(out.content[head], list), f"unexpected nested basis field {f!r}"


def test_json_output_field_basis_beta_adds_list_elements(client, http):
    schema = json_schema_example()
    raw, res = _result(
        client,
        http,
        input="Company profile for Example Corp",
        processor="core",
        task_spec={"output_schema": {"type": "json", "json_schema": schema}},
        betas=["field-basis-2025-11-25"],
    )
    out = res.output
    fields = {b.field for b in out.basis}
    execs = out.content["key_executives"]
    assert "key_executives" in fields, "parent entry must remain"
    for i in range(len(execs)):
        assert f"key_executives.{i}" in fields, f"missing per-element basis key_executives.{i}: {sorted(fields)}"


def test_json_output_with_object_input_and_input_schema(client, http):
    schema = {
        "type": "object",
        "properties": {"ceo": {"type": "string"}, "employees": {"type": "integer"}},
        "required": ["ceo", "employees"],
        "additionalProperties": False,
    }
    raw, res = _result(
        client,
        http,
        input={"company": "Example Corp", "website": "example.com"},
        processor="base",
        task_spec={
            "input_schema": {
                "type": "json",
                "json_schema": {
                    "type": "object",
                    "properties": {"company": {"type": "string"}, "website": {"type": "string"}},
                },
            },
            "output_schema": {"type": "json", "json_schema": schema},
        },
    )
    jsonschema.validate(res.output.content, schema)


def test_json_output_is_deterministic(client, http):
    spec = {"output_schema": {"type": "json", "json_schema": json_schema_example()}}
    raw1, _ = _result(client, http, input="Example Corp", processor="lite", task_spec=spec)
    raw2, _ = _result(client, http, input="Example Corp", processor="lite", task_spec=spec)
    assert raw1["output"]["content"] == raw2["output"]["content"]


# --------------------------------------------------------------------------- text


@pytest.mark.parametrize(
    "spec",
    [
        {"output_schema": {"type": "text", "description": "A short markdown report"}},
        {"output_schema": {"type": "text"}},
        {"output_schema": "A short markdown report"},  # bare string == text schema
    ],
    ids=["text+description", "text", "bare-string"],
)
def test_text_output_is_markdown_with_single_output_basis(client, http, spec):
    raw, res = _result(client, http, input="State of the widget market in 2025", processor="pro", task_spec=spec)
    out = res.output
    assert isinstance(out, T.TaskRunTextOutput), f"expected text output, got {raw['output'].get('type')}"
    assert isinstance(out.content, str) and out.content.strip()
    assert re.search(r"^#{1,6} \S", out.content, re.M) or re.search(r"\[[^\]]+\]\(https?://", out.content), (
        "text output should be a markdown report (headings or markdown links)"
    )
    assert len(out.basis) == 1, f"text basis must hold exactly one entry, got {len(out.basis)}"
    assert out.basis[0].field == "output"
    cites = out.basis[0].citations or []
    assert cites, "text basis should list the cited sources"
    # Inline citations: at least one cited URL (or a numbered marker) appears in the body.
    assert any(c.url in out.content for c in cites) or re.search(r"\[\d+\]", out.content), (
        "text report has no inline citations"
    )
    assert "output_schema" not in raw["output"], "text output has no output_schema field in the SDK model"


def test_text_output_on_lite(client, http):
    raw, res = _result(client, http, input="What is 2+2?", processor="lite", task_spec={"output_schema": {"type": "text"}})
    assert res.output.type == "text"
    assert [b.field for b in res.output.basis] == ["output"]


# --------------------------------------------------------------------------- auto


def _check_auto(raw, res):
    out = res.output
    assert isinstance(out, T.TaskRunJsonOutput), f"auto output must be json, got {raw['output'].get('type')}"
    assert isinstance(out.output_schema, dict) and out.output_schema, "auto output must carry output_schema"
    jsonschema.Draft202012Validator.check_schema(out.output_schema)
    jsonschema.validate(out.content, out.output_schema)
    nested = [v for v in out.content.values() if isinstance(v, (dict, list))]
    assert nested, "auto output should be a nested JSON object"
    fields = [b.field for b in out.basis]
    assert any("." in f for f in fields), f"auto basis should use dot-notation field names, got {fields}"
    for f in fields:
        resolve_path(out.content, f)


@pytest.mark.parametrize("processor", ["pro", "ultra", "core"])
def test_auto_output_schema(client, http, processor):
    raw, res = _result(
        client, http, input="Market research on electric bikes", processor=processor,
        task_spec={"output_schema": {"type": "auto"}},
    )
    _check_auto(raw, res)


@pytest.mark.parametrize("processor", ["pro", "core"])
def test_no_task_spec_means_auto(client, http, processor):
    raw, res = _result(client, http, input="Market research on electric bikes", processor=processor)
    _check_auto(raw, res)


# --------------------------------------------------------------------------- basis details


def test_basis_citations_and_confidence(client, http):
    raw, res = _result(
        client, http, input="Example Corp", processor="core",
        task_spec={"output_schema": {"type": "json", "json_schema": json_schema_example()}},
    )
    # check_result already enforced: urls on example.com/org, confidence in low/medium/high/null,
    # non-empty reasoning.  Additionally every entry should cite something.
    cited = [b.field for b in res.output.basis if b.citations]
    assert cited, "no basis entry cites any source"
    confidences = {b.confidence for b in res.output.basis}
    assert confidences - {None}, "core should report confidence levels"


@pytest.mark.parametrize("kind", ["json", "text", "auto"])
def test_citation_hosts_are_reserved_example_domains(client, http, kind):
    """Synthetic citation URLs live on the RFC 2606 example domains only."""
    spec = {
        "json": {"output_schema": {"type": "json", "json_schema": json_schema_example()}},
        "text": {"output_schema": {"type": "text"}},
        "auto": {"output_schema": {"type": "auto"}},
    }[kind]
    raw, res = _result(client, http, input="Example Corp", processor="core", task_spec=spec)
    for b in res.output.basis:
        for c in b.citations or []:
            check_citation_url(c.url, f"basis[{b.field}]", hosts=CITATION_HOSTS)
