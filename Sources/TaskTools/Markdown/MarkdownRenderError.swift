/// Why a result could not be rendered as asked; ``description`` says what is valid.
public enum MarkdownRenderError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The `basis` text is not `all`, `index:N` or `field:NAME`.
    case invalidBasis(String)
    /// `index:N` names no row; rows are numbered `0..<rowCount`.
    case unknownIndex(Int, rowCount: Int)
    /// `field:NAME` names no output field of the group.
    case unknownField(String, validFields: [String])

    public var description: String {
        switch self {
        case .invalidBasis(let text):
            return "Invalid basis \"\(text)\": use \"all\", \"index:N\" (a row number) or \"field:NAME\" (an output field)."
        case .unknownIndex(let index, let rowCount):
            if rowCount == 0 { return "No row \(index): the group has no runs yet." }
            return "No row \(index) among the group's \(rowCount) rows (rows are numbered by input index, as in the table's # column)."
        case .unknownField(let name, let validFields):
            if validFields.isEmpty { return "Unknown field \"\(name)\": the group has no output fields yet." }
            return "Unknown field \"\(name)\": valid fields are \(validFields.joined(separator: ", "))."
        }
    }
}
