import Foundation
public import JSON
public import ParallelAPI

/// Where a run or group stands at one moment: what a progress feed reports, a live progress page
/// shows, and a bounded wait turns into one line for MCP progress notifications.
public struct TaskProgress: Sendable, Hashable {
    public var kind: StatusSummary.Kind
    /// The `trun_…` or `tgrp_…` id.
    public var id: String
    /// A run's status (`queued`, `running`, `completed`, …); a group's `active` or `completed`.
    public var status: String
    public var isActive: Bool
    /// Runs: how far the run says it is, 0–100, once it has reported.
    public var progressMeter: Double?
    /// Runs: sources considered and read so far, once reported.
    public var sourcesConsidered: Int?
    public var sourcesRead: Int?
    /// Runs: the latest progress messages, oldest first, at most ``maxMessages``.
    public var messages: [String]
    /// Groups: how many runs the group has.
    public var total: Int?
    /// Groups: run counts by status (zero counts left out).
    public var counts: [String: Int]?
    /// Groups: Parallel's own one-line status, when it sends one.
    public var statusMessage: String?
    /// A failed run's error message.
    public var errorMessage: String?

    /// Messages kept, and as many as a progress page shows of an active run.
    public static let maxMessages = 10
    /// Each message is cut to about this many characters.
    static let maxMessageCharacters = 600

    public init(
        kind: StatusSummary.Kind, id: String, status: String, isActive: Bool, progressMeter: Double? = nil,
        sourcesConsidered: Int? = nil, sourcesRead: Int? = nil, messages: [String] = [], total: Int? = nil,
        counts: [String: Int]? = nil, statusMessage: String? = nil, errorMessage: String? = nil
    ) {
        self.kind = kind
        self.id = id
        self.status = status
        self.isActive = isActive
        self.progressMeter = progressMeter
        self.sourcesConsidered = sourcesConsidered
        self.sourcesRead = sourcesRead
        self.messages = messages
        self.total = total
        self.counts = counts
        self.statusMessage = statusMessage
        self.errorMessage = errorMessage
    }

    /// A run as it stands, with no progress reported yet.
    public init(run: TaskRun) {
        self.init(kind: .run, id: run.runID, status: run.status.rawValue, isActive: false)
        apply(run: run)
    }

    /// A group as its status shows it.
    public init(groupID: String, status: TaskGroupStatus) {
        self.init(kind: .group, id: groupID, status: "", isActive: false)
        apply(group: status)
    }

    /// The latest progress message.
    public var latestMessage: String? { messages.last }

    /// Groups: runs that have finished (completed, failed or cancelled).
    public var finished: Int? {
        counts.map { counts in
            [RunStatus.completed, .failed, .cancelled].reduce(0) { $0 + (counts[$1.rawValue] ?? 0) }
        }
    }

    /// One compact line for people, e.g. `Run running — 42 sources read of 130 considered (progress 35%):
    /// Searching for …` or `Group active — 12/40 completed, 1 failed, 27 running`.
    public var line: String {
        switch kind {
        case .group:
            return "Group \(status) — " + StatusSummary.countsText(counts: counts ?? [:], total: total ?? 0)
        case .run:
            var text = "Run \(status.replacingOccurrences(of: "_", with: " "))"
            if let errorMessage {
                return text + ": " + Self.oneLine(errorMessage, 160)
            }
            var details: [String] = []
            switch (sourcesRead, sourcesConsidered) {
            case (let read?, let considered?): details.append("\(read) sources read of \(considered) considered")
            case (let read?, nil): details.append("\(read) sources read")
            case (nil, let considered?): details.append("\(considered) sources considered")
            case (nil, nil): break
            }
            if let progressMeter {
                let percent = Int(min(max(progressMeter, 0), 100).rounded())
                details.append(details.isEmpty ? "progress \(percent)%" : "(progress \(percent)%)")
            }
            if !details.isEmpty { text += " — " + details.joined(separator: " ") }
            if isActive, let latestMessage { text += ": " + Self.oneLine(latestMessage, 120) }
            return text
        }
    }

    /// The JSON form a live progress page reads (`event: progress` data).
    public var jsonValue: JSONValue {
        var object: [String: JSONValue] = [
            "kind": .string(kind.rawValue), "id": .string(id), "status": .string(status), "is_active": .bool(isActive),
            "line": .string(line),
        ]
        if let progressMeter { object["progress_meter"] = .double(progressMeter) }
        if let sourcesConsidered { object["sources_considered"] = .int(sourcesConsidered) }
        if let sourcesRead { object["sources_read"] = .int(sourcesRead) }
        if kind == .run { object["messages"] = .array(messages.map(JSONValue.string)) }
        if let total { object["total"] = .int(total) }
        if let counts { object["counts"] = .object(counts.mapValues { .int($0) }) }
        if let finished { object["finished"] = .int(finished) }
        if let statusMessage { object["status_message"] = .string(statusMessage) }
        if let errorMessage { object["error_message"] = .string(errorMessage) }
        return .object(object)
    }

    // MARK: Applying upstream facts

    mutating func apply(run: TaskRun) {
        status = run.status.rawValue
        isActive = run.isActive || run.status.isActive
        errorMessage = run.status == .failed ? Self.oneLine(run.error?.message ?? "unknown error", 600) : nil
    }

    mutating func apply(stats: ProgressStatsEvent) {
        if let meter = stats.progressMeter, meter.isFinite { progressMeter = min(max(meter, 0), 100) }
        if let considered = stats.sourceStats.numSourcesConsidered { sourcesConsidered = considered }
        if let read = stats.sourceStats.numSourcesRead { sourcesRead = read }
    }

    mutating func append(message: String) {
        let text = MarkdownText.shorten(message, to: Self.maxMessageCharacters).text
        guard !text.isEmpty else { return }
        messages.append(text)
        if messages.count > Self.maxMessages { messages.removeFirst(messages.count - Self.maxMessages) }
    }

    mutating func apply(group status: TaskGroupStatus) {
        isActive = status.isActive
        self.status = status.isActive ? "active" : "completed"
        total = status.numTaskRuns
        counts = status.taskRunStatusCounts.filter { $0.value > 0 }
        statusMessage = status.statusMessage.map { Self.oneLine($0, 300) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    private static func oneLine(_ text: String, _ limit: Int) -> String {
        MarkdownText.shorten(MarkdownText.singleLine(text), to: limit).text
    }
}
