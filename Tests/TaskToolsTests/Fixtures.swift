import Foundation
import JSON
import ParallelAPI

/// Fixtures built from the ParallelAPI model initialisers.
enum Fixtures {
    /// 2025-04-23T20:21:48Z.
    static let created = "2025-04-23T20:21:48.037943Z"
    static let createdDate = Date(timeIntervalSince1970: 1_745_439_708.037943)

    static func run(
        _ id: String = "trun_9907962f83aa4d9d98fd7f4bf745d654", status: RunStatus = .completed,
        processor: String = "pro", error: ErrorObject? = nil, metadata: [String: JSONValue]? = nil
    ) -> TaskRun {
        TaskRun(
            runID: id, interactionID: id, status: status, isActive: status.isActive, error: error,
            processor: processor, metadata: metadata, createdAt: created)
    }

    static func group(counts: [String: Int], total: Int, active: Bool, processor: String? = "core") -> TaskGroup {
        TaskGroup(
            taskGroupID: "tgrp_b0079f70195e4258eab1e7284340f1a9ec3a8033ed236a24",
            metadata: processor.map { ["processor": .string($0)] },
            status: TaskGroupStatus(numTaskRuns: total, taskRunStatusCounts: counts, isActive: active),
            createdAt: created)
    }

    /// A group row: a run with `input_index`, its object input and (when completed) JSON output.
    static func row(
        _ number: Int, index: JSONValue?, input: JSONValue, output: [String: JSONValue]? = nil,
        basis: [FieldBasis] = [], status: RunStatus = .completed, error: ErrorObject? = nil
    ) -> RunStateEvent {
        let metadata: [String: JSONValue]? = index.map { ["input_index": $0] }
        let run = run("trun_\(number)", status: status, processor: "core", error: error, metadata: metadata)
        return RunStateEvent(
            eventID: "e\(number)", run: run, input: TaskRunInput(processor: "core", input: input),
            output: output.map { TaskOutput(type: .json, content: .object($0), basis: basis) })
    }
}
