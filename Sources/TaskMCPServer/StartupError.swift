/// A start-up failure worth one plain line to the operator (no stack trace, no type names).
public struct StartupError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
