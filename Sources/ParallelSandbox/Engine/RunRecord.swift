import Foundation
import JSON
import ParallelAPI

/// A run as the sandbox keeps it. Immutable once created: its status at any moment
/// follows from its timeline, so every reader agrees without background work.
struct RunRecord: Sendable {
    let id: String
    let apiKey: String
    /// The request as received (what `/input` returns).
    let input: TaskRunInput
    let processor: Processor
    let groupID: String?
    let created: ContinuousClock.Instant
    let createdWall: Date
    /// Time spent `queued`, then `running`.
    let queuedFor: Duration
    let runFor: Duration
    /// Set when the run ends `failed`.
    let failure: ErrorObject?
    let warnings: [RunWarning]?
    let output: TaskOutput?
    /// Progress messages, as offsets from creation; empty when events are not enabled.
    let trace: [TraceEntry]

    struct TraceEntry: Sendable {
        let offset: Duration
        let message: ProgressMessageEvent
        let stats: ProgressStatsEvent
    }

    var startOffset: Duration { queuedFor }
    var endOffset: Duration { queuedFor + runFor }
    var finished: ContinuousClock.Instant { created + endOffset }

    func status(at now: ContinuousClock.Instant) -> RunStatus {
        let elapsed = created.duration(to: now)
        if elapsed < queuedFor { return .queued }
        if elapsed < endOffset { return .running }
        return failure == nil ? .completed : .failed
    }

    func wallTime(at offset: Duration) -> Date {
        createdWall.addingTimeInterval(offset.timeInterval)
    }

    func modifiedOffset(at now: ContinuousClock.Instant) -> Duration {
        switch status(at: now) {
        case .queued: return .zero
        case .running: return queuedFor
        default: return endOffset
        }
    }

    func taskRun(at now: ContinuousClock.Instant) -> TaskRun {
        let status = status(at: now)
        return TaskRun(
            runID: id, interactionID: id, status: status, isActive: status.isActive, warnings: warnings,
            error: status == .failed ? failure : nil, processor: processor.name, metadata: input.metadata,
            taskGroupID: groupID, createdAt: Timestamp.string(createdWall),
            modifiedAt: Timestamp.string(wallTime(at: modifiedOffset(at: now))))
    }

    /// The state a run stream shows at `now`, with the output once completed.
    func stateEvent(at now: ContinuousClock.Instant, eventID: String? = nil, includeInput: Bool = false, includeOutput: Bool = true) -> TaskEvent {
        let run = taskRun(at: now)
        return .runState(
            RunStateEvent(
                eventID: eventID, run: run, input: includeInput ? input : nil,
                output: includeOutput && run.status == .completed ? output : nil))
    }
}

/// A task group: its runs are kept in the store, in the order they were added.
struct GroupRecord: Sendable {
    let id: String
    let apiKey: String
    let metadata: [String: JSONValue]?
    let created: ContinuousClock.Instant
    let createdWall: Date
    var runIDs: [String]
}

extension Duration {
    /// The duration in seconds, for `Date` arithmetic.
    var timeInterval: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// RFC 3339 timestamps with microseconds, as Parallel writes them.
enum Timestamp {
    static func string(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        let whole = floor(seconds)
        let micros = Int(((seconds - whole) * 1_000_000).rounded(.down))
        var time = time_t(whole)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), micros)
    }
}

/// Random identifiers in Parallel's formats.
enum Identifier {
    static func hex(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var text = ""
        text.reserveCapacity(count * 2)
        for _ in 0..<count {
            let byte = UInt8.random(in: 0...255, using: &generator)
            text += String(byte >> 4, radix: 16) + String(byte & 0x0F, radix: 16)
        }
        return text
    }

    /// `trun_` + 32 hex characters.
    static func run() -> String { "trun_" + hex(bytes: 16) }
    /// `tgrp_` + 48 hex characters.
    static func group() -> String { "tgrp_" + hex(bytes: 24) }
    /// A reference id for an error.
    static func reference() -> String { UUID().uuidString.lowercased() }
}
