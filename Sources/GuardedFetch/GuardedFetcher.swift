import AsyncHTTPClient
import Deadlines
import Foundation
public import Logging
public import NIOCore
public import NIOHTTP1
import NIOPosix

/// GETs a URL a client named, guarding against SSRF: the server fetches it on someone else's
/// behalf, so it must not reach private networks, hang, or read without bound.
///
/// Per hop, the host is resolved here and every address must be public (``AddressPolicy``); the
/// request goes to the checked address (`dnsOverride`, so TLS still verifies the host name), so a
/// second DNS answer cannot point it elsewhere. Redirects are followed by hand, up to
/// ``Policy/maxRedirects``, each target checked like the first URL. One time limit covers the whole
/// fetch (resolution, heads and body); the body is capped as it streams, whatever
/// `Content-Length` says; only `200` is a success.
public enum GuardedFetcher {
    /// Limits of one fetch.
    public struct Policy: Sendable {
        /// The largest body accepted, in bytes.
        public var maxBytes: Int
        /// The time limit of the whole fetch.
        public var timeout: Duration
        /// Redirects followed (each re-checked); beyond that, or with 0, a redirect fails.
        public var maxRedirects = 0
        /// DEVELOPMENT/TESTS ONLY: `http://` URLs and loopback addresses allowed.
        public var allowLoopbackHTTP = false
        /// The `Accept` header sent.
        public var accept = "*/*"
        /// The `User-Agent` header sent.
        public var userAgent = "task-mcp"
        /// Whether the response's `Content-Type` (nil: none) is acceptable; checked before the body is read.
        public var acceptsContentType: @Sendable (String?) -> Bool = { _ in true }

        public init(maxBytes: Int, timeout: Duration) {
            self.maxBytes = maxBytes
            self.timeout = timeout
        }
    }

    /// A fetched body.
    public struct Response: Sendable {
        /// The URL finally answered (after redirects).
        public var url: String
        public var headers: HTTPHeaders
        public var body: ByteBuffer

        /// The body's bytes.
        public var bytes: [UInt8] { Array(body.readableBytesView) }

        /// The `Content-Type` header, if any.
        public var contentType: String? { headers.first(name: "content-type") }
    }

    /// Fetches `url` within `policy`.
    public static func get(_ url: String, policy: Policy, logger: Logger) async throws(FetchFailure) -> Response {
        let deadline = ContinuousClock.now + policy.timeout
        let result = await Deadline.firstOf(
            deadline: deadline, onTimeout: .failure(FetchFailure(.timedOut)),
            onCancel: .answer(.failure(FetchFailure(.cancelled)))
        ) { () async -> Result<Response, FetchFailure> in
            do throws(FetchFailure) {
                return .success(try await follow(url, policy: policy, deadline: deadline, logger: logger))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Whether `url` has a scheme and host a fetch under `policy` would try (no network).
    public static func isFetchable(_ url: String, policy: Policy) -> Bool {
        target(url, policy: policy) != nil
    }

    private static func follow(
        _ first: String, policy: Policy, deadline: ContinuousClock.Instant, logger: Logger
    ) async throws(FetchFailure) -> Response {
        var url = first
        var redirects = 0
        while true {
            guard let (parsed, host) = target(url, policy: policy) else { throw FetchFailure(.invalidURL) }
            let hop = try await fetchOnce(url, host: host, policy: policy, deadline: deadline, logger: logger)
            switch hop {
            case .body(let response):
                return response
            case .redirect(let status, let location):
                guard policy.maxRedirects > 0 else { throw FetchFailure(.redirected(status: status)) }
                guard redirects < policy.maxRedirects, let location,
                    let next = URL(string: location, relativeTo: parsed)?.absoluteURL.absoluteString
                else { throw FetchFailure(.badRedirect) }
                redirects += 1
                url = next
            }
        }
    }

    /// The parsed URL and its host, when the scheme is allowed.
    private static func target(_ url: String, policy: Policy) -> (URL, String)? {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(),
            var host = parsed.host, !host.isEmpty, parsed.user == nil
        else { return nil }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        switch scheme {
        case "https": return (parsed, host)
        case "http" where policy.allowLoopbackHTTP: return (parsed, host)
        default: return nil
        }
    }

    private enum Hop {
        case body(Response)
        case redirect(status: Int, location: String?)
    }

    private static func fetchOnce(
        _ url: String, host: String, policy: Policy, deadline: ContinuousClock.Instant, logger: Logger
    ) async throws(FetchFailure) -> Hop {
        var dnsOverride: [String: String] = [:]
        if let address = try await HostResolution.connectAddress(
            for: host, allowLoopback: policy.allowLoopbackHTTP, timeLimit: deadline - .now)
        {
            // Keyed by the host as AsyncHTTPClient reads it from the URL (case kept) and lowercased.
            dnsOverride[host] = address
            dnsOverride[host.lowercased()] = address
        }
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: TimeAmount(policy.timeout), read: TimeAmount(policy.timeout)))
        configuration.dnsOverride = dnsOverride
        configuration.decompression = .disabled
        let client = HTTPClient(
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration,
            backgroundActivityLogger: logger)
        let outcome: Result<Hop, FetchFailure>
        do throws(FetchFailure) {
            outcome = .success(try await execute(url, client: client, policy: policy, deadline: deadline, logger: logger))
        } catch {
            outcome = .failure(error)
        }
        do {
            try await client.shutdown()
        } catch {
            logger.debug("Could not shut down a guarded fetch's HTTP client", metadata: ["error": "\(error)"])
        }
        return try outcome.get()
    }

    private static func execute(
        _ url: String, client: HTTPClient, policy: Policy, deadline: ContinuousClock.Instant, logger: Logger
    ) async throws(FetchFailure) -> Hop {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: policy.accept)
        request.headers.add(name: "User-Agent", value: policy.userAgent)
        let remaining = deadline - .now
        guard remaining > .zero else { throw FetchFailure(.timedOut) }
        do {
            let response = try await client.execute(request, deadline: .now() + TimeAmount(remaining), logger: logger)
            let status = Int(response.status.code)
            if (300..<400).contains(status) {
                return .redirect(status: status, location: response.headers.first(name: "location"))
            }
            guard status == 200 else { throw FetchFailure(.status(status)) }
            let contentType = response.headers.first(name: "content-type")
            guard policy.acceptsContentType(contentType) else { throw FetchFailure(.contentType(contentType)) }
            if let length = response.headers.first(name: "content-length").flatMap({ Int($0) }), length > policy.maxBytes {
                throw FetchFailure(.tooLarge(limit: policy.maxBytes))
            }
            var buffer = ByteBuffer()
            for try await var chunk in response.body {
                guard buffer.readableBytes + chunk.readableBytes <= policy.maxBytes else {
                    throw FetchFailure(.tooLarge(limit: policy.maxBytes))
                }
                buffer.writeBuffer(&chunk)
            }
            return .body(Response(url: url, headers: response.headers, body: buffer))
        } catch let error as FetchFailure {
            throw error
        } catch let error as HTTPClientError
            where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout
        {
            throw FetchFailure(.timedOut)
        } catch {
            if ContinuousClock.now >= deadline { throw FetchFailure(.timedOut) }
            if error is CancellationError { throw FetchFailure(.cancelled) }
            throw FetchFailure(.unreachable(hint: FetchFailure.hint(String(describing: error))))
        }
    }
}
