import TableFiles

/// The file formats a result is exported as.
public enum ExportFormat: String, Sendable, CaseIterable {
    case csv, xlsx

    public var contentType: String {
        switch self {
        case .csv: "text/csv; charset=utf-8"
        case .xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        }
    }

    /// The label a page or a message shows.
    public var label: String { rawValue.uppercased() }
}

/// A download of a task's whole result.
public struct ExportLink: Sendable, Hashable {
    public var format: ExportFormat
    public var url: String
    /// The file name offered (`<task id>.<format>`).
    public var fileName: String
}

extension TaskService {
    /// The whole result of `snapshot` as a file: CSV (UTF-8 with BOM) or XLSX, every cell
    /// neutralised against formula injection (the text comes from the public web).
    public func export(_ snapshot: TaskSnapshot, as format: ExportFormat) throws(TaskServiceError) -> [UInt8] {
        let rows = ResultTable.rows(of: snapshot)
        switch format {
        case .csv:
            return CSVWriter.write(rows)
        case .xlsx:
            do {
                return try XLSXWriter.write(rows)
            } catch {
                throw TaskServiceError(.internal, "The XLSX file could not be written (\(error.message)); download the CSV instead.")
            }
        }
    }

    /// The download links of a group's result (with the task's view token when this server
    /// created it); none for a run, whose result is one report.
    public func exportLinks(ofTask id: String) async -> [ExportLink] {
        guard id.hasPrefix("tgrp_") else { return [] }
        let token = (try? await registry.record(id: id)).flatMap { $0.map { links.token(for: $0) } } ?? nil
        return ExportFormat.allCases.map { format in
            ExportLink(format: format, url: urls.view(id, token, format.rawValue), fileName: "\(id).\(format.rawValue)")
        }
    }
}
