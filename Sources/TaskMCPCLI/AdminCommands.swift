import ArgumentParser
import Foundation
import Logging
import TaskMCPServer
import Storage

/// `task-mcp admin`: the operator's view of the OAuth state in the database.
struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect and manage OAuth clients, grants and tokens in the server's database.",
        discussion: """
            Every admin command reads the same configuration as `serve` (TASK_MCP_DATABASE, \
            TASK_MCP_SECRET_KEY, TASK_MCP_SEALING_KEYS…); --database overrides TASK_MCP_DATABASE. \
            They are safe to run while servers use the same database (SQLite: WAL and a busy \
            timeout; PostgreSQL: row locks), and a revocation takes effect on every replica's \
            next request. No command prints a token, \
            code, client secret or API key: tokens are listed by their public id only.
            """,
        subcommands: [Clients.self, Grants.self, Tokens.self, Revoke.self, DeleteClient.self, Purge.self, RotateKey.self])
}

/// The `--database` option every admin command takes.
struct DatabaseOption: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The SQLite file or postgres:// URL (overrides TASK_MCP_DATABASE; default data/task-mcp.sqlite).", valueName: "path-or-url"))
    var database: String?

    func validate() throws {
        if let database, database.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--database must name a file or a postgres:// URL")
        }
    }
}

/// Configuration and store access shared by `migrate` and the admin commands.
enum AdminEnvironment {
    /// The server configuration from the environment, with `--database` over TASK_MCP_DATABASE.
    /// Problems are printed one per line; the process then exits 78 (EX_CONFIG), like `serve`.
    static func configuration(database: String?) async throws -> ServerConfiguration {
        var environment: [String: String]
        do {
            environment = try await EnvironmentFile.merged(ProcessInfo.processInfo.environment, path: ".env", required: false)
        } catch {
            printError("configuration error: \(error)")
            throw ExitCode(78)
        }
        if let database { environment["TASK_MCP_DATABASE"] = database }
        switch ServerConfiguration.fromEnvironment(environment) {
        case .success(let configuration):
            return configuration
        case .failure(let errors):
            for problem in errors.problems { printError("configuration error: \(problem)") }
            throw ExitCode(78)
        }
    }

    /// Refuses the in-memory database: a fresh one per process, so there is nothing to administer.
    static func refuseInMemory(_ path: String, command: String) throws {
        guard path == ":memory:" else { return }
        printError(
            "configuration error: the database is :memory: (TASK_MCP_DATABASE or --database); `task-mcp \(command)` "
                + "works on a database file shared with the server, and an in-memory one lives only inside a single process")
        throw ExitCode(78)
    }

    /// Runs `body` on the configured database, opened exactly as the server opens it (same key
    /// derivation, pending migrations applied). Exits 78 on configuration problems, 1 when the
    /// database cannot be opened.
    static func withStore<Result>(database: String?, command: String, _ body: (any ServerStore) async throws -> Result) async throws
        -> Result
    {
        let configuration = try await self.configuration(database: database)
        if case .sqlite(let path) = configuration.database {
            try refuseInMemory(path, command: command)
            guard FileManager.default.fileExists(atPath: path) else {
                printError(
                    "configuration error: no database file at \(path) (set TASK_MCP_DATABASE or --database to the server's "
                        + "database; `task-mcp migrate` creates a new one)")
                throw ExitCode(78)
            }
        }
        // Warnings and errors only, on stderr: stdout carries the command's output (possibly JSON).
        var logger = Logger(label: "task-mcp-admin") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = .warning
        do {
            return try await TaskMCPServer.withStore(configuration: configuration, logger: logger, body)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            printError("error: could not open the database \(configuration.database): \(storeErrorDescription(error))")
            throw ExitCode(1)
        }
    }

