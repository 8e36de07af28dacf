import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import Logging
import NIOCore
import ParallelAPI
import ParallelSandbox
@testable import TaskMCPServer
import Testing
import Synchronization

/// API keys sent directly are checked with Parallel once (verdicts cached by the keyed hash);
/// a 401 in the middle of a call is confirmed by a second check before a grant ends.
@Suite("API key verification")
struct KeyVerificationTests {
    static let madeUpKey = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

    // MARK: Unknown keys get the challenge

    @Test func aKeyParallelRejectsGetsTheSignInChallenge() async throws {
        try await withTaskMCP { client, _, _ in
            let response = try await client.execute(
                uri: "/mcp", method: .post, headers: headers(bearer: Self.madeUpKey, [(Header.protocolVersion, "2025-06-18")]),
                body: rpc("tools/list"))
            #expect(response.status == .unauthorized, "\(response.text)")
            let challenge = response.headers[.wwwAuthenticate] ?? ""
            #expect(challenge.contains("resource_metadata=\"\(MCPEndpointTests.resourceMetadata)\""), "\(challenge)")
            #expect(challenge.contains("error=\"invalid_token\""))
            // The key Parallel knows is still served.
            #expect(try await postMCP(client, "tools/list").status == .ok)
        }
    }

    @Test func theRESTAPIRefusesAKeyParallelRejects() async throws {
        try await withTaskMCP { client, _, _ in
            var fields = HTTPFields()
            fields[field("x-api-key")] = Self.madeUpKey
            let rejected = try await client.execute(uri: "/v1/tasks", method: .get, headers: fields)
            #expect(rejected.status == .unauthorized, "\(rejected.text)")
            #expect(rejected.headers[.wwwAuthenticate]?.contains("resource_metadata=") == true)
            fields[field("x-api-key")] = demoKey
            #expect(try await client.execute(uri: "/v1/tasks", method: .get, headers: fields).status == .ok)
        }
    }

    @Test func anUnreachableParallelLocksNobodyOut() async throws {
        // Nothing listens on the discard port: the check has no verdict, so the key is let through.
        let app = Application(router: try await taskMCPRouter(upstream: "http://127.0.0.1:9"))
        try await app.test(.router) { client in
            let response = try await client.execute(
                uri: "/mcp", method: .post, headers: headers(bearer: Self.madeUpKey, [(Header.protocolVersion, "2025-06-18")]),
                body: rpc("tools/list"))
            #expect(response.status == .ok, "\(response.text)")
        }
    }

    // MARK: One 401 is not proof

    @Test func oneUpstream401DoesNotEndTheGrant() async throws {
        try await withOAuth { oauth, sandbox in
            let (_, tokens) = try await oauth.tokens()
            let access = tokens["access_token"]?.stringValue ?? ""
            #expect(try await oauth.mcpStatus(bearer: access) == .ok)
            // A glitch: the next API request (the tool's) answers 401; the second check gets 404.
            await sandbox.setFaults(FaultSettings(failNext: [.init(status: 401, count: 1)]))
            let response = try await oauth.client.execute(
                uri: "/mcp", method: .post, headers: headers(bearer: access, [(Header.protocolVersion, "2025-06-18")]),
                body: rpc("tools/call", params: ["name": "createDeepResearch", "arguments": ["input": "Which rivers cross Laos?"]]))
            #expect(response.status == .ok, "an unconfirmed 401 is the call's error, not a sign-out: \(response.text)")
            #expect(await sandbox.currentFaults().failNext.isEmpty, "the glitch was met")
            #expect(try await oauth.mcpStatus(bearer: access) == .ok, "the grant lives on")
        }
    }

    @Test func aConfirmedRejectionStillEndsTheGrant() async throws {
        try await withOAuth { oauth, sandbox in
            let key = "sk-revoked-later-0002"
            await sandbox.setAccount(key, .init())
            let (_, tokens) = try await oauth.tokens(apiKey: key)
            let access = tokens["access_token"]?.stringValue ?? ""
            await sandbox.removeAccount(key)
            let response = try await oauth.client.execute(
                uri: "/mcp", method: .post, headers: headers(bearer: access, [(Header.protocolVersion, "2025-06-18")]),
                body: rpc("tools/call", params: ["name": "createDeepResearch", "arguments": ["input": "Which rivers cross Laos?"]]))
            #expect(response.status == .unauthorized)
            #expect(try await oauth.mcpStatus(bearer: access) == .unauthorized)
        }
    }

    // MARK: The verdict cache

    /// A checker that answers from a script and counts its calls; a clock the test moves.
    final class Fake: Sendable {
        let calls = Mutex(0)
        let answer: Mutex<APIKeyCheck>
        let offset = Mutex(Duration.zero)
        let origin = ContinuousClock.now
        init(_ answer: APIKeyCheck) { self.answer = Mutex(answer) }
        var now: ContinuousClock.Instant { origin + offset.withLock { $0 } }
        func advance(_ duration: Duration) { offset.withLock { $0 += duration } }
        func verifier(capacity: Int = 100) -> APIKeyVerifier {
            APIKeyVerifier(
                settings: .init(acceptedLifetime: .seconds(3_600), rejectedLifetime: .seconds(60), capacity: capacity), logger: quietLogger,
                now: { self.now },
                check: { _ in
                    self.calls.withLock { $0 += 1 }
                    return self.answer.withLock { $0 }
                })
        }
    }

