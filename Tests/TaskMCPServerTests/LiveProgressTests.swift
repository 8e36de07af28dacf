import AsyncHTTPClient
import Crypto
import Foundation
import Hummingbird
import JSON
import NIOCore
import NIOHTTP1
import ParallelSandbox
import ServiceLifecycle
import Synchronization
@testable import TaskMCPServer
import TaskTools
import TestSupport
import Testing
import Storage

/// The application on a real socket with its live progress settings, and what the tests inspect.
struct LiveApp: Sendable {
    let base: String
    let hub: ProgressHub
    let sandbox: SandboxStore
    /// The upstream sandbox's base URL.
    let upstream: String

    /// Starts a deep-research run through the REST API; returns its id and the events URL of its
    /// progress link.
    func startRun(_ question: String = "Which cities run district heating networks?") async throws -> (id: String, events: String) {
        let created = try await liveRequest(.POST, base + "/v1/deep-research", bearer: demoKey, json: ["input": .string(question)])
        try #require(created.status == .accepted, "\(created.text)")
        let id = try #require(created.json?["run_id"]?.stringValue)
        let link = try #require(created.headers.first(name: "Location"))
        let token = try #require(link.components(separatedBy: "?view=").last)
        return (id, "\(base)/\(id)/events?view=\(token)")
    }
}

/// One block of a `text/event-stream` body.
struct EventBlock: Sendable, Hashable {
    var event: String?
    var data: String?
    var comment: String?
    var retry: String?

    var json: JSONValue? { data.flatMap { try? JSONValue.parse($0) } }
}

/// An open event stream, read block by block from a task of its own.
final class LiveEventStream: Sendable {
    let status: HTTPResponseStatus
    let headers: HTTPHeaders
    private let blocks: AsyncStream<EventBlock>
    private let reader: Task<Void, Never>

    init(_ url: String, headers extra: [(String, String)] = []) async throws {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "text/event-stream")
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
        status = response.status
        headers = response.headers
        let (blocks, continuation) = AsyncStream<EventBlock>.makeStream()
        self.blocks = blocks
        let body = response.body
        reader = Task {
            var pending = ""
            do {
                for try await chunk in body {
                    pending += String(buffer: chunk)
                    while let end = pending.range(of: "\n\n") {
                        let text = String(pending[..<end.lowerBound])
                        pending = String(pending[end.upperBound...])
                        continuation.yield(LiveEventStream.parse(text))
                    }
                }
            } catch {}
            continuation.finish()
        }
    }

    static func parse(_ text: String) -> EventBlock {
        var block = EventBlock()
        for line in text.split(separator: "\n") {
            if line.hasPrefix(":") {
                block.comment = String(line.dropFirst()).trimmingCharacters(in: .whitespaces)
            } else if line.hasPrefix("event: ") {
                block.event = String(line.dropFirst(7))
            } else if line.hasPrefix("data: ") {
                block.data = (block.data.map { $0 + "\n" } ?? "") + line.dropFirst(6)
            } else if line.hasPrefix("retry: ") {
                block.retry = String(line.dropFirst(7))
            }
        }
        return block
    }

    /// The next block, or `nil` once the server closed the stream; an issue if nothing came in time.
    func next(within limit: Duration = .seconds(60)) async throws -> EventBlock? {
        try await TestSupport.next(of: blocks, within: limit)
    }

    /// The next named event, skipping keep-alive comments and `retry:` blocks.
    func nextEvent(within limit: Duration = .seconds(60)) async throws -> EventBlock? {
        while let block = try await next(within: limit) {
            if block.event != nil { return block }
        }
        return nil
    }

    /// Blocks until the stream closes.
    func rest(within limit: Duration = .seconds(60)) async throws -> [EventBlock] {
        var seen: [EventBlock] = []
        while let block = try await next(within: limit) { seen.append(block) }
        return seen
    }

    /// Leaves: the connection is dropped.
    func close() { reader.cancel() }
}

/// Sends one request and reads the whole answer.
func liveRequest(
    _ method: HTTPMethod, _ url: String, bearer: String? = nil, json body: JSONValue? = nil, headers: [(String, String)] = []
) async throws -> (status: HTTPResponseStatus, headers: HTTPHeaders, text: String, json: JSONValue?) {
    var request = HTTPClientRequest(url: url)
    request.method = method
    if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let body {
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body.jsonText))
    }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
    let text = String(buffer: try await response.body.collect(upTo: 4 * 1024 * 1024))
    return (response.status, response.headers, text, try? JSONValue.parse(text))
}

