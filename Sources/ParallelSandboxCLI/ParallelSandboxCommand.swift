public import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ParallelAPI
public import ParallelSandbox

extension SandboxConfiguration.Profile: ExpressibleByArgument {}

/// `parallel-sandbox`: serve the local emulator of Parallel's Task API and OAuth provider.
@main
struct ParallelSandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parallel-sandbox",
        abstract: "A local emulator of Parallel's Task API, Task Group API and OAuth provider (synthetic outputs).",
        discussion: """
            Accepts the API key '\(SandboxConfiguration.demoAPIKey)' unless told otherwise. Inputs containing \
            'sandbox:fail' produce failed runs. Faults can be changed at runtime with PUT /sandbox/faults. \
            With a webhook secret (--webhook-secret or PARALLEL_SANDBOX_WEBHOOK_SECRET), runs created with \
            a webhook get a signed task_run.status POST when they end, as Parallel sends them.
            """)

    @Option(help: "Address to bind. Keep it on loopback: the admin endpoints have no authentication.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free port (printed on start).")
    var port = 8787

    @Option(help: "Time profile: fast (pro runs take seconds), test (near-instant) or realistic (documented latencies).")
    var profile: SandboxConfiguration.Profile = .fast

    @Option(help: "Multiplier on processor latencies; overrides --profile.")
    var timeFactor: Double?

    @Option(name: .customLong("api-key"), help: "An API key to accept (repeatable). Default: the demo key.")
    var apiKeys: [String] = []

    @Option(help: "Starting credit balance per key, in USD.")
    var credits: Double = 1_000

    @Option(help: "Resource-creating requests allowed per key per minute.")
    var rateLimit: Int = 2_000

    @Option(help: "Faults to inject from the start, as the JSON body of PUT /sandbox/faults.")
    var faults: String?

    @Option(help: "Approve every OAuth authorization at once with this API key (no consent page).")
    var oauthAutoApprove: String?

    @Option(
        help: ArgumentHelp(
            "The account webhook secret that signs completion webhooks (whsec_<base64>, or any text). "
                + "Default: PARALLEL_SANDBOX_WEBHOOK_SECRET; without either, no webhooks are sent.",
            valueName: "secret"))
    var webhookSecret: String?

    @Option(help: "Seconds before the first retry of a failed webhook delivery; doubles for each later retry.")
    var webhookRetryDelay: Double = 5

    @Option(help: "Delivery attempts per webhook, the first included, before giving up.")
    var webhookAttempts: Int = 8

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "notice"

    func validate() throws {
        if let timeFactor, !(timeFactor >= 0 && timeFactor.isFinite) {
            throw ValidationError("--time-factor must be a number ≥ 0")
        }
        if !(0...65_535).contains(port) { throw ValidationError("--port must be between 0 and 65535") }
        if credits < 0 { throw ValidationError("--credits must not be negative") }
        if rateLimit < 0 { throw ValidationError("--rate-limit must not be negative") }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical") }
        if let secret = effectiveWebhookSecret {
            do {
                _ = try StandardWebhook(secret: secret)
            } catch {
                throw ValidationError("--webhook-secret: \(error)")
            }
        }
        if !(0...86_400).contains(webhookRetryDelay) {
            throw ValidationError("--webhook-retry-delay must be a number of seconds from 0 to 86400")
        }
        if webhookAttempts < 1 { throw ValidationError("--webhook-attempts must be at least 1") }
        if let faults {
            let settings = try parsedFaults(faults)
            if !settings.problems.isEmpty { throw ValidationError("--faults: " + settings.problems.joined(separator: "; ")) }
        }
    }

    /// `--webhook-secret`, else `PARALLEL_SANDBOX_WEBHOOK_SECRET`; blank counts as unset.
    var effectiveWebhookSecret: String? {
        let text = webhookSecret ?? ProcessInfo.processInfo.environment["PARALLEL_SANDBOX_WEBHOOK_SECRET"]
        guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        return text
    }

    func parsedFaults(_ text: String) throws -> FaultSettings {
        do {
            return try JSONDecoder().decode(FaultSettings.self, from: Data(text.utf8))
        } catch {
            throw ValidationError("--faults is not valid JSON for fault settings: \(error)")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .notice
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let keys = apiKeys.isEmpty ? [SandboxConfiguration.demoAPIKey] : apiKeys
        let account = AccountSettings(creditsUSD: credits, rateLimitPerMinute: rateLimit)
        let configuration = SandboxConfiguration(
            timeFactor: timeFactor ?? profile.timeFactor,
            accounts: Dictionary(keys.map { ($0, account) }, uniquingKeysWith: { first, _ in first }),
            faults: try faults.map(parsedFaults) ?? FaultSettings(),
            oauthAutoApproveKey: oauthAutoApprove, webhookSecret: effectiveWebhookSecret,
            webhookRetryBaseDelay: .milliseconds(Int64((webhookRetryDelay * 1000).rounded())), webhookMaxAttempts: webhookAttempts)
        let host = self.host
        let app = Sandbox.buildApplication(
            configuration: configuration, host: host, port: port, logger: Logger(label: "parallel-sandbox")
        ) { boundPort in
            let base = "http://\(host.contains(":") ? "[\(host)]" : host):\(boundPort)"
            var banner = "parallel-sandbox listening on \(base)\n"
            banner += "  SANDBOX: a local emulator of Parallel for development. Outputs are synthetic.\n"
            banner += "  Task API:   \(base)/v1/tasks/runs, \(base)/v1/tasks/groups (also /v1beta)\n"
            banner += "  OAuth:      \(base)/.well-known/oauth-authorization-server (/getKeys/...)\n"
            banner += "  Admin:      \(base)/sandbox (faults, accounts, reset)\n"
            banner += "  API keys:   \(keys.joined(separator: ", "))\n"
            banner += "  Time factor \(configuration.timeFactor) (1 = documented latencies)\n"
            banner += "  Webhooks:   \(configuration.webhookSecret == nil ? "off (no webhook secret)" : "signed with the configured secret")\n"
            if !["127.0.0.1", "localhost", "::1"].contains(host) {
                banner += "  WARNING: bound to \(host); the admin endpoints are reachable by anyone who can reach it.\n"
            }
            FileHandle.standardOutput.write(Data(banner.utf8))
        }
        try await app.runService()
    }
}
