import Foundation
import Glibc

/// A PostgreSQL cluster of one test's own (`scripts/postgres-cluster.sh`), which the test may
/// stop and start again on the same port, as an outage: the shared cluster of
/// `TASK_MCP_TEST_POSTGRES_URL` is never paused, since other suites run on it meanwhile.
struct DedicatedCluster: Sendable {
    let directory: String
    let url: URLComponents

    /// `scripts/postgres-cluster.sh`, found from this file's place in the package.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/postgres-cluster.sh").path

    /// Initialises and starts a cluster in a new temporary directory.
    static func start() async throws -> DedicatedCluster {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("task-mcp-pg-\(UInt64.random(in: 0...UInt64.max))")
        let output = try await run("start", directory.path)
        guard let url = URLComponents(string: output), url.host != nil, url.port != nil else {
            throw ScriptError(command: "start", detail: output)
        }
        return DedicatedCluster(directory: directory.path, url: url)
    }

    /// Stops the server (fast shutdown: sessions are ended), keeping its files.
    func pause() async throws { _ = try await Self.run("pause", directory) }

    /// Starts the paused server again, on the same port.
    func resume() async throws { _ = try await Self.run("resume", directory) }

    /// Stops the server and removes its files.
    func stop() async throws { _ = try await Self.run("stop", directory) }

    struct ScriptError: Error, CustomStringConvertible {
        let command: String
        let detail: String
        var description: String { "postgres-cluster.sh \(command) failed: \(detail)" }
    }

    /// Runs the script with `arguments`; its standard output, trimmed. Spawned and reaped here
    /// (`posix_spawn`, `waitpid`), polling without blocking a thread of the test's pool.
    private static func run(_ arguments: String...) async throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("pg-cluster-\(UInt64.random(in: 0...UInt64.max)).out")
        defer { try? FileManager.default.removeItem(at: output) }
        let words = ["/bin/bash", script] + arguments
        let command = words.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sh"), strdup("-c"), strdup("\(command) >'\(output.path)'"), nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", nil, nil, argv, environ)
        guard spawned == 0 else { throw ScriptError(command: arguments[0], detail: "posix_spawn failed (\(spawned))") }
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            guard reaped == 0 else { throw ScriptError(command: arguments[0], detail: "waitpid failed (\(errno))") }
            try await Task.sleep(for: .milliseconds(50))
        }
        let text = ((try? String(contentsOf: output, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        // Exited normally with status 0 (the encoding of waitpid's status word).
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            throw ScriptError(command: arguments[0], detail: "exit status \(status): \(text)")
        }
        return text
    }
}
