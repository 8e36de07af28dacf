import ArgumentParser
import Foundation
import Hummingbird
import JSON
import Logging
import ParallelAPI
import TaskMCPServer

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
        abstract: "Run the service (reads the TASK_MCP_* variables and PARALLEL_API_BASE_URL; see env.example).")

    @Flag(help: "Start an embedded Parallel sandbox and use it as the upstream (synthetic results, no network).")
    var sandbox = false

    @Option(help: "Port of the embedded sandbox.")
    var sandboxPort = 8787

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var configuration: ServerConfiguration
        switch ServerConfiguration.fromEnvironment(ProcessInfo.processInfo.environment) {
        case .success(let value):
            configuration = value
        case .failure(let errors):
            for problem in errors.problems { printError("configuration error: \(problem)") }
            throw ExitCode(78)
        }
        if sandbox { configuration.sandboxPort = sandboxPort }
        let logger = Logger(label: "task-mcp")
        let host = configuration.host
        let sandboxPort = configuration.sandboxPort
        let app = try await buildApplication(configuration: configuration, logger: logger) { port in
            var banner = "task-mcp listening on http://\(host):\(port)\n"
            if let sandboxPort {
                banner += "  SANDBOX MODE: upstream is the local emulator on http://127.0.0.1:\(sandboxPort); results are synthetic.\n"
            }
            FileHandle.standardOutput.write(Data(banner.utf8))
        }
        try await app.runService()
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
        let environment = ProcessInfo.processInfo.environment
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
