/// Which research basis `getResultMarkdown` adds after a group's table.
///
/// Parsed from `^(all|index:[0-9]+|field:[A-Za-z_][A-Za-z0-9_.]*)$`.
public enum BasisSelector: Hashable, Sendable, CustomStringConvertible {
    /// Compact citations for every row and field.
    case all
    /// Everything about one row (the `#` column): all fields in full, citations with excerpts, reasoning.
    case index(Int)
    /// One output field (a top-level name or a dot-notation path) across every row.
    case field(String)

    /// Parses `all`, `index:N` or `field:NAME`; anything else throws ``MarkdownRenderError/invalidBasis(_:)``.
    public init(parsing text: String) throws(MarkdownRenderError) {
        if text == "all" {
            self = .all
        } else if text.hasPrefix("index:") {
            let digits = text.dropFirst("index:".count)
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let index = Int(digits) else {
                throw .invalidBasis(text)
            }
            self = .index(index)
        } else if text.hasPrefix("field:") {
            let name = text.dropFirst("field:".count)
            guard let first = name.unicodeScalars.first, Self.isNameStart(first),
                name.unicodeScalars.allSatisfy({ Self.isNameStart($0) || ("0"..."9").contains($0) || $0 == "." })
            else { throw .invalidBasis(text) }
            self = .field(String(name))
        } else {
            throw .invalidBasis(text)
        }
    }

    public var description: String {
        switch self {
        case .all: return "all"
        case .index(let index): return "index:\(index)"
        case .field(let name): return "field:\(name)"
        }
    }

    private static func isNameStart(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || scalar == "_"
    }
}
