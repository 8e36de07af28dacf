import TaskTools

extension TaskServiceError {
    /// The HTTP status the REST API (problem details, result views) answers with.
    var httpStatus: Int {
        switch kind {
        case .invalidArgument: 400
        case .unauthorized: 401
        case .insufficientCredit: 402
        case .forbidden: 403
        case .notFound: 404
        case .rateLimited: 429
        case .upstream: 502
        case .upstreamTimeout: 504
        case .partialFailure: 207
        case .internal: 500
        case .unavailable: 503
        }
    }
}
