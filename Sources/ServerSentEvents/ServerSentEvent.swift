/// One Server-Sent Event: what the parser dispatches and what the writer frames.
public struct ServerSentEvent: Hashable, Sendable {
    /// The `event:` field, or `nil` when the block had none (the spec's default type "message").
    public var event: String?
    /// The `data:` lines joined with `\n`.
    public var data: String
    /// The last event id in force when this event was dispatched (`id:` fields persist).
    public var id: String?
    /// A `retry:` reconnection time in milliseconds, when the block carried one.
    public var retry: Int?

    public init(event: String? = nil, data: String, id: String? = nil, retry: Int? = nil) {
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry
    }

    /// The event in wire format, terminated by a blank line (``ServerSentEventWriter/frame(_:)``).
    public var encoded: String { String(decoding: ServerSentEventWriter.frame(self), as: UTF8.self) }
}
