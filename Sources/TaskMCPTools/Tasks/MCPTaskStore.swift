public import Foundation
public import MCPProtocol

/// Where MCP tasks are kept: durable, shared by every replica (the server's store, through
/// `PersistentMCPTaskStore`).
///
/// Reads take the owner and the current time: another owner's task and an expired task are
/// both absent.
public protocol MCPTaskStore: Sendable {
    /// Stores a new task.
    func createMCPTask(_ record: MCPTaskRecord) async throws
    /// The owner's task with this id, unless it has expired at `now`.
    func mcpTask(id: String, owner: String, now: Date) async throws -> MCPTaskRecord?
    /// Moves a `working` task to a terminal status; a task no longer working is left as it is.
    /// - Returns: the task as stored afterwards, or nil if unknown.
    func settleMCPTask(id: String, status: MCPTaskStatus, message: String?, at: Date) async throws -> MCPTaskRecord?
    /// Moves the owner's task to `cancelled` unless it is already terminal.
    /// - Returns: the task as stored afterwards (check its status), or nil if unknown or not the owner's.
    func cancelMCPTask(id: String, owner: String, message: String, at: Date) async throws -> MCPTaskRecord?
    /// The owner's unexpired tasks, newest first, strictly after `cursor` (a task's creation time and id) in that order.
    func mcpTasks(owner: String, after cursor: (createdAt: Date, id: String)?, limit: Int, now: Date) async throws -> [MCPTaskRecord]
}
