import Foundation
import TokenStore

/// What the task-mcp service needs to start.
public struct ServerConfiguration: Sendable, Hashable {
    /// Address to bind.
    public var host: String
    /// Port to listen on; `0` picks a free one.
    public var port: Int
    /// Base URL of Parallel's Task API.
    public var parallelBaseURL: String
    /// When set, an embedded Parallel sandbox is started on this port and used as the upstream.
    public var sandboxPort: Int?
    /// The URL clients and browsers reach this server at (no trailing slash), used in progress
    /// links and `WWW-Authenticate`. `nil`: `http://<host>:<port>` as bound.
    public var publicURL: String?
    /// Browser origins allowed to call `/mcp` and the REST API (DNS-rebinding protection). The
    /// server's own origin and loopback origins are always allowed; `*` allows any.
    public var allowedOrigins: [String]
    /// The largest request body accepted, in bytes (413 beyond).
    public var maxBodyBytes: Int
    /// Result pages are cut to about this many tokens.
    public var pageTokenBudget: Int
    /// Base64 of at least 32 random bytes: keys progress links, user ids and (without
    /// ``sealingKeys``) the sealing key. `nil`: a random key per process, so links, sign-ins and
    /// stored grants last until restart.
    public var secretKey: String?
    /// The SQLite database (OAuth clients, grants, token hashes, sealed keys, the task registry).
    /// `:memory:` keeps everything in process memory.
    public var databasePath: String
    /// AES-GCM keys sealing API keys at rest, `id:base64[,id:base64…]`, current first. `nil`: one
    /// key derived from ``secretKey``.
    public var sealingKeys: String?
    /// Parallel's OAuth provider (`…/authorize`, `…/token`). With a sandbox, the sandbox's.
    public var oauthProviderURL: String
    /// Our client id at Parallel's provider; `nil`: the public URL's host name.
    public var oauthClientID: String?
    /// Lifetime of the access tokens this server issues, in seconds.
    public var accessTokenLifetime: Int
    /// Lifetime of refresh tokens, in seconds.
    public var refreshTokenLifetime: Int
    /// Dynamic client registrations accepted per client address per hour.
    public var registrationsPerHour: Int
    /// DEVELOPMENT ONLY: accept `http://localhost:<port>/…` Client ID Metadata Document URLs.
    public var allowLoopbackClientMetadata: Bool

    public init(
        host: String = "127.0.0.1", port: Int = 8080, parallelBaseURL: String = "https://api.parallel.ai",
        sandboxPort: Int? = nil, publicURL: String? = nil, allowedOrigins: [String] = [], maxBodyBytes: Int = 8 * 1024 * 1024,
        pageTokenBudget: Int = 20_000, secretKey: String? = nil, databasePath: String = "task-mcp.sqlite",
        sealingKeys: String? = nil, oauthProviderURL: String = "https://platform.parallel.ai/getKeys", oauthClientID: String? = nil,
        accessTokenLifetime: Int = 3_600, refreshTokenLifetime: Int = 30 * 86_400, registrationsPerHour: Int = 20,
        allowLoopbackClientMetadata: Bool = false
    ) {
        self.databasePath = databasePath
        self.sealingKeys = sealingKeys
        self.oauthProviderURL = oauthProviderURL
        self.oauthClientID = oauthClientID
        self.accessTokenLifetime = accessTokenLifetime
        self.refreshTokenLifetime = refreshTokenLifetime
        self.registrationsPerHour = registrationsPerHour
        self.allowLoopbackClientMetadata = allowLoopbackClientMetadata
        self.host = host
        self.port = port
        self.parallelBaseURL = parallelBaseURL
        self.sandboxPort = sandboxPort
        self.publicURL = publicURL
        self.allowedOrigins = allowedOrigins
        self.maxBodyBytes = maxBodyBytes
        self.pageTokenBudget = pageTokenBudget
        self.secretKey = secretKey
    }

    /// The secret key's bytes, when set and valid.
    var secretKeyBytes: [UInt8]? {
        guard let secretKey, let data = Data(base64Encoded: secretKey), data.count >= 32 else { return nil }
        return Array(data)
    }

