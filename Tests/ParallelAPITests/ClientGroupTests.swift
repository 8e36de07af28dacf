import AsyncHTTPClient
import Foundation
import JSON
import NIOCore
import NIOHTTP1
import ParallelAPI
import ParallelSandbox
import Testing

@Suite("Client ↔ sandbox: task groups")
struct ClientGroupTests {
    static func rows(_ count: Int, processor: String = "lite") -> [TaskRunInput] {
        (0..<count).map { index in
            TaskRunInput(processor: processor, input: ["company": .string("Company \(index)")], metadata: ["input_index": .string(String(index))])
        }
    }

    static let spec = TaskSpec(
        outputSchema: .json([
            "type": "object", "properties": ["ceo": ["type": "string"]], "required": ["ceo"], "additionalProperties": false,
        ]))

    @Test func addsThousandsOfRunsInOrderedBatches() async throws {
        try await withLiveSandbox { url, _ in
            let client = sandboxClient(url, concurrency: 3)
            let group = try await client.createGroup(metadata: ["purpose": "batching"])
            #expect(group.taskGroupID.hasPrefix("tgrp_"))
            #expect(group.taskGroupID.count == 53)
            let inputs = Self.rows(2_500)
            let outcome = try await client.addRuns(group.taskGroupID, inputs: inputs, defaultTaskSpec: Self.spec)
            #expect(outcome.succeeded)
            #expect(outcome.runIDs.count == 2_500)
            #expect(Set(outcome.runIDs.compactMap { $0 }).count == 2_500)
            #expect(outcome.status?.numTaskRuns ?? 0 > 0)

            // Every run id sits at its input's position, whatever order the batches landed in.
            let runs = try await client.allGroupRuns(group.taskGroupID, includeInput: true)
            #expect(runs.count == 2_500)
            let inputByRun = Dictionary(uniqueKeysWithValues: runs.map { ($0.run.runID, $0.input) })
            for (index, runID) in outcome.runIDs.enumerated() {
                guard let runID, let input = inputByRun[runID] else {
                    Issue.record("run for input \(index) missing")
                    return
                }
                #expect(input?.input["company"] == .string("Company \(index)"))
            }
            let status = try await client.group(group.taskGroupID).status
            #expect(status.numTaskRuns == 2_500)
            #expect(status.taskRunStatusCounts.values.reduce(0, +) == 2_500)
        }
    }

    @Test func aFailedBatchIsReportedByInputRangeAndNothingIsDropped() async throws {
        try await withLiveSandbox { url, store in
            let client = sandboxClient(url, retry: RetryPolicy.none, batchSize: 10, concurrency: 1)
            let group = try await client.createGroup()
            await store.setFaults(FaultSettings(failNext: [.init(status: 503, count: 1)]))
            let outcome = try await client.addRuns(group.taskGroupID, inputs: Self.rows(25), defaultTaskSpec: Self.spec)
            #expect(outcome.failures.map(\.range) == [0..<10])
            #expect(outcome.failures.first?.error.kind == .serverError)
            #expect(outcome.runIDs[0..<10].allSatisfy { $0 == nil })
            #expect(outcome.runIDs[10...].allSatisfy { $0 != nil })
            #expect(try await client.group(group.taskGroupID).status.numTaskRuns == 15)
        }
    }

    @Test func aFatalErrorStopsFurtherBatches() async throws {
        try await withLiveSandbox { url, store in
            let client = sandboxClient(url, batchSize: 10, concurrency: 1)
            let group = try await client.createGroup()
            await store.setFaults(FaultSettings(failNext: [.init(status: 402, count: 1)]))
            let outcome = try await client.addRuns(group.taskGroupID, inputs: Self.rows(30), defaultTaskSpec: Self.spec)
            #expect(outcome.failures.map(\.range) == [0..<10, 10..<20, 20..<30])
            #expect(outcome.failures.allSatisfy { $0.error.kind == .insufficientCredit })
            #expect(outcome.runIDs.allSatisfy { $0 == nil })
            #expect(try await client.group(group.taskGroupID).status.numTaskRuns == 0)
        }
    }

    @Test func tooManyInputsInOneRequestAreRefusedUnsent() async throws {
        let client = sandboxClient("http://127.0.0.1:9")
        let error = await ParallelAPIError.caught { () async throws(ParallelAPIError) in
            try await client.addRunsBatch("tgrp_1", inputs: Self.rows(1_001))
        }
        #expect(error?.kind == .invalidRequest)
    }