/// Runs the application on 127.0.0.1 at an ephemeral port in front of a live sandbox, inside a
/// service group (as `serve` runs it), while `body` runs.
func withLiveApp(
    sandbox: SandboxConfiguration = SandboxConfiguration(timeFactor: 0.01), settings: LiveProgressSettings = LiveProgressSettings(),
    _ body: @escaping @Sendable (LiveApp, ServiceGroup) async throws -> Void
) async throws {
    try await withUpstreamSandbox(sandbox) { sandboxURL, sandboxStore in
        let configuration = ServerConfiguration(host: "127.0.0.1", port: 0, parallelBaseURL: sandboxURL, database: .sqlite(path: ":memory:"))
        let keys = try KeyMaterial(configuration: configuration, logger: quietLogger)
        let store = try await openStore(configuration: configuration, keys: keys, logger: quietLogger).store
        let publicURL = PublicURL("http://127.0.0.1")
        let hubBox = Mutex<ProgressHub?>(nil)
        var settings = settings
        settings.onHub = { hub in hubBox.withLock { $0 = hub } }
        // `buildApplication` takes no live-progress settings, so the router is built here.
        let router = buildRouter(
            configuration: configuration, upstream: sandboxURL, publicURL: publicURL, logger: quietLogger, store: store, keys: keys,
            metrics: nil, liveProgress: settings)
        try await withRunningServer { onServerRunning in
            Application(
                router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0), serverName: "task-mcp"),
                onServerRunning: { channel in
                    let port = channel.localAddress?.port ?? 0
                    publicURL.set("http://127.0.0.1:\(port)")
                    await onServerRunning(port)
                },
                logger: quietLogger)
        } _: { base, group in
            let hub = try #require(hubBox.withLock { $0 })
            try await body(LiveApp(base: base, hub: hub, sandbox: sandboxStore, upstream: sandboxURL), group)
        }
        try await store.close()
    }
}

@Suite("Live progress stream")
struct LiveProgressTests {
    static let fast = LiveProgressSettings(heartbeat: .milliseconds(200), minimumSpacing: .milliseconds(50))

    @Test func progressEventsArriveThenDoneThenTheStreamCloses() async throws {
        try await withLiveApp(settings: Self.fast) { app, _ in
            let run = try await app.startRun()
            let stream = try await LiveEventStream(run.events)
            #expect(stream.status == .ok)
            #expect(stream.headers.first(name: "Content-Type") == "text/event-stream")
            #expect(stream.headers.first(name: "Cache-Control") == "no-store, private")
            #expect(try await stream.next()?.retry == "5000")
            let blocks = try await stream.rest()
            let events = blocks.filter { $0.event != nil }
            let progress = events.filter { $0.event == "progress" }.compactMap(\.json)
            try #require(!progress.isEmpty, "\(blocks)")
            #expect(progress.allSatisfy { $0["is_active"] == true && $0["id"]?.stringValue == run.id && $0["kind"] == "run" })
            #expect(progress.contains { $0["progress_meter"] != nil && $0["sources_read"] != nil })
            #expect(progress.contains { ($0["messages"]?.arrayValue?.count ?? 0) > 0 })
            let last = try #require(events.last)
            #expect(last.event == "done")
            #expect(last.json?["status"] == "completed")
            #expect(last.json?["is_active"] == false)
            #expect(events.filter { $0.event == "done" }.count == 1)
            #expect(try await eventually { await app.hub.activeSubscriptions == 0 })
        }
    }

    @Test func credentialsAreCheckedLikeTheViews() async throws {
        try await withLiveApp(sandbox: SandboxConfiguration(timeFactor: 1)) { app, _ in
            let run = try await app.startRun()
            let missing = try await liveRequest(.GET, "\(app.base)/\(run.id)/events")
            #expect(missing.status == .unauthorized)
            #expect(missing.headers.first(name: "Content-Type") == "application/problem+json")
            #expect(missing.headers.first(name: "WWW-Authenticate")?.hasPrefix("Bearer ") == true)
            #expect(missing.json?["status"] == 401)

            let tampered = try await liveRequest(.GET, run.events.replacingOccurrences(of: "view=", with: "view=x"))
            #expect(tampered.status == .notFound)
            #expect(tampered.json?["code"] == "not_found")

            // A token is bound to its task.
            let other = try await app.startRun("What is the capital of Australia?")
            let borrowed = try await liveRequest(.GET, "\(app.base)/\(other.id)/events?view=\(run.events.components(separatedBy: "?view=")[1])")
            #expect(borrowed.status == .notFound)

            // Another account's key cannot follow the run; the owner's key can.
            await app.sandbox.setAccount("sandbox-other-key", AccountSettings())
            let stranger = try await liveRequest(.GET, "\(app.base)/\(run.id)/events", bearer: "sandbox-other-key")
            #expect(stranger.status == .notFound, "\(stranger.text)")
            #expect(stranger.json?["code"] == "not_found")

            let notATask = try await liveRequest(.GET, "\(app.base)/favicon.ico/events")
            #expect(notATask.status == .notFound)
            #expect(await app.hub.subscriptionsStarted == 0)

            let owner = try await LiveEventStream("\(app.base)/\(run.id)/events", headers: [("Authorization", "Bearer \(demoKey)")])
            #expect(owner.status == .ok)
            #expect(try await owner.next()?.retry != nil)
            #expect(try await owner.nextEvent()?.event == "progress")
            owner.close()
        }
    }

