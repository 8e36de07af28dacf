import Crypto
import Foundation
public import Logging
import ParallelAPI
public import PostgresStorage
import Storage
// `public`: the default page budget is TaskTools' (``Paginator/defaultPageTokenBudget``).
public import TaskTools

/// What the task-mcp service needs to start.
///
/// Read from environment variables by ``fromEnvironment(_:defaults:)`` (each one is listed in
/// ``variableNames`` and documented in `env.example`); ``prepareForServing(environment:sandboxPort:)``
/// adds what `serve` requires on top.
public struct ServerConfiguration: Sendable, Hashable {
    /// Address to bind.
    public var host: String
    /// Port to listen on; `0` picks a free one.
    public var port: Int
    /// Base URL of Parallel's Task API.
    public var parallelBaseURL: String
    /// When set, an embedded Parallel sandbox is started on this port and used as the upstream.
    public var sandboxPort: Int?
    /// The URL clients and browsers reach this server at (an origin, no path), used as the OAuth
    /// issuer, the protected resource (`<publicURL>/mcp`) and in progress links. `nil`:
    /// `http://<host>:<port>` as bound.
    public var publicURL: String?
    /// Browser origins allowed to call `/mcp` and the REST API (DNS-rebinding protection). The
    /// server's own origin and loopback origins are always allowed; `*` allows any.
    public var allowedOrigins: [String]
    /// The largest request body accepted, in bytes (413 beyond).
    public var maxBodyBytes: Int
    /// Result pages are cut to about this many tokens.
    public var pageTokenBudget: Int
    /// The most rows one `createTaskGroup` accepts, by any input (inline, URL, upload, file).
    public var maxGroupRows = 10_000
    /// Memory for recently read results and their page layouts, in MiB (`TASK_MCP_RESULT_CACHE_MB`); 0 keeps none.
    public var resultCacheMiB: Int = 256
    /// The largest settled result stored in the database, in MiB (`TASK_MCP_MAX_STORED_RESULT_MB`); 0 stores none.
    public var maxStoredResultMiB: Int = 64
    /// Base64 of at least 32 random bytes: keys progress links, user ids and (without
    /// ``sealingKeys``) the sealing key. `nil`: a random key per process, so links, sign-ins and
    /// stored grants last until restart.
    public var secretKey: String?
    /// Where the server keeps its state (OAuth clients, grants, token hashes, sealed keys, the
    /// task registry): a SQLite file, or a PostgreSQL database that several replicas share.
    public var database: DatabaseLocation
    /// Most pooled connections to PostgreSQL per replica (`TASK_MCP_DATABASE_MAX_CONNECTIONS`).
    public var databaseMaxConnections: Int = 20
    /// AES-GCM keys sealing API keys at rest, `id:base64[,id:base64…]`, current first. `nil`: one
    /// key derived from ``secretKey``.
    public var sealingKeys: String?
    /// Parallel's OAuth provider (`…/authorize`, `…/token`). With a sandbox, the sandbox's.
    public var oauthProviderURL: String
    /// Our client id at Parallel's provider; `nil`: the public URL's host name.
    public var oauthClientID: String?
    /// The scope requested from Parallel's provider.
    public var oauthScope: String
    /// Lifetime of the access tokens this server issues, in seconds.
    public var accessTokenLifetime: Int
    /// Lifetime of refresh tokens, in seconds.
    public var refreshTokenLifetime: Int
    /// Dynamic client registrations accepted per client address per hour.
    public var registrationsPerHour: Int
    /// `/authorize` requests accepted per client address per minute.
    public var authorizationsPerMinute: Int
    /// `/token` and `/revoke` requests accepted per client address per minute.
    public var tokenRequestsPerMinute: Int
    /// DEVELOPMENT ONLY: accept `http://localhost:<port>/…` Client ID Metadata Document URLs.
    public var allowLoopbackClientMetadata: Bool
    /// DEVELOPMENT ONLY: `inputs_url`/`file` rows may be fetched from loopback `http` URLs
    /// (always so with the embedded sandbox).
    public var allowLoopbackInputURLs = false
    /// Peer addresses (reverse proxies) whose `X-Forwarded-For` names the real client, for rate
    /// limits and logs. Empty: the peer address is the client.
    public var trustedProxies: [String]
    /// The lowest level logged.
    public var logLevel: Logger.Level
    /// How log lines are written.
    public var logFormat: LogFormat
    /// When set, `/metrics` requires `Authorization: Bearer <token>`.
    public var metricsToken: String?
    /// When set (`host:port`), `/metrics` is served on this separate listener only (e.g. a
    /// loopback or cluster-internal address), not on the public port.
    public var metricsAddress: String?
    /// Longest a graceful shutdown waits for in-flight requests and streams, in seconds.
    public var shutdownGracePeriod: Int
    /// Longest one tool call or REST request takes, in seconds, upstream retries and waits
    /// included (`wait_seconds` is cut to fit); then it answers with an error that says what to do.
    public var toolDeadline: Int = 55
    /// The Parallel account's webhook secret (`whsec_<base64>` or plain text). When set,
    /// `POST /webhooks/parallel` accepts Parallel's signed completion webhooks, and (with a public
    /// URL Parallel can reach, or a sandbox) new runs ask for them. `nil`: no webhooks.
    public var webhookSecret: String?
    /// Seconds a connection has to send a whole request head: from its start, or on a kept-alive
    /// connection from the first byte of the next request. Trickled bytes do not extend it.
    public var headerTimeout: Int = 10
    /// Seconds a connection may stay silent between requests (or before its first) before it is
    /// closed. In-flight requests and streaming responses are never cut.
    public var idleTimeout: Int = 75
    /// Open connections one client address may hold (trusted proxies are exempt); `0`: no cap.
    public var maxConnectionsPerClient: Int = 128
    /// Where the `/register`, `/authorize` and `/token` limits are counted
    /// (`TASK_MCP_RATE_LIMIT_SCOPE`); `nil`: ``defaultRateLimitScope``.
    public var rateLimitScope: RateLimitScope?