    /// Runs one store operation, turning a failure into a message and exit code 1.
    static func perform<T>(_ what: String, _ operation: () async throws -> T) async throws -> T {
        do {
            return try await operation()
        } catch let exit as ExitCode {
            throw exit
        } catch {
            printError("error: could not \(what): \(storeErrorDescription(error))")
            throw ExitCode(1)
        }
    }
}

// MARK: - Output

/// Aligned plain-text tables and JSON for the listing commands.
enum AdminOutput {
    /// A time as ISO 8601 UTC to the minute (`2025-06-01T14:03Z`); `-` when absent.
    static func minute(_ date: Date?) -> String {
        guard let date else { return "-" }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.year, 4))-\(pad(parts.month, 2))-\(pad(parts.day, 2))T\(pad(parts.hour, 2)):\(pad(parts.minute, 2))Z"
    }

    /// `text` safe to print on a terminal: controls (C0 with ESC, BEL and newlines, DEL, C1),
    /// line and paragraph separators, zero-width and bidirectional formatting characters appear
    /// as `\u{…}`, and a backslash as `\\`, so that a self-registered client name can
    /// neither drive the terminal (titles, cursor moves, colours) nor forge or reorder rows.
    static func printable(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x5C:
                result += "\\\\"
            case 0x00...0x1F, 0x7F...0x9F, 0x061C, 0x200B...0x200F, 0x2028...0x202E, 0x2060...0x2069, 0xFEFF:
                result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default:
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Columns padded to their widest cell, two spaces apart, no trailing blanks. Every cell is
    /// passed through ``printable(_:)``.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let rows = rows.map { $0.map(printable) }
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            var text = ""
            for (index, cell) in cells.enumerated() {
                if index > 0 { text += "  " }
                text += index == cells.count - 1 ? cell : cell + String(repeating: " ", count: max(0, widths[index] - cell.count))
            }
            while text.hasSuffix(" ") { text.removeLast() }
            return text
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }

    /// `values` as a pretty-printed JSON array with ISO 8601 dates.
    static func json<T: Encodable>(_ values: [T]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(values), as: UTF8.self)
    }

    /// Prints a listing: JSON, or a table (or `empty` when there are no rows).
    static func emit<T: Encodable>(_ values: [T], json asJSON: Bool, empty: String, header: [String], row: (T) -> [String]) throws {
        if asJSON {
            print(try json(values))
        } else if values.isEmpty {
            print(empty)
        } else {
            print(table(header, values.map(row)))
        }
    }

    static func plural(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }
}

// MARK: - Listing

extension Admin {
    struct Clients: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List OAuth clients: dynamically registered (dcr) and metadata-document (cimd) ones.")

        @OptionGroup var options: DatabaseOption

        @Flag(help: "Print a JSON array instead of a table.")
        var json = false

