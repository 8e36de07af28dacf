@testable import TaskMCPServer
import TaskTools
import Testing

/// The REST edge's statuses for service errors (moved here from TaskTools with the mapping).
@Suite struct TaskServiceErrorHTTPTests {
    @Test(arguments: [
        (TaskServiceError.Kind.invalidArgument, 400), (.unauthorized, 401), (.insufficientCredit, 402), (.forbidden, 403),
        (.notFound, 404), (.rateLimited, 429), (.upstream, 502), (.upstreamTimeout, 504), (.partialFailure, 207), (.internal, 500),
        (.unavailable, 503),
    ])
    func eachKindHasOneStatus(kind: TaskServiceError.Kind, status: Int) {
        #expect(TaskServiceError(kind, "message").httpStatus == status)
        #expect(Problem(TaskServiceError(kind, "message")).status == status)
    }
}
