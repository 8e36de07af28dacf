"""Small JSON chores for scripts/benchmark-load.sh (system python3, standard library only).

    helper.py call NAME ARGS_JSON          a tools/call request body on stdout
    helper.py group-body ROWS              createTaskGroup with ROWS inputs, on stdout
    helper.py check FILE                   exit 1 (and say why) unless FILE is a JSON-RPC result without isError
    helper.py field FILE KEY               structuredContent[KEY] of the tool result in FILE
    helper.py cursor FILE                  the next-page cursor in a getResultMarkdown page ('' on the last page)
    helper.py median NUMBERS...            the median
    helper.py report RESULTS_FILE          the markdown table, from the key=value lines the script wrote
"""

from __future__ import annotations

import json
import re
import statistics
import sys

CURSOR = re.compile(r'cursor "([A-Za-z0-9_\-=]+)" for the next page')


def tool_result(path: str) -> dict:
    with open(path, "rb") as file:
        message = json.loads(file.read())
    if "result" not in message:
        raise SystemExit(f"{path}: JSON-RPC error: {json.dumps(message.get('error'))[:400]}")
    result = message["result"]
    if result.get("isError"):
        text = " ".join(block.get("text", "") for block in result.get("content", []))
        raise SystemExit(f"{path}: tool error: {text[:400]}")
    return result


def call_body(name: str, arguments: dict, request_id: int = 1) -> str:
    return json.dumps(
        {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": {"name": name, "arguments": arguments}},
        separators=(",", ":"),
    )


def report(path: str) -> None:
    values: dict[str, str] = {}
    with open(path) as file:
        for line in file:
            key, _, value = line.rstrip("\n").partition("=")
            if key:
                values[key] = value

    def number(key: str):
        try:
            return float(values[key])
        except (KeyError, ValueError):
            return None

    def fmt(key: str, digits: int = 0, unit: str = "") -> str:
        value = number(key)
        if value is None:
            return values.get(key, "n/a") or "n/a"
        return f"{value:,.{digits}f}{unit}"

    def latency(prefix: str) -> str:
        if number(prefix + "_p50_ms") is None:
            return ""
        return f"{fmt(prefix + '_p50_ms', 2)} / {fmt(prefix + '_p99_ms', 2)}"

    def verdict(value, good) -> str:
        if value is None:
            return "n/a"
        return "yes" if good(value) else "**no**"

    rows: list[tuple[str, str, str, str, str, str]] = []
    for method, label in (("list", "tools/list"), ("status", "getStatus")):
        for connections in ("1", "32"):
            keys = [f"{target}_{method}_c{connections}" for target in ("taskmcp", "bare", "peer")]
            rows.append(
                (f"{label} @{connections} conn: req/s", *(fmt(k + "_rps") if k + "_rps" in values else "" for k in keys), "", "")
            )
            target, met = "", ""
            if method == "list" and connections == "32":
                target = "p99 < 5 ms"
                met = verdict(number(keys[0] + "_p99_ms"), lambda v: v < 5)
            rows.append((f"{label} @{connections} conn: p50 / p99 ms", *(latency(k) for k in keys), target, met))

    def ratio(numerator: str, denominator: str):
        top, bottom = number(numerator), number(denominator)
        return None if top is None or not bottom else top / bottom

    share = ratio("taskmcp_list_c32_rps", "bare_list_c32_rps")
    rows.append(
        (
            "tools/list @32: task-mcp as % of bare route",
            "n/a" if share is None else f"{share * 100:.0f}%",
            "", "", "≥ 30%", verdict(share, lambda v: v >= 0.30),
        )
    )
    for connections in ("1", "32"):
        times = ratio(f"taskmcp_status_c{connections}_rps", f"peer_status_c{connections}_rps")
        rows.append(
            (
                f"getStatus @{connections}: task-mcp ÷ FastMCP req/s",
                "n/a" if times is None else f"{times:.1f}×",
                "", "", "≥ 10×", verdict(times, lambda v: v >= 10),
            )
        )
    for connections in ("1", "32"):
        floor = ratio(f"taskmcp_status_c{connections}_rps", f"bare_status_c{connections}_rps")
        rows.append(
            (
                f"getStatus @{connections}: task-mcp as % of the sandbox GET it makes",
                "n/a" if floor is None else f"{floor * 100:.0f}%",
                "", "", "", "",
            )
        )
    group = values.get("group_rows", "10000")
    cpu = number("group_create_cpu_s")
    rows.append((f"{int(group):,}-row group: create CPU s (task-mcp process)", fmt("group_create_cpu_s", 2), "", "", "< 1 s", verdict(cpu, lambda v: v < 1)))
    rows.append((f"{int(group):,}-row group: create wall time s", fmt("group_create_wall_s", 2), "", "", "", ""))
    rows.append((f"{int(group):,}-row group: sandbox finished after s", fmt("group_finish_s", 1), "", "", "", ""))
    rows.append((f"{int(group):,}-row group: RSS growth MB by creating it and polling until finished", fmt("group_rss_created_mb", 1), "", "", "", ""))
    growth = number("group_rss_growth_mb")
    rows.append((f"{int(group):,}-row group: RSS growth MB (create → pages read)", fmt("group_rss_growth_mb", 1), "", "", "< 100 MB", verdict(growth, lambda v: v < 100)))
    rows.append(("getResultMarkdown page 1, first read right after getStatus said finished: ms", fmt("page1_first_ms", 0), "", "", "", ""))
    page1 = number("page1_ms")
    rows.append((f"getResultMarkdown page 1 of {values.get('page_count', '?')}: median ms", fmt("page1_ms", 0), "", "", "< 200 ms", verdict(page1, lambda v: v < 200)))
    pagen = number("pagen_ms")
    rows.append((f"getResultMarkdown page {values.get('pagen_index', 'N')}: median ms", fmt("pagen_ms", 0), "", "", "< 100 ms", verdict(pagen, lambda v: v < 100)))
    idle = number("idle_rss_mb")
    rows.append(("idle RSS MB after start", fmt("idle_rss_mb", 1), "", "", "< 50 MB", verdict(idle, lambda v: v < 50)))
    start = number("start_s")
    rows.append(("start to /readyz 200, s", fmt("start_s", 3), "", "", "< 0.5 s", verdict(start, lambda v: v < 0.5)))

    print("| Measure | task-mcp | floor | FastMCP peer | Target | Met |")
    print("|---|---:|---:|---:|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def main() -> None:
    command, args = sys.argv[1], sys.argv[2:]
    if command == "call":
        print(call_body(args[0], json.loads(args[1])))
    elif command == "group-body":
        rows = [{"company": f"Company {index:05d}", "country": "DE"} for index in range(int(args[0]))]
        print(call_body("createTaskGroup", {"inputs": rows, "output": "ceo_name", "output_type": "json"}))
    elif command == "check":
        tool_result(args[0])
    elif command == "field":
        value = tool_result(args[0]).get("structuredContent", {}).get(args[1], "")
        print(value if isinstance(value, str) else json.dumps(value))
    elif command == "cursor":
        text = " ".join(block.get("text", "") for block in tool_result(args[0]).get("content", []))
        match = CURSOR.search(text)
        print(match.group(1) if match else "")
    elif command == "median":
        print(f"{statistics.median(float(value) for value in args):.6f}")
    elif command == "report":
        report(args[0])
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main()
