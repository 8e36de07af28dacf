import JSON
import ParallelAPI

/// A result as one table, the shape of the CSV and XLSX exports: one row per input in input
/// order; the input columns, then the output fields, then per output field its confidence and its
/// first citation's URL (when any row has them), then the run's status (and error).
public enum ResultTable {
    /// The table's rows; the first is the header. Values are text: strings as they are, numbers
    /// and booleans as JSON writes them, arrays and objects as compact JSON, null as empty.
    public static func rows(of snapshot: TaskSnapshot) -> [[String]] {
        switch snapshot {
        case .run(let run, let output, _):
            let event = RunStateEvent(eventID: nil, run: run, input: nil, output: output)
            return table(GroupRow.rows(from: [event]), numbered: false)
        case .group(let group, let runs):
            let order = group.metadata?[columnOrderKey]?.stringValue.flatMap { try? JSONValue(parsing: $0) }?.arrayValue?
                .compactMap(\.stringValue) ?? []
            return table(GroupRow.rows(from: runs), numbered: true, columnOrder: order)
        }
    }

    /// The group metadata key holding the input columns in their original order (a JSON array as text).
    static let columnOrderKey = "input_columns"
    /// The longest column order kept in metadata.
    static let maxColumnOrderBytes = 500

    private static func table(_ rows: [GroupRow], numbered: Bool, columnOrder: [String] = []) -> [[String]] {
        let seen = MarkdownRenderer.columns(rows.map(\.inputs))
        // The original order first (of the columns the rows have), then any others as seen.
        let ordered = columnOrder.filter(Set(seen).contains)
        let inputColumns = ordered + seen.filter { !ordered.contains($0) }
        let outputColumns = MarkdownRenderer.columns(rows.map(\.outputs))
        let withConfidence = outputColumns.filter { field in rows.contains { $0.basis.contains { $0.field == field && $0.confidence != nil } } }
        let withSource = outputColumns.filter { field in rows.contains { $0.basis.contains { $0.field == field && !$0.citations.isEmpty } } }
        // An output field named like an input column is told apart, as in the markdown table.
        let outputLabels = outputColumns.map { inputColumns.contains($0) ? "\($0) (output)" : $0 }
        var header = numbered ? ["#"] : []
        header += inputColumns + outputLabels
        header += withConfidence.map { "\($0) confidence" } + withSource.map { "\($0) source" }
        header += ["status", "error"]
        var table = [header]
        table.reserveCapacity(rows.count + 1)
        for row in rows {
            var cells = numbered ? [String(row.number)] : []
            for column in inputColumns { cells.append(text(row.inputs[column])) }
            for column in outputColumns { cells.append(text(row.outputs[column])) }
            for field in withConfidence {
                cells.append(row.basis.first { $0.field == field }?.confidence?.rawValue ?? "")
            }
            for field in withSource {
                cells.append(row.basis.first { $0.field == field }?.citations.first?.url ?? "")
            }
            cells.append(row.run.status.rawValue)
            cells.append(row.run.error?.message ?? "")
            table.append(cells)
        }
        return table
    }

    /// A value as a cell's text.
    static func text(_ value: JSONValue?) -> String {
        switch value {
        case nil, .null?: return ""
        case .string(let text)?: return text
        case .bool(let flag)?: return flag ? "true" : "false"
        case let value?: return String(decoding: value.serialized, as: UTF8.self)
        }
    }
}
