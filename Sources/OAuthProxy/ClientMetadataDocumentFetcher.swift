import Foundation
public import Logging
import Synchronization

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
