import ArgumentParser
import Foundation
import Hummingbird
import JSON
import Logging
import Metrics
import ParallelAPI
import ParallelSandbox
import Prometheus
import ServiceLifecycle
import UnixSignals
import TaskMCPServer
import CHeap

/// `task-mcp`: the service and its operator commands.
@main
struct TaskMCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "task-mcp",
        abstract: "An MCP service that gives AI assistants deep research and batch enrichment on Parallel's Task API.",
        subcommands: [Serve.self, Run.self, Migrate.self, Admin.self])
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the service.",
        discussion: """
            Reads the TASK_MCP_* and PARALLEL_* variables (see env.example), from the environment \
            and from a .env file in the working directory; the environment wins. Problems are \
            printed one per line and the command exits with status 78. SIGTERM or SIGINT starts \
            a graceful shutdown: no new connections, in-flight requests and streams get \
            TASK_MCP_SHUTDOWN_GRACE seconds to finish, then the database is closed.
            """)

    @Flag(help: "Start an embedded Parallel sandbox and use it as the upstream (synthetic results, no network, no configuration).")
    var sandbox = false

    @Option(help: ArgumentHelp("Address to bind; overrides TASK_MCP_HOST (default 127.0.0.1).", valueName: "address"))
    var host: String?

    @Option(help: ArgumentHelp("Port to listen on; overrides TASK_MCP_PORT (default 8080; 0 picks a free one).", valueName: "port"))
    var port: Int?

    @Option(help: "Port of the embedded sandbox.")
    var sandboxPort = 8787

    @Option(help: ArgumentHelp("Read variables from this file (default: .env if present).", valueName: "path"))
    var envFile: String?

    func validate() throws {
        guard (1...65_535).contains(sandboxPort) else { throw ValidationError("--sandbox-port must be a port number (1-65535)") }
        if let port, !(0...65_535).contains(port) { throw ValidationError("--port must be a port number (0-65535)") }
        if let host, host.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--host must name an address") }
    }

    /// The environment with `--host` and `--port` in place of TASK_MCP_HOST and TASK_MCP_PORT:
    /// a flag wins over the environment and `.env`, and goes through the same validation.
    static func applyingFlags(to environment: [String: String], host: String?, port: Int?) -> [String: String] {
        var environment = environment
        if let host { environment["TASK_MCP_HOST"] = host }
        if let port { environment["TASK_MCP_PORT"] = String(port) }
        return environment
    }

    func run() async throws {
        // Blocks of 256 KiB and more (a large result's rows, its stored form) get mappings of
        // their own, returned when freed: reading a 10,000-row group then leaves ~35 MB less RSS.
        _ = task_mcp_heap_fix_mmap_threshold(256 << 10)
        let environment: [String: String]
        do {
            environment = Self.applyingFlags(
                to: try await EnvironmentFile.merged(
                    ProcessInfo.processInfo.environment, path: envFile ?? ".env", required: envFile != nil),
                host: host, port: port)
        } catch {
            printError("configuration error: \(error)")
            throw ExitCode(78)
        }
        let configuration: ServerConfiguration
        switch ServerConfiguration.prepareForServing(environment: environment, sandboxPort: sandbox ? sandboxPort : nil) {
        case .success(let value):
            configuration = value
        case .failure(let errors):
            for problem in errors.problems { printError("configuration error: \(problem)") }
            throw ExitCode(78)
        }
        bootstrapLogging(format: configuration.logFormat, level: configuration.logLevel)
        MetricsSystem.bootstrap(PrometheusMetricsFactory())
        let logger = Logger(label: "task-mcp")
        for warning in configuration.warnings { logger.warning("\(warning)") }

        let generatedSecret = (environment["TASK_MCP_SECRET_KEY"] ?? "").trimmingCharacters(in: .whitespaces).isEmpty
        let app: any ApplicationProtocol
        do {
            app = try await buildApplication(configuration: configuration, logger: logger) { port in
                FileHandle.standardOutput.write(Data(Self.banner(configuration, port: port, generatedSecret: generatedSecret).utf8))
            }
        } catch {
            printError("error: task-mcp could not start: \(error)")
            throw ExitCode(1)
        }
        var group = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = .seconds(configuration.shutdownGracePeriod)
        group.maximumCancellationDuration = .seconds(5)
        do {
            try await ServiceGroup(configuration: group).run()
        } catch {
            logger.error("task-mcp stopped with an error", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        logger.info("task-mcp stopped")
    }

    /// What start-up prints on standard output: where to connect, and in sandbox mode, loudly, that
    /// nothing is real.
    static func banner(_ configuration: ServerConfiguration, port: Int, generatedSecret: Bool) -> String {
        let bound = configuration.localURL(port: port)
        let base = configuration.publicURL ?? bound
        // The first line's shape is stable (scripts and the conformance suite read the URL from it).
        var text = "task-mcp listening on \(bound)\n"
        text += "  task-mcp \(taskMCPVersion); log level \(configuration.logLevel), format \(configuration.logFormat.rawValue)\n"
        text += "  MCP endpoint:  \(base)/mcp\n  REST API:      \(base)/openapi.json\n  Health:        \(base)/healthz, \(base)/readyz\n"
        if let address = configuration.metricsAddress {
            text += "  Metrics:       http://\(address)/metrics\n"
        } else {
            text += "  Metrics:       \(base)/metrics\n"
        }
        if let sandboxPort = configuration.sandboxPort {
            let rule = String(repeating: "=", count: 78)
            text += """
                \(rule)
                SANDBOX MODE: the upstream is a local emulator of Parallel's Task API and OAuth
                provider on http://127.0.0.1:\(sandboxPort). Results are SYNTHETIC, nothing reaches
                Parallel, and no credits are spent.
                  Demo API key (Authorization: Bearer):  \(SandboxConfiguration.demoAPIKey)
                  Sign-in: OAuth clients are sent to the sandbox's consent page.
                  Database: \(configuration.database.isInMemory ? "in memory (gone when this process stops)" : "\(configuration.database)")
                  Secret key: \(generatedSecret ? "generated for this process" : "from TASK_MCP_SECRET_KEY")
                  Webhooks: the sandbox signs run completions and posts them to \(base)/webhooks/parallel
                \(rule)

                """
        }
        return text
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create one task run, show its progress, and print its output (key from PARALLEL_API_KEY).")

    @Argument(help: "The question or task, in natural language.")
    var input: String

    @Option(help: "Processor: lite, base, core, core2x, pro, ultra, ultra2x, ultra4x, ultra8x, or a -fast variant.")
    var processor = "pro"

    @Option(help: "Output: text (a markdown report) or auto (structured JSON).")
    var output = "text"

    @Option(help: "Task API base URL (default: PARALLEL_API_BASE_URL, else https://api.parallel.ai).")
    var baseURL: String?

    @Option(help: "Give up after this many seconds.")
    var timeout = 3_600

    func validate() throws {
        guard ["text", "auto"].contains(output) else { throw ValidationError("--output must be text or auto") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    func run() async throws {
        let environment = (try? await EnvironmentFile.merged(ProcessInfo.processInfo.environment, path: ".env", required: false))
            ?? ProcessInfo.processInfo.environment
        guard let key = environment["PARALLEL_API_KEY"], !key.isEmpty else {
            printError("error: set PARALLEL_API_KEY to your Parallel API key")
            throw ExitCode(2)
        }
        let base = baseURL ?? environment["PARALLEL_API_BASE_URL"] ?? ParallelClient.Configuration.defaultBaseURL
        let client = ParallelClient(apiKey: APIKey(key), configuration: ParallelClient.Configuration(baseURL: base))
        do {
            let run = try await client.createRun(
                TaskRunInput(
                    processor: processor, input: .string(input),
                    taskSpec: TaskSpec(outputSchema: output == "text" ? .text(description: nil) : .auto),
                    enableEvents: true))
            printError("created \(run.runID) (\(run.processor)), status \(run.status)")
            let result = try await follow(run.runID, client: client)
            switch result.output.content {
            case .string(let text):
                print(text)
            default:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(result.output.content), as: UTF8.self))
            }
        } catch let error as ParallelAPIError {
            printError("error: \(error)")
            throw ExitCode(1)
        }
    }

    /// Shows progress from the event stream (when it is available), then fetches the result.
    func follow(_ runID: String, client: ParallelClient) async throws(ParallelAPIError) -> TaskRunResult {
        do throws(ParallelAPIError) {
            for try await item in try await client.runEvents(runID) {
                switch item.event {
                case .progressMessage(let message): printError("  [\(message.kind)] \(message.message)")
                case .runState(let state) where state.run.status.isTerminal: printError("  run \(state.run.status)")
                default: break
                }
            }
        } catch {
            printError("  (progress stream unavailable: \(error.kind); waiting for the result)")
        }
        return try await client.awaitResult(runID, deadline: .seconds(timeout))
    }
}
