import Foundation
public import JSON

/// The rows of a task group, read from the `inputs` argument of `createTaskGroup`.
///
/// `inputs` may be:
/// - a JSON array of objects: each object is a row; nested arrays and objects stay JSON values;
/// - a string holding such an array (it starts with `[`);
/// - a string holding CSV or TSV text (see ``CSV``) whose first record is the header.
///
/// `null` members are dropped, so a null value and a missing key mean the same. CSV cells stay
/// strings (`02139` stays `"02139"`), an empty CSV cell leaves its key out of that row, and a CSV
/// record whose cells are all empty is skipped like a blank line.
public struct GroupRows: Sendable, Hashable {
    /// Parallel's limit on the properties of one schema, which the input schema must respect.
    public static let maxColumns = 100
    /// The longest column name accepted.
    public static let maxColumnNameLength = 100

    /// The column names in first-seen order: CSV header order; for JSON rows, by the first row
    /// that has the key, and alphabetically among the new keys of one row (JSON objects carry
    /// no key order).
    public var columns: [String]
    /// The rows, without `null` members; never empty.
    public var rows: [[String: JSONValue]]

    public init(columns: [String], rows: [[String: JSONValue]]) {
        self.columns = columns
        self.rows = rows
    }

    /// Reads `inputs`; throws a ``GroupInputError`` naming the row, line or column at fault.
    public init(parsing value: JSONValue, maxRows: Int = 10_000) throws(GroupInputError) {
        switch value {
        case .array(let items):
            try self.init(objects: items, maxRows: maxRows)
        case .string(let raw):
            let text = raw.hasPrefix("\u{FEFF}") ? String(raw.dropFirst()) : raw
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { throw Self.emptyError }
            if trimmed.hasPrefix("[") {
                guard let parsed = try? JSONValue(parsing: trimmed),
                    case .array(let items) = parsed
                else {
                    throw GroupInputError(
                        "inputs starts with \"[\" but is not a valid JSON array; send a JSON array of objects "
                            + "such as [{\"company\": \"Acme\"}], or CSV text with a header row.",
                        field: "inputs")
                }
                try self.init(objects: items, maxRows: maxRows)
            } else if trimmed.hasPrefix("{") {
                throw GroupInputError(
                    "inputs holds a single JSON object; wrap the rows in an array, such as "
                        + "[{\"company\": \"Acme\"}, {\"company\": \"Globex\"}].",
                    field: "inputs")
            } else {
                try self.init(csv: text, maxRows: maxRows)
            }
        default:
            throw GroupInputError(
                "inputs is \(Self.kind(value)); send an array of objects (one per row), or a string "
                    + "holding a JSON array of objects or CSV text with a header row.",
                field: "inputs")
        }
    }

    // MARK: - Derived values

    /// A JSON schema describing the rows (for `task_spec.input_schema`).
    ///
    /// Each column gets a `type` inferred from its values (`string`, `integer`, `number` for
    /// integers mixed with decimals, `boolean`, `object`, `array`; none when kinds are mixed) and
    /// a description. `required` lists, in column order, the columns every row has.
    public var inputSchema: JSONValue {
        var properties: [String: JSONValue] = [:]
        var required: [JSONValue] = []
        for column in columns {
            var kinds: Set<String> = []
            var count = 0
            for row in rows {
                guard let value = row[column] else { continue }
                count += 1
                kinds.insert(Self.schemaType(value))
            }
            var description = "Input column \"\(column)\""
            if count == rows.count {
                required.append(.string(column))
                description += "."
            } else {
                description += " (present in \(count) of \(rows.count) rows)."
            }
            var property: [String: JSONValue] = ["description": .string(description)]
            if kinds.count == 1, let kind = kinds.first {
                property["type"] = .string(kind)
            } else if kinds == ["integer", "number"] {
                property["type"] = "number"
            }
            properties[column] = .object(property)
        }
        return ["type": "object", "properties": .object(properties), "required": .array(required)]
    }

    /// Row `index` as a JSON object (without `null` members), or `null` when out of range.
    public func input(at index: Int) -> JSONValue {
        rows.indices.contains(index) ? .object(rows[index]) : .null
    }

    // MARK: - Readers

