/// A rectangular table of text cells read from a spreadsheet.
public struct Table: Sendable, Hashable {
    /// The rows, all of one width; row 0 is the first non-empty row of the sheet (normally its header).
    public var rows: [[String]]

    /// A table of the given rows.
    public init(rows: [[String]]) {
        self.rows = rows
    }
}
