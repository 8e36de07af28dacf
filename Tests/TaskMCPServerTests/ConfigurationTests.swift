import Foundation
import PostgresStorage
import Logging
import Testing
@testable import TaskMCPServer

/// Every documented configuration error, and what `serve` requires on top of valid values.
@Suite("Configuration")
struct ConfigurationTests {
    let secret = Data(repeating: 9, count: 32).base64EncodedString()

    /// The single problem line for `environment`, or a recorded issue.
    func problem(_ environment: [String: String], sourceLocation: SourceLocation = #_sourceLocation) -> String {
        switch ServerConfiguration.fromEnvironment(environment) {
        case .success:
            Issue.record("accepted \(environment)", sourceLocation: sourceLocation)
            return ""
        case .failure(let errors):
            #expect(errors.problems.count == 1, "\(errors.problems)", sourceLocation: sourceLocation)
            return errors.problems.first ?? ""
        }
    }

    func serving(_ environment: [String: String], sandboxPort: Int? = nil) -> Result<ServerConfiguration, ConfigurationErrors> {
        ServerConfiguration.prepareForServing(environment: environment, sandboxPort: sandboxPort)
    }

    @Test(arguments: [
        ("TASK_MCP_PORT", "eighty"), ("TASK_MCP_PORT", "70000"), ("TASK_MCP_PORT", "-1"),
        ("TASK_MCP_MAX_BODY_BYTES", "12"), ("TASK_MCP_PAGE_TOKENS", "many"), ("TASK_MCP_ACCESS_TOKEN_TTL", "10"),
        ("TASK_MCP_REFRESH_TOKEN_TTL", "60"), ("TASK_MCP_REGISTRATIONS_PER_HOUR", "0"),
        ("TASK_MCP_AUTHORIZATIONS_PER_MINUTE", "-5"), ("TASK_MCP_TOKEN_REQUESTS_PER_MINUTE", "lots"),
        ("TASK_MCP_SHUTDOWN_GRACE", "0"), ("TASK_MCP_SHUTDOWN_GRACE", "4000"),
    ])
    func numbersOutOfRangeNameTheVariableAndTheValue(name: String, value: String) {
        let line = problem([name: value])
        #expect(line.hasPrefix("\(name) must be"))
        #expect(line.contains("'\(value)'"))
    }

    @Test(arguments: ["PARALLEL_API_BASE_URL", "PARALLEL_OAUTH_URL"])
    func upstreamURLsMustBeAbsolute(name: String) {
        #expect(problem([name: "api.parallel.ai"]).hasPrefix("\(name) must be an absolute URL"))
        #expect(problem([name: "ftp://api.parallel.ai"]).hasPrefix(name))
    }

    @Test func publicURLWithAPathIsRefusedWithTheOriginToUse() {
        let line = problem(["TASK_MCP_PUBLIC_URL": "https://mcp.example.com/mcp"])
        #expect(line.hasPrefix("TASK_MCP_PUBLIC_URL must be the server's base URL without a path"))
        #expect(line.contains("ends in /mcp"))
        #expect(line.contains("set https://mcp.example.com "))
    }

    @Test(arguments: [
        "mcp.example.com", "https://", "https://mcp.example.com?x=1", "https://mcp.example.com#top", "https://user@mcp.example.com",
    ])
    func publicURLMustBeAnOrigin(value: String) {
        #expect(problem(["TASK_MCP_PUBLIC_URL": value]).hasPrefix("TASK_MCP_PUBLIC_URL must be"))
    }

    @Test func publicURLLosesItsTrailingSlash() throws {
        let configuration = try ServerConfiguration.fromEnvironment(["TASK_MCP_PUBLIC_URL": "https://mcp.example.com/"]).get()
        #expect(configuration.publicURL == "https://mcp.example.com")
    }

    @Test func secretKeyMustBeThirtyTwoBytesOfBase64() {
        let short = Data(repeating: 1, count: 16).base64EncodedString()
        #expect(problem(["TASK_MCP_SECRET_KEY": short]).contains("at least 32 random bytes"))
        #expect(problem(["TASK_MCP_SECRET_KEY": "not base64!"]).hasPrefix("TASK_MCP_SECRET_KEY"))
    }

