public import Foundation
import JSON
import ParallelAPI

/// The `.json` view of a run or group: its compact status plus the upstream objects, with a
/// group's rows in input order.
public struct SnapshotDocument: Encodable, Sendable {
    struct Row: Encodable, Sendable {
        var index: Int
        var runID: String
        var status: String
        var input: JSONValue?
        var output: TaskOutput?
        var error: ErrorObject?

        enum CodingKeys: String, CodingKey {
            case index, status, input, output, error
            case runID = "run_id"
        }
    }

    var status: StatusSummary
    var sandbox: Bool
    var run: TaskRun?
    var output: TaskOutput?
    var progress: [String]?
    var group: TaskGroup?
    var rows: [Row]?

    public init(_ snapshot: TaskSnapshot, sandbox: Bool, now: Date) {
        status = snapshot.summary(now: now)
        self.sandbox = sandbox
        switch snapshot {
        case .run(let run, let output, let progress):
            self.run = run
            self.output = output
            self.progress = progress.isEmpty ? nil : progress
        case .group(let group, let runs):
            self.group = group
            rows = GroupRow.rows(from: runs).map { row in
                Row(
                    index: row.number, runID: row.run.runID, status: row.run.status.rawValue, input: row.event.input?.input,
                    output: row.event.output, error: row.run.error)
            }
        }
    }

    enum CodingKeys: String, CodingKey {
        case status, sandbox, run, output, progress, group, rows
    }
}
