import HTTPTypes
import Hummingbird

/// Injects the configured faults (latency, stalls, error statuses, lost answers) into Task API requests.
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
        let response = try await next(request, context)
        if request.method == .post, Self.isCreate(request.uri.path), (200..<300).contains(response.status.code),
            await store.takeLostCreateAnswer()
        {
            // Done and billed, but the caller never learns it.
            throw SandboxError(status: 504, message: "Sandbox: injected lost answer (the create was carried out)")
        }
        return response
    }

    /// `POST /v1/tasks/runs`, `/v1/tasks/groups` and `/v1/tasks/groups/{id}/runs` (and the v1beta paths).
    static func isCreate(_ path: String) -> Bool {
        let parts = path.split(separator: "/")
        guard parts.count >= 3, parts[0] == "v1" || parts[0] == "v1beta", parts[1] == "tasks" else { return false }
        switch parts.count {
        case 3: return parts[2] == "runs" || parts[2] == "groups"
        case 5: return parts[2] == "groups" && parts[4] == "runs"
        default: return false
        }
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
