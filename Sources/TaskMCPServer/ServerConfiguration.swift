/// What the task-mcp service needs to start.
public struct ServerConfiguration: Sendable, Hashable {
    /// Address to bind.
    public var host: String
    /// Port to listen on; `0` picks a free one.
    public var port: Int
    /// Base URL of Parallel's Task API.
    public var parallelBaseURL: String
    /// When set, an embedded Parallel sandbox is started on this port and used as the upstream.
    public var sandboxPort: Int?

    public init(
        host: String = "127.0.0.1", port: Int = 8080, parallelBaseURL: String = "https://api.parallel.ai",
        sandboxPort: Int? = nil
    ) {
        self.host = host
        self.port = port
        self.parallelBaseURL = parallelBaseURL
        self.sandboxPort = sandboxPort
    }

    /// Reads `TASK_MCP_HOST`, `TASK_MCP_PORT` and `PARALLEL_API_BASE_URL`, over these defaults.
    /// - Returns: the configuration, or one line per problem found.
    public static func fromEnvironment(_ environment: [String: String], defaults: ServerConfiguration = .init())
        -> Result<ServerConfiguration, ConfigurationErrors>
    {
        var configuration = defaults
        var problems: [String] = []
        if let host = environment["TASK_MCP_HOST"], !host.isEmpty { configuration.host = host }
        if let text = environment["TASK_MCP_PORT"], !text.isEmpty {
            if let port = Int(text), (0...65_535).contains(port) {
                configuration.port = port
            } else {
                problems.append("TASK_MCP_PORT must be a port number (0-65535), not '\(text)'")
            }
        }
        if let url = environment["PARALLEL_API_BASE_URL"], !url.isEmpty {
            if url.hasPrefix("https://") || url.hasPrefix("http://") {
                configuration.parallelBaseURL = url
            } else {
                problems.append("PARALLEL_API_BASE_URL must start with https:// or http://, not '\(url)'")
            }
        }
        return problems.isEmpty ? .success(configuration) : .failure(ConfigurationErrors(problems: problems))
    }
}

/// Configuration problems, one line each.
public struct ConfigurationErrors: Error, Hashable, Sendable, CustomStringConvertible {
    public var problems: [String]
    public var description: String { problems.joined(separator: "\n") }
}
