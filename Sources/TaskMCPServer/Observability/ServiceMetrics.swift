import MCPProtocol
import Metrics

/// The service's own metrics, next to those its modules record (HTTP requests by route and
/// status from Hummingbird's `MetricsMiddleware`, `parallel_api_*` from the upstream client,
/// `oauth_*` from the authorization server), all through swift-metrics into one Prometheus
/// registry.
///
/// - `mcp_requests_total{method, tool, outcome}`: MCP requests answered (`outcome`: ok,
///   tool_error, error).
/// - `mcp_tool_duration_seconds{tool}`: time spent running a tool.
/// - `parallel_webhooks_received_total{outcome}`: deliveries to `/webhooks/parallel` (`outcome`:
///   accepted, duplicate, invalid_signature, stale, malformed, ignored; see `WebhookRoute`).
/// - `oauth_active_grants`: grants with a live token, read from the database at each scrape.
/// - `task_mcp_info{version}`: always 1.
enum ServiceMetrics {
    /// Records one MCP request (the MCP server's observer).
    static func record(_ record: MCPRequestRecord) {
        Counter(
            label: "mcp_requests_total",
            dimensions: [("method", record.method), ("tool", record.tool ?? ""), ("outcome", record.outcome.rawValue)]
        ).increment()
        if let duration = record.duration, let tool = record.tool {
            Timer(label: "mcp_tool_duration_seconds", dimensions: [("tool", tool)]).record(duration: duration)
        }
    }
}
