import Crypto
import Foundation
import JSON
import ParallelAPI
import ParallelSandbox
import TaskTools
import Testing

/// TaskService against a live sandbox: validation, large groups, pagination, partial failures.
@Suite("Task service")
struct TaskServiceTests {
    // MARK: Deep research validation

    @Test func deepResearchArgumentsAreValidatedBeforeAnythingIsCreated() async throws {
        try await withService { harness in
            let service = harness.service
            let caller = harness.caller

            let missing = await serviceError { () async throws(TaskServiceError) in try await service.createDeepResearch([:], caller: caller) }
            #expect(missing?.kind == .invalidArgument)
            #expect(missing?.message == "input is required: the research question, as a string.")
            #expect(missing?.detail == ["argument": "input"])

            let empty = await serviceError { () async throws(TaskServiceError) in
                try await service.createDeepResearch(["input": " \n\t "], caller: caller)
            }
            #expect(empty?.kind == .invalidArgument)
            #expect(empty?.message == "input is empty; give the research question.")

            let long = String(repeating: "q", count: 15_001)
            let tooLong = await serviceError { () async throws(TaskServiceError) in
                try await service.createDeepResearch(["input": .string(long)], caller: caller)
            }
            #expect(tooLong?.kind == .invalidArgument)
            #expect(tooLong?.detail == ["argument": "input", "input_length": 15_001, "max_length": 15_000])
            #expect(tooLong?.message.hasPrefix("input is 15001 characters; deep research accepts at most 15000.") == true)

            let lite = await serviceError { () async throws(TaskServiceError) in
                try await service.createDeepResearch(["input": "A question", "processor": "lite"], caller: caller)
            }
            #expect(lite?.kind == .invalidArgument)
            #expect(
                lite?.message
                    == "The processor \"lite\" cannot be used here; use one of: pro, ultra, ultra2x, ultra4x, ultra8x (each also as a -fast variant, e.g. pro-fast)."
            )
            #expect(
                lite?.detail?["valid_processors"]
                    == [
                        "pro", "ultra", "ultra2x", "ultra4x", "ultra8x", "pro-fast", "ultra-fast", "ultra2x-fast", "ultra4x-fast",
                        "ultra8x-fast",
                    ])
            #expect(lite?.detail?["argument"] == "processor")

            let nearMiss = await serviceError { () async throws(TaskServiceError) in
                try await service.createDeepResearch(["input": "A question", "processor": "Ultra-2x"], caller: caller)
            }
            #expect(nearMiss?.message.hasPrefix("Unknown processor \"Ultra-2x\"; did you mean \"ultra2x\"?") == true)

            let numeric = await serviceError { () async throws(TaskServiceError) in
                try await service.createDeepResearch(["input": "A question", "processor": 3], caller: caller)
            }
            #expect(numeric?.message == "processor must be a string such as \"pro\".")

            let badPolicies: [(JSONValue, String)] = [
                ("sec.gov", "source_policy must be an object with include_domains, exclude_domains and/or after_date."),
                (
                    ["include": ["sec.gov"]],
                    "source_policy has an unknown member 'include'; use include_domains, exclude_domains, after_date."
                ),
                (["after_date": "2024-13-01"], "source_policy.after_date must be a date as YYYY-MM-DD."),
                (
                    ["include_domains": ["sec gov"]],
                    "source_policy.include_domains must be a list of domain names such as \"example.com\"."
                ),
                (
                    ["exclude_domains": .array((0..<201).map { .string("site\($0).example") })],
                    "source_policy lists more than 200 domains; Parallel accepts at most 200."
                ),
            ]
            for (policy, message) in badPolicies {
                let error = await serviceError { () async throws(TaskServiceError) in
                    try await service.createDeepResearch(["input": "A question", "source_policy": policy], caller: caller)
                }
                #expect(error?.kind == .invalidArgument, "\(policy)")
                #expect(error?.message == message, "\(policy)")
                #expect(error?.detail?["argument"] == "source_policy", "\(policy)")
            }