    @Test func sealingKeysOfTheWrongLengthAreRefused() {
        let line = problem(["TASK_MCP_SEALING_KEYS": "k1:" + Data(repeating: 1, count: 16).base64EncodedString()])
        #expect(line.hasPrefix("TASK_MCP_SEALING_KEYS must be id:base64-of-32-bytes[,id:…] ("))
    }

    @Test func logSettingsAreChecked() throws {
        #expect(problem(["TASK_MCP_LOG_LEVEL": "loud"]).contains("one of trace, debug, info"))
        #expect(problem(["TASK_MCP_LOG_FORMAT": "xml"]).contains("one of text, json, logfmt"))
        let configuration = try ServerConfiguration.fromEnvironment(["TASK_MCP_LOG_LEVEL": "DEBUG", "TASK_MCP_LOG_FORMAT": "JSON"]).get()
        #expect(configuration.logLevel == .debug)
        #expect(configuration.logFormat == .json)
    }

    @Test func metricsSettingsAreChecked() throws {
        #expect(problem(["TASK_MCP_METRICS_TOKEN": "short"]).contains("at least 16 characters"))
        #expect(problem(["TASK_MCP_METRICS_TOKEN": "has spaces in the middle of it"]).hasPrefix("TASK_MCP_METRICS_TOKEN"))
        #expect(problem(["TASK_MCP_METRICS_ADDRESS": "9464"]).contains("host:port"))
        #expect(problem(["TASK_MCP_METRICS_ADDRESS": "localhost:99999"]).hasPrefix("TASK_MCP_METRICS_ADDRESS"))
        let configuration = try ServerConfiguration.fromEnvironment(["TASK_MCP_METRICS_ADDRESS": "[::1]:9464"]).get()
        #expect(configuration.metricsListener?.host == "::1")
        #expect(configuration.metricsListener?.port == 9464)
    }

    @Test func originsAndProxiesAreChecked() throws {
        #expect(problem(["TASK_MCP_ALLOWED_ORIGINS": "https://app.example.com/path"]).hasPrefix("TASK_MCP_ALLOWED_ORIGINS must be origins"))
        #expect(problem(["TASK_MCP_TRUSTED_PROXIES": "10.0.0.1, proxy.internal"]).contains("'proxy.internal'"))
        let configuration = try ServerConfiguration.fromEnvironment([
            "TASK_MCP_ALLOWED_ORIGINS": "https://a.example.com/, *", "TASK_MCP_TRUSTED_PROXIES": "10.0.0.1, ::1",
        ]).get()
        #expect(configuration.allowedOrigins == ["https://a.example.com", "*"])
        #expect(configuration.trustedProxies == ["10.0.0.1", "::1"])
    }

    @Test func flagsAcceptOnlyYesOrNo() throws {
        #expect(problem(["TASK_MCP_DEV_LOOPBACK_CLIENT_METADATA": "maybe"]).contains("true or false"))
        #expect(try ServerConfiguration.fromEnvironment(["TASK_MCP_DEV_LOOPBACK_CLIENT_METADATA": "on"]).get().allowLoopbackClientMetadata)
    }

    @Test func misspeltVariablesAreReportedWithTheNearestName() {
        #expect(problem(["TASK_MCP_PROT": "8080"]) == "TASK_MCP_PROT is not a task-mcp setting (did you mean TASK_MCP_PORT?); see env.example for the list")
        #expect(problem(["TASK_MCP_SOMETHING_ELSE_ENTIRELY": "1"]).hasSuffix("is not a task-mcp setting; see env.example for the list"))
    }

    @Test func everyProblemGetsItsOwnLineInOneReport() {
        guard
            case .failure(let errors) = ServerConfiguration.fromEnvironment([
                "TASK_MCP_PORT": "x", "TASK_MCP_PUBLIC_URL": "https://a.example.com/mcp", "TASK_MCP_SEALING_KEYS": "k1:short",
                "TASK_MCP_PROT": "1",
            ])
        else {
            Issue.record("expected problems")
            return
        }
        #expect(errors.problems.count == 4)
        #expect(errors.description.split(separator: "\n").count == 4)
    }

