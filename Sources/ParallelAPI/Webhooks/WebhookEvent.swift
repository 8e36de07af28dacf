public import Foundation

/// The body of a webhook delivery: `{"timestamp": "<ISO 8601>", "type": "task_run.status", "data": <TaskRun>}`.
///
/// Parallel sends `task_run.status` when a run completes or fails; the run carries no output.
/// Another `type` decodes too (with `run == nil`), so a receiver can acknowledge and ignore it.
public struct WebhookEvent: Codable, Hashable, Sendable {
    /// The event type of a run's status change.
    public static let runStatusType = "task_run.status"

    /// The event type, e.g. `task_run.status`.
    public var type: String
    /// When the event happened, ISO 8601 as sent.
    public var timestamp: String
    /// The run, for `task_run.status`; `nil` for other types.
    public var run: TaskRun?

    public init(type: String = WebhookEvent.runStatusType, timestamp: String, run: TaskRun?) {
        self.type = type
        self.timestamp = timestamp
        self.run = run
    }

    /// Whether this is a run status event this client understands.
    public var isRunStatus: Bool { type == Self.runStatusType && run != nil }

    enum CodingKeys: String, CodingKey {
        case type, timestamp
        case run = "data"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(String.self, forKey: .type)
        timestamp = try container.decodeIfPresent(String.self, forKey: .timestamp) ?? ""
        // Only a run status event must carry a run; the data of other types is not ours to judge.
        run = type == Self.runStatusType ? try container.decode(TaskRun.self, forKey: .run) : nil
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(timestamp, forKey: .timestamp)
        try container.encode(type, forKey: .type)
        try container.encodeIfPresent(run, forKey: .run)
    }

    /// Decodes a delivery's raw body.
    /// - Throws: ``WebhookPayloadError`` when the body is not such an object (or a
    ///   `task_run.status` event has no valid run).
    public init(body: some DataProtocol) throws(WebhookPayloadError) {
        do {
            self = try JSONDecoder().decode(WebhookEvent.self, from: Data(body))
        } catch let error as DecodingError {
            throw WebhookPayloadError(reason: Self.reason(error))
        } catch {
            throw WebhookPayloadError(reason: "the body is not JSON")
        }
    }

    /// A short reason without echoing the payload.
    static func reason(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            "missing \(path(context.codingPath + [key]))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            "unexpected value at \(path(context.codingPath))"
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            "the body is not JSON"
        case .dataCorrupted(let context):
            "invalid value at \(path(context.codingPath))"
        @unknown default:
            "the body is not a webhook event"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "the top level" : keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
}

/// A webhook body that is not a valid event.
public struct WebhookPayloadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, without the payload's content.
    public var reason: String

    public init(reason: String) { self.reason = reason }

    public var description: String { "malformed webhook payload: \(reason)" }
}
