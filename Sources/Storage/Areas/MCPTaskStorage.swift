public import Foundation

/// MCP tasks (`tasks/*`), each tied to a task of the registry, with their time to live.
public protocol MCPTaskStorage: Sendable {
    /// Stores a new MCP task.
    func createMCPTask(_ task: StoredMCPTask) async throws
    /// The owner's MCP task, unless it expired by `now`.
    func mcpTask(id: String, owner: String, now: Date) async throws -> StoredMCPTask?
    /// Moves a `working` MCP task to `status`; one no longer working is left alone (so a
    /// cancellation stays a cancellation). The task as stored afterwards.
    func settleMCPTask(id: String, status: String, message: String?, at: Date) async throws -> StoredMCPTask?
    /// Moves the owner's MCP task to `cancelled` unless it is already completed, failed or
    /// cancelled. The task as stored afterwards; `nil` if unknown or not the owner's.
    func cancelMCPTask(id: String, owner: String, message: String, at: Date) async throws -> StoredMCPTask?
    /// The owner's unexpired MCP tasks, newest first, strictly after the keyset position `after`, at most `limit`.
    func mcpTasks(owner: String, after: (createdAt: Date, id: String)?, limit: Int, now: Date) async throws -> [StoredMCPTask]
    /// Deletes MCP tasks whose retention ended before `now`; how many.
    func purgeExpiredMCPTasks(now: Date) async throws -> Int
}
