import AsyncHTTPClient
public import Foundation
import JSON
public import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A validated Client ID Metadata Document (draft-ietf-oauth-client-id-metadata-document):
/// a public client identified by the https URL its metadata is published at.
public struct ClientMetadataDocument: Sendable, Hashable {
    /// The document's URL, which is the client's id.
    public var clientID: String
    public var clientName: String
    public var redirectURIs: [String]
    /// Always `"none"`: only public clients are accepted (see ``ClientMetadataDocumentFetcher``).
    public var tokenEndpointAuthMethod: String
    /// The document's `logo_uri`, kept only when it is an acceptable https URL.
    public var logoURI: String?
    /// The document's `client_uri`, kept only when it is an acceptable https URL.
    public var clientURI: String?
    /// The document as fetched.
    public var json: String
    /// When the cached document must be fetched again.
    public var expiresAt: Date

    public init(
        clientID: String, clientName: String, redirectURIs: [String], tokenEndpointAuthMethod: String = "none",
        logoURI: String? = nil, clientURI: String? = nil, json: String, expiresAt: Date
    ) {
        self.clientID = clientID
        self.clientName = clientName
        self.redirectURIs = redirectURIs
        self.tokenEndpointAuthMethod = tokenEndpointAuthMethod
        self.logoURI = logoURI
        self.clientURI = clientURI
        self.json = json
        self.expiresAt = expiresAt
    }
}

/// Why a client metadata document could not be used; `description` is fit for an OAuth
/// `invalid_client` `error_description` (it never quotes the response body).
public struct ClientMetadataError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    /// The document may be fine but cannot be fetched now (too many fetches at once, shutting
    /// down): an OAuth `temporarily_unavailable`, not a verdict on the client.
    public var isTemporary: Bool

    public init(_ description: String, isTemporary: Bool = false) {
        self.description = description
        self.isTemporary = isTemporary
    }
}

