import Foundation
import PostgresNIO
import PostgresStorage
import Testing
@testable import TaskMCPServer

/// `TASK_MCP_DATABASE`: a PostgreSQL URL selects PostgreSQL, a path selects SQLite, and any other
/// URL is a configuration error, never a SQLite file named after it.
@Suite("Database location")
struct DatabaseLocationTests {
    @Test(arguments: ["mysql://u:secret@h/d", "file:///var/lib/task-mcp.sqlite", "sqlite://data/x.sqlite", "redis://u:secret@h:6379"])
    func otherURLsAreRefused(url: String) throws {
        let line = try problem(["TASK_MCP_DATABASE": url])
        #expect(line.contains("SQLite") && line.contains(":memory:") && line.contains("postgres://"))
        #expect(!line.contains("secret"), "the password was repeated: \(line)")
    }

    @Test(arguments: ["data/task-mcp.sqlite", "/var/lib/task-mcp/db.sqlite", ":memory:", "weird:name.sqlite", "./a://b"])
    func pathsSelectSQLite(path: String) throws {
        let configuration = try ServerConfiguration.fromEnvironment(["TASK_MCP_DATABASE": path]).get()
        #expect(configuration.database == .sqlite(path: path))
    }

    @Test func aPostgresURLSelectsPostgres() throws {
        let configuration = try ServerConfiguration.fromEnvironment([
            "TASK_MCP_DATABASE": "postgres://task%40mcp:p%2Fss@db.example:6543/task_mcp?sslmode=require"
        ]).get()
        guard case .postgres(let location) = configuration.database else {
            Issue.record("not PostgreSQL: \(configuration.database)")
            return
        }
        #expect(location.username == "task@mcp")
        #expect(location.password == "p/ss")
        #expect(location.host == "db.example" && location.port == 6543 && location.database == "task_mcp")
        #expect(location.tls == .require)
        #expect(!"\(configuration.database)".contains("p/ss") && !"\(configuration.database)".contains("p%2Fss"))
    }

    @Test func postgresqlSchemeDefaultsAndIPv6() throws {
        let location = try PostgresLocation(url: "postgresql://task@[::1]/db")
        #expect(location.host == "::1" && location.port == 5432 && location.password == nil && location.tls == .prefer)
        #expect(location.description == "postgres://task@[::1]:5432/db")
        #expect(try PostgresLocation(url: "postgres://u@h/d?sslmode=disable").tls == .disable)
    }

    @Test(arguments: [
        ("postgres://db.example/task", "must name a user"),
        ("postgres://u:secret@db.example", "must name a database"),
        ("postgres://u:secret@db.example:99999/d", "port"),
        ("postgres://u:secret@:5432/d", "must name a host"),
        ("postgres://u:secret@h/d?sslmode=verify-ca", "sslmode=verify-ca"),
        ("postgres://u:secret@h/d?connect_timeout=3", "connect_timeout"),
        ("postgres://u:secret@h/d?sslrootcert=/ca.pem", "sslrootcert without sslmode=require"),
    ])
    func badPostgresURLsAreExplained(url: String, expected: String) throws {
        let line = try problem(["TASK_MCP_DATABASE": url])
        #expect(line.contains(expected), "\(line)")
        #expect(!line.contains("secret"), "the password was repeated: \(line)")
    }

    @Test func thePasswordMayComeFromItsOwnVariable() throws {
        let configuration = try ServerConfiguration.fromEnvironment([
            "TASK_MCP_DATABASE": "postgres://task@db/task", "TASK_MCP_DATABASE_PASSWORD": "s3cret",
        ]).get()
        guard case .postgres(let location) = configuration.database else {
            Issue.record("not PostgreSQL")
            return
        }
        #expect(location.password == "s3cret")
    }

    @Test func thePasswordIsGivenOnceAndOnlyForPostgres() throws {
        let twice = try problem(["TASK_MCP_DATABASE": "postgres://task:a@db/task", "TASK_MCP_DATABASE_PASSWORD": "b"])
        #expect(twice.contains("TASK_MCP_DATABASE_PASSWORD") && twice.contains("once"))
        let sqlite = try problem(["TASK_MCP_DATABASE": "data/x.sqlite", "TASK_MCP_DATABASE_PASSWORD": "b"])
        #expect(sqlite.contains("TASK_MCP_DATABASE_PASSWORD") && sqlite.contains("PostgreSQL"))
    }

    @Test func thePoolSizeIsBounded() throws {
        let configuration = try ServerConfiguration.fromEnvironment(["TASK_MCP_DATABASE_MAX_CONNECTIONS": "7"]).get()
        #expect(configuration.databaseMaxConnections == 7)
        #expect(try problem(["TASK_MCP_DATABASE_MAX_CONNECTIONS": "0"]).contains("TASK_MCP_DATABASE_MAX_CONNECTIONS"))
    }

    @Test func theClientConfigurationFollowsTheURL() throws {
        let location = try PostgresLocation(url: "postgres://u:pw@db.example:7000/d?sslmode=disable")
        let configuration = location.clientConfiguration(maximumConnections: 9)
        #expect(configuration.options.maximumConnections == 9)
        #expect(configuration.host == "db.example" && configuration.port == 7000)
        #expect(configuration.username == "u" && configuration.password == "pw" && configuration.database == "d")
    }

    /// The one configuration problem `environment` causes.
    private func problem(_ environment: [String: String]) throws -> String {
        switch ServerConfiguration.fromEnvironment(environment) {
        case .success(let configuration):
            Issue.record("accepted: \(configuration.database)")
            return ""
        case .failure(let errors):
            return try #require(errors.problems.first, "\(errors.problems)")
        }
    }
}
