import Foundation
import MCPProtocol
@testable import TaskMCPTools
import TaskTools
import Testing

@Suite struct ToolTaskProviderTests {
    @Test func listCursorsRoundTrip() throws {
        let created = Date(timeIntervalSince1970: 1_745_439_708.125)
        let cursor = ToolTaskProvider.encodeCursor(created, "task_0123")
        let decoded = try #require(ToolTaskProvider.decodeCursor(cursor))
        #expect(decoded.createdAt == created && decoded.id == "task_0123")
        #expect(ToolTaskProvider.decodeCursor("not a cursor") == nil)
        #expect(ToolTaskProvider.decodeCursor(Data("1.0:trun_1".utf8).base64EncodedString()) == nil)
    }

    @Test func taskIDsAreUnguessable() {
        let id = ToolTaskProvider.newTaskID()
        #expect(id.hasPrefix("task_") && id.count == 37)
        #expect(id != ToolTaskProvider.newTaskID())
    }

    @Test func retentionIsClampedToTheConfiguredRange() {
        let provider = ToolTaskProvider(service: offlineService, store: UnusedStore())
        #expect(provider.retention(requested: nil) == .seconds(24 * 3600))
        #expect(provider.retention(requested: 1000) == .seconds(3600))
        #expect(provider.retention(requested: 30 * 24 * 3600 * 1000) == .seconds(7 * 24 * 3600))
    }
}

/// A store the tests above never reach.
private struct UnusedStore: MCPTaskStore {
    func createMCPTask(_ record: MCPTaskRecord) async throws {}
    func mcpTask(id: String, owner: String, now: Date) async throws -> MCPTaskRecord? { nil }
    func settleMCPTask(id: String, status: MCPTaskStatus, message: String?, at: Date) async throws -> MCPTaskRecord? { nil }
    func cancelMCPTask(id: String, owner: String, message: String, at: Date) async throws -> MCPTaskRecord? { nil }
    func mcpTasks(owner: String, after cursor: (createdAt: Date, id: String)?, limit: Int, now: Date) async throws -> [MCPTaskRecord] { [] }
}
