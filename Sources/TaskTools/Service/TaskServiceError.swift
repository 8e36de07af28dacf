public import JSON
import ParallelAPI

/// Why a task operation failed, in terms both edges (MCP tools, REST API) can report.
///
/// `message` is one sentence written for whoever reads it next, often a language model: it says
/// what went wrong and what to do. `detail` carries structured facts (limits, row numbers, the
/// upstream reference id). API keys never appear in either.
public struct TaskServiceError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The failure class. Each edge reports it in its own terms (the REST edge as an HTTP status).
    public enum Kind: String, Hashable, Sendable {
        /// The caller's arguments are wrong.
        case invalidArgument = "invalid_argument"
        /// No usable credential, or Parallel rejected it.
        case unauthorized
        /// The Parallel account has no credit left.
        case insufficientCredit = "insufficient_credit"
        /// Parallel refused the operation for this key.
        case forbidden
        /// No such run or group for this caller.
        case notFound = "not_found"
        /// Parallel is rate limiting this key.
        case rateLimited = "rate_limited"
        /// Parallel failed or could not be reached after retries.
        case upstream
        /// Parallel did not answer within the call's deadline; `message` says what may
        /// have happened and what to do.
        case upstreamTimeout = "upstream_timeout"
        /// Some of the work was done, some failed; `detail` says exactly which.
        case partialFailure = "partial_failure"
        /// A fault in this server.
        case `internal`
        /// This server's database is unavailable for the moment; the same call may succeed in a
        /// few seconds.
        case unavailable
    }

    public var kind: Kind
    public var message: String
    public var detail: JSONValue?

    public init(_ kind: Kind, _ message: String, detail: JSONValue? = nil) {
        self.kind = kind
        self.message = message
        self.detail = detail
    }

    public var description: String { "\(kind.rawValue): \(message)" }

    /// The task registry's database cannot be reached (the registry throws this, and the
    /// service passes it on rather than calling it an internal fault).
    public static let databaseUnavailable = TaskServiceError(
        .unavailable, "This server's database is unavailable; try again in a few seconds.",
        detail: ["retry_after_seconds": .int(5)])

    /// A bad argument from a ``GroupInputError``: its message after `prefix`, and its row and
    /// field (when known) in `detail`.
    static func invalid(_ argument: String, _ error: GroupInputError, prefix: String = "") -> TaskServiceError {
        var extra: [String: JSONValue] = [:]
        if let row = error.row { extra["row"] = .int(row) }
        if let field = error.field { extra["field"] = .string(field) }
        return .invalid(argument, prefix + error.message, extra: extra)
    }

    /// Shorthand for a bad argument, naming it in `detail`.
    static func invalid(_ argument: String, _ message: String, extra: [String: JSONValue] = [:]) -> TaskServiceError {
        var detail = extra
        detail["argument"] = .string(argument)
        return TaskServiceError(.invalidArgument, message, detail: .object(detail))
    }

    /// The call ran out of time (``TaskService/Configuration/callDeadline``): `what` says what
    /// was waited for, `advice` what may have happened and what to do next.
    static func deadline(_ limit: Duration, waitingFor what: String, advice: String) -> TaskServiceError {
        let seconds = Int(limit.components.seconds)
        return TaskServiceError(
            .upstreamTimeout, "Parallel did not answer within \(seconds) s \(what); \(advice)",
            detail: ["deadline_seconds": .int(seconds)])
    }

    /// Translates an upstream failure. `subject` names what was being done ("create the run").
    init(upstream error: ParallelAPIError, doing subject: String) {
        var detail: [String: JSONValue] = [:]
        if let status = error.status { detail["upstream_status"] = .int(status) }
        if let refID = error.refID, !refID.isEmpty { detail["ref_id"] = .string(refID) }
        if let upstreamDetail = error.detail { detail["upstream_detail"] = upstreamDetail }
        if let retryAfter = error.retryAfter { detail["retry_after_seconds"] = .int(Int(retryAfter.components.seconds)) }
        if error.outcomeUnknown { detail["outcome_unknown"] = .bool(true) }
        let facts: JSONValue? = detail.isEmpty ? nil : .object(detail)
        if error.kind == .deadlineExceeded {
            self.init(
                .upstreamTimeout, "Parallel did not answer in time to \(subject); try again later.", detail: facts)
            return
        }
        if error.outcomeUnknown {
            var what = "Parallel's answer was lost"
            if let status = error.status { what += " (HTTP \(status))" } else { what += " (\(error.kind))" }
            self.init(
                .upstream,
                "Parallel may have carried out the request to \(subject), but \(what), so it was not sent again (that could bill it twice).",
                detail: facts)
            return
        }
        switch error.kind {
        case .unauthorized:
            self.init(.unauthorized, "Parallel rejected the credentials while trying to \(subject). Sign in again or check the API key.", detail: facts)
        case .insufficientCredit:
            self.init(
                .insufficientCredit,
                "The Parallel account has insufficient credit to \(subject). Add credit at https://platform.parallel.ai and try again.",
                detail: facts)
        case .forbidden:
            self.init(.forbidden, "Parallel refused to \(subject): \(error.message)", detail: facts)
        case .notFound:
            self.init(.notFound, "Parallel has no such task for this account (could not \(subject)).", detail: facts)
        case .validation, .invalidRequest:
            self.init(.invalidArgument, "Parallel rejected the request to \(subject): \(error.message)", detail: facts)
        case .rateLimited:
            self.init(.rateLimited, "Parallel is rate limiting this account; wait a moment, then \(subject) again.", detail: facts)
        default:
            var text = "Could not \(subject): Parallel's Task API failed (\(error.kind)"
            if let status = error.status { text += ", HTTP \(status)" }
            text += error.attempts > 1 ? " after \(error.attempts) attempts). Try again later." : "). Try again later."
            self.init(.upstream, text, detail: facts)
        }
    }
}
