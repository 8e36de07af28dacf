import Foundation
import JSON
import TableFiles

/// Rows that arrive as a file (by URL or a client's file parameter): the format is told from the
/// bytes first (a zip is XLSX, `[` starts JSON, `<` an HTML page), then from the content type and
/// name; everything else is read as CSV or TSV text.
public enum RowFile {
    /// The formats read.
    public enum Format: String, Sendable, Hashable {
        case csv, json, xlsx
    }

    /// The format of `bytes`; throws for content that is no table (HTML, binary, not UTF-8).
    public static func format(of bytes: [UInt8], contentType: String?, name: String?) throws(GroupInputError) -> Format {
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) || bytes.starts(with: [0xD0, 0xCF, 0x11, 0xE0]) { return .xlsx }
        let media = contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        if media.hasSuffix("spreadsheetml.sheet") || name?.lowercased().hasSuffix(".xlsx") == true {
            throw GroupInputError(
                "The file is named or typed as XLSX but is not a zip archive, which every .xlsx file is; "
                    + "save it again as .xlsx or export it as CSV.")
        }
        let head = bytes.drop { [0x20, 0x09, 0x0A, 0x0D].contains($0) }.prefix(1)
        if head.first == UInt8(ascii: "<") || media == "text/html" || media == "application/xhtml+xml" {
            throw GroupInputError(
                "The URL returned a web page (HTML), not a table. Link the file itself: for Google Sheets use "
                    + "File → Share → Publish to web → CSV, or a …/export?format=csv link; for other sites, the "
                    + "download link of the CSV, JSON or XLSX file.")
        }
        if head.first == UInt8(ascii: "[") || head.first == UInt8(ascii: "{") { return .json }
        return .csv
    }

    /// Reads `bytes` as rows (`sheet`: an XLSX sheet's name; the first sheet by default).
    public static func rows(
        _ bytes: [UInt8], contentType: String?, name: String?, sheet: String?, maxRows: Int
    ) throws(GroupInputError) -> GroupRows {
        let format = try format(of: bytes, contentType: contentType, name: name)
        switch format {
        case .xlsx:
            var limits = TableLimits()
            limits.maxRows = maxRows
            limits.maxColumns = GroupRows.maxColumns
            let table: Table
            do {
                table = try XLSXReader.read(bytes, sheet: sheet, limits: limits)
            } catch {
                throw GroupInputError(error.message, field: error.cell)
            }
            return try GroupRows(sheet: table.rows, maxRows: maxRows)
        case .csv, .json:
            if sheet != nil {
                throw GroupInputError("sheet names a sheet of an XLSX file, but this file is \(format == .csv ? "CSV text" : "JSON"); leave sheet out.", field: "sheet")
            }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw GroupInputError(
                    "The file is neither UTF-8 text (CSV, TSV, JSON) nor an XLSX workbook; export it as CSV (UTF-8) or XLSX.")
            }
            return try GroupRows(parsing: .string(text), maxRows: maxRows)
        }
    }

    /// A Google Sheets editing link (`/spreadsheets/d/ID/edit…#gid=N`) as its CSV export link;
    /// any other URL unchanged.
    public static func exportURL(_ url: String) -> String {
        guard let components = URLComponents(string: url), components.host == "docs.google.com",
            components.path.hasPrefix("/spreadsheets/d/")
        else { return url }
        let parts = components.path.split(separator: "/")
        guard parts.count >= 3, parts.count == 3 || ["edit", "view", "htmlview"].contains(parts[3]) else { return url }
        let gid = (components.fragment ?? "").split(separator: "&").first { $0.hasPrefix("gid=") }.map { String($0.dropFirst(4)) }
            ?? components.queryItems?.first { $0.name == "gid" }?.value
        var export = URLComponents()
        export.scheme = "https"
        export.host = "docs.google.com"
        export.path = "/spreadsheets/d/\(parts[2])/export"
        export.queryItems = [URLQueryItem(name: "format", value: "csv")] + (gid.map { [URLQueryItem(name: "gid", value: $0)] } ?? [])
        return export.string ?? url
    }
}
