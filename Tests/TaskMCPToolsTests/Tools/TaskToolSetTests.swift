import JSON
import MCPProtocol
@testable import TaskMCPTools
import TaskTools
import Testing

@Suite struct TaskToolSetTests {
    let handlers = TaskToolSet.handlers(service: offlineService)

    @Test func fiveToolsInListOrder() {
        #expect(handlers.map(\.tool.name) == ["createDeepResearch", "createTaskGroup", "getStatus", "getResultMarkdown", "listTasks"])
    }

    @Test func onlyTheCreatingToolsMayRunAsTasks() {
        let taskCapable = handlers.filter { $0.tool.execution == TaskToolSet.taskExecution }.map(\.tool.name)
        #expect(taskCapable == [CreateDeepResearchTool.name, CreateTaskGroupTool.name])
    }

    @Test func aCallWithoutCredentialsIsAToolErrorTheModelSees() async throws {
        let getStatus = try #require(handlers.first { $0.tool.name == GetStatusTool.name })
        await #expect(throws: TaskToolSet.noCredentials) {
            _ = try await getStatus.call(["taskRunOrGroupId": "trun_1"], context: callContext)
        }
    }

    /// Bad arguments are reported before credentials are looked at: the model can fix them.
    @Test func argumentsAreCheckedBeforeTheCaller() async throws {
        let read = try #require(handlers.first { $0.tool.name == GetResultMarkdownTool.name })
        await #expect(throws: ToolError("wait_seconds must be an integer from 0 to 50.")) {
            _ = try await read.call(["taskRunOrGroupId": "trun_1", "wait_seconds": 51], context: callContext)
        }
        let list = try #require(handlers.first { $0.tool.name == ListTasksTool.name })
        await #expect(throws: ToolError("limit must be an integer from 1 to 100.")) {
            _ = try await list.call(["limit": 0], context: callContext)
        }
    }

    @Test func serviceErrorsCarryTheirKindAndDetail() {
        let error = TaskToolSet.toolError(TaskServiceError(.notFound, "No such task.", detail: ["id": "trun_1"]))
        #expect(error.message == "No such task.")
        #expect(error.structuredContent == ["error": "not_found", "message": "No such task.", "detail": ["id": "trun_1"]])
    }
}
