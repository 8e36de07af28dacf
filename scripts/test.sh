#!/usr/bin/env bash
# The whole test suite, as CI runs it: build (failing on any warning in our code),
# the Swift tests, then the conformance suite (official Python SDKs — parallel-web, mcp,
# fastmcp, schemathesis — against a live task-mcp and sandbox).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> swift build --build-tests"
build_log="$(mktemp)"
trap 'rm -f "$build_log"' EXIT
if ! swift build --build-tests 2>&1 | tee "$build_log"; then
    echo "build failed" >&2
    exit 1
fi
# Warnings in our own sources fail the build (dependencies' warnings are not ours to fix).
if grep -E "^$(pwd)/(Sources|Tests)/.*: warning:" "$build_log" | sort -u | grep . ; then
    echo "warnings in project sources (above): fix them" >&2
    exit 1
fi

echo "==> swift test"
# Without TASK_MCP_TEST_POSTGRES_URL the store suites run on SQLite only; PostgreSQL comes next,
# on its own, so that its cluster's work does not load the machine under the rest of the suite.
env -u TASK_MCP_TEST_POSTGRES_URL swift test --skip-build

echo "==> swift test: the store suites and serving on PostgreSQL"
# They run against a throwaway cluster (Debian's postgresql package), or the one
# TASK_MCP_TEST_POSTGRES_URL names. Without either they are skipped, unless REQUIRE_POSTGRES=1
# (as in CI), which makes a missing cluster an error.
if [ -z "${TASK_MCP_TEST_POSTGRES_URL:-}" ]; then
    pg_dir="$(mktemp -d /tmp/task-mcp-pg.XXXXXX)"
    trap 'rm -f "$build_log"; bash scripts/postgres-cluster.sh stop "$pg_dir"' EXIT
    if url="$(bash scripts/postgres-cluster.sh start "$pg_dir")"; then
        export TASK_MCP_TEST_POSTGRES_URL="$url"
        echo "started $url"
    elif [ "${REQUIRE_POSTGRES:-0}" = 1 ]; then
        echo "could not start PostgreSQL, which REQUIRE_POSTGRES=1 asks for" >&2
        exit 1
    else
        echo "PostgreSQL not available: its store tests are skipped"
    fi
fi
if [ -n "${TASK_MCP_TEST_POSTGRES_URL:-}" ]; then
    swift test --skip-build --filter 'StoreContractTests|PostgresStorageTests|PostgresServingTests|ReplicaSignalsTests'
fi

echo "==> conformance venv"
venv="${CONFORMANCE_VENV:-.venv-conformance}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r conformance/requirements.txt
# The 2025-11-25 tasks client lives in the mcp 1.x line, which cannot share a venv with mcp 2.x.
tasks_venv="${CONFORMANCE_TASKS_VENV:-.venv-conformance-tasks2025}"
if [ ! -x "$tasks_venv/bin/python" ]; then
    python3 -m venv "$tasks_venv"
fi
"$tasks_venv/bin/python" -m pip install --quiet --disable-pip-version-check -r conformance/requirements-tasks-2025.txt
echo "==> Dockerfile lint (hadolint; ignored rules and why in .hadolint.yaml)"
"$venv/bin/hadolint" Dockerfile
echo "==> docker-compose.yml against the compose-spec schema"
"$venv/bin/check-jsonschema" --builtin-schema vendor.compose-spec docker-compose.yml

echo "==> conformance (pytest)"
# test_replicas.py starts its own PostgreSQL cluster, three task-mcp replicas on it and nginx in
# front. Without PostgreSQL's server binaries or nginx it is skipped (pytest's summary gives the
# reason, and the closing line the counts), unless REQUIRE_POSTGRES=1 (CI), which makes that an error.
bin="$(swift build --show-bin-path)"
SANDBOX_BIN="$bin/parallel-sandbox" TASK_MCP_BIN="$bin/task-mcp" TASKS_2025_PYTHON="$tasks_venv/bin/python" \
    "$venv/bin/python" -m pytest -q conformance