    private init(objects items: [JSONValue], maxRows: Int) throws(GroupInputError) {
        if items.isEmpty { throw Self.emptyError }
        if items.count > maxRows { throw Self.tooManyRows(items.count, maxRows: maxRows) }
        var columns: [String] = []
        var known: Set<String> = []
        var rows: [[String: JSONValue]] = []
        rows.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            guard case .object(let members) = item else {
                throw GroupInputError(
                    "inputs[\(index)] is \(Self.kind(item)), not an object; every row must be an object "
                        + "such as {\"company\": \"Acme\"}.",
                    row: index)
            }
            let row = members.filter { !$0.value.isNull }
            if row.isEmpty {
                throw GroupInputError(
                    "inputs[\(index)] has no fields (it is empty or all its values are null); "
                        + "remove it or give it at least one value.",
                    row: index)
            }
            for key in row.keys.sorted() where !known.contains(key) {
                try Self.checkColumnName(key, row: index)
                known.insert(key)
                columns.append(key)
                if columns.count > Self.maxColumns { throw Self.tooManyColumns(row: index) }
            }
            rows.append(row)
        }
        self.init(columns: columns, rows: rows)
    }

    private init(csv text: String, maxRows: Int) throws(GroupInputError) {
        try self.init(records: try CSV.records(text), maxRows: maxRows, in: .csv)
    }

    /// Reads the rows of a spreadsheet's sheet, `cells[0]` being the header row (cells as text).
    public init(sheet cells: [[String]], maxRows: Int = 10_000) throws(GroupInputError) {
        let records = cells.enumerated().map { CSV.Record(cells: $0.element, line: $0.offset + 1) }
        try self.init(records: records, maxRows: maxRows, in: .sheet)
    }

    /// Where header-and-records rows came from, for error messages.
    private enum Tabular {
        case csv, sheet

        var header: String { self == .csv ? "CSV header" : "header row of the sheet" }
        var text: String { self == .csv ? "The CSV text" : "The sheet" }
        func line(_ line: Int) -> String { self == .csv ? "line \(line)" : "row \(line)" }
        func lineOf(_ line: Int) -> String { self == .csv ? "line \(line) of the CSV" : "row \(line) of the sheet" }
    }

    private init(records all: [CSV.Record], maxRows: Int, in origin: Tabular) throws(GroupInputError) {
        let records = all.filter { !$0.cells.allSatisfy(\.isEmpty) }
        guard let headerRecord = records.first else { throw Self.emptyError }
        let header = headerRecord.cells.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        var positions: [String: Int] = [:]
        for (position, name) in header.enumerated() {
            if name.isEmpty {
                throw GroupInputError(
                    "Column \(position + 1) of the \(origin.header) (\(origin.line(headerRecord.line))) has no name; "
                        + "give every column a name.")
            }
            if let earlier = positions[name] {
                throw GroupInputError(
                    "The \(origin.header) names the column \"\(name)\" twice (columns \(earlier + 1) and \(position + 1)); "
                        + "column names must be unique.",
                    field: name)
            }
            try Self.checkColumnName(name, row: nil)
            positions[name] = position
        }
        if header.count > Self.maxColumns { throw Self.tooManyColumns(row: nil) }
        let body = records.dropFirst()
        if body.isEmpty {
            let shown = MarkdownText.shorten(headerRecord.cells.joined(separator: ","), to: 60).text
            throw GroupInputError(
                "\(origin.text) has only a header row (\"\(shown)\") and no data rows; put the column names "
                    + (origin == .csv ? "on the first line and one row per line below it." : "in the first row and one item per row below it."),
                field: "inputs")
        }
        if body.count > maxRows { throw Self.tooManyRows(body.count, maxRows: maxRows) }
        var rows: [[String: JSONValue]] = []
        rows.reserveCapacity(body.count)
        for (index, record) in body.enumerated() {
            // A sheet's short rows are padded: only CSV records can be short or long.
            var cells = record.cells
            if origin == .sheet, cells.count < header.count {
                cells += Array(repeating: "", count: header.count - cells.count)
            }
            guard cells.count == header.count || (origin == .sheet && cells.dropFirst(header.count).allSatisfy(\.isEmpty)) else {
                throw GroupInputError(
                    "Row \(index + 1) (\(origin.lineOf(record.line))) has \(cells.count) "
                        + "\(cells.count == 1 ? "cell" : "cells") but the header has \(header.count) "
                        + "\(header.count == 1 ? "column" : "columns"); "
                        + (origin == .csv ? "quote cells that contain commas." : "give the extra cells a column name or remove them."),
                    row: index)
            }
            var row: [String: JSONValue] = [:]
            for (name, cell) in zip(header, cells) where !cell.isEmpty {
                row[name] = .string(cell)
            }
            rows.append(row)
        }
        self.init(columns: header, rows: rows)
    }

    // MARK: - Helpers

    private static let emptyError = GroupInputError(
        "inputs must contain at least one row; start with 3–5 rows.", field: "inputs")

    private static func tooManyRows(_ count: Int, maxRows: Int) -> GroupInputError {
        GroupInputError(
            "inputs has \(count) rows but at most \(maxRows) are accepted in one call; split the list "
                + "into several task groups.",
            field: "inputs")
    }

    private static func tooManyColumns(row: Int?) -> GroupInputError {
        GroupInputError(
            "inputs has more than \(maxColumns) distinct columns, Parallel's limit for a schema; "
                + "keep only the columns the task needs.",
            row: row, field: "inputs")
    }

    private static func checkColumnName(_ name: String, row: Int?) throws(GroupInputError) {
        if name.isEmpty {
            throw GroupInputError(
                "inputs\(row.map { "[\($0)]" } ?? "") has a field with an empty name; give every field a name.",
                row: row, field: name)
        }
        if name.count > maxColumnNameLength {
            let shown = MarkdownText.shorten(name, to: 40).text
            throw GroupInputError(
                "The column name \"\(shown)\" is \(name.count) characters long; column names may have at most "
                    + "\(maxColumnNameLength) characters.",
                row: row, field: name)
        }
    }

    /// The JSON schema type of a non-null value.
    private static func schemaType(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// "a number", "an object", … for error messages.
    static func kind(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