        func run() async throws {
            try await AdminEnvironment.withStore(database: options.database, command: "admin clients") { store in
                let clients = try await AdminEnvironment.perform("list clients") { try await store.listClients() }
                try AdminOutput.emit(
                    clients, json: json, empty: "No clients.",
                    header: ["CLIENT ID", "KIND", "NAME", "AUTH", "GRANTS", "CREATED", "LAST USED", "EXPIRES"]
                ) { client in
                    [
                        client.id, client.kind.rawValue, client.name, client.tokenEndpointAuthMethod, String(client.grantCount),
                        AdminOutput.minute(client.createdAt), AdminOutput.minute(client.lastUsedAt), AdminOutput.minute(client.expiresAt),
                    ]
                }
            }
        }
    }

    struct Grants: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List grants (one per approved sign-in), optionally for one user or client.")

        @OptionGroup var options: DatabaseOption

        @Option(help: ArgumentHelp("Only this user's grants (a u_… id as listed).", valueName: "id"))
        var user: String?

        @Option(help: ArgumentHelp("Only this client's grants.", valueName: "id"))
        var client: String?

        @Flag(help: "Print a JSON array instead of a table.")
        var json = false

        func run() async throws {
            try await AdminEnvironment.withStore(database: options.database, command: "admin grants") { store in
                let grants = try await AdminEnvironment.perform("list grants") { try await store.listGrants(userID: user, clientID: client) }
                try AdminOutput.emit(
                    grants, json: json, empty: "No grants.",
                    header: ["GRANT ID", "CLIENT ID", "CLIENT NAME", "USER ID", "SCOPE", "LIVE TOKENS", "CREATED", "LAST USED"]
                ) { grant in
                    [
                        grant.id, grant.clientID, grant.clientName, grant.userID, grant.scope, String(grant.liveTokenCount),
                        AdminOutput.minute(grant.createdAt), AdminOutput.minute(grant.lastUsedAt),
                    ]
                }
            }
        }
    }

    struct Tokens: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List access and refresh tokens by id (never their values), optionally for one grant.")

        @OptionGroup var options: DatabaseOption

        @Option(help: ArgumentHelp("Only this grant's tokens.", valueName: "id"))
        var grant: String?

        @Flag(help: "Print a JSON array instead of a table.")
        var json = false

        func run() async throws {
            try await AdminEnvironment.withStore(database: options.database, command: "admin tokens") { store in
                let tokens = try await AdminEnvironment.perform("list tokens") { try await store.listTokens(grantID: grant) }
                try AdminOutput.emit(
                    tokens, json: json, empty: "No tokens.",
                    header: ["TOKEN ID", "KIND", "STATE", "GRANT ID", "CLIENT NAME", "USER ID", "CREATED", "LAST USED", "EXPIRES"]
                ) { token in
                    [
                        token.id, token.kind.rawValue, token.state.rawValue, token.grantID, token.clientName, token.userID,
                        AdminOutput.minute(token.createdAt), AdminOutput.minute(token.lastUsedAt), AdminOutput.minute(token.expiresAt),
                    ]
                }
            }
        }
    }
}

// MARK: - Changes