    @Test func verdictsAreCachedForTheirLifetime() async {
        let fake = Fake(.rejected)
        let verifier = fake.verifier()
        let key = APIKey(Self.madeUpKey)
        #expect(await verifier.verify(apiKey: key, userID: "u1") == .rejected)
        #expect(await verifier.verify(apiKey: key, userID: "u1") == .rejected)
        #expect(fake.calls.withLock { $0 } == 1, "a rejection is remembered")
        fake.answer.withLock { $0 = .accepted }
        fake.advance(.seconds(61))
        #expect(await verifier.verify(apiKey: key, userID: "u1") == .accepted, "a rejection expires")
        fake.advance(.seconds(3_000))
        #expect(await verifier.verify(apiKey: key, userID: "u1") == .accepted)
        #expect(fake.calls.withLock { $0 } == 2, "an acceptance is remembered")
        fake.advance(.seconds(601))
        _ = await verifier.verify(apiKey: key, userID: "u1")
        #expect(fake.calls.withLock { $0 } == 3, "an acceptance expires")
    }

    @Test func noVerdictIsNotCachedAndLetsTheKeyThrough() async {
        let fake = Fake(.undetermined(ParallelAPIError(kind: .serverError, status: 503, message: "down")))
        let verifier = fake.verifier()
        #expect(await verifier.verify(apiKey: APIKey("k"), userID: "u") == .unverified)
        #expect(await verifier.verify(apiKey: APIKey("k"), userID: "u") == .unverified)
        #expect(fake.calls.withLock { $0 } == 2)
    }

    @Test func confirmationAsksAgainDespiteTheCache() async {
        let fake = Fake(.accepted)
        let verifier = fake.verifier()
        #expect(await verifier.verify(apiKey: APIKey("k"), userID: "u") == .accepted)
        #expect(await verifier.confirmRejection(apiKey: APIKey("k"), userID: "u") == false)
        fake.answer.withLock { $0 = .rejected }
        #expect(await verifier.confirmRejection(apiKey: APIKey("k"), userID: "u") == true)
        #expect(await verifier.verify(apiKey: APIKey("k"), userID: "u") == .rejected, "the confirmed rejection is remembered")
        #expect(fake.calls.withLock { $0 } == 3)
        fake.answer.withLock { $0 = .undetermined(ParallelAPIError(kind: .transport, message: "cut")) }
        #expect(await verifier.confirmRejection(apiKey: APIKey("k"), userID: "u") == false, "no verdict is no proof")
    }

    @Test func theCacheIsBounded() async {
        let fake = Fake(.rejected)
        let verifier = fake.verifier(capacity: 3)
        for index in 0..<5 { _ = await verifier.verify(apiKey: APIKey("k\(index)"), userID: "u\(index)") }
        #expect(fake.calls.withLock { $0 } == 5)
        _ = await verifier.verify(apiKey: APIKey("k4"), userID: "u4")
        #expect(fake.calls.withLock { $0 } == 5, "the newest is kept")
        _ = await verifier.verify(apiKey: APIKey("k0"), userID: "u0")
        #expect(fake.calls.withLock { $0 } == 6, "the oldest was dropped")
        var set = ExpiringSet(capacity: 2)
        for index in 0..<1_000 { set.insert("k\(index % 7)", until: fake.now + .seconds(1)) }
        #expect(set.count == 2)
    }
}

/// Past the concurrent-check cap, keys wait for a slot: a flood of made-up keys must not make
/// the verifier let keys through unchecked.
@Suite("API key checks beyond the concurrency cap")
struct KeyCheckSlotTests {
    final class HeldChecks: Sendable {
        let calls = Mutex<[String]>([])
        let release = Mutex<[CheckedContinuation<Void, Never>]>([])

        func check(_ key: APIKey) async -> APIKeyCheck {
            calls.withLock { $0.append(key.secret) }
            await withCheckedContinuation { continuation in release.withLock { $0.append(continuation) } }
            return key.secret.hasPrefix("good") ? .accepted : .rejected
        }

        func releaseAll() {
            for continuation in release.withLock({ held in defer { held = [] }; return held }) { continuation.resume() }
        }
    }

    @Test(.timeLimit(.minutes(1))) func aKeyBeyondTheCapWaitsAndIsStillChecked() async throws {
        let held = HeldChecks()
        var settings = APIKeyVerifier.Settings()
        settings.maxConcurrentChecks = 1
        let verifier = APIKeyVerifier(settings: settings, logger: quietLogger, check: { await held.check($0) })
        async let first = verifier.verify(apiKey: APIKey("good-key-0001"), userID: "u1")
        // The first check holds the only slot until released.
        while held.calls.withLock({ $0.count }) < 1 { await Task.yield() }
        async let second = verifier.verify(apiKey: APIKey("bad-key-00002"), userID: "u2")
        // Release checks as they arrive until both requests have answers.
        let releaser = Task {
            while !Task.isCancelled {
                held.releaseAll()
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        let verdicts = await (first, second)
        releaser.cancel()
        #expect(verdicts.0 == .accepted)
        #expect(verdicts.1 == .rejected, "the second key was let through without a check")
        #expect(held.calls.withLock { $0 } == ["good-key-0001", "bad-key-00002"])
    }
}