    @Test func groupLifecycleStreamsAndOneRun() async throws {
        try await withLiveSandbox { url, _ in
            let client = sandboxClient(url)
            let group = try await client.createGroup()
            var inputs = Self.rows(6)
            inputs[4].input = ["company": "Broken sandbox:fail Inc"]
            let first = try await client.addRunsBatch(group.taskGroupID, inputs: Array(inputs[0..<3]), defaultTaskSpec: Self.spec)
            #expect(first.runCursor == nil)
            #expect(first.eventCursor == nil)
            let second = try await client.addRunsBatch(group.taskGroupID, inputs: Array(inputs[3...]), defaultTaskSpec: Self.spec)
            #expect(second.runCursor != nil)

            // The events stream ends once no run is active, with every run's end and the group status.
            var ended = Set<String>()
            var lastStatus: TaskGroupStatus?
            var lastCursor: String?
            for try await item in try await client.groupEvents(group.taskGroupID) {
                switch item.event {
                case .runState(let state): ended.insert(state.run.runID)
                case .groupStatus(let status): lastStatus = status.status
                default: Issue.record("unexpected event \(item.event.type)")
                }
                lastCursor = item.cursor ?? lastCursor
            }
            #expect(ended == Set(first.runIDs + second.runIDs))
            #expect(lastStatus?.isActive == false)
            #expect(lastStatus?.count(.completed) == 5)
            #expect(lastStatus?.count(.failed) == 1)

            // Resuming after the last event yields nothing new but the final status.
            var resumed: [TaskEvent] = []
            for try await item in try await client.groupEvents(group.taskGroupID, lastEventID: lastCursor) { resumed.append(item.event) }
            #expect(resumed.allSatisfy { if case .groupStatus = $0 { return true } else { return false } })

            let runs = try await client.allGroupRuns(group.taskGroupID, includeInput: true, includeOutput: true)
            #expect(runs.map(\.run.runID) == first.runIDs + second.runIDs)
            #expect(runs.filter { $0.output != nil }.count == 5)
            #expect(runs[4].run.status == .failed)
            #expect(runs[4].run.error != nil)
            let onlyFailed = try await client.allGroupRuns(group.taskGroupID, status: .failed)
            #expect(onlyFailed.map(\.run.runID) == [second.runIDs[1]])

            let one = try await client.groupRun(group.taskGroupID, runID: first.runIDs[0])
            #expect(one.taskGroupID == group.taskGroupID)
            let result = try await client.result(first.runIDs[0])
            #expect(result.output.content["ceo"]?.stringValue != nil)
        }
    }

    @Test func cutStreamsAreResumedFromTheLastEventID() async throws {
        try await withLiveSandbox { url, store in
            let client = sandboxClient(url)
            let group = try await client.createGroup()
            let added = try await client.addRunsBatch(group.taskGroupID, inputs: Self.rows(10), defaultTaskSpec: Self.spec)
            await store.setFaults(FaultSettings(sseCutAfterEvents: 4))
            let runs = try await client.allGroupRuns(group.taskGroupID)
            #expect(runs.map(\.run.runID) == added.runIDs)

            // A raw cut stream surfaces as a retryable error, not as a clean end.
            var received = 0
            let error = await ParallelAPIError.caught { () async throws(ParallelAPIError) in
                for try await _ in try await client.groupRunsStream(group.taskGroupID) { received += 1 }
            }
            #expect(received == 4)
            #expect(error?.isRetryable == true)
        }
    }

    @Test func legacyV1BetaGroupPathsAnswerTheSame() async throws {
        try await withLiveSandbox { url, _ in
            var request = HTTPClientRequest(url: url + "/v1beta/tasks/groups")
            request.method = .POST
            request.headers.add(name: "x-api-key", value: SandboxConfiguration.demoAPIKey)
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: "{}"))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
            #expect(response.status.code == 200)
            let body = try await response.body.collect(upTo: 1 << 20)
            let group = try JSONDecoder().decode(TaskGroup.self, from: Data(body.readableBytesView))
            let viaV1 = try await sandboxClient(url).group(group.taskGroupID)
            #expect(viaV1.taskGroupID == group.taskGroupID)
        }
    }
}
