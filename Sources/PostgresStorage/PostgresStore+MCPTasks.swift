public import Foundation
import PostgresNIO
public import Storage

extension PostgresStore {
    /// An MCP task with what the registry knows of its run; ``StoredMCPTask/init(postgresRow:)`` decodes it.
    private static let mcpTaskSelect = """
        SELECT m.id, m.owner, m.upstream_id, m.tool, m.status, m.status_message, m.created_at, m.updated_at, m.ttl_ms,
               m.expires_at, t.processor, t.settled_status, t.settled_message
        FROM mcp_tasks m LEFT JOIN tasks t ON t.id = m.upstream_id
        """

    /// Stores a new MCP task.
    public func createMCPTask(_ task: StoredMCPTask) async throws {
        try await rows(
            """
            INSERT INTO mcp_tasks (id, owner, upstream_id, tool, status, status_message, created_at, updated_at, ttl_ms, expires_at)
            VALUES (\(task.id), \(task.owner), \(task.upstreamID), \(task.tool), \(task.status), \(task.statusMessage),
                    \(task.createdAt.unix), \(task.updatedAt.unix), \(task.ttlMilliseconds), \(task.expiresAt?.unix))
            """)
    }

    /// The owner's MCP task with this id, unless it has expired at `now`.
    public func mcpTask(id: String, owner: String, now: Date) async throws -> StoredMCPTask? {
        try await rows(
            """
            \(unescaped: Self.mcpTaskSelect)
            WHERE m.id = \(id) AND m.owner = \(owner) AND (m.expires_at IS NULL OR m.expires_at > \(now.unix))
            """
        ).first.map(StoredMCPTask.init(postgresRow:))
    }

    /// Moves a `working` MCP task to `status` (a task no longer working is left alone); the task
    /// as stored afterwards.
    public func settleMCPTask(id: String, status: String, message: String?, at: Date) async throws -> StoredMCPTask? {
        let logger = logger
        return try await transaction { connection in
            try await connection.rows(
                """
                UPDATE mcp_tasks SET status = \(status), status_message = \(message), updated_at = \(at.unix)
                WHERE id = \(id) AND status = 'working'
                """, logger: logger)
            return try await connection.rows("\(unescaped: Self.mcpTaskSelect) WHERE m.id = \(id)", logger: logger)
                .first.map(StoredMCPTask.init(postgresRow:))
        }
    }

    /// Moves the owner's MCP task to `cancelled` unless it is already completed, failed or
    /// cancelled; the task as stored afterwards, `nil` if unknown or not the owner's.
    public func cancelMCPTask(id: String, owner: String, message: String, at: Date) async throws -> StoredMCPTask? {
        let logger = logger
        return try await transaction { connection in
            try await connection.rows(
                """
                UPDATE mcp_tasks SET status = 'cancelled', status_message = \(message), updated_at = \(at.unix)
                WHERE id = \(id) AND owner = \(owner) AND status IN ('working', 'input_required')
                """, logger: logger)
            return try await connection.rows(
                "\(unescaped: Self.mcpTaskSelect) WHERE m.id = \(id) AND m.owner = \(owner)", logger: logger
            ).first.map(StoredMCPTask.init(postgresRow:))
        }
    }

    /// The owner's unexpired MCP tasks, newest first, strictly after the keyset position `after`.
    public func mcpTasks(owner: String, after: (createdAt: Date, id: String)?, limit: Int, now: Date) async throws -> [StoredMCPTask] {
        guard limit > 0 else { return [] }
        let query: PostgresQuery
        if let after {
            query = """
                \(unescaped: Self.mcpTaskSelect)
                WHERE m.owner = \(owner) AND (m.expires_at IS NULL OR m.expires_at > \(now.unix))
                  AND (m.created_at < \(after.createdAt.unix) OR (m.created_at = \(after.createdAt.unix) AND m.id < \(after.id)))
                ORDER BY m.created_at DESC, m.id DESC LIMIT \(limit)
                """
        } else {
            query = """
                \(unescaped: Self.mcpTaskSelect)
                WHERE m.owner = \(owner) AND (m.expires_at IS NULL OR m.expires_at > \(now.unix))
                ORDER BY m.created_at DESC, m.id DESC LIMIT \(limit)
                """
        }
        return try await rows(query).map(StoredMCPTask.init(postgresRow:))
    }

    /// Deletes MCP tasks whose retention ended before `now`, in batches; how many. Once across
    /// replicas: 0 when another purge is running (``purgeOnce(_:skipped:_:)``).
    public func purgeExpiredMCPTasks(now: Date) async throws -> Int {
        let cutoff = now.unix
        return try await purgeOnce("mcp_tasks", skipped: 0) { [self] in
            try await purgeInBatches { limit in
                """
                DELETE FROM mcp_tasks WHERE ctid = ANY(ARRAY(
                    SELECT ctid FROM mcp_tasks WHERE expires_at IS NOT NULL AND expires_at <= \(cutoff)
                    LIMIT \(limit) FOR UPDATE SKIP LOCKED))
                """
            }
        }
    }
}

extension StoredMCPTask {
    /// Decodes the columns of the MCP task select.
    init(postgresRow row: PostgresRow) throws {
        let (
            id, owner, upstreamID, tool, status, statusMessage, createdAt, updatedAt, ttl, expiresAt, processor, settledStatus,
            settledMessage
        ) = try row.decode(
            (String, String, String, String, String, String?, Double, Double, Int?, Double?, String?, String?, String?).self)
        self.init(
            id: id, owner: owner, upstreamID: upstreamID, tool: tool, status: status, statusMessage: statusMessage,
            createdAt: Date(timeIntervalSince1970: createdAt), updatedAt: Date(timeIntervalSince1970: updatedAt),
            ttlMilliseconds: ttl, expiresAt: expiresAt.map(Date.init(timeIntervalSince1970:)), processor: processor,
            settledStatus: settledStatus, settledMessage: settledMessage)
    }
}
