import AsyncHTTPClient
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import NIOCore
import NIOHTTP1
import ParallelAPI
import ParallelSandbox
@testable import TaskMCPServer
import TestSupport
import Testing
import Storage

/// `POST /webhooks/parallel`: verification, replay protection and settlement, at the router and
/// end to end with the sandbox sending real webhooks to a live server. Serialized: the tests
/// compare exact counts of `parallel_webhooks_received_total`.
@Suite("Completion webhooks", .serialized)
struct WebhookRouteTests {
    static let secret = "whsec_" + Data((0..<32).map { UInt8(255 - $0) }).base64EncodedString()

    /// What a test gets: a router-level client and the server's store.
    struct Harness: Sendable {
        let client: any TestClientProtocol
        let store: any ServerStore

        /// Posts `body` signed as Parallel would, or with the given headers overridden (`nil` leaves one out).
        func deliver(
            _ body: String, id: String = "whevent_" + UUID().uuidString.lowercased(), sentAt: Date = Date(),
            secret: String = WebhookRouteTests.secret, headers overrides: [String: String?] = [:]
        ) async throws -> TestResponse {
            let timestamp = Int(sentAt.timeIntervalSince1970)
            var values: [String: String?] = [
                "webhook-id": id, "webhook-timestamp": String(timestamp),
                "webhook-signature": try StandardWebhook(secret: secret).sign(id: id, timestamp: timestamp, body: Data(body.utf8)),
            ]
            values.merge(overrides) { _, new in new }
            var fields = HTTPFields()
            fields[.contentType] = "application/json"
            for (name, value) in values {
                if let value { fields[field(name)] = value }
            }
            return try await client.execute(uri: "/webhooks/parallel", method: .post, headers: fields, body: ByteBuffer(string: body))
        }

        func seedRun(_ runID: String) async throws {
            try await store.saveTask(
                StoredTask(
                    id: runID, kind: "run", owner: "u_owner", createdAt: Date(), processor: "pro", label: "Question", linkNonce: "n"),
                credential: demoKey)
        }

        func seedMCPTask(_ id: String, upstream: String, status: String = "working") async throws {
            try await WebhookRouteTests.seedMCPTask(id, upstream: upstream, status: status, in: store)
        }

        func mcpTask(_ id: String) async throws -> (status: String, message: String?)? {
            try await store.mcpTask(id: id, owner: "u_owner", now: Date()).map { ($0.status, $0.statusMessage) }
        }
    }

    /// An MCP task of `u_owner` working on `upstream`, as `tools/call` with `task` records one.
    static func seedMCPTask(_ id: String, upstream: String, status: String = "working", in store: any ServerStore) async throws {
        let created = Date(timeIntervalSince1970: 1)
        try await store.createMCPTask(
            StoredMCPTask(
                id: id, owner: "u_owner", upstreamID: upstream, tool: "createDeepResearch", status: status, statusMessage: "before",
                createdAt: created, updatedAt: created, ttlMilliseconds: nil, expiresAt: nil))
    }

    /// A `task_run.status` event (or another type) for `runID`.
    static func event(_ runID: String, status: String = "completed", error: String? = nil, type: String = "task_run.status") -> String {
        var run: [String: JSONValue] = [
            "run_id": .string(runID), "interaction_id": .string(runID), "status": .string(status),
            "is_active": .bool(status == "running"), "processor": "pro", "warnings": nil, "metadata": nil, "taskgroup_id": nil,
            "created_at": "2025-08-01T11:50:00.000000Z", "modified_at": "2025-08-01T12:00:00.000000Z", "error": nil,
        ]
        if let error { run["error"] = ["ref_id": "ref-1", "message": .string(error)] }
        return JSONValue.object(["timestamp": "2025-08-01T12:00:00.000000Z", "type": .string(type), "data": .object(run)]).jsonText
    }

