/// A string-backed value from an open set: known values are static members, and any
/// value the API adds later still decodes (and round-trips) instead of failing.
public protocol OpenStringValue: RawRepresentable, Codable, Hashable, Sendable, ExpressibleByStringLiteral,
    CustomStringConvertible
where RawValue == String {
    init(rawValue: String)
}

extension OpenStringValue {
    public init(stringLiteral value: String) { self.init(rawValue: value) }
    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
    public var description: String { rawValue }
}

/// The status of a task run.
public struct RunStatus: OpenStringValue {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let queued: Self = "queued"
    public static let actionRequired: Self = "action_required"
    public static let running: Self = "running"
    public static let completed: Self = "completed"
    public static let failed: Self = "failed"
    public static let cancelling: Self = "cancelling"
    public static let cancelled: Self = "cancelled"

    /// Every status the reference documents, in lifecycle order.
    public static let allKnown: [RunStatus] = [
        .queued, .actionRequired, .running, .completed, .failed, .cancelling, .cancelled,
    ]

    /// Whether a run in this status is still active (`queued`, `running` or `cancelling`).
    public var isActive: Bool { self == .queued || self == .running || self == .cancelling }

    /// Whether the status is final.
    public var isTerminal: Bool { self == .completed || self == .failed || self == .cancelled }
}

/// Confidence the processor assigns to a field's basis.
public struct Confidence: OpenStringValue {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let low: Self = "low"
    public static let medium: Self = "medium"
    public static let high: Self = "high"
}

/// The kind of a task output (`json` or `text`).
public struct OutputType: OpenStringValue {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let json: Self = "json"
    public static let text: Self = "text"
}

/// A value of the `parallel-beta` header.
public struct ParallelBeta: OpenStringValue {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let mcpServer: Self = "mcp-server-2025-07-17"
    public static let eventsSSE: Self = "events-sse-2025-07-24"
    public static let webhook: Self = "webhook-2025-08-12"
    public static let findAll: Self = "findall-2025-09-15"
    public static let searchExtract: Self = "search-extract-2025-10-10"
    public static let fieldBasis: Self = "field-basis-2025-11-25"
}

/// The type of a run warning.
public struct WarningType: OpenStringValue {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let specValidation: Self = "spec_validation_warning"
    public static let inputValidation: Self = "input_validation_warning"
    public static let warning: Self = "warning"
}
