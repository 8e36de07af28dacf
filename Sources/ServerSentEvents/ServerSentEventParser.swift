/// An incremental parser for the `text/event-stream` format (WHATWG HTML §9.2.6).
///
/// Feed it bytes as they arrive; it keeps only the current partial line and the event
/// being assembled, never the whole stream. Lines may end in CRLF, LF or CR (also split
/// across chunks); `:` lines are comments (heartbeats) and are skipped.
public struct ServerSentEventParser: Sendable {
    /// Longest line accepted before the stream is considered malformed.
    public let maxLineLength: Int

    private var line: [UInt8] = []
    private var lastByteWasCR = false
    private var atStreamStart = true
    private var eventType: String?
    private var dataLines: [String] = []
    private var hasData = false
    private var lastEventID: String?
    private var retry: Int?

    /// Thrown when a single line exceeds `maxLineLength`.
    public struct LineTooLong: Error, Hashable, Sendable {
        public let limit: Int
    }

    public init(maxLineLength: Int = 64 * 1024 * 1024) {
        self.maxLineLength = maxLineLength
    }

    /// Consumes `bytes`, returning every event completed by them.
    public mutating func parse(_ bytes: some Sequence<UInt8>) throws -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            if lastByteWasCR {
                lastByteWasCR = false
                if byte == UInt8(ascii: "\n") { continue }
            }
            switch byte {
            case UInt8(ascii: "\n"):
                if let event = endLine() { events.append(event) }
            case UInt8(ascii: "\r"):
                lastByteWasCR = true
                if let event = endLine() { events.append(event) }
            default:
                guard line.count < maxLineLength else { throw LineTooLong(limit: maxLineLength) }
                line.append(byte)
            }
        }
        return events
    }

    /// Signals the end of the stream. Per the spec an event not terminated by a blank line
    /// is discarded, so this only resets state.
    public mutating func finish() {
        line.removeAll()
        resetEvent()
    }

    /// The last `id:` seen, for resuming with `Last-Event-ID` / `last_event_id`.
    public var currentLastEventID: String? { lastEventID }

    private mutating func endLine() -> ServerSentEvent? {
        defer { line.removeAll(keepingCapacity: true) }
        if atStreamStart {
            atStreamStart = false
            if line.starts(with: [0xEF, 0xBB, 0xBF]) { line.removeFirst(3) }
        }
        if line.isEmpty { return dispatch() }
        if line.first == UInt8(ascii: ":") { return nil }

        let name: String
        var value: Substring
        if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            name = String(decoding: line[..<colon], as: UTF8.self)
            var valueStart = line.index(after: colon)
            if valueStart < line.endIndex, line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
            value = Substring(String(decoding: line[valueStart...], as: UTF8.self))
        } else {
            name = String(decoding: line, as: UTF8.self)
            value = ""
        }
        switch name {
        case "event":
            eventType = String(value)
        case "data":
            dataLines.append(String(value))
            hasData = true
        case "id":
            if !value.contains("\0") { lastEventID = String(value) }
        case "retry":
            if let milliseconds = Int(value), milliseconds >= 0, value.allSatisfy(\.isASCII) { retry = milliseconds }
        default:
            value = ""  // unknown fields are ignored
        }
        return nil
    }

    private mutating func dispatch() -> ServerSentEvent? {
        defer { resetEvent() }
        guard hasData else { return nil }
        return ServerSentEvent(event: eventType, data: dataLines.joined(separator: "\n"), id: lastEventID, retry: retry)
    }

    private mutating func resetEvent() {
        eventType = nil
        dataLines.removeAll(keepingCapacity: true)
        hasData = false
        retry = nil
    }
}
