import Foundation
import Hummingbird
import HummingbirdTesting
import JSON
import ParallelAPI
import ParallelSandbox
import Testing

/// Accounts (credit, rate limits), fault injection, reset, and the sandbox label
/// (credit reserved for runs in flight, Parallel's error statuses; the `/sandbox` admin routes).
@Suite("Accounts and faults")
struct AccountsAndFaultsTests {
    static let liteBody = #"{"processor":"lite","input":"hello"}"#

    static func account(_ sandbox: SandboxClient, _ key: String) async throws -> JSONValue {
        let response = try await sandbox.get("/sandbox/accounts/\(key)", key: nil)
        #expect(response.status == .ok, "account answered \(response.status): \(response.text)")
        return try response.json
    }

    // MARK: Accounts

    @Test("The demo account starts with credit and Parallel's default rate limit")
    func defaultAccount() async throws {
        try await withSandbox { sandbox in
            let account = try await Self.account(sandbox, Keys.demo)
            #expect((account["credits_usd"]?.numberValue ?? 0) > 0)
            #expect(account["rate_limit_per_minute"] == 2_000)
            try await sandbox.get("/sandbox/accounts/unknown-key", key: nil).expectErrorResponse(.notFound)
        }
    }

    @Test("PUT /sandbox/accounts/{key} adds a key that the API then accepts")
    func newAccount() async throws {
        try await withSandbox { sandbox in
            try await sandbox.post("/v1/tasks/runs", Self.liteBody, key: "fresh-key").expectErrorResponse(.unauthorized)
            let put = try await sandbox.put("/sandbox/accounts/fresh-key", #"{"credits_usd":5}"#)
            #expect(put.status == .ok)
            _ = try await sandbox.createRun(Self.liteBody, key: "fresh-key")
        }
    }

    @Test("With no credit, creating a run answers 402 and creates nothing")
    func noCredit() async throws {
        try await withSandbox { sandbox in
            let put = try await sandbox.put("/sandbox/accounts/\(Keys.demo)", #"{"credits_usd":0.0}"#)
            #expect(put.status == .ok)
            let message = try await sandbox.post("/v1/tasks/runs", Self.liteBody).expectErrorResponse(HTTPResponse.Status(code: 402))
            #expect(message.localizedCaseInsensitiveContains("credit"))
            #expect(try await Self.account(sandbox, Keys.demo)["credits_usd"]?.numberValue == 0)

            // A group batch is refused whole, too.
            let group = try await sandbox.createGroup()
            let body = JSONValue.object(["inputs": [["processor": "lite", "input": "a"], ["processor": "lite", "input": "b"]]]).jsonText
            try await sandbox.post("/v1/tasks/groups/\(group.taskGroupID)/runs", body).expectErrorResponse(HTTPResponse.Status(code: 402))
            #expect(try await sandbox.group(group.taskGroupID).status.numTaskRuns == 0)
        }
    }

    @Test("Runs spend credit at the processor's price until it runs out")
    func creditIsSpent() async throws {
        try await withSandbox { sandbox in
            // Exactly one lite run ($0.005), then nothing.
            _ = try await sandbox.put("/sandbox/accounts/\(Keys.demo)", #"{"credits_usd":0.007}"#)
            _ = try await sandbox.createRun(Self.liteBody)
            let left = try #require(try await Self.account(sandbox, Keys.demo)["credits_usd"]?.numberValue)
            #expect(abs(left - 0.002) < 1e-9, "credit left: \(left)")
            try await sandbox.post("/v1/tasks/runs", Self.liteBody).expectErrorResponse(HTTPResponse.Status(code: 402))

            // A pro run ($0.10) needs more than a lite one.
            _ = try await sandbox.put("/sandbox/accounts/\(Keys.demo)", #"{"credits_usd":0.05}"#)
            try await sandbox.post("/v1/tasks/runs", #"{"processor":"pro","input":"x"}"#).expectErrorResponse(HTTPResponse.Status(code: 402))
            _ = try await sandbox.createRun(Self.liteBody)

            // A group batch that would overdraw is refused whole.
            _ = try await sandbox.put("/sandbox/accounts/\(Keys.demo)", #"{"credits_usd":0.012}"#)
            let group = try await sandbox.createGroup()
            let three = JSONValue.object(["inputs": .array((0..<3).map { ["processor": "lite", "input": .string("r\($0)")] })]).jsonText
            try await sandbox.post("/v1/tasks/groups/\(group.taskGroupID)/runs", three).expectErrorResponse(HTTPResponse.Status(code: 402))
            #expect(try await sandbox.group(group.taskGroupID).status.numTaskRuns == 0)
        }
    }

    @Test("Over the rate limit, creating answers 429 with Retry-After; reads are not limited")
    func rateLimit() async throws {
        try await withSandbox { sandbox in
            let put = try await sandbox.put("/sandbox/accounts/\(Keys.demo)", #"{"rate_limit_per_minute":1}"#)
            #expect(put.status == .ok)
            let run = try await sandbox.createRun(Self.liteBody)
            let limited = try await sandbox.post("/v1/tasks/runs", Self.liteBody)
            try limited.expectErrorResponse(.tooManyRequests)
            let retryAfter = try #require(limited.header(Header.retryAfter).flatMap { Int($0) }, "Retry-After header missing")
            #expect((1...61).contains(retryAfter), "Retry-After \(retryAfter)")

            // Group add-runs are resource-creating POSTs too.
            let group = try await sandbox.createGroup()
            let body = JSONValue.object(["inputs": [["processor": "lite", "input": "a"]]]).jsonText
            try await sandbox.post("/v1/tasks/groups/\(group.taskGroupID)/runs", body).expectErrorResponse(.tooManyRequests)

            // GETs still work.
            #expect(try await sandbox.run(run.runID).runID == run.runID)
            #expect(try await sandbox.get("/v1/tasks/runs/\(run.runID)/result?timeout=10").status == .ok)
        }
    }

    @Test("Rate limits are per key")
    func rateLimitPerKey() async throws {
        try await withSandbox(twoAccountConfiguration()) { sandbox in
            _ = try await sandbox.put("/sandbox/accounts/\(Keys.demo)", #"{"rate_limit_per_minute":1}"#)
            _ = try await sandbox.createRun(Self.liteBody)
            try await sandbox.post("/v1/tasks/runs", Self.liteBody).expectErrorResponse(.tooManyRequests)
            _ = try await sandbox.createRun(Self.liteBody, key: Keys.other)
        }
    }

    @Test("A negative rate limit or a malformed account body answers 400")
    func invalidAccount() async throws {
        try await withSandbox { sandbox in
            try await sandbox.put("/sandbox/accounts/\(Keys.demo)", #"{"rate_limit_per_minute":-1}"#).expectErrorResponse(.badRequest)
            try await sandbox.put("/sandbox/accounts/\(Keys.demo)", "not json").expectErrorResponse(.badRequest)
            #expect(try await Self.account(sandbox, Keys.demo)["rate_limit_per_minute"] == 2_000)
        }
    }

    // MARK: Faults

    @Test("fail_next makes exactly the next N API requests answer that status; admin and OAuth routes are spared")
    func failNext() async throws {
        try await withSandbox { sandbox in
            let run = try await sandbox.createRun(Self.liteBody)
            let put = try await sandbox.put("/sandbox/faults", #"{"fail_next":[{"status":503,"count":2},{"status":500}]}"#)
            #expect(put.status == .ok)

            // Admin and OAuth requests do not use up the scripted failures.
            #expect(try await sandbox.get("/sandbox", key: nil).status == .ok)
            #expect(try await sandbox.get("/sandbox/faults", key: nil).status == .ok)
            #expect(try await sandbox.get("/.well-known/oauth-authorization-server", key: nil).status == .ok)
            #expect(try await sandbox.get("/", key: nil).status == .ok)

            try await sandbox.get("/v1/tasks/runs/\(run.runID)").expectErrorResponse(.serviceUnavailable)
            try await sandbox.post("/v1/tasks/runs", Self.liteBody).expectErrorResponse(.serviceUnavailable)
            try await sandbox.get("/v1/tasks/groups/tgrp_000000000000000000000000000000000000000000000000")
                .expectErrorResponse(.internalServerError)
            #expect(try await sandbox.get("/v1/tasks/runs/\(run.runID)").status == .ok)
            #expect(try await sandbox.post("/v1/tasks/runs", Self.liteBody).status == .accepted)
            // The script is used up.
            let faults = try await sandbox.get("/sandbox/faults", key: nil).json
            #expect(faults["fail_next"] == [])
        }
    }

    @Test("An injected 429 carries the configured Retry-After")
    func injectedRetryAfter() async throws {
        try await withSandbox { sandbox in
            _ = try await sandbox.put("/sandbox/faults", #"{"fail_next":[{"status":429}],"retry_after_seconds":7}"#)
            let response = try await sandbox.post("/v1/tasks/runs", Self.liteBody)
            try response.expectErrorResponse(.tooManyRequests)
            #expect(response.header(Header.retryAfter) == "7")
        }
    }

    @Test("A failed injected request creates nothing")
    func injectedFailureCreatesNothing() async throws {
        try await withSandbox { sandbox in
            let group = try await sandbox.createGroup()
            _ = try await sandbox.put("/sandbox/faults", #"{"fail_next":[{"status":502}]}"#)
            let body = JSONValue.object(["inputs": [["processor": "lite", "input": "a"]]]).jsonText
            try await sandbox.post("/v1/tasks/groups/\(group.taskGroupID)/runs", body).expectErrorResponse(.badGateway)
            #expect(try await sandbox.group(group.taskGroupID).status.numTaskRuns == 0)
        }
    }

    @Test("error_rates of 1 fails every API request until the faults are cleared")
    func errorRates() async throws {
        try await withSandbox { sandbox in
            _ = try await sandbox.put("/sandbox/faults", #"{"error_rates":{"500":1.0}}"#)
            for _ in 0..<3 {
                try await sandbox.post("/v1/tasks/runs", Self.liteBody).expectErrorResponse(.internalServerError)
            }
            _ = try await sandbox.put("/sandbox/faults", "{}")
            _ = try await sandbox.createRun(Self.liteBody)
        }
    }

    @Test("run_failure_rate 1 makes new runs fail")
    func runFailureRate() async throws {
        try await withSandbox { sandbox in
            _ = try await sandbox.put("/sandbox/faults", #"{"run_failure_rate":1}"#)
            let run = try await sandbox.createRun(Self.liteBody)
            let done = try await sandbox.waitUntilDone(run.runID)
            #expect(done.status == .failed)
            #expect(done.error != nil)
        }
    }

    @Test("added_latency_ms delays API answers")
    func addedLatency() async throws {
        try await withSandbox { sandbox in
            _ = try await sandbox.put("/sandbox/faults", #"{"added_latency_ms":150}"#)
            let start = ContinuousClock.now
            #expect(try await sandbox.get("/v1/tasks/runs/trun_00000000000000000000000000000000").status == .notFound)
            #expect(ContinuousClock.now - start >= .milliseconds(150))
        }
    }

    @Test(
        "Invalid fault settings answer 400 and change nothing",
        arguments: [
            #"{"error_rates":{"200":0.5}}"#, #"{"error_rates":{"500":1.5}}"#, #"{"error_rates":{"500":0.6,"503":0.6}}"#,
            #"{"fail_next":[{"status":200}]}"#, #"{"run_failure_rate":2}"#, #"{"stall_rate":-0.1}"#, #"{"stall_ms":-5}"#,
            #"{"added_latency_ms":-1}"#, #"{"sse_cut_after_events":-1}"#, "not json", #"{"fail_next":[{"count":1}]}"#,
        ])
    func invalidFaults(body: String) async throws {
        try await withSandbox { sandbox in
            try await sandbox.put("/sandbox/faults", body).expectErrorResponse(.badRequest)
            let faults = try await sandbox.get("/sandbox/faults", key: nil).json
            #expect(faults["fail_next"] == [])
            #expect(faults["error_rates"] == [:])
            #expect(faults["run_failure_rate"]?.numberValue == 0)
            #expect(try await sandbox.post("/v1/tasks/runs", Self.liteBody).status == .accepted)
        }
    }

    @Test("GET /sandbox/faults returns what was set")
    func faultsRoundTrip() async throws {
        try await withSandbox { sandbox in
            let put = try await sandbox.put("/sandbox/faults", #"{"error_rates":{"503":0.25},"stall_ms":10,"retry_after_seconds":3}"#)
            #expect(put.status == .ok)
            let faults = try await sandbox.get("/sandbox/faults", key: nil).json
            #expect(faults["error_rates"] == ["503": 0.25])
            #expect(faults["stall_ms"] == 10)
            #expect(faults["retry_after_seconds"] == 3)
        }
    }

    // MARK: Reset

    @Test("POST /sandbox/reset forgets runs, groups, accounts changes and faults")
    func reset() async throws {
        try await withSandbox { sandbox in
            let run = try await sandbox.createRun(Self.liteBody)
            let group = try await sandbox.createGroup()
            _ = try await sandbox.put("/sandbox/accounts/\(Keys.demo)", #"{"credits_usd":1.5,"rate_limit_per_minute":7}"#)
            _ = try await sandbox.put("/sandbox/accounts/extra-key", "{}")

            let reset = try await sandbox.request(.post, "/sandbox/reset", key: nil)
            #expect(reset.status == .noContent)

            try await sandbox.get("/v1/tasks/runs/\(run.runID)").expectErrorResponse(.notFound)
            try await sandbox.get("/v1/tasks/runs/\(run.runID)/result?timeout=0").expectErrorResponse(.notFound)
            try await sandbox.get("/v1/tasks/groups/\(group.taskGroupID)").expectErrorResponse(.notFound)
            let account = try await Self.account(sandbox, Keys.demo)
            #expect(account["rate_limit_per_minute"] == 2_000)
            try await sandbox.get("/sandbox/accounts/extra-key", key: nil).expectErrorResponse(.notFound)
            _ = try await sandbox.createRun(Self.liteBody)
        }
    }

    @Test("Reset also clears scripted faults")
    func resetClearsFaults() async throws {
        try await withSandbox { sandbox in
            _ = try await sandbox.put("/sandbox/faults", #"{"fail_next":[{"status":500,"count":5}]}"#)
            _ = try await sandbox.request(.post, "/sandbox/reset", key: nil)
            #expect(try await sandbox.post("/v1/tasks/runs", Self.liteBody).status == .accepted)
        }
    }

    // MARK: Label

    @Test("Every response carries the x-parallel-sandbox header")
    func sandboxLabel() async throws {
        try await withSandbox { sandbox in
            let run = try await sandbox.createRun(Self.liteBody)
            var responses: [(String, TestResponse)] = []
            responses.append(("GET /", try await sandbox.get("/", key: nil)))
            responses.append(("GET /sandbox", try await sandbox.get("/sandbox", key: nil)))
            responses.append(("202", try await sandbox.post("/v1/tasks/runs", Self.liteBody)))
            responses.append(("401", try await sandbox.post("/v1/tasks/runs", Self.liteBody, key: nil)))
            responses.append(("403", try await sandbox.post("/v1/tasks/runs", #"{"processor":"nope","input":"x"}"#)))
            responses.append(("422", try await sandbox.post("/v1/tasks/runs", #"{"processor":"lite"}"#)))
            responses.append(("404", try await sandbox.get("/v1/tasks/runs/trun_00000000000000000000000000000000")))
            responses.append(("result", try await sandbox.get("/v1/tasks/runs/\(run.runID)/result?timeout=10")))
            responses.append(("events", try await sandbox.get("/v1/tasks/runs/\(run.runID)/events")))
            responses.append(("group 404", try await sandbox.post("/v1/tasks/groups/x/runs", "{}")))
            responses.append(("oauth metadata", try await sandbox.get("/.well-known/oauth-authorization-server", key: nil)))
            responses.append(("authorize page", try await sandbox.get("/getKeys/authorize", key: nil)))
            responses.append(("token", try await sandbox.postForm("/getKeys/token", [("grant_type", "password")])))
            responses.append(("unknown route", try await sandbox.get("/no/such/route", key: nil)))
            _ = try await sandbox.put("/sandbox/faults", #"{"fail_next":[{"status":503}]}"#)
            responses.append(("injected 503", try await sandbox.get("/v1/tasks/runs/\(run.runID)")))
            for (name, response) in responses {
                #expect(response.header(Header.sandboxLabel)?.isEmpty == false, "\(name) (\(response.status)) has no x-parallel-sandbox header")
            }
        }
    }

    @Test("GET /sandbox describes the sandbox")
    func info() async throws {
        try await withSandbox(SandboxConfiguration(timeFactor: 0.25)) { sandbox in
            let info = try await sandbox.get("/sandbox", key: nil).json
            #expect(info["sandbox"] == true)
            #expect(info["demo_api_key"]?.stringValue == SandboxConfiguration.demoAPIKey)
            #expect(info["time_factor"]?.numberValue == 0.25)
        }
    }
}
