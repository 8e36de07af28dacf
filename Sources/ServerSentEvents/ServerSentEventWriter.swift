/// Writes the `text/event-stream` format (WHATWG HTML §9.2): event blocks, `retry:` blocks and
/// keep-alive comments, as UTF-8 bytes ready for the wire.
///
/// Every frame a server of this package sends is built here, so that the parser
/// (``ServerSentEventParser``) reads back exactly what was written.
public enum ServerSentEventWriter {
    /// `event`'s block: `event:`, `id:` and `retry:` lines when set, one `data:` line per line of
    /// `data`, then a blank line.
    public static func frame(_ event: ServerSentEvent) -> [UInt8] {
        frame(event: event.event, id: event.id, retry: event.retry, data: event.data.utf8)
    }

    /// A block whose data is raw UTF-8 (a JSON document, say), framed without building a string.
    ///
    /// Each line break in `data` (LF, CRLF or CR) starts a new `data:` line, so a parser joins the
    /// lines back into `data` (with LF). Field values cannot hold line breaks; any in `event` or
    /// `id` are dropped.
    public static func frame(event: String? = nil, id: String? = nil, retry: Int? = nil, data: some Collection<UInt8>) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(data.count + 32)
        if let event { appendField("event", event, to: &bytes) }
        if let id { appendField("id", id, to: &bytes) }
        if let retry { appendField("retry", String(retry), to: &bytes) }
        bytes.append(contentsOf: "data: ".utf8)
        var afterCR = false
        for byte in data {
            if byte == lineFeed, afterCR {
                // The second half of a CRLF: the CR already began the next line.
                afterCR = false
                continue
            }
            afterCR = byte == carriageReturn
            if byte == lineFeed || byte == carriageReturn {
                bytes.append(contentsOf: "\ndata: ".utf8)
            } else {
                bytes.append(byte)
            }
        }
        bytes.append(contentsOf: "\n\n".utf8)
        return bytes
    }

    /// A block that only sets the client's reconnection delay (`retry: N`, then a blank line); it
    /// dispatches no event.
    public static func retry(milliseconds: Int) -> [UInt8] {
        Array("retry: \(max(0, milliseconds))\n\n".utf8)
    }

    /// `: keep-alive` and a blank line: a comment clients ignore, sent so that proxies and read
    /// timeouts do not cut a stream that has nothing to report (and so a write reveals a client
    /// that left). For streams that send no `id:`.
    public static let keepAlive: [UInt8] = Array(": keep-alive\n\n".utf8)

    /// `: ping`, a comment line with no blank line after it, for streams that send `id:`.
    ///
    /// A blank line ends a block; decoders that remember the last `id:` (the official Python
    /// SDK's does) would dispatch an empty event for a block of only a comment.
    public static let keepAliveLine: [UInt8] = Array(": ping\n".utf8)

    private static let lineFeed = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")

    private static func appendField(_ name: String, _ value: String, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: name.utf8)
        bytes.append(contentsOf: ": ".utf8)
        bytes.append(contentsOf: value.utf8.lazy.filter { $0 != lineFeed && $0 != carriageReturn })
        bytes.append(lineFeed)
    }
}
