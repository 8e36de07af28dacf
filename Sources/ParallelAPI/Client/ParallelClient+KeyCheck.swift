/// What Parallel said about an API key when asked with a cheap authenticated read.
public enum APIKeyCheck: Sendable, Hashable {
    /// Parallel authenticated the request (it answered something other than 401).
    case accepted
    /// Parallel answered 401: the key is unknown or revoked.
    case rejected
    /// No verdict: Parallel could not be reached, failed (5xx), timed out or rate-limited us.
    case undetermined(ParallelAPIError)
}

extension ParallelClient {
    /// A syntactically valid run id that names no run: reading it costs nothing, and Parallel
    /// checks the key before it looks the run up (401 for a bad key, else 404).
    public static let keyCheckRunID = "trun_00000000000000000000000000000000"

    /// Asks Parallel whether this client's key is accepted, with `GET /v1/tasks/runs/<no such
    /// run>`: 404 (or any answer past authentication, such as 402, 403 or 422) means the key
    /// works, 401 that it does not. Build the client with a short time limit and few retries:
    /// callers wait on this before answering.
    public func checkKey() async -> APIKeyCheck {
        do {
            _ = try await run(Self.keyCheckRunID)
            return .accepted
        } catch {
            switch error.kind {
            case .unauthorized: return .rejected
            case .notFound, .validation, .insufficientCredit, .forbidden: return .accepted
            default: return .undetermined(error)
            }
        }
    }
}
