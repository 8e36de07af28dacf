/// A problem with the arguments of `createTaskGroup` or `createDeepResearch`, worded so that an
/// LLM can fix its call.
public struct GroupInputError: Error, Hashable, Sendable, CustomStringConvertible {
    /// One clear sentence (sometimes two) saying what is wrong and how to fix it.
    public var message: String
    /// The 0-based index of the offending input row, when the problem is in one row.
    public var row: Int?
    /// The offending column, schema path (`$.properties.zip.pattern`) or argument, when known.
    public var field: String?

    public init(_ message: String, row: Int? = nil, field: String? = nil) {
        self.message = message
        self.row = row
        self.field = field
    }

    public var description: String { message }
}
