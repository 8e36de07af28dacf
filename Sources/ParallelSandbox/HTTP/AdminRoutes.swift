import Foundation
import Hummingbird
import JSON
import NIOCore

/// `/sandbox/…`: inspect and steer a running sandbox (faults, accounts, reset). Unauthenticated:
/// the sandbox binds to loopback by default.
struct AdminRoutes: Sendable {
    let store: SandboxStore
    let configuration: SandboxConfiguration

    func register(on router: Router<SandboxRequestContext>) {
        router.get("/sandbox", use: info)
        router.post("/sandbox/reset") { _, _ -> HTTPResponse.Status in
            await store.reset()
            return .noContent
        }
        router.get("/sandbox/faults") { _, _ in try JSONResponse.make(await store.currentFaults()) }
        router.get("/sandbox/stats") { _, _ in
            let counts = await store.counts()
            return try JSONResponse.make(["runs": JSONValue.int(counts.runs), "groups": .int(counts.groups)] as JSONValue)
        }
        router.put("/sandbox/faults", use: putFaults)
        router.get("/sandbox/accounts/:key") { _, context in
            guard let key = context.parameters.get("key"), let account = await store.account(key) else {
                throw SandboxError(status: 404, message: "No such account")
            }
            return try JSONResponse.make(account)
        }
        router.put("/sandbox/accounts/:key", use: putAccount)
    }

    @Sendable func info(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        let body: JSONValue = [
            "sandbox": true,
            "notice": "parallel-sandbox is a local emulator of Parallel's Task API and OAuth provider. Its outputs are synthetic.",
            "time_factor": .double(configuration.timeFactor),
            "demo_api_key": .string(SandboxConfiguration.demoAPIKey),
            "faults": "/sandbox/faults",
            "stats": "/sandbox/stats",
            "reset": "/sandbox/reset",
            "accounts": "/sandbox/accounts/{api_key}",
            "oauth_metadata": "/.well-known/oauth-authorization-server",
        ]
        return try JSONResponse.make(body)
    }

    @Sendable func putFaults(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        let settings = try await Self.decode(FaultSettings.self, request, context)
        let problems = settings.problems
        guard problems.isEmpty else {
            throw SandboxError(status: 400, message: problems.joined(separator: "; "))
        }
        await store.setFaults(settings)
        return try JSONResponse.make(settings)
    }

    @Sendable func putAccount(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        guard let key = context.parameters.get("key"), !key.isEmpty else {
            throw SandboxError(status: 404, message: "No such account")
        }
        let settings = try await Self.decode(AccountSettings.self, request, context)
        guard settings.rateLimitPerMinute >= 0 else {
            throw SandboxError(status: 400, message: "rate_limit_per_minute must not be negative")
        }
        await store.setAccount(key, settings)
        return try JSONResponse.make(settings)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ context: SandboxRequestContext) async throws -> T {
        var request = request
        let buffer = try await request.collectBody(upTo: 1024 * 1024)
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch {
            throw SandboxError(status: 400, message: "Invalid JSON body: \(error)")
        }
    }
}