    static func outcome(_ name: String) -> Double {
        TestMetrics.value(#"parallel_webhooks_received_total{outcome="\#(name)"}"#)
    }

    /// The router with a webhook secret (or none), over a database file.
    func withHarness(secret: String? = WebhookRouteTests.secret, _ body: @Sendable (Harness) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("webhook-route-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = testConfiguration(upstream: "http://127.0.0.1:9")
        configuration.database = .sqlite(path: directory.appendingPathComponent("task-mcp.sqlite").path)
        configuration.webhookSecret = secret
        let (router, store) = try await taskMCPRouterAndStore(configuration)
        try await Application(router: router).test(.router) { client in
            try await body(Harness(client: client, store: store))
        }
        try await store.close()
    }

    func expectProblem(
        _ response: TestResponse, status: HTTPResponse.Status, code: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(response.status == status, "\(response.text)", sourceLocation: sourceLocation)
        #expect(response.headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
        #expect(try response.json["code"] == .string(code), "\(response.text)", sourceLocation: sourceLocation)
    }

    // MARK: Refusals

    @Test func withoutASecretTheRouteIsNotServed() async throws {
        try await withHarness(secret: nil) { harness in
            let response = try await harness.deliver(Self.event("trun_a"))
            #expect(response.status == .notFound)
        }
    }

    @Test func aDeliveryNotSignedWithTheSecretIs401AndLeavesNoTrace() async throws {
        try await withHarness { harness in
            let before = Self.outcome("invalid_signature")
            let body = Self.event("trun_a")
            let id = "whevent_refused"
            let unsigned = try await harness.deliver(body, id: id, headers: ["webhook-signature": nil])
            try expectProblem(unsigned, status: .unauthorized, code: "invalid_signature")
            #expect(unsigned.headers[.wwwAuthenticate] == "Standard-Webhooks")
            try expectProblem(
                try await harness.deliver(body, id: id, headers: ["webhook-id": nil, "webhook-timestamp": nil]), status: .unauthorized,
                code: "invalid_signature")
            try expectProblem(
                try await harness.deliver(body, id: id, secret: "whsec_" + Data(repeating: 1, count: 32).base64EncodedString()),
                status: .unauthorized, code: "invalid_signature")
            try expectProblem(
                try await harness.deliver(body, id: id, headers: ["webhook-signature": "v1a,AAAA v2,BBBB"]), status: .unauthorized,
                code: "invalid_signature")
            #expect(Self.outcome("invalid_signature") == before + 4)
            // None of them used up the id: the authentic delivery is accepted.
            try await harness.seedRun("trun_a")
            let accepted = try await harness.deliver(body, id: id)
            #expect(accepted.status == .ok)
            #expect(try accepted.json == ["status": "accepted"])
        }
    }

    @Test func staleAndFutureTimestampsAre400() async throws {
        try await withHarness { harness in
            let before = Self.outcome("stale")
            try expectProblem(
                try await harness.deliver(Self.event("trun_a"), sentAt: Date().addingTimeInterval(-600)), status: .badRequest,
                code: "stale_timestamp")
            try expectProblem(
                try await harness.deliver(Self.event("trun_a"), sentAt: Date().addingTimeInterval(600)), status: .badRequest,
                code: "stale_timestamp")
            #expect(Self.outcome("stale") == before + 2)
        }
    }

    @Test func malformedTimestampsAndPayloadsAre400() async throws {
        try await withHarness { harness in
            let before = Self.outcome("malformed")
            try expectProblem(try await harness.deliver("not json"), status: .badRequest, code: "malformed_payload")
            try expectProblem(
                try await harness.deliver(#"{"timestamp":"t","type":"task_run.status"}"#), status: .badRequest, code: "malformed_payload")
            // A timestamp that is not Unix seconds, signed as it is.
            let body = Self.event("trun_a")
            let id = "whevent_odd_time"
            let signed = "2025-08-01T12:00:00Z"
            let signature = try Self.signature(id: id, timestamp: signed, body: body)
            try expectProblem(
                try await harness.deliver(body, id: id, headers: ["webhook-timestamp": signed, "webhook-signature": signature]),
                status: .badRequest, code: "malformed_timestamp")
            #expect(Self.outcome("malformed") == before + 3)
        }
    }

    /// A v1 signature over any timestamp text (`sign` takes whole seconds only).
    static func signature(id: String, timestamp: String, body: String) throws -> String {
        let key = try #require(Data(base64Encoded: String(secret.dropFirst("whsec_".count))))
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(id).\(timestamp).\(body)".utf8), using: SymmetricKey(data: key))
        return "v1," + Data(mac).base64EncodedString()
    }

    @Test func aBodyOver256KiBIs413() async throws {
        try await withHarness { harness in
            let padding = String(repeating: " ", count: 256 * 1024)
            try expectProblem(try await harness.deliver(Self.event("trun_a") + padding), status: .contentTooLarge, code: "too_large")
        }
    }

    // MARK: Settlement

    @Test func aCompletedRunSettlesItsTaskAndWorkingMCPTasks() async throws {
        try await withHarness { harness in
            try await harness.seedRun("trun_done")
            try await harness.seedMCPTask("mt_1", upstream: "trun_done")
            try await harness.seedMCPTask("mt_cancelled", upstream: "trun_done", status: "cancelled")
            let before = Self.outcome("accepted")
            let response = try await harness.deliver(Self.event("trun_done"))
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            #expect(try response.json == ["status": "accepted"])
            #expect(Self.outcome("accepted") == before + 1)
            #expect(try await harness.store.runSettlement(runID: "trun_done")?.status == .completed)
            #expect(try await harness.mcpTask("mt_1")?.status == "completed")
            #expect(try await harness.mcpTask("mt_1")?.message == "Parallel finished the run.")
            #expect(try await harness.mcpTask("mt_cancelled")?.status == "cancelled")
        }
    }

    @Test func aFailedRunSettlesWithItsErrorMessage() async throws {
        try await withHarness { harness in
            try await harness.seedRun("trun_failed")
            try await harness.seedMCPTask("mt_2", upstream: "trun_failed")
            let response = try await harness.deliver(Self.event("trun_failed", status: "failed", error: "Upstream timeout"))
            #expect(try response.json == ["status": "accepted"])
            let settlement = try await harness.store.runSettlement(runID: "trun_failed")
            #expect(settlement?.status == .failed)
            #expect(settlement?.message == "Upstream timeout")
            #expect(try await harness.mcpTask("mt_2")?.status == "failed")
            #expect(try await harness.mcpTask("mt_2")?.message == "Upstream timeout")
        }
    }

    @Test func anAcceptedIdIsADuplicateForeverAfterAndChangesNothing() async throws {
        try await withHarness { harness in
            try await harness.seedRun("trun_x")
            try await harness.seedRun("trun_y")
            try await harness.seedMCPTask("mt_y", upstream: "trun_y")
            let id = "whevent_once"
            #expect(try await harness.deliver(Self.event("trun_x"), id: id).json == ["status": "accepted"])
            let before = Self.outcome("duplicate")
            // Parallel's retry of the same delivery, freshly signed.
            let retry = try await harness.deliver(Self.event("trun_x"), id: id)
            #expect(retry.status == .ok)
            #expect(try retry.json == ["status": "duplicate"])
            // A replay of the id with another (authentic) body is a duplicate too, and is not applied.
            #expect(try await harness.deliver(Self.event("trun_y", status: "failed", error: "x"), id: id).json == ["status": "duplicate"])
            #expect(Self.outcome("duplicate") == before + 2)
            #expect(try await harness.store.runSettlement(runID: "trun_y") == nil)
            #expect(try await harness.mcpTask("mt_y")?.status == "working")
        }
    }

    @Test func anUnknownRunGetsTheSameAnswerAsAKnownOne() async throws {
        try await withHarness { harness in
            let before = Self.outcome("ignored")
            let response = try await harness.deliver(Self.event("trun_unknown"))
            #expect(response.status == .ok)
            #expect(try response.json == ["status": "accepted"])
            #expect(Self.outcome("ignored") == before + 1)
            #expect(try await harness.store.runSettlement(runID: "trun_unknown") == nil)
        }
    }

    @Test func otherEventTypesAndActiveStatusesAreAcknowledgedAndIgnored() async throws {
        try await withHarness { harness in
            try await harness.seedRun("trun_busy")
            try await harness.seedMCPTask("mt_busy", upstream: "trun_busy")
            let before = Self.outcome("ignored")
            #expect(try await harness.deliver(Self.event("trun_busy", status: "running")).json == ["status": "ignored"])
            #expect(try await harness.deliver(Self.event("trun_busy", type: "task_group.status")).json == ["status": "ignored"])
            #expect(Self.outcome("ignored") == before + 2)
            #expect(try await harness.store.runSettlement(runID: "trun_busy") == nil)
            #expect(try await harness.mcpTask("mt_busy")?.status == "working")
        }
    }

    // MARK: End to end

    /// The sandbox signs and sends the webhook of a run created through `/mcp` to the live
    /// server, which settles the run's rows.
    @Test func theSandboxsWebhookSettlesARunCreatedThroughMCP() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("webhook-live-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let sandbox = SandboxConfiguration(
            timeFactor: 0.005, webhookSecret: Self.secret, webhookRetryBaseDelay: .milliseconds(50), webhookMaxAttempts: 5)
        try await withUpstreamSandbox(sandbox) { sandboxURL, _ in
            let configuration = ServerConfiguration(
                host: "127.0.0.1", port: 0, parallelBaseURL: sandboxURL,
                secretKey: Data(repeating: 3, count: 32).base64EncodedString(),
                database: .sqlite(path: directory.appendingPathComponent("task-mcp.sqlite").path), webhookSecret: Self.secret)
            #expect(configuration.requestsWebhooks)
            try await withRunningApplication(configuration) { base in
                let keys = try KeyMaterial(configuration: configuration, logger: quietLogger)
                let store = try await openStore(configuration: configuration, keys: keys, logger: quietLogger).store

                let before = Self.outcome("accepted")
                let runID = try await createDeepResearch(at: base)
                try await Self.seedMCPTask("mt_live", upstream: runID, in: store)
                let settled = try await eventually { try await store.runSettlement(runID: runID) != nil }
                #expect(settled, "no webhook settled \(runID)")
                #expect(try await store.runSettlement(runID: runID)?.status == .completed)
                let status = try await store.mcpTask(id: "mt_live", owner: "u_owner", now: Date())?.status
                #expect(status == "completed")
                #expect(Self.outcome("accepted") == before + 1)
                try await store.close()
            }
        }
    }

    func createDeepResearch(at base: String) async throws -> String {
        let result = try await callTool(at: base, "createDeepResearch", ["input": "Which harbours use shore power?"], timeout: .seconds(30))
        return try #require(result["structuredContent"]?["run_id"]?.stringValue, "\(result)")
    }
}
