import ArgumentParser
import Foundation
import TaskMCPServer

/// `task-mcp migrate`: brings the database schema up to date and says what changed.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending database migrations and print what was applied.",
        discussion: """
            Creates the database file when it does not exist. `serve` applies pending migrations \
            itself at start; run this to prepare a database ahead of a deployment or to check \
            that one is up to date. Safe while a server uses the same database (a second \
            migrator waits for the first).
            """)

    @Option(help: ArgumentHelp("The SQLite database (overrides TASK_MCP_DATABASE; default data/task-mcp.sqlite).", valueName: "path"))
    var database: String?

    func validate() throws {
        if let database, database.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--database must name a file")
        }
    }

    func run() async throws {
        let configuration = try await AdminEnvironment.configuration(database: database)
        let path = configuration.databasePath
        try AdminEnvironment.refuseInMemory(path, command: "migrate")
        let applied: [String]
        do {
            applied = try await migrateStore(configuration: configuration)
        } catch {
            printError("error: could not migrate \(path): \(error)")
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
