#!/usr/bin/env bash
# Load benchmark of a release task-mcp over real sockets, apart from the tests (neither
# scripts/test.sh nor CI runs it). It starts, on free loopback ports:
#   - parallel-sandbox (the upstream, near-instant runs),
#   - task-mcp serve pointed at it (not --sandbox; a fresh temporary SQLite database),
#   - a bare Hummingbird route answering task-mcp's own tools/list bytes
#     (task-mcp-benchmarks --bare-route), the floor for tools/list,
#   - a FastMCP peer (Benchmarks/load/peer_fastmcp.py: the same four tools on FastMCP and the
#     parallel-web SDK, stateless Streamable HTTP with JSON answers), against the same sandbox,
# then measures with wrk (Benchmarks/load/mcp.lua): tools/list and an authenticated
# tools/call getStatus at 1 and 32 connections (and, as getStatus's floor, the sandbox's own GET of
# the run it reads); a 10,000-row group created through task-mcp
# (CPU seconds and RSS growth of the task-mcp process, first and later result page); idle RSS and
# start-to-ready time. Prints one markdown table. Any non-2xx answer or JSON-RPC/tool error under
# load fails the run (BENCH_ALLOW_ERRORS=1 reports and goes on), so the figures are of answers
# that worked. Everything it started is stopped on exit, failure included.
#
#   bash scripts/benchmark-load.sh [--skip-build] [--quick] [--duration S] [--warmup S]
#                                  [--rows N] [--reads N] [--later-page N] [--keep-temp]
#
# Environment: BENCH_SCRATCH_PATH (swift build --scratch-path, default .build),
# BENCH_VENV (the peer's venv, default .build-bench-venv), BENCH_WRK_THREADS (default 1: on a
# small machine wrk should take as little CPU from the servers as it can), BENCH_ALLOW_ERRORS,
# BENCH_PERF_OUT (a file: `perf record -g` of task-mcp during the tools/list run at 32 connections).
# Figures are only comparable within one run: the servers, the sandbox and wrk share the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

skip_build=0
duration=10
warmup=2
rows=10000
reads=5
later_page=5
keep_temp=0
while [ $# -gt 0 ]; do
    case "$1" in
        --skip-build) skip_build=1 ;;
        --quick) duration=3; warmup=1; reads=3 ;;
        --duration) duration="$2"; shift ;;
        --warmup) warmup="$2"; shift ;;
        --rows) rows="$2"; shift ;;
        --reads) reads="$2"; shift ;;
        --later-page) later_page="$2"; shift ;;
        --keep-temp) keep_temp=1 ;;
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 64 ;;
    esac
    shift
done

scratch="${BENCH_SCRATCH_PATH:-.build}"
venv="${BENCH_VENV:-.build-bench-venv}"
wrk_threads="${BENCH_WRK_THREADS:-1}"
key=sandbox-demo-key
protocol=2025-11-25
helper=(python3 "$repo/Benchmarks/load/helper.py")

fail() { echo "benchmark-load: $*" >&2; exit 1; }
note() { echo "==> $*" >&2; }

# MARK: tools

if ! command -v wrk >/dev/null; then
    note "installing wrk (Debian package)"
    if [ "$(id -u)" = 0 ]; then sudo=(); else sudo=(sudo); fi
    "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq wrk >/dev/null
fi
for tool in wrk curl python3 ${BENCH_PERF_OUT:+perf}; do command -v "$tool" >/dev/null || fail "$tool is needed"; done

if [ "$skip_build" = 0 ]; then
    note "swift build -c release --scratch-path $scratch"
    swift build -c release --scratch-path "$scratch" >&2
fi
bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)"
for product in task-mcp parallel-sandbox task-mcp-benchmarks; do
    [ -x "$bin/$product" ] || fail "$bin/$product is missing: build without --skip-build"
done

# The peer's venv, reinstalled only when requirements.txt changes.
requirements="$repo/Benchmarks/load/requirements.txt"
stamp="$venv/.requirements.sha256"
wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    note "FastMCP peer venv in $venv"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    echo "$wanted" > "$stamp"
fi

# MARK: processes, stopped on any exit

