public import Foundation
import ParallelAPI

/// The durable form of a finished run or group (``TaskSnapshot``), as the registry stores it:
/// Parallel's own objects (run, output, group, each run with its input and output) in their API
/// JSON, under a format number so that a later build can tell what it reads.
///
/// Only settled tasks are stored: a run that completed (with its output), failed or was
/// cancelled, or a group that is no longer active and whose runs have all ended. Such a result no
/// longer changes, so pages, basis views and the progress page can be served from it without
/// asking Parallel again.
public enum StoredResult {
    /// The format written by this build; a body of any other format is not read.
    static let format = 1

    /// Whether `snapshot` is settled for good, and so may be stored.
    public static func isFinal(_ snapshot: TaskSnapshot) -> Bool {
        switch snapshot {
        case .run(let run, let output, _):
            guard !run.isActive, !run.status.isActive else { return false }
            return run.status != .completed || output != nil
        case .group(let group, let runs):
            return !group.status.isActive && runs.allSatisfy { !$0.run.isActive && !$0.run.status.isActive }
        }
    }

    /// The stored body of a settled snapshot; `nil` for one that is not settled.
    public static func encode(_ snapshot: TaskSnapshot) -> Data? {
        isFinal(snapshot) ? body(of: snapshot) : nil
    }

    /// `snapshot` in the stored form, settled or not.
    static func body(of snapshot: TaskSnapshot) -> Data? {
        let body: Body
        switch snapshot {
        case .run(let run, let output, _):
            body = Body(format: format, run: run, output: output)
        case .group(let group, let runs):
            body = Body(
                format: format, group: group,
                rows: runs.map { Row(eventID: $0.eventID, run: $0.run, input: $0.input, output: $0.output) })
        }
        return try? JSONEncoder().encode(body)
    }

    /// The snapshot a stored body holds; `nil` for a body this build cannot read.
    public static func decode(_ data: Data) -> TaskSnapshot? {
        guard let body = try? JSONDecoder().decode(Body.self, from: data), body.format == format else { return nil }
        if let group = body.group {
            let runs = (body.rows ?? []).map { RunStateEvent(eventID: $0.eventID, run: $0.run, input: $0.input, output: $0.output) }
            return .group(group, runs: runs)
        }
        guard let run = body.run else { return nil }
        return .run(run, output: body.output, progress: [])
    }

    struct Body: Codable {
        var format: Int
        var run: TaskRun?
        var output: TaskOutput?
        var group: TaskGroup?
        var rows: [Row]?
    }

    struct Row: Codable {
        var eventID: String?
        var run: TaskRun
        var input: TaskRunInput?
        var output: TaskOutput?

        enum CodingKeys: String, CodingKey {
            case eventID = "event_id"
            case run, input, output
        }
    }
}