/// Fetches, validates and caches Client ID Metadata Documents, guarding against SSRF.
///
/// The host is resolved here and every address must be public (``AddressPolicy``); the request
/// then goes to the checked address (AsyncHTTPClient's `dnsOverride`, so TLS still verifies the
/// host name), so a second DNS answer cannot point it elsewhere. No redirects, a size limit, one
/// time limit for the whole fetch (name resolution, response head and body), `200` and a JSON
/// content type are required. Documents are cached per `Cache-Control`.
///
/// A fetch belongs to the requests waiting for it: it is cancelled (its connection closed) as
/// soon as the last of them is cancelled, and at most ``Policy/maxConcurrentFetches`` run at once;
/// beyond that a request is refused at once with a temporary error.
public actor ClientMetadataDocumentFetcher {
    /// Limits of fetching and caching.
    public struct Policy: Sendable {
        /// The largest document accepted, in bytes.
        public var maxBytes = 5_120
        /// The time limit of one whole fetch: name resolution, response head and body.
        public var timeout: Duration = .seconds(10)
        /// The most fetches (of distinct documents) in flight at once; more are refused with a
        /// temporary error rather than queued.
        public var maxConcurrentFetches = 16
        /// The shortest time a document is cached (also for `no-store`/`no-cache`).
        public var minCache: Duration = .seconds(300)
        /// The longest time a document is cached.
        public var maxCache: Duration = .seconds(86_400)
        /// How long a document without `Cache-Control: max-age` is cached.
        public var defaultCache: Duration = .seconds(3_600)
        /// The most documents cached at once; the oldest are evicted first.
        public var maxCacheEntries = 1_000
        /// DEVELOPMENT/TESTS ONLY: allow `http://127.0.0.1:<port>/…` and `http://localhost:<port>/…`
        /// client ids and loopback addresses. Off by default.
        public var allowLoopbackHTTP = false

        public init() {}
    }

    /// The fetcher's limits.
    public nonisolated let policy: Policy
    private let logger: Logger
    private var cache: [String: CacheEntry] = [:]
    private var insertions: UInt64 = 0
    private var inFlight: [String: SharedFetch] = [:]
    private var isShutDown = false

    private struct CacheEntry {
        var document: ClientMetadataDocument
        var insertion: UInt64
    }

    public init(policy: Policy = .init(), logger: Logger) {
        self.policy = policy
        self.logger = logger
    }

    /// Whether a client_id is URL-shaped and so names a metadata document (starts with https:// —
    /// or http:// loopback when allowed).
    public nonisolated func isMetadataDocumentURL(_ clientID: String) -> Bool {
        if clientID.hasPrefix("https://") { return true }
        guard policy.allowLoopbackHTTP, clientID.hasPrefix("http://"), let host = URIParts(clientID)?.host else {
            return false
        }
        return RedirectURIPolicy.loopbackHosts.contains(host)
    }

    /// Problem with a client_id URL, or nil: https only; must have a path other than "/"; no
    /// fragment, query, userinfo or dot segments; host must be a domain name (not an IP literal,
    /// not `localhost`); no explicit port other than 443 (dev mode: loopback http with any port).
    public nonisolated func clientIDProblem(_ clientID: String) -> String? {
        Self.clientIDProblem(clientID, allowLoopbackHTTP: policy.allowLoopbackHTTP)
    }

    /// Fetches (or returns the cached, unexpired) document; validates it.
    ///
    /// Concurrent calls for the same id share one fetch, which is cancelled when every caller
    /// waiting for it has been cancelled. Failures are not cached. With
    /// ``Policy/maxConcurrentFetches`` other documents in flight, fails at once with an error
    /// whose ``ClientMetadataError/isTemporary`` is set.
    public func document(for clientID: String) async throws(ClientMetadataError) -> ClientMetadataDocument {
        guard !isShutDown else {
            throw ClientMetadataError("client metadata documents cannot be fetched: the server is shutting down", isTemporary: true)
        }
        if let problem = clientIDProblem(clientID) { throw ClientMetadataError(problem) }
        if let entry = cache[clientID] {
            if entry.document.expiresAt > Date() { return entry.document }
            cache[clientID] = nil
        }

        let shared: SharedFetch
        if let existing = inFlight[clientID] {
            shared = existing
        } else {
            guard inFlight.count < max(1, policy.maxConcurrentFetches) else {
                logger.notice("Client metadata document fetch refused: too many in flight", metadata: ["client_id": "\(clientID)"])
                throw ClientMetadataError(
                    "too many client metadata documents are being fetched at once; try again in a moment", isTemporary: true)
            }
            let policy = policy
            let logger = logger
            shared = SharedFetch(Task { await Self.fetch(clientID, policy: policy, logger: logger) })
            inFlight[clientID] = shared
        }
        shared.join()
        let result = await withTaskCancellationHandler {
            await shared.task.value
        } onCancel: {
            shared.leave()
        }
        if inFlight[clientID] === shared {
            inFlight[clientID] = nil
            if case .success(let document) = result, !isShutDown { remember(document) }
        }
        return try result.get()
    }

    /// Cancels fetches in flight, waits for them (and their HTTP clients) to finish, and empties
    /// the cache. Later calls to ``document(for:)`` fail.
    public func shutdown() async throws {
        isShutDown = true
        let tasks = inFlight.values.map(\.task)
        for task in tasks { task.cancel() }
        for task in tasks { _ = await task.value }
        inFlight.removeAll()
        cache.removeAll()
    }

    /// The number of documents cached (expired ones included until evicted).
    var cachedCount: Int { cache.count }

    private func remember(_ document: ClientMetadataDocument) {
        if cache[document.clientID] == nil && cache.count >= max(1, policy.maxCacheEntries) {
            let now = Date()
            cache = cache.filter { $0.value.document.expiresAt > now }
            while cache.count >= max(1, policy.maxCacheEntries),
                let oldest = cache.min(by: { $0.value.insertion < $1.value.insertion })?.key
            {
                cache[oldest] = nil
            }
        }
        insertions += 1
        cache[document.clientID] = CacheEntry(document: document, insertion: insertions)
    }

    // MARK: - Client id rules

    static func clientIDProblem(_ clientID: String, allowLoopbackHTTP: Bool) -> String? {
        if clientID.utf8.count > RedirectURIPolicy.maxLength { return "client_id URL is too long" }
        for byte in clientID.utf8 where byte >= 0x80 || byte <= 0x20 || byte == 0x7F || byte == UInt8(ascii: "\\") {
            return "client_id URL contains characters not allowed in a URL"
        }
        guard let parts = URIParts(clientID), parts.authority != nil else {
            return "client_id must be an https URL"
        }
        let host = parts.host ?? ""
        let isDevLoopback =
            allowLoopbackHTTP && parts.scheme == "http" && RedirectURIPolicy.loopbackHosts.contains(host)
        guard parts.scheme == "https" || isDevLoopback else { return "client_id URL must use https" }
        if parts.userinfo != nil { return "client_id URL must not contain user information" }
        if parts.fragment != nil { return "client_id URL must not contain a fragment" }
        if parts.query != nil { return "client_id URL must not contain a query" }
        if host.isEmpty { return "client_id URL has no host" }
        if parts.authority?.contains("%") == true { return "client_id URL host must not be percent-encoded" }
        if isDevLoopback {
            if let port = parts.port, !RedirectURIPolicy.isValidPort(port) { return "client_id URL has an invalid port" }
        } else {
            if let port = parts.port, port != "443" { return "client_id URL must not name a port" }
            if host.hasPrefix("[") || AddressPolicy.parse(host) != nil {
                return "client_id URL host must be a domain name, not an IP address"
            }
            guard RedirectURIPolicy.isValidHost(host), let lastLabel = host.split(separator: ".").last else {
                return "client_id URL has an invalid host"
            }
            // A top-level domain never starts with a digit; this also stops `127.1`-style IPv4 forms.
            if let first = lastLabel.utf8.first, !((first | 0x20) >= 0x61 && (first | 0x20) <= 0x7A) {
                return "client_id URL host must be a domain name, not an IP address"
            }
            let lowerHost = host.lowercased()
            if lowerHost == "localhost" || lowerHost.hasSuffix(".localhost") {
                return "client_id URL host must not be localhost"
            }
            if !host.contains(".") { return "client_id URL host must be a fully qualified domain name" }
        }
        if parts.path.isEmpty || parts.path == "/" { return "client_id URL must have a path" }
        for segment in parts.path.split(separator: "/", omittingEmptySubsequences: false) {
            let lower = segment.lowercased()
            if ["." , "..", "%2e", "%2e%2e", ".%2e", "%2e."].contains(lower) {
                return "client_id URL must not contain dot segments"
            }
        }
        var bytes = parts.path.utf8[...]
        while let percent = bytes.firstIndex(of: UInt8(ascii: "%")) {
            let escape = bytes[bytes.index(after: percent)...].prefix(2)
            guard escape.count == 2, escape.allSatisfy(RedirectURIPolicy.isHexDigit) else {
                return "client_id URL contains a malformed percent-encoding"
            }
            bytes = bytes[escape.endIndex...]
        }
        return nil
    }

    // MARK: - Validation

    /// The longest `client_name` accepted (``ClientNames/maxLength``, shared with `/register`).
    public static let maxClientNameLength = ClientNames.maxLength

    /// Validates a fetched document for `clientID`.
    ///
    /// Requires a JSON object whose `client_id` equals `clientID`, a non-empty `client_name`, and
    /// non-empty `redirect_uris` that ``RedirectURIPolicy`` accepts; rejects secrets and private
    /// keys. `token_endpoint_auth_method` must be absent or `none`, or `private_key_jwt` with
    /// `none` among `token_endpoint_auth_methods_supported` (then `none` is used).
    public static func validate(json: Data, clientID: String, expiresAt: Date) throws(ClientMetadataError)
        -> ClientMetadataDocument
    {
        guard let value = try? JSONValue(parsing: json) else {
            throw ClientMetadataError("the client metadata document is not valid JSON")
        }
        guard case .object(let members) = value else {
            throw ClientMetadataError("the client metadata document must be a JSON object")
        }
        guard let documentID = members["client_id"]?.stringValue else {
            throw ClientMetadataError("the client metadata document has no client_id")
        }
        guard documentID == clientID else {
            throw ClientMetadataError("the client metadata document's client_id does not match the URL it was fetched from")
        }
        if members["client_secret"] != nil || members["client_secret_expires_at"] != nil {
            throw ClientMetadataError("the client metadata document must not contain a client_secret")
        }
        if let jwks = members["jwks"], containsPrivateKey(jwks) {
            throw ClientMetadataError("the client metadata document's jwks contains private key material")
        }

        guard let name = members["client_name"]?.stringValue,
            !name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        else {
            throw ClientMetadataError("the client metadata document has no client_name")
        }
        if let problem = ClientNames.problem(name) { throw ClientMetadataError(problem) }

        guard case .array(let uriValues)? = members["redirect_uris"], !uriValues.isEmpty else {
            throw ClientMetadataError("the client metadata document must list redirect_uris")
        }
        var redirectURIs: [String] = []
        for uriValue in uriValues {
            guard let uri = uriValue.stringValue else {
                throw ClientMetadataError("redirect_uris must contain only strings")
            }
            if let problem = RedirectURIPolicy.registrationProblem(uri) {
                throw ClientMetadataError("redirect_uris: \(problem)")
            }
            redirectURIs.append(uri)
        }

        let supportedMethods =
            try strings(members["token_endpoint_auth_methods_supported"], "token_endpoint_auth_methods_supported") ?? []
        switch members["token_endpoint_auth_method"] {
        case nil, .null?, .string("none")?:
            break
        case .string("private_key_jwt")? where supportedMethods.contains("none"):
            break
        default:
            throw ClientMetadataError("only public clients (token_endpoint_auth_method none) are supported")
        }
        if let grantTypes = try strings(members["grant_types"], "grant_types"), !grantTypes.contains("authorization_code") {
            throw ClientMetadataError("grant_types must include authorization_code")
        }
        if let responseTypes = try strings(members["response_types"], "response_types"), !responseTypes.contains("code") {
            throw ClientMetadataError("response_types must include code")
        }

        return ClientMetadataDocument(
            clientID: clientID, clientName: name, redirectURIs: redirectURIs, tokenEndpointAuthMethod: "none",
            logoURI: httpsURL(members["logo_uri"]), clientURI: httpsURL(members["client_uri"]),
            json: String(decoding: json, as: UTF8.self), expiresAt: expiresAt)
    }

    /// The strings of an optional array member; `nil` when absent.
    private static func strings(_ value: JSONValue?, _ name: String) throws(ClientMetadataError) -> [String]? {
        guard let value, !value.isNull else { return nil }
        guard case .array(let items) = value else { throw ClientMetadataError("\(name) must be an array of strings") }
        var result: [String] = []
        for item in items {
            guard let string = item.stringValue else { throw ClientMetadataError("\(name) must be an array of strings") }
            result.append(string)
        }
        return result
    }

    private static func httpsURL(_ value: JSONValue?) -> String? {
        guard let uri = value?.stringValue, uri.hasPrefix("https://"), RedirectURIPolicy.registrationProblem(uri) == nil
        else { return nil }
        return uri
    }

    /// JWK members that only private (or symmetric) keys have.
    private static let privateKeyMembers: Set<String> = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"]

    private static func containsPrivateKey(_ jwks: JSONValue) -> Bool {
        switch jwks {
        case .object(let members):
            if members.keys.contains(where: privateKeyMembers.contains) { return true }
            return members["keys"].map(containsPrivateKey) ?? false
        case .array(let keys):
            return keys.contains(where: containsPrivateKey)
        default:
            return false
        }
    }

    // MARK: - Caching

    /// How long to cache a document given its `Cache-Control` header, clamped to the policy.
    static func cacheLifetime(cacheControl: String?, policy: Policy) -> Duration {
        var lifetime = policy.defaultCache
        for directive in (cacheControl ?? "").split(separator: ",") {
            let token = directive.trimmingCharacters(in: .whitespaces).lowercased()
            if token == "no-store" || token == "no-cache" { return policy.minCache }
            if token.hasPrefix("max-age=") {
                let seconds = token.dropFirst("max-age=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                if let seconds = Int(seconds), seconds >= 0 { lifetime = .seconds(seconds) }
            }
        }
        return min(max(lifetime, policy.minCache), max(policy.minCache, policy.maxCache))
    }

    // MARK: - Fetching

    private static func fetch(
        _ clientID: String, policy: Policy, logger: Logger
    ) async -> Result<ClientMetadataDocument, ClientMetadataError> {
        let start = ContinuousClock.now
        let deadline = start + policy.timeout
        let result: Result<ClientMetadataDocument, ClientMetadataError>
        do throws(ClientMetadataError) {
            let (body, cacheControl) = try await bounded(by: deadline, policy: policy) { () async throws(ClientMetadataError) in
                try await download(clientID, policy: policy, deadline: deadline, logger: logger)
            }
            let lifetime = cacheLifetime(cacheControl: cacheControl, policy: policy)
            let expiresAt = Date().addingTimeInterval(Double(lifetime.components.seconds))
            result = .success(try validate(json: body, clientID: clientID, expiresAt: expiresAt))
        } catch {
            result = .failure(error)
        }
        switch result {
        case .success:
            logger.debug("Fetched a client metadata document", metadata: ["client_id": "\(clientID)"])
        case .failure(let error):
            logger.info(
                "Client metadata document rejected", metadata: ["client_id": "\(clientID)", "reason": "\(error.description)"])
        }
        return result
    }

    /// `operation`'s outcome, or a time-out once `deadline` passes, whichever comes first
    /// (``firstOf(timeLimit:onTimeout:onCancel:_:)``); the operation is cancelled then
    /// (AsyncHTTPClient closes the connection), so that a body trickled byte by byte cannot keep a
    /// fetch alive past its limit.
    private static func bounded<T: Sendable>(
        by deadline: ContinuousClock.Instant, policy: Policy,
        _ operation: @escaping @Sendable () async throws(ClientMetadataError) -> T
    ) async throws(ClientMetadataError) -> T {
        try await firstOf(
            timeLimit: ContinuousClock.now.duration(to: deadline), onTimeout: .failure(timedOut(policy)),
            onCancel: .failure(ClientMetadataError("fetching the client metadata document was cancelled"))
        ) { () async -> Result<T, ClientMetadataError> in
            do throws(ClientMetadataError) {
                return .success(try await operation())
            } catch {
                return .failure(error)
            }
        }.get()
    }

    /// Resolves and checks the host, then GETs the document from the checked address.
    private static func download(
        _ clientID: String, policy: Policy, deadline: ContinuousClock.Instant, logger: Logger
    ) async throws(ClientMetadataError) -> (Data, String?) {
        guard let parts = URIParts(clientID), let host = parts.host else {
            throw ClientMetadataError("client_id must be an https URL")
        }
        var dnsOverride: [String: String] = [:]
        if let address = try await connectAddress(for: host, policy: policy, timeLimit: deadline - .now) {
            // Keyed by the host as AsyncHTTPClient reads it from the URL (case kept); the
            // lowercased spelling too, in case a later version normalises it.
            dnsOverride[host] = address
            dnsOverride[host.lowercased()] = address
        }

        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: timeAmount(policy.timeout), read: timeAmount(policy.timeout)))
        configuration.dnsOverride = dnsOverride
        configuration.decompression = .disabled
        let client = HTTPClient(
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration,
            backgroundActivityLogger: logger)
        let outcome: Result<(Data, String?), ClientMetadataError>
        do throws(ClientMetadataError) {
            outcome = .success(try await get(clientID, client: client, policy: policy, deadline: deadline, logger: logger))
        } catch {
            outcome = .failure(error)
        }
        do {
            try await client.shutdown()
        } catch {
            logger.debug("Could not shut down a metadata document HTTP client", metadata: ["error": "\(error)"])
        }
        return try outcome.get()
    }

    private static func get(
        _ clientID: String, client: HTTPClient, policy: Policy, deadline: ContinuousClock.Instant, logger: Logger
    ) async throws(ClientMetadataError) -> (Data, String?) {
        var request = HTTPClientRequest(url: clientID)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "task-mcp (client metadata document fetcher)")
        let remaining = deadline - .now
        guard remaining > .zero else { throw timedOut(policy) }
        do {
            let response = try await client.execute(request, deadline: .now() + timeAmount(remaining), logger: logger)
            let status = response.status.code
            if (300..<400).contains(status) {
                throw ClientMetadataError("the client metadata document URL redirected (HTTP \(status)); redirects are not followed")
            }
            guard status == 200 else {
                throw ClientMetadataError("fetching the client metadata document returned HTTP \(status), not 200")
            }
            let contentType = response.headers.first(name: "content-type")
            guard isJSON(contentType) else {
                throw ClientMetadataError(
                    "the client metadata document URL did not return JSON (Content-Type: \(shortHint(contentType ?? "none")))")
            }
            if let length = response.headers.first(name: "content-length").flatMap({ Int($0) }), length > policy.maxBytes {
                throw tooLarge(policy)
            }
            var buffer = ByteBuffer()
            for try await var chunk in response.body {
                guard buffer.readableBytes + chunk.readableBytes <= policy.maxBytes else { throw tooLarge(policy) }
                buffer.writeBuffer(&chunk)
            }
            let cacheControl = response.headers["cache-control"].joined(separator: ",")
            return (Data(buffer.readableBytesView), cacheControl.isEmpty ? nil : cacheControl)
        } catch let error as ClientMetadataError {
            throw error
        } catch let error as HTTPClientError
            where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout
        {
            throw timedOut(policy)
        } catch {
            if ContinuousClock.now >= deadline { throw timedOut(policy) }
            if error is CancellationError { throw ClientMetadataError("fetching the client metadata document was cancelled") }
            throw ClientMetadataError("the client metadata document could not be fetched (\(shortHint(String(describing: error))))")
        }
    }

    private static func timedOut(_ policy: Policy) -> ClientMetadataError {
        ClientMetadataError("fetching the client metadata document timed out after \(policy.timeout.components.seconds) s")
    }

    private static func tooLarge(_ policy: Policy) -> ClientMetadataError {
        ClientMetadataError("the client metadata document is larger than \(policy.maxBytes) bytes")
    }

    private static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        } ?? ""
        return mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
    }

    /// At most 60 printable ASCII characters of `text`, for error messages.
    private static func shortHint(_ text: String) -> String {
        let printable = text.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F }
        let hint = String(String.UnicodeScalarView(printable.prefix(60)))
        return printable.count > 60 ? hint + "…" : hint
    }

    private static func isAllowed(_ address: SocketAddress, policy: Policy) -> Bool {
        AddressPolicy.isPublic(address) || (policy.allowLoopbackHTTP && AddressPolicy.isLoopback(address))
    }

    private static func timeAmount(_ duration: Duration) -> TimeAmount {
        let parts = duration.components
        return .nanoseconds(max(0, parts.seconds) * 1_000_000_000 + max(0, parts.attoseconds) / 1_000_000_000)
    }

    // MARK: - Name resolution

    /// The checked address to connect to for `host` (for `dnsOverride`), or `nil` when `host` is
    /// itself an allowed IP literal. Every address the name resolves to must be allowed; an IPv4
    /// address is preferred.
    static func connectAddress(
        for host: String, policy: Policy, timeLimit: Duration
    ) async throws(ClientMetadataError) -> String? {
        if let literal = AddressPolicy.parse(host) {
            guard isAllowed(literal, policy: policy) else {
                throw ClientMetadataError("client_id URL points to a non-public address")
            }
            return nil
        }
        let addresses = try await resolve(host, timeLimit: timeLimit)
        guard addresses.allSatisfy({ isAllowed($0, policy: policy) }) else {
            throw ClientMetadataError("client_id host resolves to a non-public address")
        }
        guard let preferred = addresses.first(where: { $0.protocol == .inet }) ?? addresses.first,
            let address = preferred.ipAddress
        else {
            throw ClientMetadataError("client_id host could not be resolved")
        }
        return address
    }

    /// Every address `host` resolves to, via `getaddrinfo` on NIO's thread pool, giving up after
    /// `timeLimit` (a stuck lookup is left to finish in the background).
    static func resolve(_ host: String, timeLimit: Duration) async throws(ClientMetadataError) -> [SocketAddress] {
        guard timeLimit > .zero else { throw ClientMetadataError("resolving the client_id host timed out") }
        let result = await firstOf(
            timeLimit: timeLimit,
            onTimeout: .failure(ClientMetadataError("resolving the client_id host timed out")),
            onCancel: .failure(ClientMetadataError("fetching the client metadata document was cancelled"))
        ) { () async -> Result<[SocketAddress], ClientMetadataError> in
            do {
                return .success(try await NIOThreadPool.singleton.runIfActive { try lookUp(host) })
            } catch let error as ClientMetadataError {
                return .failure(error)
            } catch {
                return .failure(ClientMetadataError("client_id host could not be resolved"))
            }
        }
        return try result.get()
    }

    /// Blocking `getaddrinfo` for TCP addresses of `host`.
    private static func lookUp(_ host: String) throws(ClientMetadataError) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Darwin)
        hints.ai_socktype = SOCK_STREAM
        #else
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else {
            throw ClientMetadataError("client_id host could not be resolved")
        }
        defer { freeaddrinfo(first) }
        var addresses: [SocketAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            if let address = info.pointee.ai_addr {
                switch info.pointee.ai_family {
                case AF_INET:
                    address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                        addresses.append(SocketAddress($0.pointee, host: host))
                    }
                case AF_INET6:
                    address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                        addresses.append(SocketAddress($0.pointee, host: host))
                    }
                default:
                    break
                }
            }
            cursor = info.pointee.ai_next
        }
        return addresses
    }

    /// The result of `operation`, or `onTimeout` once `timeLimit` passes, or `onCancel` when the
    /// calling task is cancelled — whichever comes first; the loser is cancelled (an HTTP request
    /// then closes its connection). Unlike a task group, this does not wait for an operation that
    /// ignores cancellation (such as a blocking lookup) to finish.
    static func firstOf<T: Sendable>(
        timeLimit: Duration, onTimeout: T, onCancel: T, _ operation: @escaping @Sendable () async -> T
    ) async -> T {
        let first = FirstValue<T>()
        let work = Task { first.offer(await operation()) }
        let timer = Task {
            guard (try? await Task.sleep(for: timeLimit)) != nil else { return }
            first.offer(onTimeout)
        }
        let value = await withTaskCancellationHandler {
            await first.value()
        } onCancel: {
            first.offer(onCancel)
        }
        work.cancel()
        timer.cancel()
        return value
    }
}