            let previous = await serviceError { () async throws(TaskServiceError) in
                try await service.createDeepResearch(["input": "A question", "previous_interaction_id": 7], caller: caller)
            }
            #expect(previous?.detail?["argument"] == "previous_interaction_id")

            // Nothing was created or remembered.
            let remembered = try await service.recentTasks(caller: caller)
            #expect(remembered.isEmpty)
        }
    }

    @Test func aQuestionOfExactlyTheLimitIsAccepted() async throws {
        try await withService { harness in
            let input = "  " + String(repeating: "w", count: 15_000) + "\n"
            let created = try await harness.service.createDeepResearch(
                ["input": .string(input), "source_policy": ["include_domains": ["sec.gov"], "after_date": "2024-01-31"]],
                caller: harness.caller)
            #expect(created.runID.hasPrefix("trun_"))
            #expect(created.processor == "pro")
            #expect(created.sandbox)
            #expect(created.progressURL.hasPrefix("\(servicePublicURL)/\(created.runID).html?view="))
            let upstream = try await harness.client.runInput(created.runID)
            #expect(upstream.input == .string(String(repeating: "w", count: 15_000)))
            #expect(upstream.sourcePolicy?.includeDomains == ["sec.gov"])
            #expect(upstream.sourcePolicy?.afterDate == "2024-01-31")
            #expect(upstream.metadata?["created_via"] == "task-mcp")
        }
    }

    // MARK: Large groups

    /// 2,500 rows: three add-runs requests (the sandbox rejects more than 1,000 inputs in one,
    /// and this account may make only three per minute), every row accepted, order kept.
    @Test func aGroupOf2500RowsIsAddedInThreeBatchesAndReadBackInOrder() async throws {
        let sandbox = SandboxConfiguration(
            timeFactor: 0.002, accounts: [SandboxConfiguration.demoAPIKey: AccountSettings(rateLimitPerMinute: 3)])
        try await withService(sandbox: sandbox, pageTokenBudget: 40_000) { harness in
            let service = harness.service
            let created = try await service.createTaskGroup(
                ["inputs": companyRows(2_500), "output": "ceo_name, founding_year", "output_type": "json", "processor": "lite"],
                caller: harness.caller)
            #expect(created.submitted == 2_500)
            #expect(created.accepted == 2_500)
            #expect(created.failures.isEmpty)
            #expect(created.processor == "lite")
            #expect(!created.processorChosenAutomatically)
            #expect(created.outputFields == ["ceo_name", "founding_year"])

            // Every run was charged once ($0.005 each).
            let account = await harness.store.account(SandboxConfiguration.demoAPIKey)
            #expect(abs((account?.creditsUSD ?? 0) - 987.5) < 1e-6, "\(String(describing: account))")

            let summary = try await harness.waitUntilDone(created.groupID)
            #expect(summary.total == 2_500)
            #expect(summary.counts?["completed"] == 2_500)
            #expect(!summary.isActive)

            // Walk every page by cursor.
            var cursor: String?
            var pageNumbers: [Int] = []
            var rows: [(number: Int, company: String)] = []
            repeat {
                let page = try await service.resultMarkdown(of: created.groupID, basis: nil, cursor: cursor, caller: harness.caller)
                pageNumbers.append(page.pageNumber)
                rows += tableRows(in: page.text)
                cursor = page.nextCursor
                if cursor == nil { #expect(page.pageNumber == page.pageCount) }
            } while cursor != nil && pageNumbers.count < 200
            #expect(pageNumbers.count > 1, "expected several pages")
            #expect(pageNumbers == Array(1...pageNumbers.count))
            #expect(rows.count == 2_500)
            #expect(rows.map(\.number) == Array(0..<2_500), "every row exactly once, in input order")
            let mismatched = rows.filter { $0.company != companyName($0.number) }
            #expect(mismatched.isEmpty, "rows whose input is not their own: \(mismatched.prefix(3))")

        }
    }

    @Test func unknownBasisRowsAndFieldsAreInvalidArguments() async throws {
        try await withService { harness in
            let service = harness.service
            let created = try await service.createTaskGroup(
                ["inputs": "company\nAcme\nGlobex\nInitech", "output": "ceo_name, founding_year", "output_type": "json"],
                caller: harness.caller)
            #expect(created.processor == "base")
            #expect(created.processorChosenAutomatically)
            _ = try await harness.waitUntilDone(created.groupID)
            let id = created.groupID
            let caller = harness.caller

            let row = await serviceError { () async throws(TaskServiceError) in
                try await service.resultMarkdown(of: id, basis: "index:5", cursor: nil, caller: caller)
            }
            #expect(row?.kind == .invalidArgument)
            #expect(row?.message == "No row 5 among the group's 3 rows (rows are numbered by input index, as in the table's # column).")
            #expect(row?.detail == ["argument": "basis"])

            let field = await serviceError { () async throws(TaskServiceError) in
                try await service.resultMarkdown(of: id, basis: "field:revenue", cursor: nil, caller: caller)
            }
            #expect(field?.kind == .invalidArgument)
            #expect(field?.message == "Unknown field \"revenue\": valid fields are ceo_name, founding_year.")

            let malformed = await serviceError { () async throws(TaskServiceError) in
                try await service.resultMarkdown(of: id, basis: "row:1", cursor: nil, caller: caller)
            }
            #expect(malformed?.kind == .invalidArgument)
            #expect(malformed?.message.hasPrefix("Invalid basis \"row:1\"") == true)

            let cursor = await serviceError { () async throws(TaskServiceError) in
                try await service.resultMarkdown(of: id, basis: nil, cursor: "not-a-cursor", caller: caller)
            }
            #expect(cursor?.kind == .invalidArgument)
            #expect(cursor?.detail == ["argument": "cursor"])

            let detail = try await service.resultMarkdown(of: id, basis: "index:1", cursor: nil, caller: caller)
            #expect(detail.text.contains("## Row 1 — full detail"))
            #expect(detail.text.contains("| `company` | Globex |"))

            let field1 = try await service.resultMarkdown(of: id, basis: "field:ceo_name", cursor: nil, caller: caller)
            #expect(field1.text.contains("## Field `ceo_name` (every row)"))
            #expect(field1.pageCount == 1)
            #expect(field1.nextCursor == nil)
        }
    }

    // MARK: Partial failures

    /// The sandbox stalls the create-group request; once that request has taken its fault, one
    /// 500 is scripted with `fail_next`, which the second add-runs batch (rows 10–19) receives.
    @Test func anInjectedFaultOnOneBatchIsReportedWithItsRows() async throws {
        let sandbox = SandboxConfiguration(timeFactor: 0.002, faults: FaultSettings(stallNext: 2, stallMs: 1_000))
        try await withService(sandbox: sandbox, client: ClientSettings(batchSize: 10, concurrency: 1)) { harness in
            let store = harness.store
            let service = harness.service
            let caller = harness.caller
            async let creation = service.createTaskGroup(
                ["inputs": companyRows(25), "output": "ceo_name", "output_type": "json", "processor": "lite"], caller: caller)
            // Both stalls are taken (create group, then batch 0): script the failure for batch 1.
            let deadline = ContinuousClock.now + .seconds(60)
            while await store.currentFaults().stallNext > 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            await store.setFaults(FaultSettings(failNext: [.init(status: 500, count: 1)]))
            let created = try await creation

            #expect(created.submitted == 25)
            #expect(created.accepted == 15)
            try #require(created.failures.count == 1)
            let failure = created.failures[0]
            #expect(failure.rows == 10..<20)
            #expect(failure.upstreamStatus == 500)
            // A 500 after the rows were sent: they may have been added, so they were not sent again blindly.
            let expected =
                "Parallel may have carried out the request to add these rows, but Parallel's answer was lost (HTTP 500), so it was not sent again (that could bill it twice). Some of them may be in the group: call getStatus \(created.groupID) to count its rows before adding them again."
            #expect(failure.error == expected)
            #expect(
                failure.jsonValue
                    == ["first_row": 10, "last_row": 19, "count": 10, "upstream_status": 500, "error": .string(expected)])
            #expect(created.text.contains("- rows 10–19: Parallel may have carried out the request to add these rows"))
            #expect(created.message.hasPrefix("10 of 25 rows were NOT added (see failed_rows); tell the user which."))

            // The accepted rows keep their input indexes.
            _ = try await harness.waitUntilDone(created.groupID)
            let page = try await service.resultMarkdown(of: created.groupID, basis: nil, cursor: nil, caller: caller)
            let rows = tableRows(in: page.text)
            let kept = Array(0..<10) + Array(20..<25)
            #expect(rows.map(\.company) == kept.map(companyName), "accepted rows in input order")
            // The `#` column (and `index:N`) must name the same rows as `failed_rows` does: the
            // input index. Company 0020 is row 20, not row 10.
            #expect(rows.map(\.number) == kept, "row numbers: \(rows.map(\.number))")
        }
    }

    /// Credit runs out after the first batch: that batch's rows stand, the next one gets 402 and
    /// the last one is not sent.
    @Test func runningOutOfCreditMidwayReportsEveryUnaddedRange() async throws {
        // lite costs $0.005 a run: 10 rows cost $0.05, so $0.08 pays for one batch only.
        let sandbox = SandboxConfiguration(
            timeFactor: 0.002, accounts: [SandboxConfiguration.demoAPIKey: AccountSettings(creditsUSD: 0.08)])
        try await withService(sandbox: sandbox, client: ClientSettings(batchSize: 10, concurrency: 1)) { harness in
            let created = try await harness.service.createTaskGroup(
                ["inputs": companyRows(25), "output": "ceo_name", "output_type": "json", "processor": "lite"], caller: harness.caller)
            #expect(created.accepted == 10)
            #expect(created.failures.map(\.rows) == [10..<20, 20..<25])
            #expect(created.failures.map(\.upstreamStatus) == [402, 402])
            let message = "The Parallel account has insufficient credit to add these rows. Add credit at https://platform.parallel.ai and try again."
            #expect(created.failures.map(\.error) == [message, message])
            #expect(created.jsonValue["failed_rows"]?.arrayValue?.map { $0["first_row"] } == [10, 20])
            #expect(created.jsonValue["failed_rows"]?.arrayValue?.map { $0["last_row"] } == [19, 24])
        }
    }

    @Test func aRateLimitedLastBatchIsReported() async throws {
        let sandbox = SandboxConfiguration(
            timeFactor: 0.002, accounts: [SandboxConfiguration.demoAPIKey: AccountSettings(rateLimitPerMinute: 2)])
        try await withService(sandbox: sandbox, client: ClientSettings(batchSize: 10, concurrency: 1)) { harness in
            let created = try await harness.service.createTaskGroup(
                ["inputs": companyRows(25), "output": "ceo_name", "output_type": "json", "processor": "lite"], caller: harness.caller)
            #expect(created.accepted == 20)
            #expect(created.failures.map(\.rows) == [20..<25])
            #expect(created.failures.first?.upstreamStatus == 429)
            #expect(created.failures.first?.error == "Parallel is rate limiting this account; wait a moment, then add these rows again.")
        }
    }

    @Test func aFaultOnCreatingTheGroupIsAnUpstreamError() async throws {
        let sandbox = SandboxConfiguration(timeFactor: 0.002, faults: FaultSettings(failNext: [.init(status: 500, count: 1)]))
        try await withService(sandbox: sandbox) { harness in
            let service = harness.service
            let caller = harness.caller
            let error = await serviceError { () async throws(TaskServiceError) in
                try await service.createTaskGroup(
                    ["inputs": companyRows(3), "output": "ceo_name", "output_type": "json"], caller: caller)
            }
            #expect(error?.kind == .upstream)
            #expect(error?.message == "Could not create the task group: Parallel's Task API failed (server error, HTTP 500). Try again later.")
            #expect(error?.detail?["upstream_status"] == 500)
            let remembered = try await service.recentTasks(caller: caller)
            #expect(remembered.isEmpty)
        }
    }

    // MARK: Credit

    @Test func insufficientCreditIsReportedAsSuch() async throws {
        try await withService { harness in
            await harness.store.setAccount(SandboxConfiguration.demoAPIKey, AccountSettings(creditsUSD: 0))
            let service = harness.service
            let caller = harness.caller

            let run = await serviceError { () async throws(TaskServiceError) in
                try await service.createDeepResearch(["input": "Who builds offshore wind farms?"], caller: caller)
            }
            #expect(run?.kind == .insufficientCredit)
            #expect(
                run?.message
                    == "The Parallel account has insufficient credit to create the deep-research run. Add credit at https://platform.parallel.ai and try again."
            )
            #expect(run?.detail?["upstream_status"] == 402)

            let group = await serviceError { () async throws(TaskServiceError) in
                try await service.createTaskGroup(
                    ["inputs": companyRows(3), "output": "ceo_name", "output_type": "json"], caller: caller)
            }
            #expect(group?.kind == .insufficientCredit)
            #expect(group?.detail?["run_count"] == 0)
            #expect(group?.detail?["failed_rows"]?.arrayValue?.first?["first_row"] == 0)
            #expect(group?.detail?["failed_rows"]?.arrayValue?.first?["last_row"] == 2)
            #expect(group?.detail?["failed_rows"]?.arrayValue?.first?["upstream_status"] == 402)
        }
    }

    // MARK: Links

    @Test func viewLinksActAsTheCreatorUntilRevoked() async throws {
        try await withService { harness in
            let service = harness.service
            let caller = harness.caller
            let run = try await service.createDeepResearch(["input": "How do heat pumps work in cold climates?"], caller: caller)
            let group = try await service.createTaskGroup(
                ["inputs": companyRows(2), "output": "ceo_name", "output_type": "json"], caller: caller)
            let runToken = try #require(run.progressURL.components(separatedBy: "?view=").last)
            let groupToken = try #require(group.progressURL.components(separatedBy: "?view=").last)

            let viewer = try await service.caller(forViewOf: run.runID, token: runToken)
            #expect(viewer == caller)

            // A token opens only its own task.
            let crossed = await serviceError { () async throws(TaskServiceError) in
                try await service.caller(forViewOf: group.groupID, token: runToken)
            }
            #expect(crossed?.kind == .notFound)

            // Only the owner may revoke.
            let stranger = Caller.apiKey(APIKey("some-other-parallel-key"))
            #expect(try await service.revokeLinks(of: run.runID, caller: stranger) == false)
            #expect(try await service.caller(forViewOf: run.runID, token: runToken) == caller)

            #expect(try await service.revokeLinks(of: run.runID, caller: caller))
            let revoked = await serviceError { () async throws(TaskServiceError) in
                try await service.caller(forViewOf: run.runID, token: runToken)
            }
            #expect(revoked?.kind == .notFound)
            #expect(revoked?.message == "This link is not valid, or it was revoked. Ask for a new one.")

            // The other task's link is untouched, and the listing carries the new run link.
            #expect(try await service.caller(forViewOf: group.groupID, token: groupToken) == caller)
            let listed = try await service.recentTasks(caller: caller)
            #expect(listed.map(\.record.id) == [group.groupID, run.runID])
            let fresh = try #require(listed.last?.progressURL.components(separatedBy: "?view=").last)
            #expect(fresh != runToken)
            #expect(try await service.caller(forViewOf: run.runID, token: fresh) == caller)
            #expect(try await service.revokeLinks(of: "trun_unknown", caller: caller) == false)
        }
    }

    @Test func viewTokensAreBoundToTheRecord() async throws {
        let links = ViewLinks(key: SymmetricKey(size: .bits256))
        let record = TaskRecord(
            id: "trun_0123456789abcdef", kind: .run, owner: "key:0123456789abcdef01234567", createdAt: Date(), processor: "pro",
            label: "A question", linkNonce: ViewLinks.newNonce())
        let token = links.token(for: record)
        #expect(token.count == 43)
        #expect(token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(links.token(for: record) == token)
        #expect(links.isValid(token, for: record))

        var otherTask = record
        otherTask.id = "trun_fedcba9876543210"
        #expect(!links.isValid(token, for: otherTask))

        var otherOwner = record
        otherOwner.owner = "key:ffffffffffffffffffffffff"
        #expect(!links.isValid(token, for: otherOwner))

        #expect(!ViewLinks(key: SymmetricKey(size: .bits256)).isValid(token, for: record))
        #expect(!links.isValid("", for: record))
        #expect(!links.isValid(String(token.dropLast(4)), for: record))
        #expect(!links.isValid(token + "AAAA", for: record))
        #expect(!links.isValid("not a token!", for: record))

        let registry = InMemoryTaskRegistry()
        await registry.save(record, credential: APIKey("sandbox-demo-key"))
        let nonce = ViewLinks.newNonce()
        #expect(nonce.count == 32)
        #expect(nonce.allSatisfy { $0.isHexDigit })
        #expect(nonce != record.linkNonce)
        let rotated = try #require(await registry.rotateLinkNonce(taskID: record.id, newNonce: nonce))
        #expect(rotated.linkNonce == nonce)
        #expect(!links.isValid(token, for: rotated))
        #expect(links.isValid(links.token(for: rotated), for: rotated))
        #expect(await registry.rotateLinkNonce(taskID: "trun_missing", newNonce: nonce) == nil)
    }

    // MARK: Callers and the registry

    @Test func anAPIKeyCallerHasAStableSubjectThatHidesTheKey() {
        let key = "sandbox-demo-key"
        let caller = Caller.apiKey(APIKey(key))
        let digest = SHA256.hash(data: Data("task-mcp/api-key-subject\n\(key)".utf8))
        let expected = "key:" + digest.prefix(12).map { String(format: "%02x", $0) }.joined()
        #expect(caller.subject == expected)
        #expect(caller.subject.count == 4 + 24)
        #expect(Caller.apiKey(APIKey(key)).subject == caller.subject)
        #expect(!caller.subject.contains(key))
        #expect(caller.apiKey.secret == key)
        #expect("\(caller.apiKey)" == "APIKey(redacted)")
        #expect(Caller.apiKey(APIKey(key + "2")).subject != caller.subject)
    }

    @Test func theRegistryListsAnOwnersTasksNewestFirstWithinCapacity() async throws {
        let registry = InMemoryTaskRegistry(capacity: 3)
        func record(_ number: Int, owner: String) -> TaskRecord {
            TaskRecord(
                id: "trun_\(number)", kind: .run, owner: owner, createdAt: Date(), processor: "pro", label: "\(number)",
                linkNonce: ViewLinks.newNonce())
        }
        await registry.save(record(1, owner: "a"), credential: APIKey("key-a-0001"))
        await registry.save(record(2, owner: "b"), credential: APIKey("key-b-0001"))
        await registry.save(record(3, owner: "a"), credential: APIKey("key-a-0001"))
        #expect(await registry.recent(owner: "a", limit: 10).map(\.id) == ["trun_3", "trun_1"])
        #expect(await registry.recent(owner: "a", limit: 1).map(\.id) == ["trun_3"])
        #expect(await registry.credential(forTask: "trun_2") == APIKey("key-b-0001"))

        await registry.save(record(4, owner: "a"), credential: APIKey("key-a-0001"))
        // The oldest record was dropped.
        #expect(await registry.record(id: "trun_1") == nil)
        #expect(await registry.recent(owner: "a", limit: 10).map(\.id) == ["trun_4", "trun_3"])
    }
}
