public import Foundation
public import JSON
public import ParallelAPI

/// A compact status of a run or a group: the facts `getStatus` returns, in about 50 tokens.
///
/// ``text`` is the one-paragraph form for `content`; ``jsonValue`` (or `Codable`) the
/// structured form of the same facts for `structuredContent`.
public struct StatusSummary: Codable, Hashable, Sendable {
    /// What the summary describes.
    public enum Kind: String, Codable, Hashable, Sendable {
        case run, group
    }

    public var kind: Kind
    /// The `trun_…` or `tgrp_…` id.
    public var id: String
    /// The run status; for a group, `active` or `completed`.
    public var status: String
    public var processor: String?
    /// Runs in the group (groups only).
    public var total: Int?
    /// Run counts by status (groups only).
    public var counts: [String: Int]?
    /// Whole seconds since `created_at` while the task is active, when known.
    public var elapsedSeconds: Int?
    /// Whole seconds the task took (`created_at` to `modified_at`) once it is terminal, when known;
    /// unlike ``elapsedSeconds`` it does not grow with each call.
    public var durationSeconds: Int?
    public var isActive: Bool
    /// Whether `getResultMarkdown` has something to show now.
    public var resultsReady: Bool
    /// The error message of a failed run.
    public var errorMessage: String?
    /// Suggested minutes until the next `getStatus`, while active.
    public var pollAfterMinutes: Int?
    /// What to do next, in one sentence.
    public var nextStep: String

    enum CodingKeys: String, CodingKey {
        case kind, id, status, processor, total, counts
        case elapsedSeconds = "elapsed_seconds"
        case durationSeconds = "duration_seconds"
        case isActive = "is_active"
        case resultsReady = "results_ready"
        case errorMessage = "error_message"
        case pollAfterMinutes = "poll_after_minutes"
        case nextStep = "next_step"
    }

    /// The status of a single run at `now`.
    public init(run: TaskRun, now: Date) {
        kind = .run
        id = run.runID
        status = run.status.rawValue
        processor = run.processor.isEmpty ? nil : run.processor
        total = nil
        counts = nil
        isActive = run.isActive || run.status.isActive
        elapsedSeconds = isActive ? Self.elapsed(since: run.createdAt, now: now) : nil
        durationSeconds = isActive ? nil : Self.seconds(from: run.createdAt, to: run.modifiedAt)
        errorMessage = run.status == .failed ? (run.error?.message ?? "unknown error") : nil
        pollAfterMinutes = isActive ? Self.pollInterval(processor: run.processor) : nil
        switch run.status {
        case .completed:
            resultsReady = true
            nextStep = "Results ready: call getResultMarkdown."
        case .failed:
            resultsReady = true
            nextStep = "Run failed; call getResultMarkdown for details."
        case .cancelled:
            resultsReady = false
            nextStep = "Run was cancelled; there is no result."
        case .actionRequired:
            resultsReady = false
            nextStep = "Action required on the Parallel platform."
        default:
            resultsReady = false
            nextStep = "Still running; check again in about \(Self.minutes(pollAfterMinutes ?? 1))."
        }
    }

    /// The status of a group at `now`; the processor comes from the group's metadata when set.
    public init(group: TaskGroup, now: Date) {
        kind = .group
        id = group.taskGroupID
        isActive = group.status.isActive
        status = isActive ? "active" : "completed"
        processor = group.metadata?["processor"]?.stringValue
        total = group.status.numTaskRuns
        counts = group.status.taskRunStatusCounts.filter { $0.value > 0 }
        elapsedSeconds = isActive ? Self.elapsed(since: group.createdAt, now: now) : nil
        durationSeconds = isActive ? nil : Self.seconds(from: group.createdAt, to: group.status.modifiedAt)
        errorMessage = nil
        let finished = group.status.count(.completed) + group.status.count(.failed) + group.status.count(.cancelled)
        resultsReady = finished > 0
        if isActive {
            let interval = Self.pollInterval(processor: processor ?? "")
            pollAfterMinutes = interval
            nextStep =
                "Still running; check again in about \(Self.minutes(interval))"
                + (finished > 0 ? " (partial results available via getResultMarkdown)." : ".")
        } else {
            pollAfterMinutes = nil
            nextStep = total == 0 ? "The group has no runs yet." : "Results ready: call getResultMarkdown."
        }
    }

    /// The one-paragraph form, about 200–300 characters.
    public var text: String {
        var parts: [String] = []
        switch kind {
        case .run:
            var head = "Run \(id): \(status)"
            if let processor { head += " (\(processor))" }
            parts.append(head)
        case .group:
            var head = "Group \(id): \(countsText)"
            if let processor { head += " (\(processor))" }
            parts.append(head)
        }
        if let elapsedSeconds { parts.append(Self.duration(elapsedSeconds) + " elapsed") }
        if let durationSeconds { parts.append("took " + Self.duration(durationSeconds)) }
        var sentence = parts.joined(separator: ", ") + "."
        if let errorMessage {
            sentence += " Error: " + MarkdownText.shorten(MarkdownText.singleLine(errorMessage), to: 80).text + "."
        }
        return sentence + " " + nextStep
    }