/// The first value offered, delivered to one waiter.
private final class FirstValue<T: Sendable>: Sendable {
    private enum State {
        case empty
        case waiting(CheckedContinuation<T, Never>)
        case done(T)
    }

    private let state = Mutex<State>(.empty)

    func offer(_ value: T) {
        let waiter: CheckedContinuation<T, Never>? = state.withLock { state in
            switch state {
            case .empty:
                state = .done(value)
                return nil
            case .waiting(let continuation):
                state = .done(value)
                return continuation
            case .done:
                return nil
            }
        }
        waiter?.resume(returning: value)
    }

    /// Waits for the first value; call at most once.
    func value() async -> T {
        await withCheckedContinuation { continuation in
            let ready: T? = state.withLock { state in
                switch state {
                case .empty:
                    state = .waiting(continuation)
                    return nil
                case .done(let value):
                    return value
                case .waiting:
                    return nil
                }
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

/// One fetch, shared by every request waiting for the same document; cancelled when the last of
/// them is cancelled, so that no fetch outlives the requests that wanted it.
private final class SharedFetch: Sendable {
    let task: Task<Result<ClientMetadataDocument, ClientMetadataError>, Never>
    private let waiters = Mutex(0)

    init(_ task: Task<Result<ClientMetadataDocument, ClientMetadataError>, Never>) {
        self.task = task
    }

    func join() {
        waiters.withLock { $0 += 1 }
    }

    /// A waiter was cancelled; the last one cancels the fetch.
    func leave() {
        let last = waiters.withLock { count -> Bool in
            count -= 1
            return count == 0
        }
        if last { task.cancel() }
    }
}
