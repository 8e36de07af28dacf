import ArgumentParser
import Foundation
import Logging
import TaskMCPServer

/// `task-mcp migrate`: brings the database schema up to date and says what changed.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending database migrations and print what was applied.",
        discussion: """
            Creates a SQLite database file when it does not exist; a PostgreSQL database must \
            exist (migrate waits up to a minute for it to be reachable). `serve` applies pending \
            migrations itself at start; run this as a one-shot job ahead of a deployment or to \
            check that a database is up to date. Safe while servers use the same database and \
            when several migrators start together (each waits for the one before: a file lock \
            in SQLite, an advisory lock in PostgreSQL).
            """)

    @Option(
        help: ArgumentHelp(
            "The SQLite file or postgres:// URL (overrides TASK_MCP_DATABASE; default data/task-mcp.sqlite).", valueName: "path-or-url"))
    var database: String?

    func validate() throws {
        if let database, database.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--database must name a file or a postgres:// URL")
        }
    }

    func run() async throws {
        let configuration = try await AdminEnvironment.configuration(database: database)
        let path = configuration.database.description
        if case .sqlite(let file) = configuration.database { try AdminEnvironment.refuseInMemory(file, command: "migrate") }
        var logger = Logger(label: "task-mcp-migrate") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = .warning
        let applied: [String]
        do {
            applied = try await migrateStore(configuration: configuration, logger: logger)
        } catch {
            printError("error: could not migrate \(path): \(storeErrorDescription(error))")
            throw ExitCode(1)
        }
        if applied.isEmpty {
            print("\(path): up to date")
        } else {
            print("\(path): applied \(applied.count) migration\(applied.count == 1 ? "" : "s")")
            for name in applied { print("  \(name)") }
        }
    }
}
