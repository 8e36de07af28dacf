import Foundation
import GuardedFetch
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing

private let quiet = Logger(label: "guarded-fetch-tests") { _ in SwiftLogNoOpLogHandler() }

/// The paths a test server answered, in order.
private final class Hits: Sendable {
    private let paths = Mutex<[String]>([])
    func record(_ path: String) { paths.withLock { $0.append(path) } }
    var all: [String] { paths.withLock { $0 } }
}

/// A live server on an ephemeral loopback port with the answers the guard must handle.
private func withServer(_ body: @escaping @Sendable (_ base: String, _ hits: Hits) async throws -> Void) async throws {
    let hits = Hits()
    let router = Router()
    router.get("/table.csv") { request, _ -> Response in
        hits.record(request.uri.path)
        return Response(
            status: .ok, headers: [.contentType: "text/csv"], body: .init(byteBuffer: ByteBuffer(string: "a,b\n1,2\n")))
    }
    router.get("/hop/:n") { request, context -> Response in
        hits.record(request.uri.path)
        let n = try context.parameters.require("n", as: Int.self)
        return .redirect(to: n == 0 ? "/table.csv" : "/hop/\(n - 1)", type: .found)
    }
    router.get("/to-private") { request, _ -> Response in
        hits.record(request.uri.path)
        return .redirect(to: "https://10.0.0.1/table.csv", type: .found)
    }
    router.get("/no-location") { request, _ -> Response in
        hits.record(request.uri.path)
        return Response(status: .found)
    }
    router.get("/missing") { request, _ -> Response in
        hits.record(request.uri.path)
        return Response(status: .notFound)
    }
    router.get("/chunked") { request, _ -> Response in
        hits.record(request.uri.path)
        let chunk = ByteBuffer(string: String(repeating: "x", count: 1_024))
        return Response(
            status: .ok, headers: [.contentType: "text/csv"],
            body: ResponseBody { writer in
                for _ in 0..<8 { try await writer.write(chunk) }
                try await writer.finish(nil)
            })
    }
    router.get("/html") { request, _ -> Response in
        hits.record(request.uri.path)
        return Response(
            status: .ok, headers: [.contentType: "text/html"], body: .init(byteBuffer: ByteBuffer(string: "<html></html>")))
    }
    try await Application(router: router, logger: quiet).test(.live) { client in
        try await body("http://127.0.0.1:\(try #require(client.port))", hits)
    }
}

private func policy(redirects: Int = 3, maxBytes: Int = 4_096, loopback: Bool = true) -> GuardedFetcher.Policy {
    var policy = GuardedFetcher.Policy(maxBytes: maxBytes, timeout: .seconds(60))
    policy.maxRedirects = redirects
    policy.allowLoopbackHTTP = loopback
    return policy
}

private func failure(_ url: String, _ policy: GuardedFetcher.Policy) async -> FetchFailure? {
    do {
        _ = try await GuardedFetcher.get(url, policy: policy, logger: quiet)
        return nil
    } catch {
        return error
    }
}

@Suite("Guarded fetch")
struct GuardedFetcherTests {
    @Test func fetchesABody() async throws {
        try await withServer { base, _ in
            let response = try await GuardedFetcher.get("\(base)/table.csv", policy: policy(), logger: quiet)
            #expect(String(buffer: response.body) == "a,b\n1,2\n")
            #expect(response.contentType == "text/csv")
            #expect(response.url == "\(base)/table.csv")
        }
    }

    @Test func followsRedirectsUpToTheLimitCheckingEachHop() async throws {
        try await withServer { base, hits in
            let response = try await GuardedFetcher.get("\(base)/hop/2", policy: policy(redirects: 3), logger: quiet)
            #expect(String(buffer: response.body).hasPrefix("a,b"))
            #expect(hits.all == ["/hop/2", "/hop/1", "/hop/0", "/table.csv"])
            #expect(await failure("\(base)/hop/3", policy(redirects: 3))?.kind == .badRedirect)
            #expect(await failure("\(base)/hop/0", policy(redirects: 0))?.kind == .redirected(status: 302))
            #expect(await failure("\(base)/no-location", policy())?.kind == .badRedirect)
        }
    }

    @Test func aRedirectToAPrivateAddressIsRefusedWithoutConnecting() async throws {
        try await withServer { base, _ in
            #expect(await failure("\(base)/to-private", policy())?.kind == .notPublic)
        }
    }

    @Test func loopbackAndPlainHTTPAreRefusedOutsideDevelopmentMode() async throws {
        try await withServer { base, hits in
            #expect(await failure("\(base)/table.csv", policy(loopback: false))?.kind == .invalidURL)
            #expect(await failure(base.replacingOccurrences(of: "http:", with: "https:") + "/table.csv", policy(loopback: false))?.kind == .notPublic)
            #expect(await failure("https://localhost/table.csv", policy(loopback: false))?.kind == .resolvesToNonPublic)
            #expect(hits.all.isEmpty)
        }
    }

    @Test func statusTypeAndSizeAreChecked() async throws {
        try await withServer { base, _ in
            #expect(await failure("\(base)/missing", policy())?.kind == .status(404))
            #expect(await failure("\(base)/chunked", policy(maxBytes: 4_096))?.kind == .tooLarge(limit: 4_096))
            var csvOnly = policy()
            csvOnly.acceptsContentType = { $0?.hasPrefix("text/csv") == true }
            #expect(await failure("\(base)/html", csvOnly)?.kind == .contentType("text/html"))
        }
    }

    @Test func malformedAndForeignURLsAreRefused() async {
        for url in ["", "not a url", "ftp://example.com/x", "file:///etc/passwd", "https://user@example.com/x", "/relative"] {
            #expect(await failure(url, policy(loopback: false))?.kind == .invalidURL, "\(url)")
        }
    }

    @Test func resolvedLoopbackIsAllowedOnlyInDevelopmentMode() async throws {
        let addresses = try await HostResolution.resolve("localhost", timeLimit: .seconds(30))
        #expect(!addresses.isEmpty)
        #expect(addresses.allSatisfy { AddressPolicy.isLoopback($0) && !AddressPolicy.isPublic($0) })
        await #expect(throws: FetchFailure(.resolvesToNonPublic)) {
            try await HostResolution.connectAddress(for: "localhost", allowLoopback: false, timeLimit: .seconds(30))
        }
        let address = try await HostResolution.connectAddress(for: "localhost", allowLoopback: true, timeLimit: .seconds(30))
        #expect(address == "127.0.0.1" || address == "::1")
        await #expect(throws: FetchFailure(.unresolvable)) {
            try await HostResolution.resolve("does-not-exist.invalid", timeLimit: .seconds(30))
        }
    }
}