    public init(
        host: String = "127.0.0.1", port: Int = 8080, parallelBaseURL: String = "https://api.parallel.ai",
        sandboxPort: Int? = nil, publicURL: String? = nil, allowedOrigins: [String] = [], maxBodyBytes: Int = 8 * 1024 * 1024,
        pageTokenBudget: Int = Paginator.defaultPageTokenBudget, secretKey: String? = nil,
        database: DatabaseLocation = .sqlite(path: ServerConfiguration.defaultDatabasePath),
        sealingKeys: String? = nil, oauthProviderURL: String = "https://platform.parallel.ai/getKeys", oauthClientID: String? = nil,
        oauthScope: String = "key:read", accessTokenLifetime: Int = 3_600, refreshTokenLifetime: Int = 30 * 86_400,
        registrationsPerHour: Int = 20, authorizationsPerMinute: Int = 120, tokenRequestsPerMinute: Int = 300,
        allowLoopbackClientMetadata: Bool = false, trustedProxies: [String] = [], logLevel: Logger.Level = .info,
        logFormat: LogFormat = .text, metricsToken: String? = nil, metricsAddress: String? = nil, shutdownGracePeriod: Int = 30,
        webhookSecret: String? = nil
    ) {
        self.host = host
        self.port = port
        self.parallelBaseURL = parallelBaseURL
        self.sandboxPort = sandboxPort
        self.publicURL = publicURL
        self.allowedOrigins = allowedOrigins
        self.maxBodyBytes = maxBodyBytes
        self.pageTokenBudget = pageTokenBudget
        self.secretKey = secretKey
        self.database = database
        self.sealingKeys = sealingKeys
        self.oauthProviderURL = oauthProviderURL
        self.oauthClientID = oauthClientID
        self.oauthScope = oauthScope
        self.accessTokenLifetime = accessTokenLifetime
        self.refreshTokenLifetime = refreshTokenLifetime
        self.registrationsPerHour = registrationsPerHour
        self.authorizationsPerMinute = authorizationsPerMinute
        self.tokenRequestsPerMinute = tokenRequestsPerMinute
        self.allowLoopbackClientMetadata = allowLoopbackClientMetadata
        self.trustedProxies = trustedProxies
        self.logLevel = logLevel
        self.logFormat = logFormat
        self.metricsToken = metricsToken
        self.metricsAddress = metricsAddress
        self.shutdownGracePeriod = shutdownGracePeriod
        self.webhookSecret = webhookSecret
    }

