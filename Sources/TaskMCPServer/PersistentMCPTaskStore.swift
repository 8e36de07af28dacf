import Foundation
import MCPProtocol
import Storage
import TaskMCPTools

/// MCP tasks kept in the server's store (any backend): shared by every replica on the same
/// database and kept across restarts. While the database is unavailable it throws
/// ``MCPTaskFailure/unavailable(_:)`` saying so, which the provider passes on.
struct PersistentMCPTaskStore: MCPTaskStore {
    let store: any MCPTaskStorage

    /// `operation`, with ``StoreUnavailable`` told in the protocol's terms.
    static func reporting<Value>(_ operation: () async throws -> Value) async throws -> Value {
        do {
            return try await operation()
        } catch is StoreUnavailable {
            throw MCPTaskFailure.unavailable("this server's database is unavailable; try again in a few seconds")
        }
    }

    func createMCPTask(_ record: MCPTaskRecord) async throws {
        try await store.createMCPTask(
            StoredMCPTask(
                id: record.id, owner: record.owner, upstreamID: record.upstreamID, tool: record.tool, status: record.status.rawValue,
                statusMessage: record.statusMessage, createdAt: record.createdAt, updatedAt: record.updatedAt,
                ttlMilliseconds: record.ttlMilliseconds, expiresAt: record.expiresAt))
    }

    func mcpTask(id: String, owner: String, now: Date) async throws -> MCPTaskRecord? {
        try await Self.reporting { try await store.mcpTask(id: id, owner: owner, now: now).flatMap(Self.record) }
    }

    func settleMCPTask(id: String, status: MCPTaskStatus, message: String?, at: Date) async throws -> MCPTaskRecord? {
        try await store.settleMCPTask(id: id, status: status.rawValue, message: message, at: at).flatMap(Self.record)
    }

    func cancelMCPTask(id: String, owner: String, message: String, at: Date) async throws -> MCPTaskRecord? {
        try await Self.reporting { try await store.cancelMCPTask(id: id, owner: owner, message: message, at: at).flatMap(Self.record) }
    }

    func mcpTasks(owner: String, after cursor: (createdAt: Date, id: String)?, limit: Int, now: Date) async throws -> [MCPTaskRecord] {
        try await Self.reporting { try await store.mcpTasks(owner: owner, after: cursor, limit: limit, now: now).compactMap(Self.record) }
    }

    static func record(_ stored: StoredMCPTask) -> MCPTaskRecord? {
        guard let status = MCPTaskStatus(rawValue: stored.status) else { return nil }
        return MCPTaskRecord(
            id: stored.id, owner: stored.owner, upstreamID: stored.upstreamID, tool: stored.tool, status: status,
            statusMessage: stored.statusMessage, createdAt: stored.createdAt, updatedAt: stored.updatedAt,
            ttlMilliseconds: stored.ttlMilliseconds, expiresAt: stored.expiresAt, processor: stored.processor,
            upstreamSettlement: stored.settledStatus.map { UpstreamSettlement(status: $0, message: stored.settledMessage) })
    }
}
