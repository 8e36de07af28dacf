import Foundation
import Testing
@testable import TaskMCPServer

/// A database URL is a configuration error until a backend exists for it,
/// never a SQLite file named after the URL.
@Suite("Database location")
struct DatabaseLocationTests {
    @Test(arguments: [
        "postgres://task:secret@db.example:5432/taskmcp", "postgresql://localhost/db?sslmode=require", "mysql://u@h/d",
        "file:///var/lib/task-mcp.sqlite", "sqlite://data/x.sqlite",
    ])
    func urlsAreRefused(url: String) throws {
        switch ServerConfiguration.fromEnvironment(["TASK_MCP_DATABASE": url]) {
        case .success(let configuration):
            Issue.record("accepted \(url) as the file \(configuration.databasePath)")
        case .failure(let errors):
            let line = try #require(errors.problems.first { $0.contains("TASK_MCP_DATABASE") }, "\(errors.problems)")
            #expect(line.contains("SQLite"))
            #expect(line.contains(":memory:"))
            #expect(!line.contains("secret"), "the password was repeated: \(line)")
        }
    }

    @Test(arguments: ["data/task-mcp.sqlite", "/var/lib/task-mcp/db.sqlite", ":memory:", "weird:name.sqlite", "./a://b"])
    func pathsAreKept(path: String) throws {
        let configuration = try ServerConfiguration.fromEnvironment(["TASK_MCP_DATABASE": path]).get()
        #expect(configuration.databasePath == path)
    }
}