    /// The structured form, for MCP `structuredContent`.
    public var jsonValue: JSONValue {
        var object: [String: JSONValue] = [
            "kind": .string(kind.rawValue), "id": .string(id), "status": .string(status),
            "is_active": .bool(isActive), "results_ready": .bool(resultsReady), "next_step": .string(nextStep),
        ]
        if let processor { object["processor"] = .string(processor) }
        if let total { object["total"] = .int(total) }
        if let counts { object["counts"] = .object(counts.mapValues { .int($0) }) }
        if let elapsedSeconds { object["elapsed_seconds"] = .int(elapsedSeconds) }
        if let durationSeconds { object["duration_seconds"] = .int(durationSeconds) }
        if let errorMessage { object["error_message"] = .string(errorMessage) }
        if let pollAfterMinutes { object["poll_after_minutes"] = .int(pollAfterMinutes) }
        return .object(object)
    }

    /// `12/40 completed, 1 failed, 27 running`: finished statuses first, then active ones, then unknown ones.
    private var countsText: String { Self.countsText(counts: counts ?? [:], total: total ?? 0) }

    package static func countsText(counts: [String: Int], total: Int) -> String {
        var parts = ["\(counts[RunStatus.completed.rawValue] ?? 0)/\(total) completed"]
        let known: [RunStatus] = [.failed, .cancelled, .running, .queued, .cancelling, .actionRequired]
        let others =
            known.map(\.rawValue) + counts.keys.filter { !RunStatus.allKnown.map(\.rawValue).contains($0) }.sorted()
        for status in others {
            if let count = counts[status], count > 0 { parts.append("\(count) \(status)") }
        }
        return parts.joined(separator: ", ")
    }

    // MARK: - Helpers

    static func elapsed(since createdAt: String?, now: Date) -> Int? {
        guard let createdAt, let start = RFC3339.date(from: createdAt) else { return nil }
        return max(0, Int(now.timeIntervalSince(start)))
    }

    /// Whole seconds between two RFC 3339 timestamps, when both parse.
    static func seconds(from start: String?, to end: String?) -> Int? {
        guard let start, let end, let from = RFC3339.date(from: start), let to = RFC3339.date(from: end) else { return nil }
        return max(0, Int(to.timeIntervalSince(from)))
    }

    /// `45s`, `4m 12s`, `2h 5m`, `3d 4h`.
    package static func duration(_ seconds: Int) -> String {
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m \(seconds % 60)s" }
        if seconds < 86_400 { return "\(seconds / 3600)h \((seconds % 3600) / 60)m" }
        return "\(seconds / 86_400)d \((seconds % 86_400) / 3600)h"
    }

    static func minutes(_ count: Int) -> String { count == 1 ? "1 minute" : "\(count) minutes" }

    /// A quarter of the processor's typical maximum latency, 1–15 minutes (halved for `-fast`).
    static func pollInterval(processor: String) -> Int {
        let isFast = processor.hasSuffix("-fast")
        let base = isFast ? String(processor.dropLast("-fast".count)) : processor
        let maxLatencyMinutes: Double =
            switch base {
            case "lite", "base": 2
            case "core": 5
            case "core2x", "pro": 10
            case "ultra": 25
            case "ultra2x": 50
            case "ultra4x": 90
            case "ultra8x": 120
            default: 8
            }
        let interval = (maxLatencyMinutes / 4 / (isFast ? 2 : 1)).rounded()
        return Int(min(max(interval, 1), 15))
    }
}

/// Parses RFC 3339 timestamps such as `2025-04-23T20:21:48.037943Z` (any number of
/// fractional digits, `Z` or a `±HH:MM` offset).
enum RFC3339 {
    static func date(from text: String) -> Date? {
        let bytes = Array(text.utf8)
        func number(_ start: Int, _ length: Int) -> Int? {
            guard start + length <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<start + length] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard bytes.count >= 19,
            let year = number(0, 4), bytes[4] == UInt8(ascii: "-"),
            let month = number(5, 2), bytes[7] == UInt8(ascii: "-"),
            let day = number(8, 2), bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t")
                || bytes[10] == UInt8(ascii: " "),
            let hour = number(11, 2), bytes[13] == UInt8(ascii: ":"),
            let minute = number(14, 2), bytes[16] == UInt8(ascii: ":"),
            let second = number(17, 2)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offsetSeconds = 0
        if index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "Z"), UInt8(ascii: "z"):
                index += 1
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                guard let offsetHours = number(index + 1, 2), index + 3 < bytes.count,
                    bytes[index + 3] == UInt8(ascii: ":"), let offsetMinutes = number(index + 4, 2)
                else { return nil }
                offsetSeconds = (offsetHours * 3600 + offsetMinutes * 60) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
                index += 6
            default:
                return nil
            }
        }
        guard index == bytes.count, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60,
            second < 61
        else { return nil }
        // Days since 1970-01-01 (Howard Hinnant's days_from_civil).
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }
}
