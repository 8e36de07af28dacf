/// An MCP protocol revision, identified by its date string (`"2025-06-18"`).
///
/// Revisions sort chronologically because their identifiers are ISO dates.
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

    /// The first stateless revision: no `initialize`, version and capabilities in every request's `_meta`.
    public static let firstModern: Self = .v2026_07_28

    /// Whether this revision is stateless ("modern", 2026-07-28 and later) rather than handshake-based ("legacy").
    public var isModern: Bool { self >= Self.firstModern }

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
