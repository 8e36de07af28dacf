"""Property-based tests of task-mcp's REST API from its own ``/openapi.json`` (schemathesis 4).

Three families, each one pytest item per operation (and generation mode):

* ``test_no_server_errors``: positive and negative (schema-violating) requests never get a 5xx.
* ``test_responses_match_the_spec``: status codes, content types, headers and bodies are the
  ones the document declares.
* ``test_input_validation_matches_the_spec``: schema-valid bodies are accepted and
  schema-violating ones rejected (``positive_data_acceptance`` / ``negative_data_rejection``).

Left out, on purpose:

* ``/mcp``: one generic JSON-RPC envelope whose meaning depends on ``method`` and on the
  protocol era; test_mcp_http.py and the SDK tests cover it.
* the ``ignored_auth`` check: task-mcp cannot tell a wrong Parallel API key from a right one
  until Parallel sees it, so any well-formed key is a caller of its own (``GET /v1/tasks``
  answers 200 with that key's, empty, list). With two credentials the bearer one wins, which
  the check also reads as "invalid credentials accepted".
* ``positive_data_acceptance`` on ``POST /v1/multitask``: ``inputs`` may be CSV text and
  ``output`` a field list or a JSON schema; whether such a string is usable (a header row
  plus data rows, parsable field names) cannot be said in JSON Schema, so schema-valid
  bodies are rightly refused with 400.

``schemathesis.pytest.from_fixture`` (the lazy loader) does not work with pytest 9
(schemathesis 4.32.5 reads ``request.node._nodeid``), so the operations are listed here and
a guard test fails when the document gains or loses one.
"""

from __future__ import annotations

from typing import Any, Callable

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from _support import DEMO_KEY

MAX_EXAMPLES = 15
# /mcp has its own suites; /{task}/events is an SSE stream that stays open while the task runs
# (LiveProgressTests and test_rest_api cover it).
EXCLUDED_PATHS = {"/mcp", "/{task}/events"}
# (method, path, takes input): operations without any parameter or body have nothing to
# mutate, so they only run in positive mode.
OPERATIONS = [
    ("GET", "/healthz", False),
    ("GET", "/openapi.json", False),
    ("POST", "/v1/deep-research", True),
    ("POST", "/v1/multitask", True),
    ("GET", "/v1/tasks", True),
    ("GET", "/v1/tasks/{id}", True),
    ("DELETE", "/v1/tasks/{id}/links", True),
    ("POST", "/v1/uploads", False),
    ("PUT", "/v1/uploads/{id}", True),
    ("GET", "/{task}", True),
]
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
RESPONSE_CHECKS = [status_code_conformance, content_type_conformance, response_headers_conformance, response_schema_conformance]


def _params(with_modes: bool) -> list:
    out = []
    for method, path, takes_input in OPERATIONS:
        modes = MODES if (with_modes and takes_input) else [GenerationMode.POSITIVE]
        for mode in modes:
            out.append(pytest.param(method, path, mode, id=f"{method} {path} [{mode.value}]"))
    return out


@pytest.fixture(scope="module")
def api_schema(task_mcp_url: str):
    # Credentials through schemathesis's own auth config (not a header override), so that its
    # negative mode knows which requests carry valid auth and which it broke on purpose.
    config = schemathesis.Config.from_dict({"auth": {"openapi": {"bearerAuth": {"bearer": DEMO_KEY}}}})
    return schemathesis.openapi.from_url(task_mcp_url + "/openapi.json", config=config)


def fuzz(api_schema, method: str, path: str, mode: GenerationMode, checks: list[Callable[..., Any]]) -> int:
    """Generate up to MAX_EXAMPLES cases and validate each response; returns how many ran."""
    operation = api_schema[path][method]
    ran = [0]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,  # the same requests on every run: a failure is reproducible
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        ran[0] += 1
        case.call_and_validate(checks=checks)

    run()
    return ran[0]


def test_operation_list_matches_the_document(tm_anon: httpx.Client) -> None:
    doc = tm_anon.get("/openapi.json").json()
    methods = {"get", "put", "post", "delete", "patch", "head", "options"}
    documented = {
        (m.upper(), p) for p, item in doc["paths"].items() for m in item if m in methods and p not in EXCLUDED_PATHS
    }
    listed = {(m, p) for m, p, _ in OPERATIONS}
    assert documented == listed, f"not fuzzed: {sorted(documented - listed)}; no longer documented: {sorted(listed - documented)}"


@pytest.mark.parametrize("method, path, mode", _params(with_modes=True))
def test_no_server_errors(api_schema, method: str, path: str, mode: GenerationMode) -> None:
    assert fuzz(api_schema, method, path, mode, [not_a_server_error]) >= 1


@pytest.mark.parametrize("method, path, mode", _params(with_modes=True))
def test_responses_match_the_spec(api_schema, method: str, path: str, mode: GenerationMode) -> None:
    fuzz(api_schema, method, path, mode, RESPONSE_CHECKS)


@pytest.mark.parametrize(
    "method, path, mode",
    [
        p
        for p in _params(with_modes=True)
        if p.values[1] not in ("/healthz", "/openapi.json")
        and not (p.values[1] == "/v1/multitask" and p.values[2] == GenerationMode.POSITIVE)
        # An upload's id and secret must be the ones POST /v1/uploads issued: schema-valid random
        # ones are rightly refused (404), which JSON Schema cannot express.
        and not (p.values[1] == "/v1/uploads/{id}" and p.values[2] == GenerationMode.POSITIVE)
        # previous_interaction_id must name an existing, completed interaction: schema-valid
        # random ids are rightly refused (400, from Parallel's 422), which JSON Schema cannot express.
        and not (p.values[1] == "/v1/deep-research" and p.values[2] == GenerationMode.POSITIVE)
    ],
)
def test_input_validation_matches_the_spec(api_schema, method: str, path: str, mode: GenerationMode) -> None:
    check = positive_data_acceptance if mode == GenerationMode.POSITIVE else negative_data_rejection
    fuzz(api_schema, method, path, mode, [check])
