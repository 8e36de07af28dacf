import Foundation
public import PostgresNIO

/// A PostgreSQL database named by a URL:
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require][&sslrootcert=PATH]`
/// (`postgresql://` too). User, password and database are percent-decoded; a password holding
/// `/`, `?` or `#` must be percent-encoded.
///
/// `sslmode`, as in libpq: `disable` speaks plain TCP; `prefer` (the default) uses TLS when the
/// server offers it, without checking its certificate; `require` (or `verify-full`) insists on
/// TLS and verifies the certificate and host name against the system's roots, or against
/// `sslrootcert` when given. Stricter than libpq's `require`, which does not verify.
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    /// How the connection is encrypted (`sslmode`).
    public enum TLSMode: String, Sendable, Hashable, CaseIterable {
        case disable, prefer, require
    }

    public var host: String
    public var port: Int
    public var username: String
    /// `nil` when the URL carries none (trust or peer authentication, or set it separately).
    public var password: String?
    public var database: String
    public var tls: TLSMode
    /// A PEM file of the certificate authorities to trust (`sslrootcert`), for `require`.
    public var rootCertificatePath: String?

    /// Whether `text` names a PostgreSQL URL (by its scheme), valid or not.
    public static func isPostgresURL(_ text: String) -> Bool {
        let lowered = text.lowercased()
        return lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://")
    }

    /// Parses a `postgres://` or `postgresql://` URL. Errors describe the expected shape and
    /// never repeat the password.
    public init(url text: String) throws(PostgresLocationError) {
        guard let schemeEnd = text.range(of: "://"), Self.isPostgresURL(text) else {
            throw PostgresLocationError("must start with postgres:// or postgresql://")
        }
        var rest = Substring(text[schemeEnd.upperBound...])
        if let fragment = rest.firstIndex(of: "#") { rest = rest[..<fragment] }
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        let authority: Substring
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[rest.index(after: slash)...]
        } else {
            authority = rest
        }
        guard let at = authority.lastIndex(of: "@") else {
            throw PostgresLocationError("must name a user: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE")
        }
        let userInfo = authority[..<at]
        let hostPort = authority[authority.index(after: at)...]
        let user: Substring
        if let colon = userInfo.firstIndex(of: ":") {
            user = userInfo[..<colon]
            let encoded = userInfo[userInfo.index(after: colon)...]
            guard let password = String(encoded).removingPercentEncoding else {
                throw PostgresLocationError("has a password with an invalid percent-encoding")
            }
            self.password = password.isEmpty ? nil : password
        } else {
            user = userInfo
            password = nil
        }
        guard let username = String(user).removingPercentEncoding, !username.isEmpty else {
            throw PostgresLocationError("must name a user: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE")
        }
        self.username = username
        (host, port) = try Self.hostAndPort(hostPort)
        guard let database = String(path).removingPercentEncoding, !database.isEmpty, !database.contains("/") else {
            throw PostgresLocationError("must name a database after the host: postgres://USER@HOST[:PORT]/DATABASE")
        }
        self.database = database
        tls = .prefer
        rootCertificatePath = nil
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? "") : ""
            switch name {
            case "sslmode":
                switch value {
                case "disable": tls = .disable
                case "prefer", "allow": tls = .prefer
                case "require", "verify-full": tls = .require
                default: throw PostgresLocationError("has sslmode=\(value); use disable, prefer or require")
                }
            case "sslrootcert":
                guard !value.isEmpty else { throw PostgresLocationError("has an empty sslrootcert; name a PEM file") }
                rootCertificatePath = value
            default:
                throw PostgresLocationError("has the parameter '\(name)'; only sslmode and sslrootcert are understood")
            }
        }
        if rootCertificatePath != nil, tls != .require {
            throw PostgresLocationError("has sslrootcert without sslmode=require (the certificate is only checked then)")
        }
    }

    private static func hostAndPort(_ text: Substring) throws(PostgresLocationError) -> (String, Int) {
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw PostgresLocationError("has an unclosed [ in its host") }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw PostgresLocationError("has text after its [IPv6] host") }
                portText = after.dropFirst()
            }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            host = text
        }
        guard !host.isEmpty, !host.contains(where: { $0.isWhitespace || $0 == "/" }) else {
            throw PostgresLocationError("must name a host: postgres://USER@HOST[:PORT]/DATABASE")
        }
        var port = 5432
        if let portText {
            guard let number = Int(portText), (1...65_535).contains(number) else {
                throw PostgresLocationError("has the port '\(portText)'; use a number from 1 to 65535")
            }
            port = number
        }
        host = Substring(String(host).removingPercentEncoding ?? String(host))
        return (String(host), port)
    }

    /// The URL without its password, for logs and messages.
    public var description: String {
        let hostText = host.contains(":") ? "[\(host)]" : host
        var text = "postgres://\(username)@\(hostText):\(port)/\(database)"
        if tls != .prefer { text += "?sslmode=\(tls.rawValue)" }
        return text
    }

    /// The client configuration for this database: TLS per ``tls``, at most `maximumConnections`
    /// pooled connections, a connection attempt given up after `connectTimeout`.
    public func clientConfiguration(maximumConnections: Int, connectTimeout: Duration = .seconds(5))
        -> PostgresClient.Configuration
    {
        let mode: PostgresClient.Configuration.TLS
        switch tls {
        case .disable:
            mode = .disable
        case .prefer:
            var settings = TLSConfiguration.makeClientConfiguration()
            settings.certificateVerification = .none
            mode = .prefer(settings)
        case .require:
            var settings = TLSConfiguration.makeClientConfiguration()
            settings.certificateVerification = .fullVerification
            if let rootCertificatePath { settings.trustRoots = .file(rootCertificatePath) }
            mode = .require(settings)
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: mode)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = connectTimeout
        return configuration
    }
}

/// What is wrong with a PostgreSQL URL; never repeats its password.
public struct PostgresLocationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Completes "the URL …".
    public let problem: String

    init(_ problem: String) {
        self.problem = problem
    }

    public var description: String { "the PostgreSQL URL \(problem)" }
}