    @Test func viewersShareOneSubscriptionAndLeavingFreesIt() async throws {
        // Realistic latencies: the run stays active for minutes.
        try await withLiveApp(sandbox: SandboxConfiguration(timeFactor: 1), settings: Self.fast) { app, _ in
            let run = try await app.startRun()
            let first = try await LiveEventStream(run.events)
            let second = try await LiveEventStream(run.events)
            for stream in [first, second] {
                #expect(stream.status == .ok)
                let update = try #require(try await stream.nextEvent())
                #expect(update.event == "progress", "\(update)")
                #expect(update.json?["is_active"] == true)
            }
            #expect(await app.hub.subscriptionsStarted == 1)
            #expect(await app.hub.activeSubscriptions == 1)
            #expect(await app.hub.viewerCount(of: run.id) == 2)

            // An idle stream carries keep-alive comments.
            var comment: EventBlock?
            while comment == nil, let block = try await first.next() {
                if block.comment != nil { comment = block }
            }
            #expect(comment?.comment == "keep-alive")

            first.close()
            #expect(try await eventually { await app.hub.viewerCount(of: run.id) == 1 })
            #expect(await app.hub.activeSubscriptions == 1)
            second.close()
            #expect(try await eventually { await app.hub.activeSubscriptions == 0 })
            #expect(await app.hub.viewerCount == 0)
        }
    }

    @Test func viewerCapsAnswer429And503() async throws {
        var settings = Self.fast
        settings.limits = ProgressHub.Limits(viewersPerTask: 1, viewers: 2)
        try await withLiveApp(sandbox: SandboxConfiguration(timeFactor: 1), settings: settings) { app, _ in
            let first = try await app.startRun("First question about heat pumps?")
            let second = try await app.startRun("Second question about district heating?")
            let third = try await app.startRun("Third question about geothermal energy?")
            let open = try await LiveEventStream(first.events)
            #expect(open.status == .ok)
            let crowded = try await liveRequest(.GET, first.events)
            #expect(crowded.status == .tooManyRequests)
            #expect(crowded.headers.first(name: "Retry-After") == "30")
            #expect(crowded.json?["code"] == "too_many_viewers")
            let other = try await LiveEventStream(second.events)
            #expect(other.status == .ok)
            let full = try await liveRequest(.GET, third.events)
            #expect(full.status == .serviceUnavailable)
            #expect(full.json?["code"] == "busy")
            open.close()
            other.close()
        }
    }

    @Test func aShutdownEndsOpenStreams() async throws {
        try await withLiveApp(sandbox: SandboxConfiguration(timeFactor: 1), settings: Self.fast) { app, group in
            let run = try await app.startRun()
            let stream = try await LiveEventStream(run.events)
            #expect(try await stream.nextEvent()?.event == "progress")
            await group.triggerGracefulShutdown()
            // The run goes on for minutes, and the shutdown has no grace limit here: only a stream
            // that the shutdown itself ended closes within `rest`'s one-minute hang guard.
            let rest = try await stream.rest(within: .seconds(60))
            #expect(!rest.contains { $0.event == "done" })
            let upstream = try await liveRequest(.GET, "\(app.upstream)/v1/tasks/runs/\(run.id)", headers: [("x-api-key", demoKey)])
            #expect(upstream.json?["is_active"] == true, "the stream ended before the run: \(upstream.text)")
        }
    }

    @Test func anActivePageCarriesTheLiveScriptItsPolicyAllows() async throws {
        try await withLiveApp(sandbox: SandboxConfiguration(timeFactor: 1)) { app, _ in
            let run = try await app.startRun()
            let page = try await liveRequest(.GET, run.events.replacingOccurrences(of: "/events?", with: ".html?"))
            #expect(page.status == .ok)
            let policy = try #require(page.headers.first(name: "Content-Security-Policy"))
            let scripts = page.text.components(separatedBy: "<script>").dropFirst()
            try #require(scripts.count == 1, "one inline script")
            let script = try #require(scripts.first?.components(separatedBy: "</script>").first)
            let hash = "sha256-" + Data(SHA256.hash(data: Data(script.utf8))).base64EncodedString()
            let directives = policy.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(directives.contains("script-src '\(hash)'"), "\(policy)")
            #expect(directives.contains("connect-src 'self'"))
            #expect(directives.contains("default-src 'none'"))
            // The page's own meta policy allows it too, and names the stream the script opens.
            #expect(page.text.contains("script-src '\(hash)'; connect-src 'self'"))
            let token = run.events.components(separatedBy: "?view=")[1]
            #expect(page.text.contains("data-events=\"\(run.id)/events?view=\(token)\""))
            #expect(page.text.contains("<noscript><meta http-equiv=\"refresh\" content=\"10\"></noscript>"))
        }
    }
}
