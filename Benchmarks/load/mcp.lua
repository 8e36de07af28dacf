-- wrk script for scripts/benchmark-load.sh: POSTs one JSON-RPC request to /mcp, again and again,
-- with the headers an MCP client sends over Streamable HTTP, and checks every answer.
--
--   BENCH_BODY_FILE   file holding the JSON-RPC request body (required unless BENCH_UPSTREAM_KEY)
--   BENCH_TOKEN       bearer token (the Parallel API key); none sent when empty
--   BENCH_PROTOCOL    MCP-Protocol-Version header (default 2025-11-25)
--   BENCH_UPSTREAM_KEY  instead: a plain GET of the URL with this x-api-key, as a gateway asks
--                     Parallel (the sandbox) for a run; only the status is checked
--
-- An answer counts as an error when its status is not 2xx, when it is a JSON-RPC error (no
-- top-level "result" near the start: task-mcp writes keys sorted, FastMCP writes jsonrpc and id
-- first, so "result" is within the first 64 bytes either way), or when it is a tool result with
-- "isError": true. `done` prints one line, `BENCH key=value …`, that the script parses.

local function read_file(path)
  local file = assert(io.open(path, "rb"), "cannot open BENCH_BODY_FILE " .. tostring(path))
  local text = file:read("*a")
  file:close()
  return text
end

local upstream_key = os.getenv("BENCH_UPSTREAM_KEY") or ""
if upstream_key ~= "" then
  wrk.method = "GET"
  wrk.headers["x-api-key"] = upstream_key
else
  wrk.method = "POST"
  wrk.body = read_file(os.getenv("BENCH_BODY_FILE"))
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json, text/event-stream"
  wrk.headers["MCP-Protocol-Version"] = os.getenv("BENCH_PROTOCOL") or "2025-11-25"
  local token = os.getenv("BENCH_TOKEN") or ""
  if token ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. token
  end
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
  rpc_errors = 0
  tool_errors = 0
  sample = ""
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if sample == "" then sample = "HTTP " .. status .. ": " .. string.sub(body or "", 1, 300) end
  elseif upstream_key ~= "" then
    return
  elseif not string.find(string.sub(body, 1, 64), '"result"', 1, true) then
    rpc_errors = rpc_errors + 1
    if sample == "" then sample = string.sub(body, 1, 300) end
  elseif string.find(body, '"isError"%s*:%s*true') then
    tool_errors = tool_errors + 1
    if sample == "" then sample = string.sub(body, 1, 300) end
  end
end

function done(summary, latency, requests)
  local non2xx_total, rpc_total, tool_total, first = 0, 0, 0, ""
  for _, thread in ipairs(threads) do
    non2xx_total = non2xx_total + thread:get("non2xx")
    rpc_total = rpc_total + thread:get("rpc_errors")
    tool_total = tool_total + thread:get("tool_errors")
    if first == "" then first = thread:get("sample") or "" end
  end
  local errors = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "BENCH requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d rpc_errors=%d tool_errors=%d socket_errors=%d timeouts=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    non2xx_total, rpc_total, tool_total, errors.connect + errors.read + errors.write, errors.timeout))
  if first ~= "" then
    io.write("BENCH_SAMPLE " .. string.gsub(first, "\n", " ") .. "\n")
  end
end