    /// Reads the `TASK_MCP_*` and `PARALLEL_API_BASE_URL` variables over these defaults.
    /// - Returns: the configuration, or one line per problem found.
    public static func fromEnvironment(_ environment: [String: String], defaults: ServerConfiguration = .init())
        -> Result<ServerConfiguration, ConfigurationErrors>
    {
        var configuration = defaults
        var problems: [String] = []
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        if let host = value("TASK_MCP_HOST") { configuration.host = host }
        if let text = value("TASK_MCP_PORT") {
            if let port = Int(text), (0...65_535).contains(port) {
                configuration.port = port
            } else {
                problems.append("TASK_MCP_PORT must be a port number (0-65535), not '\(text)'")
            }
        }
        if let url = value("PARALLEL_API_BASE_URL") {
            if url.hasPrefix("https://") || url.hasPrefix("http://") {
                configuration.parallelBaseURL = url
            } else {
                problems.append("PARALLEL_API_BASE_URL must start with https:// or http://, not '\(url)'")
            }
        }
        if var url = value("TASK_MCP_PUBLIC_URL") {
            while url.hasSuffix("/") { url.removeLast() }
            if (url.hasPrefix("https://") || url.hasPrefix("http://")), URL(string: url)?.host != nil {
                configuration.publicURL = url
            } else {
                problems.append("TASK_MCP_PUBLIC_URL must be an absolute http(s) URL such as https://mcp.example.com, not '\(url)'")
            }
        }
        if let origins = value("TASK_MCP_ALLOWED_ORIGINS") {
            configuration.allowedOrigins = origins.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
        }
        if let text = value("TASK_MCP_MAX_BODY_BYTES") {
            if let bytes = Int(text), bytes >= 1_024 {
                configuration.maxBodyBytes = bytes
            } else {
                problems.append("TASK_MCP_MAX_BODY_BYTES must be a number of bytes, at least 1024, not '\(text)'")
            }
        }
        if let text = value("TASK_MCP_PAGE_TOKENS") {
            if let tokens = Int(text), tokens >= 1_000 {
                configuration.pageTokenBudget = tokens
            } else {
                problems.append("TASK_MCP_PAGE_TOKENS must be a number of tokens, at least 1000, not '\(text)'")
            }
        }
        if let key = value("TASK_MCP_SECRET_KEY") {
            configuration.secretKey = key
            if configuration.secretKeyBytes == nil {
                problems.append("TASK_MCP_SECRET_KEY must be base64 of at least 32 random bytes (try: openssl rand -base64 32)")
            }
        }
        if let path = value("TASK_MCP_DATABASE") { configuration.databasePath = path }
        if let keys = value("TASK_MCP_SEALING_KEYS") {
            configuration.sealingKeys = keys
            do {
                _ = try SealingKeyring.parse(keys)
            } catch {
                problems.append("TASK_MCP_SEALING_KEYS: \(error) (expected id:base64-of-32-bytes[,id:…]; try: echo k1:$(openssl rand -base64 32))")
            }
        }
        if var url = value("PARALLEL_OAUTH_URL") {
            while url.hasSuffix("/") { url.removeLast() }
            if url.hasPrefix("https://") || url.hasPrefix("http://") {
                configuration.oauthProviderURL = url
            } else {
                problems.append("PARALLEL_OAUTH_URL must start with https:// or http://, not '\(url)'")
            }
        }
        if let id = value("PARALLEL_OAUTH_CLIENT_ID") { configuration.oauthClientID = id }
        func seconds(_ name: String, _ range: ClosedRange<Int>, _ apply: (Int) -> Void) {
            guard let text = value(name) else { return }
            if let number = Int(text), range.contains(number) {
                apply(number)
            } else {
                problems.append("\(name) must be a number of seconds from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
            }
        }
        seconds("TASK_MCP_ACCESS_TOKEN_TTL", 60...86_400) { configuration.accessTokenLifetime = $0 }
        seconds("TASK_MCP_REFRESH_TOKEN_TTL", 3_600...(365 * 86_400)) { configuration.refreshTokenLifetime = $0 }
        if let text = value("TASK_MCP_REGISTRATIONS_PER_HOUR") {
            if let count = Int(text), count >= 1 {
                configuration.registrationsPerHour = count
            } else {
                problems.append("TASK_MCP_REGISTRATIONS_PER_HOUR must be a positive number, not '\(text)'")
            }
        }
        if let flag = value("TASK_MCP_DEV_LOOPBACK_CLIENT_METADATA") {
            configuration.allowLoopbackClientMetadata = ["1", "true", "yes"].contains(flag.lowercased())
        }
        return problems.isEmpty ? .success(configuration) : .failure(ConfigurationErrors(problems: problems))
    }
}

/// Configuration problems, one line each.
public struct ConfigurationErrors: Error, Hashable, Sendable, CustomStringConvertible {
    public var problems: [String]
    public var description: String { problems.joined(separator: "\n") }
}
