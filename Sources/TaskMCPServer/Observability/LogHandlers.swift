import Foundation
public import Logging
import WebEncoding

/// A log handler writing one line per event to standard error as JSON or logfmt.
///
/// Every line has `time` (ISO 8601 UTC, milliseconds), `level`, `label` and `message`, then
/// the metadata (handler, provider, event; later wins), and `error` when the event carries one.
/// Values are written as strings; nothing is dropped or truncated.
public struct StructuredLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let format: LogFormat
    let sink: @Sendable (String) -> Void

    /// - Parameters:
    ///   - format: `.json` or `.logfmt` (`.text` is written as logfmt; use swift-log's
    ///     `StreamLogHandler` for plain text).
    ///   - sink: where finished lines go (standard error by default; tests capture them).
    public init(
        label: String, format: LogFormat, level: Logger.Level = .info, metadataProvider: Logger.MetadataProvider? = nil,
        sink: @escaping @Sendable (String) -> Void = StructuredLogHandler.standardError
    ) {
        self.label = label
        self.format = format
        self.logLevel = level
        self.metadataProvider = metadataProvider
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        var fields: [(String, String)] = [
            ("time", Self.timestamp(Date())), ("level", event.level.rawValue), ("label", label),
            ("message", event.message.description),
        ]
        for key in merged.keys.sorted() {
            guard let value = merged[key] else { continue }
            fields.append((key, Self.flatten(value)))
        }
        if let error = event.error { fields.append(("error", "\(error)")) }
        sink(format == .json ? Self.json(fields) : Self.logfmt(fields))
    }

    /// Writes a line to standard error in one call (lines from concurrent tasks do not interleave).
    public static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    // MARK: Encoding

    static func flatten(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): text
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): "[" + values.map(flatten).joined(separator: ", ") + "]"
        case .dictionary(let values):
            "{" + values.sorted { $0.key < $1.key }.map { "\($0.key): \(flatten($0.value))" }.joined(separator: ", ") + "}"
        }
    }

    static func json(_ fields: [(String, String)]) -> String {
        var line = "{"
        for (index, (key, value)) in fields.enumerated() {
            if index > 0 { line += "," }
            JSONStringEscaping.appendQuoted(key, to: &line, escapingLineSeparators: true)
            line += ":"
            JSONStringEscaping.appendQuoted(value, to: &line, escapingLineSeparators: true)
        }
        return line + "}"
    }

    /// logfmt: `key=value`, the value quoted when it has spaces, quotes, `=` or is empty.
    static func logfmt(_ fields: [(String, String)]) -> String {
        fields.map { key, value in
            let safeKey = String(key.map { $0 == " " || $0 == "=" || $0 == "\"" ? "_" : $0 })
            let needsQuotes = value.isEmpty || value.contains { $0 == " " || $0 == "=" || $0 == "\"" || $0.isNewline || $0 == "\\" }
            guard needsQuotes else { return "\(safeKey)=\(value)" }
            var quoted = "\""
            for character in value {
                switch character {
                case "\"": quoted += "\\\""
                case "\\": quoted += "\\\\"
                case "\n": quoted += "\\n"
                case "\r": quoted += "\\r"
                default: quoted.append(character)
                }
            }
            return "\(safeKey)=\(quoted)\""
        }.joined(separator: " ")
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }
}

/// Bootstraps swift-log for the service: text (swift-log's `StreamLogHandler`), JSON or logfmt,
/// at the configured level, on standard error; lines logged while serving a request carry its id.
public func bootstrapLogging(format: LogFormat, level: Logger.Level) {
    LoggingSystem.bootstrap(
        { label, provider in
            switch format {
            case .text:
                var handler = StreamLogHandler.standardError(label: label, metadataProvider: provider)
                handler.logLevel = level
                return handler
            case .json, .logfmt:
                return StructuredLogHandler(label: label, format: format, level: level, metadataProvider: provider)
            }
        }, metadataProvider: RequestID.metadataProvider)
}