    /// `TASK_MCP_DATABASE`: a PostgreSQL URL (`postgres://…`, `postgresql://…`), or else a SQLite
    /// file path (or `:memory:`). Any other `scheme://` is refused rather than taken for a file
    /// name. Messages never repeat the URL, which may carry a password.
    static func databaseLocation(_ text: String) throws(Problem) -> DatabaseLocation {
        if PostgresLocation.isPostgresURL(text) {
            do {
                return .postgres(try PostgresLocation(url: text))
            } catch {
                throw Problem("a PostgreSQL URL postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]: \(error.problem)")
            }
        }
        guard let separator = text.range(of: "://") else { return .sqlite(path: text) }
        let scheme = text[..<separator.lowerBound]
        guard let first = scheme.first, first.isASCII, first.isLetter,
            scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) })
        else { return .sqlite(path: text) }
        throw Problem(
            "a PostgreSQL URL (postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE) or a SQLite database: a file path such as "
                + "data/task-mcp.sqlite, or :memory:; '\(scheme)://' URLs are not supported")
    }

    /// Whether the database is PostgreSQL (shared by replicas) rather than a SQLite file.
    var databaseIsPostgreSQL: Bool {
        if case .postgres = database { true } else { false }
    }

    /// Rate limits are shared on PostgreSQL, where replicas share the database, and per process on SQLite.
    var defaultRateLimitScope: RateLimitScope { databaseIsPostgreSQL ? .shared : .replica }

    /// The scope the limits are counted in: the one configured, else ``defaultRateLimitScope``.
    public var effectiveRateLimitScope: RateLimitScope { rateLimitScope ?? defaultRateLimitScope }

    /// Where the database lives unless `TASK_MCP_DATABASE` says otherwise.
    public static let defaultDatabasePath = "data/task-mcp.sqlite"

    /// The secret key's bytes, when set and valid.
    var secretKeyBytes: [UInt8]? {
        guard let secretKey, let data = Data(base64Encoded: secretKey), data.count >= 32 else { return nil }
        return Array(data)
    }

    /// `http://<host>:<port>` for the bound address, as links and the start banner name it:
    /// loopback for a wildcard address, brackets around an IPv6 literal.
    public func localURL(port: Int) -> String {
        "http://\(PublicURL.host(forBinding: host)):\(port)"
    }

    /// The separate metrics listener, when ``metricsAddress`` is set and valid.
    var metricsListener: (host: String, port: Int)? {
        metricsAddress.flatMap(Self.hostAndPort)
    }

    /// Every variable `fromEnvironment` reads; another `TASK_MCP_…` variable is reported as a typo.
    public static let variableNames: [String] = [
        "TASK_MCP_HOST", "TASK_MCP_PORT", "TASK_MCP_PUBLIC_URL", "TASK_MCP_SECRET_KEY", "TASK_MCP_DATABASE",
        "TASK_MCP_DATABASE_PASSWORD", "TASK_MCP_DATABASE_MAX_CONNECTIONS",        "TASK_MCP_SEALING_KEYS", "TASK_MCP_ALLOWED_ORIGINS", "TASK_MCP_TRUSTED_PROXIES", "TASK_MCP_MAX_BODY_BYTES",
        "TASK_MCP_PAGE_TOKENS", "TASK_MCP_MAX_GROUP_ROWS", "TASK_MCP_RESULT_CACHE_MB", "TASK_MCP_MAX_STORED_RESULT_MB", "TASK_MCP_ACCESS_TOKEN_TTL",
        "TASK_MCP_REFRESH_TOKEN_TTL", "TASK_MCP_REGISTRATIONS_PER_HOUR",
        "TASK_MCP_AUTHORIZATIONS_PER_MINUTE", "TASK_MCP_TOKEN_REQUESTS_PER_MINUTE", "TASK_MCP_DEV_LOOPBACK_CLIENT_METADATA",
        "TASK_MCP_DEV_LOOPBACK_INPUT_URLS",
        "TASK_MCP_LOG_LEVEL", "TASK_MCP_LOG_FORMAT", "TASK_MCP_METRICS_TOKEN", "TASK_MCP_METRICS_ADDRESS",
        "TASK_MCP_SHUTDOWN_GRACE", "TASK_MCP_TOOL_DEADLINE", "TASK_MCP_WEBHOOK_SECRET", "TASK_MCP_HEADER_TIMEOUT", "TASK_MCP_IDLE_TIMEOUT",
        "TASK_MCP_MAX_CONNECTIONS_PER_CLIENT", "TASK_MCP_RATE_LIMIT_SCOPE", "PARALLEL_API_BASE_URL", "PARALLEL_OAUTH_URL", "PARALLEL_OAUTH_CLIENT_ID",
        "PARALLEL_OAUTH_SCOPE",
    ]

    /// Reads the documented variables (``variableNames``) over these defaults.
    /// - Returns: the configuration, or one line per problem found.
    public static func fromEnvironment(_ environment: [String: String], defaults: ServerConfiguration = .init())
        -> Result<ServerConfiguration, ConfigurationErrors>
    {
        let (configuration, problems) = read(environment, defaults: defaults)
        return problems.isEmpty ? .success(configuration) : .failure(ConfigurationErrors(problems: problems))
    }

    /// The configuration with every valid value applied, and one line per invalid one.
    static func read(_ environment: [String: String], defaults: ServerConfiguration) -> (ServerConfiguration, [String]) {
        var reader = EnvironmentReader(environment: environment)
        var configuration = defaults
        reader.text("TASK_MCP_HOST") { configuration.host = $0 }
        reader.integer("TASK_MCP_PORT", 0...65_535, "a port number (0-65535)") { configuration.port = $0 }
        reader.url("PARALLEL_API_BASE_URL") { configuration.parallelBaseURL = $0 }
        reader.read("TASK_MCP_PUBLIC_URL") { text in
            try Self.checkedPublicURL(text).map { configuration.publicURL = $0 }
        }
        reader.read("TASK_MCP_ALLOWED_ORIGINS") { text in
            configuration.allowedOrigins = try Self.list(text).map(Self.checkedOrigin)
        }
        reader.read("TASK_MCP_TRUSTED_PROXIES") { text in
            configuration.trustedProxies = try Self.list(text).map { entry in
                guard ForwardedClient.isAddress(entry) else {
                    throw Problem("an IPv4 or IPv6 address of a reverse proxy, not '\(entry)'")
                }
                return entry
            }
        }
        reader.integer("TASK_MCP_MAX_BODY_BYTES", 1_024...(1 << 30), "a number of bytes from 1024 to 1073741824") {
            configuration.maxBodyBytes = $0
        }
        reader.integer("TASK_MCP_PAGE_TOKENS", 1_000...1_000_000, "a number of tokens from 1000 to 1000000") {
            configuration.pageTokenBudget = $0
        }
        reader.integer("TASK_MCP_MAX_GROUP_ROWS", 1...100_000, "a number of rows from 1 to 100000") {
            configuration.maxGroupRows = $0
        }
        reader.integer("TASK_MCP_RESULT_CACHE_MB", 0...65_536, "a number of MiB from 0 to 65536") { configuration.resultCacheMiB = $0 }
        reader.integer("TASK_MCP_MAX_STORED_RESULT_MB", 0...1_024, "a number of MiB from 0 to 1024") {
            configuration.maxStoredResultMiB = $0
        }
        reader.read("TASK_MCP_SECRET_KEY") { text in
            configuration.secretKey = text
            guard configuration.secretKeyBytes != nil else {
                throw Problem("base64 of at least 32 random bytes (try: openssl rand -base64 32)")
            }
        }
        var databaseRead = true
        reader.read("TASK_MCP_DATABASE") { text in
            databaseRead = false
            configuration.database = try Self.databaseLocation(text)
            databaseRead = true
        }
        reader.read("TASK_MCP_DATABASE_PASSWORD") { password in
            guard databaseRead else { return }  // the URL itself is reported
            guard case .postgres(var location) = configuration.database else {
                throw Problem("set only with a PostgreSQL TASK_MCP_DATABASE (postgres://…)")
            }
            guard location.password == nil else {
                throw Problem("unset when TASK_MCP_DATABASE's URL carries a password: give the password once")
            }
            location.password = password
            configuration.database = .postgres(location)
        }
        reader.integer("TASK_MCP_DATABASE_MAX_CONNECTIONS", 1...1_000, "a number of connections from 1 to 1000") {
            configuration.databaseMaxConnections = $0
        }
        reader.read("TASK_MCP_SEALING_KEYS") { text in
            configuration.sealingKeys = text
            do {
                _ = try SealingKeyring.parse(text)
            } catch {
                throw Problem("id:base64-of-32-bytes[,id:…] (\(error); make one: echo k1:$(openssl rand -base64 32))")
            }
        }
        reader.url("PARALLEL_OAUTH_URL") { configuration.oauthProviderURL = $0 }
        reader.text("PARALLEL_OAUTH_CLIENT_ID") { configuration.oauthClientID = $0 }
        reader.text("PARALLEL_OAUTH_SCOPE") { configuration.oauthScope = $0 }
        reader.integer("TASK_MCP_ACCESS_TOKEN_TTL", 60...86_400, "a number of seconds from 60 to 86400") {
            configuration.accessTokenLifetime = $0
        }
        reader.integer("TASK_MCP_REFRESH_TOKEN_TTL", 3_600...(365 * 86_400), "a number of seconds from 3600 to 31536000") {
            configuration.refreshTokenLifetime = $0
        }
        reader.integer("TASK_MCP_REGISTRATIONS_PER_HOUR", 1...1_000_000, "a positive number") { configuration.registrationsPerHour = $0 }
        reader.integer("TASK_MCP_AUTHORIZATIONS_PER_MINUTE", 1...1_000_000, "a positive number") {
            configuration.authorizationsPerMinute = $0
        }
        reader.integer("TASK_MCP_TOKEN_REQUESTS_PER_MINUTE", 1...1_000_000, "a positive number") {
            configuration.tokenRequestsPerMinute = $0
        }
        reader.read("TASK_MCP_RATE_LIMIT_SCOPE") { text in
            guard let scope = RateLimitScope(rawValue: text.lowercased()) else {
                throw Problem(
                    "replica (each process counts alone) or shared (counted in the database, across replicas), not '\(text)'")
            }
            configuration.rateLimitScope = scope
        }
        reader.flag("TASK_MCP_DEV_LOOPBACK_CLIENT_METADATA") { configuration.allowLoopbackClientMetadata = $0 }
        reader.flag("TASK_MCP_DEV_LOOPBACK_INPUT_URLS") { configuration.allowLoopbackInputURLs = $0 }
        reader.read("TASK_MCP_LOG_LEVEL") { text in
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                throw Problem("one of trace, debug, info, notice, warning, error, critical, not '\(text)'")
            }
            configuration.logLevel = level
        }
        reader.read("TASK_MCP_LOG_FORMAT") { text in
            guard let format = LogFormat(rawValue: text.lowercased()) else {
                throw Problem("one of text, json, logfmt, not '\(text)'")
            }
            configuration.logFormat = format
        }
        reader.read("TASK_MCP_METRICS_TOKEN") { text in
            guard text.count >= 16, !text.contains(where: \.isWhitespace) else {
                throw Problem("at least 16 characters without spaces (try: openssl rand -hex 24)")
            }
            configuration.metricsToken = text
        }
        reader.read("TASK_MCP_METRICS_ADDRESS") { text in
            guard Self.hostAndPort(text) != nil else {
                throw Problem("host:port for a separate metrics listener, such as 127.0.0.1:9464, not '\(text)'")
            }
            configuration.metricsAddress = text
        }
        reader.integer("TASK_MCP_SHUTDOWN_GRACE", 1...3_600, "a number of seconds from 1 to 3600") {
            configuration.shutdownGracePeriod = $0
        }
        reader.integer("TASK_MCP_HEADER_TIMEOUT", 1...3_600, "a number of seconds from 1 to 3600") { configuration.headerTimeout = $0 }
        reader.integer("TASK_MCP_IDLE_TIMEOUT", 1...86_400, "a number of seconds from 1 to 86400") { configuration.idleTimeout = $0 }
        reader.integer("TASK_MCP_MAX_CONNECTIONS_PER_CLIENT", 0...1_000_000, "a number from 0 (no cap) to 1000000") {
            configuration.maxConnectionsPerClient = $0
        }
        reader.integer("TASK_MCP_TOOL_DEADLINE", 5...3_600, "a number of seconds from 5 to 3600") { configuration.toolDeadline = $0 }
        reader.read("TASK_MCP_WEBHOOK_SECRET") { text in
            do {
                _ = try StandardWebhook(secret: text)
            } catch {
                throw Problem("the webhook secret from Parallel's settings, as shown there (whsec_… or plain text): \(error)")
            }
            configuration.webhookSecret = text
        }
        for name in environment.keys.sorted() where name.hasPrefix("TASK_MCP_") && !variableNames.contains(name) {
            let hint = Self.closestName(to: name).map { " (did you mean \($0)?)" } ?? ""
            reader.problems.append("\(name) is not a task-mcp setting\(hint); see env.example for the list")
        }
        return (configuration, reader.problems)
    }

    /// The configuration `serve` runs with: the environment read over the defaults, plus what
    /// serving requires. With a sandbox (`sandboxPort`), a missing secret key is generated for
    /// this process and the database defaults to `:memory:`; without one, `TASK_MCP_SECRET_KEY`
    /// is required so that sign-ins and stored keys survive a restart. Binding beyond loopback
    /// requires `TASK_MCP_PUBLIC_URL` (the OAuth issuer must be the URL clients reach).
    public static func prepareForServing(environment: [String: String], sandboxPort: Int?)
        -> Result<ServerConfiguration, ConfigurationErrors>
    {
        var defaults = ServerConfiguration()
        if sandboxPort != nil { defaults.database = .sqlite(path: ":memory:") }
        // Value problems and serving requirements are reported together, so one attempt shows all.
        var (configuration, problems) = read(environment, defaults: defaults)
        configuration.sandboxPort = sandboxPort
        if let sandboxPort {
            if sandboxPort == configuration.port, sandboxPort != 0 {
                problems.append("the sandbox port (\(sandboxPort)) and TASK_MCP_PORT must differ")
            }
            if configuration.secretKey == nil {
                configuration.secretKey = Data(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }).base64EncodedString()
            }
            // The embedded sandbox signs its webhooks with the same secret, so they work with no setup.
            if configuration.webhookSecret == nil {
                configuration.webhookSecret =
                    StandardWebhook.secretPrefix
                    + Data(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }).base64EncodedString()
            }
        } else if configuration.secretKey == nil {
            problems.append(
                "TASK_MCP_SECRET_KEY is not set: it keys user ids, progress links and the sealing of API keys, so it must "
                    + "stay the same across restarts and replicas (make one: openssl rand -base64 32). "
                    + "To try task-mcp without one, run `task-mcp serve --sandbox`.")
        }
        if configuration.publicURL == nil, !PublicURL.isLoopback(host: configuration.host) {
            problems.append(
                "TASK_MCP_PUBLIC_URL is not set but TASK_MCP_HOST is \(configuration.host): set it to the URL clients reach "
                    + "(e.g. https://mcp.example.com); it is the OAuth issuer and the resource clients sign in for")
        }
        if let listener = configuration.metricsListener, listener.port == configuration.port, listener.port != 0 {
            problems.append("TASK_MCP_METRICS_ADDRESS must use another port than TASK_MCP_PORT (\(configuration.port))")
        }
        return problems.isEmpty ? .success(configuration) : .failure(ConfigurationErrors(problems: problems))
    }

    /// Settings that work but deserve a word at start-up.
    public var warnings: [String] {
        var warnings: [String] = []
        if let publicURL, publicURL.hasPrefix("http://"), let host = URL(string: publicURL)?.host,
            !PublicURL.isLoopback(host: host)
        {
            warnings.append(
                "TASK_MCP_PUBLIC_URL is plain http on a non-loopback host: OAuth clients (Claude, ChatGPT, VS Code) require "
                    + "https; terminate TLS in front of task-mcp and set its https URL")
        }
        if allowLoopbackClientMetadata {
            warnings.append("TASK_MCP_DEV_LOOPBACK_CLIENT_METADATA is on: client metadata documents are fetched from loopback (development only)")
        }
        if allowLoopbackInputURLs, sandboxPort == nil {
            warnings.append("TASK_MCP_DEV_LOOPBACK_INPUT_URLS is on: rows are fetched from loopback URLs (development only)")
        }
        if allowedOrigins.contains("*") {
            warnings.append("TASK_MCP_ALLOWED_ORIGINS is *: any web page may call /mcp with a user's credentials")
        }
        if webhookSecret != nil, !requestsWebhooks {
            if let publicURL {
                warnings.append(
                    "TASK_MCP_WEBHOOK_SECRET is set but TASK_MCP_PUBLIC_URL (\(publicURL)) is a loopback address Parallel cannot "
                        + "reach: runs are created without a completion webhook; set the public https URL of this server")
            } else {
                warnings.append(
                    "TASK_MCP_WEBHOOK_SECRET is set but TASK_MCP_PUBLIC_URL is not: Parallel could not reach /webhooks/parallel, so "
                        + "runs are created without a completion webhook; set the public https URL of this server")
            }
        }
        return warnings
    }

    /// Whether new runs ask the upstream for a completion webhook at `<public URL>/webhooks/parallel`:
    /// a webhook secret is set, and the upstream can reach this server. The embedded sandbox, or
    /// an upstream on this machine (a `parallel-sandbox`), reaches it at any URL, the local one
    /// included; Parallel needs `TASK_MCP_PUBLIC_URL`, and one that is not loopback.
    var requestsWebhooks: Bool {
        guard webhookSecret != nil else { return false }
        let upstreamIsLocal = sandboxPort != nil || (URL(string: parallelBaseURL)?.host.map(PublicURL.isLoopback(host:)) ?? false)
        if upstreamIsLocal { return true }
        guard let publicURL, let host = URL(string: publicURL)?.host else { return false }
        return !PublicURL.isLoopback(host: host)
    }

    // MARK: Value checks

    /// A public URL reduced to its origin; a path, query, fragment or user info is a problem.
    static func checkedPublicURL(_ text: String) throws(Problem) -> String? {
        var url = text
        while url.hasSuffix("/") { url.removeLast() }
        guard url.hasPrefix("https://") || url.hasPrefix("http://"), let components = URLComponents(string: url),
            let host = components.host, !host.isEmpty
        else {
            throw Problem("an absolute http(s) URL such as https://mcp.example.com, not '\(text)'")
        }
        guard components.user == nil, components.password == nil, components.query == nil, components.fragment == nil else {
            throw Problem("the server's base URL with no user info, query or fragment, not '\(text)'")
        }
        guard components.path.isEmpty else {
            var origin = components
            origin.path = ""
            let base = origin.string ?? "https://\(host)"
            throw Problem(
                "the server's base URL without a path: '\(text)' ends in \(components.path), but task-mcp serves its routes "
                    + "at the root (the MCP endpoint is <base>/mcp); set \(base) and route the whole host to task-mcp")
        }
        return url
    }

    /// An allowed browser origin: `*`, or `scheme://host[:port]` with nothing after it.
    static func checkedOrigin(_ text: String) throws(Problem) -> String {
        if text == "*" { return text }
        guard let components = URLComponents(string: text), let scheme = components.scheme, ["http", "https"].contains(scheme),
            components.host?.isEmpty == false, components.path.isEmpty || components.path == "/", components.query == nil
        else {
            throw Problem("origins such as https://app.example.com (scheme, host, optional port; no path), or *, not '\(text)'")
        }
        return components.path == "/" ? String(text.dropLast()) : text
    }

    static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// `host:port` or `[v6]:port`.
    static func hostAndPort(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !host.contains(where: \.isWhitespace) else { return nil }
        return (host, port)
    }

    /// The documented name nearest to a misspelt one (edit distance at most 3).
    static func closestName(to name: String) -> String? {
        let scored = variableNames.map { ($0, editDistance(Array(name), Array($0))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= 3 else { return nil }
        return best.0
    }

    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// What a value should have been; the reader prefixes the variable's name.
    struct Problem: Error {
        let expected: String
        init(_ expected: String) { self.expected = expected }
    }
}

/// Reads named variables, collecting one problem line per bad value.
private struct EnvironmentReader {
    let environment: [String: String]
    var problems: [String] = []

    /// The trimmed value, or nil when unset or blank.
    func value(_ name: String) -> String? {
        guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        return text
    }

    mutating func read(_ name: String, _ apply: (String) throws -> Void) {
        guard let text = value(name) else { return }
        do {
            try apply(text)
        } catch let problem as ServerConfiguration.Problem {
            problems.append("\(name) must be \(problem.expected)")
        } catch {
            problems.append("\(name): \(error)")
        }
    }

    mutating func text(_ name: String, _ apply: (String) -> Void) {
        read(name) { apply($0) }
    }

    mutating func integer(_ name: String, _ range: ClosedRange<Int>, _ expected: String, _ apply: (Int) -> Void) {
        read(name) { text in
            guard let number = Int(text), range.contains(number) else {
                throw ServerConfiguration.Problem("\(expected), not '\(text)'")
            }
            apply(number)
        }
    }

    mutating func url(_ name: String, _ apply: (String) -> Void) {
        read(name) { text in
            var url = text
            while url.hasSuffix("/") { url.removeLast() }
            guard url.hasPrefix("https://") || url.hasPrefix("http://"), URL(string: url)?.host != nil else {
                throw ServerConfiguration.Problem("an absolute URL starting with https:// or http://, not '\(text)'")
            }
            apply(url)
        }
    }

    mutating func flag(_ name: String, _ apply: (Bool) -> Void) {
        read(name) { text in
            switch text.lowercased() {
            case "1", "true", "yes", "on": apply(true)
            case "0", "false", "no", "off": apply(false)
            default: throw ServerConfiguration.Problem("true or false, not '\(text)'")
            }
        }
    }
}

/// Where the `/register`, `/authorize` and `/token` rate limits are counted.
public enum RateLimitScope: String, Sendable, Hashable, CaseIterable {
    /// In each process alone: with N replicas a client gets up to N times the limit.
    case replica
    /// In the database as well, after the process's own limiter: one limit across all replicas.
    case shared
}

/// How log lines are written.
public enum LogFormat: String, Sendable, Hashable, CaseIterable {
    /// swift-log's human-readable lines.
    case text
    /// One JSON object per line.
    case json
    /// `key=value` pairs per line.
    case logfmt
}

/// Configuration problems, one line each.
public struct ConfigurationErrors: Error, Hashable, Sendable, CustomStringConvertible {
    public var problems: [String]
    public var description: String { problems.joined(separator: "\n") }
}

/// Where the server's state lives: `TASK_MCP_DATABASE`.
public enum DatabaseLocation: Sendable, Hashable, CustomStringConvertible {
    /// A SQLite file (its directory is created when missing), or `:memory:` for one process.
    case sqlite(path: String)
    /// A PostgreSQL database, which any number of replicas may share.
    case postgres(PostgresLocation)

    /// Whether this is SQLite's `:memory:`: private to one process, gone when it stops.
    public var isInMemory: Bool { self == .sqlite(path: ":memory:") }

    /// The path, or the URL without its password.
    public var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let location): location.description
        }
    }
}
