public import Foundation
import GRDB
public import Storage

extension SQLiteStore {
    private static let mcpTaskSelect = """
        SELECT m.*, t.processor AS processor, t.settled_status AS settled_status, t.settled_message AS settled_message
        FROM mcp_tasks m LEFT JOIN tasks t ON t.id = m.upstream_id
        """

    /// Stores a new MCP task.
    public func createMCPTask(_ task: StoredMCPTask) async throws {
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO mcp_tasks (id, owner, upstream_id, tool, status, status_message, created_at, updated_at, ttl_ms, expires_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    task.id, task.owner, task.upstreamID, task.tool, task.status, task.statusMessage, task.createdAt.unix,
                    task.updatedAt.unix, task.ttlMilliseconds, task.expiresAt?.unix,
                ])
        }
    }

    /// The owner's MCP task with this id, unless it has expired at `now`.
    public func mcpTask(id: String, owner: String, now: Date) async throws -> StoredMCPTask? {
        try await writer.read { db in
            try Row.fetchOne(
                db, sql: Self.mcpTaskSelect + " WHERE m.id = ? AND m.owner = ? AND (m.expires_at IS NULL OR m.expires_at > ?)",
                arguments: [id, owner, now.unix]
            ).map(StoredMCPTask.init(row:))
        }
    }

    /// Moves a `working` MCP task to `status`; a task no longer working is left alone (so a
    /// cancellation stays a cancellation). Returns the task as stored afterwards.
    public func settleMCPTask(id: String, status: String, message: String?, at: Date) async throws -> StoredMCPTask? {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE mcp_tasks SET status = ?, status_message = ?, updated_at = ? WHERE id = ? AND status = 'working'",
                arguments: [status, message, at.unix, id])
            return try Row.fetchOne(db, sql: Self.mcpTaskSelect + " WHERE m.id = ?", arguments: [id]).map(StoredMCPTask.init(row:))
        }
    }

    /// Moves the owner's MCP task to `cancelled` unless it is already completed, failed or
    /// cancelled. Returns the task as stored afterwards, or nil if unknown or not the owner's.
    public func cancelMCPTask(id: String, owner: String, message: String, at: Date) async throws -> StoredMCPTask? {
        try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE mcp_tasks SET status = 'cancelled', status_message = ?, updated_at = ?
                    WHERE id = ? AND owner = ? AND status IN ('working', 'input_required')
                    """,
                arguments: [message, at.unix, id, owner])
            return try Row.fetchOne(db, sql: Self.mcpTaskSelect + " WHERE m.id = ? AND m.owner = ?", arguments: [id, owner])
                .map(StoredMCPTask.init(row:))
        }
    }

    /// The owner's unexpired MCP tasks, newest first, strictly after the keyset position `after`.
    public func mcpTasks(owner: String, after: (createdAt: Date, id: String)?, limit: Int, now: Date) async throws -> [StoredMCPTask] {
        guard limit > 0 else { return [] }
        return try await writer.read { db in
            var sql = Self.mcpTaskSelect + " WHERE m.owner = ? AND (m.expires_at IS NULL OR m.expires_at > ?)"
            var arguments: StatementArguments = [owner, now.unix]
            if let after {
                sql += " AND (m.created_at < ? OR (m.created_at = ? AND m.id < ?))"
                arguments += [after.createdAt.unix, after.createdAt.unix, after.id]
            }
            sql += " ORDER BY m.created_at DESC, m.id DESC LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(StoredMCPTask.init(row:))
        }
    }

    /// Deletes MCP tasks whose retention ended before `now`. Returns how many.
    public func purgeExpiredMCPTasks(now: Date) async throws -> Int {
        try await delete(sql: "DELETE FROM mcp_tasks WHERE expires_at IS NOT NULL AND expires_at <= ?", arguments: [now.unix])
    }
}

extension StoredMCPTask {
    init(row: Row) throws {
        self.init(
            id: try row.decode(forColumn: "id"), owner: try row.decode(forColumn: "owner"),
            upstreamID: try row.decode(forColumn: "upstream_id"), tool: try row.decode(forColumn: "tool"),
            status: try row.decode(forColumn: "status"), statusMessage: try row.decode(forColumn: "status_message"),
            createdAt: Date(unix: try row.decode(forColumn: "created_at")), updatedAt: Date(unix: try row.decode(forColumn: "updated_at")),
            ttlMilliseconds: try row.decode(forColumn: "ttl_ms"),
            expiresAt: (try row.decode(Double?.self, forColumn: "expires_at")).map(Date.init(unix:)),
            processor: try row.decode(forColumn: "processor"), settledStatus: try row.decode(forColumn: "settled_status"),
            settledMessage: try row.decode(forColumn: "settled_message"))
    }
}
