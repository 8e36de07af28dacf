public import JSON

/// An error from the Parallel API or from reaching it.
///
/// `kind` says what went wrong in terms a caller can act on; `status`, `refID`, `message`
/// and `detail` carry what the API said. Nothing here ever holds the API key.
public struct ParallelAPIError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong. New kinds may be added, so `switch` over it with a `default`.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        public let description: String
        private init(_ description: String) { self.description = description }

        /// 401: bad or missing API key.
        public static let unauthorized = Kind("unauthorized")
        /// 402: not enough credit.
        public static let insufficientCredit = Kind("insufficient credit")
        /// 403: forbidden, e.g. an invalid processor.
        public static let forbidden = Kind("forbidden")
        /// 404: no such run or group, or (on `/result`) the run failed.
        public static let notFound = Kind("not found")
        /// 408 from `/result`: the run is still active.
        public static let runStillActive = Kind("run still active")
        /// 422: the request did not validate.
        public static let validation = Kind("validation failed")
        /// 429: rate limited.
        public static let rateLimited = Kind("rate limited")
        /// 5xx.
        public static let serverError = Kind("server error")
        /// Any other unexpected HTTP status.
        public static let unexpectedStatus = Kind("unexpected status")
        /// No answer within the request's time limit.
        public static let timeout = Kind("timeout")
        /// The connection failed or was cut.
        public static let transport = Kind("transport error")
        /// No connection could be made, so the request was never sent.
        public static let connectFailed = Kind("connection failed")
        /// The call's overall deadline (``ParallelClient/bounded(by:)``) passed before Parallel answered.
        public static let deadlineExceeded = Kind("deadline exceeded")
        /// The response was not what the API documents.
        public static let decoding = Kind("undecodable response")
        /// The request was refused before it was sent (bad id, too many inputs…).
        public static let invalidRequest = Kind("invalid request")
    }

    public var kind: Kind
    /// The HTTP status, when the API answered.
    public var status: Int?
    /// Parallel's reference id for the error, when it sent one.
    public var refID: String?
    public var message: String
    public var detail: JSONValue?
    /// The delay the API asked for (`Retry-After`).
    public var retryAfter: Duration?
    /// How many attempts were made before giving up.
    public var attempts: Int
    /// A request that must not be repeated (a create) was sent, but no definite answer came back
    /// (a 5xx from an edge, a timeout, a cut connection): Parallel may have carried it out. Such a
    /// request is not retried; the caller has to find out (or say) what happened.
    public var outcomeUnknown: Bool

    public init(
        kind: Kind, status: Int? = nil, refID: String? = nil, message: String, detail: JSONValue? = nil,
        retryAfter: Duration? = nil, attempts: Int = 1, outcomeUnknown: Bool = false
    ) {
        self.kind = kind
        self.status = status
        self.refID = refID
        self.message = message
        self.detail = detail
        self.retryAfter = retryAfter
        self.attempts = attempts
        self.outcomeUnknown = outcomeUnknown
    }

    /// Whether trying again may succeed: 408, 429, 5xx, timeouts, failed and dropped connections.
    /// 401, 402, 403, 404 and 422 never are, nor a passed deadline.
    public var isRetryable: Bool {
        switch kind {
        case .runStillActive, .rateLimited, .serverError, .timeout, .transport, .connectFailed: return true
        default: return false
        }
    }

    /// Whether Parallel certainly did not act on the request, so that even a create may be sent
    /// again: it was never sent (no connection), or it was refused before any work (429, or 503
    /// with `Retry-After`, an explicit "come back later").
    public var provesNotProcessed: Bool {
        switch kind {
        case .connectFailed, .rateLimited: return true
        case .serverError: return status == 503 && retryAfter != nil
        default: return false
        }
    }

    /// The kind for an HTTP status.
    public static func kind(forStatus status: Int) -> Kind {
        switch status {
        case 401: return .unauthorized
        case 402: return .insufficientCredit
        case 403: return .forbidden
        case 404: return .notFound
        case 408: return .runStillActive
        case 422: return .validation
        case 429: return .rateLimited
        case 500...599: return .serverError
        default: return .unexpectedStatus
        }
    }

    public var description: String {
        var text = "Parallel API \(kind)"
        if let status { text += " (HTTP \(status))" }
        text += ": \(message)"
        if let refID, !refID.isEmpty { text += " [ref \(refID)]" }
        if attempts > 1 { text += " after \(attempts) attempts" }
        if outcomeUnknown { text += " (the request may have been carried out)" }
        return text
    }
}
