import Foundation
public import JSON

/// What `createDeepResearch` returns.
public struct DeepResearchCreated: Sendable, Hashable {
    public var runID: String
    public var interactionID: String
    public var status: String
    public var processor: String
    public var createdAt: String?
    /// The shareable progress page.
    public var progressURL: String
    public var sandbox: Bool

    /// The instruction for the assistant.
    public var message: String {
        "Deep research started (\(processor); \(Processors.latencyAndCost(processor) ?? "several minutes")). "
            + "Share the progress link with the user now and stop; do not wait. In a later turn, call getStatus "
            + "with \(runID), and getResultMarkdown once it is completed. For a follow-up question, pass "
            + "previous_interaction_id \(interactionID) to a new createDeepResearch."
    }

    public var jsonValue: JSONValue {
        var object: [String: JSONValue] = [
            "run_id": .string(runID), "interaction_id": .string(interactionID), "status": .string(status),
            "processor": .string(processor), "progress_url": .string(progressURL), "message": .string(message),
        ]
        if let createdAt { object["created_at"] = .string(createdAt) }
        if sandbox { object["sandbox"] = .bool(true) }
        return .object(object)
    }

    public var text: String {
        var lines = [
            "Deep research run \(runID) is \(status).", "Progress and results: \(progressURL)", "", message,
        ]
        if sandbox { lines.append("(Sandbox: the upstream is the local Parallel emulator; results will be synthetic.)") }
        return lines.joined(separator: "\n")
    }
}

/// One page of a result in markdown.
public struct ResultPage: Sendable, Hashable {
    public var text: String
    public var pageNumber: Int
    public var pageCount: Int
    /// Pass as `cursor` to get the next page; `nil` on the last page.
    public var nextCursor: String?
    public var status: StatusSummary

    public var jsonValue: JSONValue {
        var object: [String: JSONValue] = [
            "markdown": .string(text), "page": .int(pageNumber), "page_count": .int(pageCount), "status": status.jsonValue,
        ]
        if let nextCursor { object["next_cursor"] = .string(nextCursor) }
        return .object(object)
    }
}

/// A task in `listTasks`.
public struct ListedTask: Sendable, Hashable {
    public var record: TaskRecord
    public var progressURL: String

    public var jsonValue: JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(record.id), "kind": .string(record.kind.rawValue),
            "created_at": .string(record.createdAt.formatted(.iso8601)),
            "processor": .string(record.processor), "label": .string(record.label), "progress_url": .string(progressURL),
        ]
        if let count = record.runCount { object["run_count"] = .int(count) }
        return .object(object)
    }

    public var line: String {
        var text = "- \(record.id) (\(record.kind.rawValue), \(record.processor)"
        if let count = record.runCount { text += ", \(count) rows" }
        text += ", created \(record.createdAt.formatted(.iso8601))): \(record.label) — \(progressURL)"
        return text
    }
}
