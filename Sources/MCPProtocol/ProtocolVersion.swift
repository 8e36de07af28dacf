/// An MCP protocol revision, identified by its date string (`"2025-06-18"`), and what each
/// revision means to this server.
///
/// The one file to edit for a new revision: add its constant, put it in ``supported``, and decide
/// each feature below. The rest of the module asks features, never dates, and
/// `ProtocolVersionTests` pins every feature of every supported revision, so a new one cannot
/// slip in undecided. Revisions sort chronologically because their identifiers are ISO dates.
public struct ProtocolVersion: RawRepresentable, Sendable, Hashable, Comparable, Codable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public static let v2025_03_26: Self = "2025-03-26"
    public static let v2025_06_18: Self = "2025-06-18"
    public static let v2025_11_25: Self = "2025-11-25"
    public static let v2026_07_28: Self = "2026-07-28"

    /// Every revision this server speaks, newest first (what `MCPServer` serves by default).
    public static let supported: [Self] = [.v2026_07_28, .v2025_11_25, .v2025_06_18, .v2025_03_26]

    /// The revision of a handshake-era request without an `MCP-Protocol-Version` header
    /// (Streamable HTTP since 2025-06-18: "the server SHOULD assume 2025-03-26").
    public static let assumedWithoutHeader: Self = .v2025_03_26

    // MARK: Features

    /// Stateless (2026-07-28 and later): no `initialize` or `ping`; every request declares its
    /// version and client capabilities in `_meta` and repeats them in `MCP-Protocol-Version`,
    /// `Mcp-Method` and `Mcp-Name` headers; `server/discover` describes the server; results carry
    /// `resultType`, the server's info and cache hints; an unknown method is HTTP 404; errors use
    /// the codes in −32020…−32099. Earlier revisions begin with the `initialize` handshake.
    ///
    /// Also true of unknown later dates, so that a client claiming one in the header is asked for
    /// `_meta` rather than told the header is wrong.
    public var isStateless: Bool { self >= .v2026_07_28 }

    /// Tasks as methods (2025-11-25, SEP-1686): the `tasks` capability, `params.task` on
    /// `tools/call` answered with a `CreateTaskResult`, and `tasks/get`, `tasks/result`,
    /// `tasks/list`, `tasks/cancel`. Stateless revisions replaced them with the extension.
    public var hasTasks: Bool { self >= .v2025_11_25 && !isStateless }

    /// Tasks as the `io.modelcontextprotocol/tasks` extension (2026-07-28, SEP-2663): the server
    /// decides, for clients that list the extension, and serves `tasks/get`, `tasks/cancel` and
    /// `tasks/update` with flat task fields.
    public var hasTasksExtension: Bool { isStateless }

    /// `structuredContent` in tool results, and tools' `outputSchema` (2025-06-18 and later).
    public var hasStructuredContent: Bool { self >= .v2025_06_18 }

    /// `structuredContent` may be any JSON value, not only an object (2026-07-28 and later).
    public var allowsAnyStructuredContent: Bool { self >= .v2026_07_28 }

    /// `resource_link` content blocks (2025-06-18 and later).
    public var hasResourceLinks: Bool { self >= .v2025_06_18 }

    /// `title` in `Implementation` (2025-06-18 and later).
    public var hasImplementationTitle: Bool { self >= .v2025_06_18 }

    /// `description` and `websiteUrl` in `Implementation` (2025-11-25 and later).
    public var hasImplementationDescription: Bool { self >= .v2025_11_25 }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        self.rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
}
