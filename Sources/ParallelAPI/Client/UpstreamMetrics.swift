import Metrics

/// Upstream call metrics, recorded through swift-metrics (the application chooses the backend).
///
/// - `parallel_api_requests_total{endpoint, status}`: every attempt, by endpoint template
///   (`GET /v1/tasks/runs/{id}`) and HTTP status (`transport` when no response came).
/// - `parallel_api_retries_total{endpoint}`: attempts repeated after a retryable failure.
/// - `parallel_api_request_duration_seconds{endpoint}`: time to the response head per attempt.
enum UpstreamMetrics {
    static func attempt(method: String, path: String, status: String, duration: Duration) {
        let endpoint = endpointTemplate(method: method, path: path)
        Counter(label: "parallel_api_requests_total", dimensions: [("endpoint", endpoint), ("status", status)]).increment()
        Timer(label: "parallel_api_request_duration_seconds", dimensions: [("endpoint", endpoint)]).record(duration: duration)
    }

    static func retry(method: String, path: String) {
        Counter(label: "parallel_api_retries_total", dimensions: [("endpoint", endpointTemplate(method: method, path: path))]).increment()
    }

    /// The path with ids replaced by `{id}`, so that the label set stays small: every segment that
    /// is not one of the API's fixed words is an id.
    static func endpointTemplate(method: String, path: String) -> String {
        let template = path.split(separator: "/", omittingEmptySubsequences: true).map { segment in
            fixedSegments.contains(segment) ? String(segment) : "{id}"
        }
        return method + " /" + template.joined(separator: "/")
    }

    static let fixedSegments: Set<Substring> = ["v1", "v1beta", "tasks", "runs", "groups", "taskgroups", "input", "result", "events"]
}