extension Admin {
    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke one token, one grant, or every grant of a user or a client.",
            discussion: """
                Give exactly one of the options. Revoking a grant ends every token issued under it; \
                the client must send its user through sign-in again. The server checks tokens on \
                every request, so a revoked token fails (HTTP 401) from the next request on. Exits \
                with status 1 when nothing matched.
                """)

        @OptionGroup var options: DatabaseOption

        @Option(help: ArgumentHelp("Revoke this token (its id from `admin tokens`).", valueName: "id"))
        var token: String?

        @Option(help: ArgumentHelp("Revoke this grant and all its tokens.", valueName: "id"))
        var grant: String?

        @Option(help: ArgumentHelp("Revoke every grant of this user (a u_… id).", valueName: "id"))
        var user: String?

        @Option(help: ArgumentHelp("Revoke every grant of this client (the client stays registered).", valueName: "id"))
        var client: String?

        func validate() throws {
            let given = [token, grant, user, client].compactMap { $0 }
            guard given.count == 1 else {
                throw ValidationError("give exactly one of --token, --grant, --user or --client")
            }
            guard given.allSatisfy({ !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else {
                throw ValidationError("the id must not be empty")
            }
        }

        func run() async throws {
            try await AdminEnvironment.withStore(database: options.database, command: "admin revoke") { store in
                let count: Int
                let what: String
                let target: String
                if let token {
                    count = try await AdminEnvironment.perform("revoke the token") { try await store.revokeToken(id: token) }
                    (what, target) = ("token", "token \(token)")
                } else if let grant {
                    count = try await AdminEnvironment.perform("revoke the grant") { try await store.revokeGrant(id: grant) }
                    (what, target) = ("grant", "grant \(grant)")
                } else if let user {
                    count = try await AdminEnvironment.perform("revoke the user's grants") { try await store.revokeGrants(userID: user) }
                    (what, target) = ("grant", "user \(user)")
                } else if let client {
                    count = try await AdminEnvironment.perform("revoke the client's grants") { try await store.revokeGrants(clientID: client) }
                    (what, target) = ("grant", "client \(client)")
                } else {
                    throw ValidationError("give exactly one of --token, --grant, --user or --client")
                }
                guard count > 0 else {
                    printError("error: nothing revoked: no \(what) matches \(target)")
                    throw ExitCode(1)
                }
                print("Revoked \(AdminOutput.plural(count, what)) (\(target)).")
            }
        }
    }

    struct DeleteClient: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete-client",
            abstract: "Delete a client and everything issued to it (grants, tokens, codes, pending sign-ins).",
            discussion: """
                A dynamically registered client must register again; a metadata-document client is \
                fetched again on its next sign-in. Exits with status 1 when no such client exists.
                """)

        @OptionGroup var options: DatabaseOption

        @Argument(help: ArgumentHelp("The client's id (from `admin clients`).", valueName: "client-id"))
        var id: String

        func run() async throws {
            try await AdminEnvironment.withStore(database: options.database, command: "admin delete-client") { store in
                let deleted = try await AdminEnvironment.perform("delete the client") { try await store.deleteClient(id: id) }
                guard deleted else {
                    printError("error: no client with id \(id)")
                    throw ExitCode(1)
                }
                print("Deleted client \(id) and everything issued to it.")
            }
        }
    }

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete expired rows: clients, pending sign-ins, codes, tokens and grants past their lifetime.")

        @OptionGroup var options: DatabaseOption

        func run() async throws {
            try await AdminEnvironment.withStore(database: options.database, command: "admin purge") { store in
                let counts = try await AdminEnvironment.perform("purge expired rows") { try await store.purgeExpired() }
                print(
                    "Purged \(AdminOutput.plural(counts.clients, "client")), "
                        + "\(AdminOutput.plural(counts.pendingAuthorizations, "pending authorization")), "
                        + "\(AdminOutput.plural(counts.codes, "code")), \(AdminOutput.plural(counts.tokens, "token")), "
                        + "\(AdminOutput.plural(counts.grants, "grant")).")
            }
        }
    }

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key",
            abstract: "Re-seal every sealed value (API keys, task credentials) under the current sealing key.",
            discussion: """
                The current key is the first one in TASK_MCP_SEALING_KEYS
                (id:base64[,id:base64…]); the others only open values sealed earlier.

                To rotate:
                  1. Make a key: echo k2:$(openssl rand -base64 32)
                  2. Put it first in TASK_MCP_SEALING_KEYS and keep the old key after
                     it (TASK_MCP_SEALING_KEYS=k2:…,k1:…); restart the server with it.
                  3. Run `task-mcp admin rotate-key` with that same value.
                  4. Once it succeeds, drop the old key from TASK_MCP_SEALING_KEYS.

                Safe while the server runs; running it twice is harmless. Without
                TASK_MCP_SEALING_KEYS the only key is derived from TASK_MCP_SECRET_KEY,
                so there is nothing to rotate to.
                """)

        @OptionGroup var options: DatabaseOption

        func run() async throws {
            let configuration = try await AdminEnvironment.configuration(database: options.database)
            guard configuration.sealingKeys != nil || configuration.secretKey != nil else {
                printError(
                    "configuration error: rotate-key needs the server's keys: set TASK_MCP_SEALING_KEYS "
                        + "(new key first, old key after it) and TASK_MCP_SECRET_KEY as the server has them")
                throw ExitCode(78)
            }
            let keyID = (try? configuration.sealingKeys.map(SealingKeyring.parse)?.currentKeyID) ?? "derived"
            try await AdminEnvironment.withStore(database: options.database, command: "admin rotate-key") { store in
                let count = try await AdminEnvironment.perform("re-seal the stored values") { try await store.resealWithCurrentKey() }
                print("Re-sealed \(AdminOutput.plural(count, "value")) under key \(keyID).")
            }
        }
    }
}