    @Test func everyDocumentedVariableIsRead() throws {
        // A value for every name parses (no "not a task-mcp setting"), and reaches the configuration.
        let environment: [String: String] = [
            "TASK_MCP_HOST": "::1", "TASK_MCP_PORT": "9000", "TASK_MCP_PUBLIC_URL": "https://mcp.example.com",
            "TASK_MCP_SECRET_KEY": secret, "TASK_MCP_DATABASE": "/var/lib/task-mcp/db.sqlite", "TASK_MCP_DATABASE_MAX_CONNECTIONS": "8",
            "TASK_MCP_SEALING_KEYS": "k1:" + Data(repeating: 2, count: 32).base64EncodedString(),
            "TASK_MCP_ALLOWED_ORIGINS": "https://a.example.com", "TASK_MCP_TRUSTED_PROXIES": "10.0.0.1",
            "TASK_MCP_MAX_BODY_BYTES": "2048", "TASK_MCP_PAGE_TOKENS": "5000", "TASK_MCP_MAX_GROUP_ROWS": "2500", "TASK_MCP_RESULT_CACHE_MB": "32", "TASK_MCP_MAX_STORED_RESULT_MB": "8",
            "TASK_MCP_ACCESS_TOKEN_TTL": "600",
            "TASK_MCP_REFRESH_TOKEN_TTL": "7200", "TASK_MCP_REGISTRATIONS_PER_HOUR": "5", "TASK_MCP_AUTHORIZATIONS_PER_MINUTE": "6",
            "TASK_MCP_TOKEN_REQUESTS_PER_MINUTE": "7", "TASK_MCP_DEV_LOOPBACK_CLIENT_METADATA": "false",
            "TASK_MCP_DEV_LOOPBACK_INPUT_URLS": "true", "TASK_MCP_LOG_LEVEL": "warning",
            "TASK_MCP_LOG_FORMAT": "logfmt", "TASK_MCP_METRICS_TOKEN": "0123456789abcdef0123", "TASK_MCP_METRICS_ADDRESS": "127.0.0.1:9464",
            "TASK_MCP_SHUTDOWN_GRACE": "12", "TASK_MCP_TOOL_DEADLINE": "30", "TASK_MCP_HEADER_TIMEOUT": "4",
            "TASK_MCP_IDLE_TIMEOUT": "40", "TASK_MCP_MAX_CONNECTIONS_PER_CLIENT": "9", "TASK_MCP_RATE_LIMIT_SCOPE": "shared", "PARALLEL_API_BASE_URL": "https://api.example.com/", "PARALLEL_OAUTH_URL": "https://p.example.com/getKeys",
            "PARALLEL_OAUTH_CLIENT_ID": "mcp.example.com", "PARALLEL_OAUTH_SCOPE": "key:read extra",
            "TASK_MCP_WEBHOOK_SECRET": "whsec_" + Data(repeating: 4, count: 24).base64EncodedString(),
        ]
        #expect(Set(environment.keys).union(["TASK_MCP_DATABASE_PASSWORD"]) == Set(ServerConfiguration.variableNames))
        let c = try ServerConfiguration.fromEnvironment(environment).get()
        #expect(c.host == "::1" && c.port == 9000 && c.publicURL == "https://mcp.example.com" && c.secretKey == secret)
        #expect(c.database == .sqlite(path: "/var/lib/task-mcp/db.sqlite") && c.sealingKeys?.hasPrefix("k1:") == true)
        #expect(c.databaseMaxConnections == 8)
        #expect(c.allowLoopbackInputURLs)
        #expect(c.maxGroupRows == 2_500)
        #expect(c.resultCacheMiB == 32 && c.maxStoredResultMiB == 8)
        // The password belongs with a PostgreSQL URL (DatabaseLocationTests reads it there).
        #expect(ServerConfiguration.variableNames.contains("TASK_MCP_DATABASE_PASSWORD"))
        #expect(c.allowedOrigins == ["https://a.example.com"] && c.trustedProxies == ["10.0.0.1"])
        #expect(c.maxBodyBytes == 2048 && c.pageTokenBudget == 5000 && c.accessTokenLifetime == 600 && c.refreshTokenLifetime == 7200)
        #expect(c.registrationsPerHour == 5 && c.authorizationsPerMinute == 6 && c.tokenRequestsPerMinute == 7)
        #expect(!c.allowLoopbackClientMetadata && c.logLevel == .warning && c.logFormat == .logfmt)
        #expect(c.metricsToken == "0123456789abcdef0123" && c.metricsAddress == "127.0.0.1:9464" && c.shutdownGracePeriod == 12)
        #expect(c.toolDeadline == 30)
        #expect(c.headerTimeout == 4 && c.idleTimeout == 40 && c.maxConnectionsPerClient == 9)
        #expect(c.rateLimitScope == .shared)
        #expect(c.parallelBaseURL == "https://api.example.com" && c.oauthProviderURL == "https://p.example.com/getKeys")
        #expect(c.oauthClientID == "mcp.example.com" && c.oauthScope == "key:read extra")
        #expect(c.webhookSecret == "whsec_" + Data(repeating: 4, count: 24).base64EncodedString())
    }