tmp="$(mktemp -d /tmp/task-mcp-load.XXXXXX)"
pids=()
cleanup() {
    local status=$?
    for pid in "${pids[@]}"; do [ -n "$pid" ] && { kill -TERM "$pid" 2>/dev/null || true; }; done
    for pid in "${pids[@]}"; do
        [ -n "$pid" ] || continue
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ "$status" != 0 ]; then
        for log in "$tmp"/*.log; do
            [ -s "$log" ] && { echo "--- last lines of $log" >&2; tail -n 15 "$log" >&2; }
        done
    fi
    if [ "$keep_temp" = 1 ]; then echo "temporary files kept in $tmp" >&2; else rm -rf "$tmp"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Waits for a process's first stdout line `<name> listening on http://…` and prints the URL.
listening_url() {
    local out="$1" name="$2" pid="$3"
    for _ in $(seq 600); do
        if [ -s "$out" ]; then
            local url
            url="$(head -n 1 "$out" | sed -n "s|^$name listening on \(http://[0-9.]*:[0-9]*\).*|\1|p")"
            [ -n "$url" ] || fail "$name printed '$(head -n 1 "$out")' instead of its listening line"
            echo "$url"
            return
        fi
        kill -0 "$pid" 2>/dev/null || fail "$name exited before it listened"
        sleep 0.05
    done
    fail "$name did not listen within 30 s"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat, counted after
# the parenthesised command name, which may contain spaces).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
ticks_per_second="$(getconf CLK_TCK)"

# POSTs a JSON-RPC body file to an /mcp URL with the benchmark's headers; writes the answer to
# $3; prints the HTTP status and the total time in seconds.
post() {
    curl -sS -o "$3" -w '%{http_code} %{time_total}\n' --max-time 120 "$1/mcp" \
        -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
        -H "MCP-Protocol-Version: $protocol" -H "Authorization: Bearer $key" --data-binary "@$2"
}

# Checks one answer outside the load: 200 and a JSON-RPC result without isError.
check_call() {
    local url="$1" body="$2" out="$3" status
    read -r status _ < <(post "$url" "$body" "$out")
    [ "$status" = 200 ] || fail "$url/mcp answered $status to $(head -c 200 "$body"): $(head -c 400 "$out")"
    "${helper[@]}" check "$out" || fail "$url/mcp: the answer above is an error"
}

results="$tmp/results.env"
: > "$results"
record() { echo "$1=$2" >> "$results"; }

# MARK: start

note "parallel-sandbox"
"$bin/parallel-sandbox" --host 127.0.0.1 --port 0 --profile test --credits 1000000 --rate-limit 100000 \
    > "$tmp/sandbox.out" 2> "$tmp/sandbox.log" &
pids+=($!)
sandbox="$(listening_url "$tmp/sandbox.out" parallel-sandbox "${pids[-1]}")"

note "task-mcp serve (upstream $sandbox)"
port="$(free_port)"
taskmcp="http://127.0.0.1:$port"
# A clean environment: no TASK_MCP_* setting of the caller's leaks in (defaults apply).
taskmcp_env=(env -i "PATH=$PATH" "HOME=${HOME:-/tmp}"
    TASK_MCP_HOST=127.0.0.1 "TASK_MCP_PORT=$port" "PARALLEL_API_BASE_URL=$sandbox"
    "TASK_MCP_DATABASE=$tmp/task-mcp.sqlite" "TASK_MCP_SECRET_KEY=$(head -c 32 /dev/urandom | base64)")
started="$EPOCHREALTIME"
"${taskmcp_env[@]}" "$bin/task-mcp" serve > "$tmp/task-mcp.out" 2> "$tmp/task-mcp.log" &
taskmcp_pid=$!
pids+=("$taskmcp_pid")
ready=""
for _ in $(seq 3000); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "$taskmcp/readyz" 2>/dev/null)" = 200 ]; then
        ready="$EPOCHREALTIME"
        break
    fi
    kill -0 "$taskmcp_pid" 2>/dev/null || fail "task-mcp exited at start"
    sleep 0.005
done
[ -n "$ready" ] || fail "task-mcp's /readyz did not answer 200 within 30 s"
record start_s "$(python3 -c "print(f'{$ready - $started:.4f}')")"
sleep 1
record idle_rss_mb "$(awk -v kb="$(rss_kb "$taskmcp_pid")" 'BEGIN { printf "%.1f", kb / 1024 }')"

"${helper[@]}" call tools/list '{}' > /dev/null  # the helper works before anything depends on it
echo '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' > "$tmp/list.json"
read -r status _ < <(post "$taskmcp" "$tmp/list.json" "$tmp/tools-list.out")
[ "$status" = 200 ] || fail "task-mcp tools/list answered $status: $(head -c 400 "$tmp/tools-list.out")"
grep -q '"tools"' "$tmp/tools-list.out" || fail "task-mcp tools/list has no tools: $(head -c 400 "$tmp/tools-list.out")"

note "bare route ($(wc -c < "$tmp/tools-list.out") bytes, task-mcp's tools/list answer)"
"$bin/task-mcp-benchmarks" --bare-route --body-file "$tmp/tools-list.out" --port 0 > "$tmp/bare.out" 2> "$tmp/bare.log" &
pids+=($!)
bare="$(listening_url "$tmp/bare.out" bare-route "${pids[-1]}")"

note "FastMCP peer"
"$venv/bin/python" "$repo/Benchmarks/load/peer_fastmcp.py" --upstream "$sandbox" --port 0 \
    > "$tmp/peer.out" 2> "$tmp/peer.log" &
pids+=($!)
peer="$(listening_url "$tmp/peer.out" fastmcp-peer "${pids[-1]}")"
for _ in $(seq 100); do
    read -r status _ < <(post "$peer" "$tmp/list.json" "$tmp/peer-list.out" 2>/dev/null || echo 000)
    [ "$status" = 200 ] && break
    sleep 0.1
done
[ "$status" = 200 ] || fail "the FastMCP peer's tools/list answered $status"

# The run getStatus asks about: created in the sandbox beforehand, finished, read by both gateways.
run_id="$(curl -sS "$sandbox/v1/tasks/runs" -H "x-api-key: $key" -H 'Content-Type: application/json' \
    -d '{"input": "What does the load benchmark measure?", "processor": "base"}' \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["run_id"])')"
curl -sS -o /dev/null --max-time 60 "$sandbox/v1/tasks/runs/$run_id/result?timeout=30" -H "x-api-key: $key"
"${helper[@]}" call getStatus "{\"taskRunOrGroupId\": \"$run_id\"}" > "$tmp/status.json"
check_call "$taskmcp" "$tmp/status.json" "$tmp/status-taskmcp.out"
check_call "$peer" "$tmp/status.json" "$tmp/status-peer.out"

# MARK: load

errors_seen=0
# wrk against one target: warm-up (discarded), then the measured run; records <name>_rps etc.
load() {
    local name="$1" url="$2" body="$3" connections="$4" line sample upstream_key=""
    local threads=$(( wrk_threads < connections ? wrk_threads : connections ))
    # A body of "-" means: GET the URL itself from the sandbox, as the gateways do.
    if [ "$body" = - ]; then upstream_key="$key"; else url="$url/mcp"; fi
    note "wrk $name: $connections connection(s), ${warmup}s warm-up + ${duration}s"
    BENCH_BODY_FILE="$body" BENCH_TOKEN="$key" BENCH_PROTOCOL="$protocol" BENCH_UPSTREAM_KEY="$upstream_key" \
        wrk -t "$threads" -c "$connections" -d "${warmup}s" -s "$repo/Benchmarks/load/mcp.lua" "$url" > /dev/null
    local perf_pid=""
    if [ -n "${BENCH_PERF_OUT:-}" ] && [ "$name" = taskmcp_list_c32 ]; then
        perf record -g -o "$BENCH_PERF_OUT" -p "$taskmcp_pid" -- sleep "$duration" > "$tmp/perf.log" 2>&1 &
        perf_pid=$!
        pids+=("$perf_pid")
    fi
    BENCH_BODY_FILE="$body" BENCH_TOKEN="$key" BENCH_PROTOCOL="$protocol" BENCH_UPSTREAM_KEY="$upstream_key" \
        wrk -t "$threads" -c "$connections" -d "${duration}s" -s "$repo/Benchmarks/load/mcp.lua" "$url" \
        > "$tmp/wrk-$name.txt"
    if [ -n "$perf_pid" ]; then
        wait "$perf_pid" || echo "benchmark-load: perf record failed: $(tail -n 3 "$tmp/perf.log")" >&2
        local kept=() pid
        for pid in "${pids[@]}"; do [ "$pid" = "$perf_pid" ] || kept+=("$pid"); done
        pids=("${kept[@]}")
        echo "    perf profile of task-mcp under this load: $BENCH_PERF_OUT (perf report -i $BENCH_PERF_OUT)" >&2
    fi
    line="$(grep '^BENCH ' "$tmp/wrk-$name.txt")" || fail "wrk printed no figures for $name: $(cat "$tmp/wrk-$name.txt")"
    for pair in ${line#BENCH }; do record "${name}_${pair%%=*}" "${pair#*=}"; done
    echo "    ${line#BENCH }" >&2
    local bad
    bad="$(awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] ~ /non2xx|rpc_errors|tool_errors|socket_errors|timeouts/) n += kv[2] } } END { print n + 0 }' <<< "$line")"
    if [ "$bad" != 0 ]; then
        sample="$(sed -n 's/^BENCH_SAMPLE //p' "$tmp/wrk-$name.txt")"
        echo "benchmark-load: $name had $bad failed answers under load; first: ${sample:-(a socket error or timeout)}" >&2
        errors_seen=1
        [ "${BENCH_ALLOW_ERRORS:-0}" = 1 ] || exit 1
    fi
}

for connections in 1 32; do
    load "taskmcp_list_c$connections" "$taskmcp" "$tmp/list.json" "$connections"
    load "bare_list_c$connections" "$bare" "$tmp/list.json" "$connections"
    load "peer_list_c$connections" "$peer" "$tmp/list.json" "$connections"
done
for connections in 1 32; do
    load "taskmcp_status_c$connections" "$taskmcp" "$tmp/status.json" "$connections"
    load "peer_status_c$connections" "$peer" "$tmp/status.json" "$connections"
    # The floor of getStatus: the one upstream read both gateways make, asked of the sandbox directly.
    load "bare_status_c$connections" "$sandbox/v1/tasks/runs/$run_id" - "$connections"
done

# MARK: a large group through task-mcp

note "createTaskGroup with $rows rows through task-mcp"
record group_rows "$rows"
"${helper[@]}" group-body "$rows" > "$tmp/group.json"
rss_before="$(rss_kb "$taskmcp_pid")"
cpu_before="$(cpu_ticks "$taskmcp_pid")"
read -r status wall < <(post "$taskmcp" "$tmp/group.json" "$tmp/group.out")
cpu_after="$(cpu_ticks "$taskmcp_pid")"
[ "$status" = 200 ] || fail "createTaskGroup answered $status: $(head -c 400 "$tmp/group.out")"
"${helper[@]}" check "$tmp/group.out" || fail "createTaskGroup failed"
group_id="$("${helper[@]}" field "$tmp/group.out" taskgroup_id)"
failed="$("${helper[@]}" field "$tmp/group.out" failed_rows)"
[ -n "$group_id" ] || fail "createTaskGroup returned no taskgroup_id: $(head -c 400 "$tmp/group.out")"
case "$failed" in ""|"[]") ;; *) fail "createTaskGroup could not add some rows: $failed" ;; esac
record group_create_cpu_s "$(awk -v t="$((cpu_after - cpu_before))" -v hz="$ticks_per_second" 'BEGIN { printf "%.2f", t / hz }')"
record group_create_wall_s "$wall"
echo "    $group_id: ${wall}s, $((cpu_after - cpu_before)) CPU ticks" >&2

note "waiting for $group_id to finish in the sandbox"
"${helper[@]}" call getStatus "{\"taskRunOrGroupId\": \"$group_id\"}" > "$tmp/group-status.json"
waited_from="$EPOCHREALTIME"
for _ in $(seq 1200); do
    check_call "$taskmcp" "$tmp/group-status.json" "$tmp/group-status.out"
    [ "$("${helper[@]}" field "$tmp/group-status.out" results_ready)" = true ] && break
    sleep 0.5
done
[ "$("${helper[@]}" field "$tmp/group-status.out" results_ready)" = true ] || fail "$group_id did not finish within 10 minutes"
record group_finish_s "$(python3 -c "print(f'{$EPOCHREALTIME - $waited_from:.1f}')")"
record group_rss_created_mb "$(awk -v a="$rss_before" -v b="$(rss_kb "$taskmcp_pid")" 'BEGIN { printf "%.1f", (b - a) / 1024 }')"

# Times `reads` reads of one page (every answer checked, the last one kept for its cursor); records
# the median and the first read.
time_page() {
    local name="$1" cursor="$2" times=() status seconds arguments
    arguments="{\"taskRunOrGroupId\": \"$group_id\"${cursor:+, \"cursor\": \"$cursor\"}}"
    "${helper[@]}" call getResultMarkdown "$arguments" > "$tmp/$name.json"
    for _ in $(seq "$reads"); do
        read -r status seconds < <(post "$taskmcp" "$tmp/$name.json" "$tmp/$name.out")
        [ "$status" = 200 ] || fail "getResultMarkdown ($name) answered $status: $(head -c 400 "$tmp/$name.out")"
        "${helper[@]}" check "$tmp/$name.out" || fail "getResultMarkdown ($name) failed"
        times+=("$seconds")
    done
    record "${name}_ms" "$(python3 -c "import statistics, sys; print(f'{statistics.median(map(float, sys.argv[1:])) * 1000:.1f}')" "${times[@]}")"
    record "${name}_first_ms" "$(python3 -c "import sys; print(f'{float(sys.argv[1]) * 1000:.1f}')" "${times[0]}")"
    echo "    $name: ${times[*]} s" >&2
}

note "getResultMarkdown: page 1, $reads reads"
time_page page1 ""
cursor="$("${helper[@]}" cursor "$tmp/page1.out")"
page=1
# Walk the cursors to the later page asked for (or the last one), reading each page once.
while [ -n "$cursor" ] && [ "$page" -lt "$((later_page - 1))" ]; do
    "${helper[@]}" call getResultMarkdown "{\"taskRunOrGroupId\": \"$group_id\", \"cursor\": \"$cursor\"}" > "$tmp/walk.json"
    check_call "$taskmcp" "$tmp/walk.json" "$tmp/walk.out"
    next="$("${helper[@]}" cursor "$tmp/walk.out")"
    [ -n "$next" ] || break
    cursor="$next"
    page=$((page + 1))
done
if [ -n "$cursor" ]; then
    page=$((page + 1))
    note "getResultMarkdown: page $page, $reads reads"
    time_page pagen "$cursor"
    record pagen_index "$page"
else
    record pagen_ms "n/a (one page)"
fi
# How many pages the result has, for the table (from page 1's own "Page 1 of N" line).
record page_count "$(grep -o 'Page 1 of [0-9]*' "$tmp/page1.out" | head -n 1 | awk '{ print $4 }')"
record group_rss_growth_mb "$(awk -v a="$rss_before" -v b="$(rss_kb "$taskmcp_pid")" 'BEGIN { printf "%.1f", (b - a) / 1024 }')"

# MARK: report

cat <<EOF

## task-mcp load benchmark

$(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (modified)'), $(nproc) cores, release build ($bin).
wrk $wrk_threads thread(s), ${warmup}s warm-up then ${duration}s per case; MCP-Protocol-Version $protocol, bearer API key.
Floor: for tools/list a bare Hummingbird route answering task-mcp's tools/list bytes ($(wc -c < "$tmp/tools-list.out") B); for getStatus the sandbox's GET /v1/tasks/runs/{id} asked directly (the upstream read each getStatus makes).
FastMCP peer: fastmcp 4.1.2 + parallel-web 1.3.7, stateless, JSON answers. Upstream for both gateways: parallel-sandbox --profile test.

EOF
"${helper[@]}" report "$results"
[ "$errors_seen" = 0 ] || echo $'\n'"Some answers under load were errors (BENCH_ALLOW_ERRORS=1): see above." >&2
