/// A Parallel API key. Its description is redacted so it cannot leak into logs or errors.
public struct APIKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret itself; send it, never print it.
    public let secret: String

    public init(_ secret: String) { self.secret = secret }

    public var description: String { "APIKey(redacted)" }
    public var debugDescription: String { description }
}
