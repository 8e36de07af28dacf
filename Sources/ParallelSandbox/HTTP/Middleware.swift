import HTTPTypes
import Hummingbird

/// Injects the configured faults (latency, stalls, error statuses) into Task API requests.
struct FaultInjectionMiddleware: RouterMiddleware {
    typealias Context = SandboxRequestContext
    let store: SandboxStore

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let fault = await store.nextFault()
        if fault.delayMs > 0 { _ = try await sleepUnlessShuttingDown(until: .now + .milliseconds(fault.delayMs)) }
        if let status = fault.status {
            throw SandboxError(
                status: status, message: "Sandbox: injected \(status) fault",
                retryAfter: status == 429 || status == 503 ? fault.retryAfter : nil)
        }
        return try await next(request, context)
    }
}

/// Marks every response as coming from the sandbox, errors included.
struct SandboxLabelMiddleware: RouterMiddleware {
    typealias Context = SandboxRequestContext
    static let label = "synthetic; local parallel-sandbox, not the Parallel API"

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers[.sandboxLabel] = Self.label
        return response
    }
}