    @Test func theRateLimitScopeDefaultsByBackendAndRefusesOtherValues() throws {
        // SQLite (a path or :memory:): each process counts alone unless told otherwise.
        #expect(try ServerConfiguration.fromEnvironment([:]).get().effectiveRateLimitScope == .replica)
        #expect(ServerConfiguration(database: .sqlite(path: ":memory:")).effectiveRateLimitScope == .replica)
        // PostgreSQL: shared by default, and `replica` still honoured.
        #expect(ServerConfiguration(database: .postgres(try PostgresLocation(url: "postgres://u@db.internal/task_mcp"))).effectiveRateLimitScope == .shared)
        var postgres = ServerConfiguration(database: .postgres(try PostgresLocation(url: "postgresql://u@db.internal/task_mcp")))
        #expect(postgres.effectiveRateLimitScope == .shared)
        postgres.rateLimitScope = .replica
        #expect(postgres.effectiveRateLimitScope == .replica)
        #expect(try ServerConfiguration.fromEnvironment(["TASK_MCP_RATE_LIMIT_SCOPE": "Shared"]).get().effectiveRateLimitScope == .shared)
        #expect(
            problem(["TASK_MCP_RATE_LIMIT_SCOPE": "global"])
                == "TASK_MCP_RATE_LIMIT_SCOPE must be replica (each process counts alone) or shared (counted in the database, "
                + "across replicas), not 'global'")
    }

    @Test func everyVariableIsDocumentedInTheREADMEAndEnvExample() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let example = try String(contentsOf: root.appendingPathComponent("env.example"), encoding: .utf8)
        for name in ServerConfiguration.variableNames {
            #expect(readme.contains("`\(name)`"), "README.md does not document \(name)")
            #expect(example.contains("\(name)="), "env.example does not list \(name)")
        }
    }

    // MARK: Webhooks

    @Test func aWebhookSecretMustBeUsableAndIsNeverEchoed() throws {
        let line = problem(["TASK_MCP_WEBHOOK_SECRET": "whsec_not*base64"])
        #expect(line.hasPrefix("TASK_MCP_WEBHOOK_SECRET must be the webhook secret from Parallel's settings"))
        #expect(!line.contains("not*base64"))
        let plain = try ServerConfiguration.fromEnvironment(["TASK_MCP_WEBHOOK_SECRET": "a-plain-text-secret"]).get()
        #expect(plain.webhookSecret == "a-plain-text-secret")
        #expect(try ServerConfiguration.fromEnvironment([:]).get().webhookSecret == nil)
    }

    @Test func runsAskForWebhooksOnlyWhereTheUpstreamCanReachThisServer() throws {
        func configuration(_ environment: [String: String]) throws -> ServerConfiguration {
            try ServerConfiguration.fromEnvironment(environment.merging(["TASK_MCP_WEBHOOK_SECRET": "s3cret"]) { first, _ in first }).get()
        }
        let reachable = try configuration(["TASK_MCP_PUBLIC_URL": "https://mcp.example.com"])
        #expect(reachable.requestsWebhooks)
        #expect(reachable.warnings.isEmpty)

        let missing = try configuration([:])
        #expect(!missing.requestsWebhooks)
        #expect(missing.warnings.count == 1)
        #expect(missing.warnings.first?.hasPrefix("TASK_MCP_WEBHOOK_SECRET is set but TASK_MCP_PUBLIC_URL is not") == true)

        let loopback = try configuration(["TASK_MCP_PUBLIC_URL": "http://localhost:8080"])
        #expect(!loopback.requestsWebhooks)
        #expect(loopback.warnings.count == 1)
        #expect(loopback.warnings.first?.contains("loopback address Parallel cannot reach") == true)

        // An upstream on this machine (a parallel-sandbox) reaches the loopback URL.
        let local = try configuration(["PARALLEL_API_BASE_URL": "http://127.0.0.1:8787"])
        #expect(local.requestsWebhooks)
        #expect(local.warnings.isEmpty)

        #expect(!(try ServerConfiguration.fromEnvironment(["TASK_MCP_PUBLIC_URL": "https://mcp.example.com"]).get().requestsWebhooks))
    }

    @Test func sandboxServingSharesAGeneratedWebhookSecret() throws {
        let first = try serving([:], sandboxPort: 8787).get()
        let second = try serving([:], sandboxPort: 8787).get()
        let secret = try #require(first.webhookSecret)
        #expect(secret.hasPrefix("whsec_"))
        #expect(Data(base64Encoded: String(secret.dropFirst("whsec_".count)))?.count == 32)
        #expect(first.webhookSecret != second.webhookSecret)
        #expect(first.requestsWebhooks)
        #expect(first.warnings.isEmpty)
        #expect(try serving(["TASK_MCP_WEBHOOK_SECRET": "mine"], sandboxPort: 8787).get().webhookSecret == "mine")
        // Outside the sandbox, nothing is generated.
        #expect(try serving(["TASK_MCP_SECRET_KEY": self.secret]).get().webhookSecret == nil)
    }

    @Test func localURLNamesAReachableHost() {
        #expect(ServerConfiguration(host: "0.0.0.0").localURL(port: 8080) == "http://127.0.0.1:8080")
        #expect(ServerConfiguration(host: "::1").localURL(port: 9) == "http://[::1]:9")
        #expect(ServerConfiguration(host: "127.0.0.1").localURL(port: 80) == "http://127.0.0.1:80")
    }

    @Test func defaultsPutTheDatabaseUnderData() {
        #expect(ServerConfiguration().database == .sqlite(path: "data/task-mcp.sqlite"))
    }

    // MARK: Serving

    @Test func servingWithoutASecretKeyIsRefusedWithTheWayOut() {
        guard case .failure(let errors) = serving([:]) else {
            Issue.record("served without a secret key")
            return
        }
        #expect(errors.problems.count == 1)
        #expect(errors.problems[0].hasPrefix("TASK_MCP_SECRET_KEY is not set"))
        #expect(errors.problems[0].contains("openssl rand -base64 32"))
        #expect(errors.problems[0].contains("--sandbox"))
    }

    @Test func sandboxServingGeneratesAKeyAndKeepsTheDatabaseInMemory() throws {
        let first = try serving([:], sandboxPort: 8787).get()
        let second = try serving([:], sandboxPort: 8787).get()
        #expect(first.sandboxPort == 8787)
        #expect(first.secretKeyBytes?.count == 32)
        #expect(first.secretKey != second.secretKey)
        #expect(first.database == .sqlite(path: ":memory:"))
        #expect(try serving(["TASK_MCP_DATABASE": "sandbox.sqlite"], sandboxPort: 8787).get().database == .sqlite(path: "sandbox.sqlite"))
        #expect(try serving(["TASK_MCP_SECRET_KEY": secret], sandboxPort: 8787).get().secretKey == secret)
    }

    @Test func bindingBeyondLoopbackRequiresAPublicURL() throws {
        guard case .failure(let errors) = serving(["TASK_MCP_SECRET_KEY": secret, "TASK_MCP_HOST": "0.0.0.0"]) else {
            Issue.record("served on 0.0.0.0 without a public URL")
            return
        }
        #expect(errors.problems == [errors.problems[0]])
        #expect(errors.problems[0].hasPrefix("TASK_MCP_PUBLIC_URL is not set but TASK_MCP_HOST is 0.0.0.0"))
        _ = try serving(["TASK_MCP_SECRET_KEY": secret, "TASK_MCP_HOST": "0.0.0.0", "TASK_MCP_PUBLIC_URL": "https://m.example.com"]).get()
        _ = try serving(["TASK_MCP_SECRET_KEY": secret, "TASK_MCP_HOST": "::1"]).get()
    }

    @Test func portsMustNotCollide() {
        guard case .failure(let sandbox) = serving(["TASK_MCP_PORT": "8787"], sandboxPort: 8787) else {
            Issue.record("sandbox on the server's port")
            return
        }
        #expect(sandbox.problems[0].contains("must differ"))
        guard case .failure(let metrics) = serving(["TASK_MCP_SECRET_KEY": secret, "TASK_MCP_METRICS_ADDRESS": "127.0.0.1:8080"]) else {
            Issue.record("metrics on the server's port")
            return
        }
        #expect(metrics.problems[0].hasPrefix("TASK_MCP_METRICS_ADDRESS must use another port"))
    }

    @Test func valueProblemsAndServingRequirementsAreReportedTogether() {
        guard case .failure(let errors) = serving(["TASK_MCP_PORT": "x"]) else {
            Issue.record("accepted")
            return
        }
        #expect(errors.problems.count == 2)
        #expect(errors.problems[0].hasPrefix("TASK_MCP_PORT"))
        #expect(errors.problems[1].hasPrefix("TASK_MCP_SECRET_KEY is not set"))
    }

    @Test func warningsNamePlainHTTPAndWideOrigins() throws {
        let configuration = try ServerConfiguration.fromEnvironment([
            "TASK_MCP_PUBLIC_URL": "http://mcp.example.com", "TASK_MCP_ALLOWED_ORIGINS": "*",
        ]).get()
        #expect(configuration.warnings.count == 2)
        #expect(configuration.warnings[0].contains("require https"))
        let local = try ServerConfiguration.fromEnvironment(["TASK_MCP_PUBLIC_URL": "http://localhost:8080"]).get()
        #expect(local.warnings.isEmpty)
    }

    // MARK: .env files

    @Test func environmentFileFillsOnlyWhatTheEnvironmentLacks() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("task-mcp-env-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent(".env")
        try """
        # comment
        TASK_MCP_PORT=9100
        TASK_MCP_LOG_FORMAT=json
        PARALLEL_API_KEY=from-file
        UNRELATED=ignored
        """.write(to: file, atomically: true, encoding: .utf8)
        let merged = try await EnvironmentFile.merged(["TASK_MCP_PORT": "9200", "HOME": "/root"], path: file.path, required: true)
        #expect(merged["TASK_MCP_PORT"] == "9200")
        #expect(merged["TASK_MCP_LOG_FORMAT"] == "json")
        #expect(merged["PARALLEL_API_KEY"] == "from-file")
        #expect(merged["UNRELATED"] == nil)
        #expect(merged["HOME"] == "/root")

        let missing = directory.appendingPathComponent("absent.env").path
        #expect(try await EnvironmentFile.merged([:], path: missing, required: false) == [:])
        await #expect(throws: StartupError.self) { try await EnvironmentFile.merged([:], path: missing, required: true) }
    }
}
