import JSON
import ParallelAPI
import Testing

@testable import TaskTools

/// Which processors each output form may use: a group asking for a form its processor cannot
/// produce is refused before anything is created.
@Suite("createTaskGroup processor rule")
struct TaskGroupRequestTests {
    static let inputs: JSONValue = .string("company\nAcme\nGlobex\n")

    @Test("a text report runs on any processor", arguments: ["lite", "base", "core", "core2x", "pro", "ultra", "lite-fast"])
    func textOnEveryProcessor(processor: String) throws {
        let request = try TaskGroupRequest(
            ["inputs": Self.inputs, "output": "A short profile of the company.", "output_type": "text", "processor": .string(processor)],
            maxRows: 100)
        #expect(request.processor == processor)
        #expect(request.taskSpec.outputSchema == .text(description: "A short profile of the company."))
        #expect(request.outputSummary == "a report per row")
    }

    @Test("a free-form JSON description (auto schema) still needs pro or ultra", arguments: ["lite", "base", "core"])
    func autoNeedsDeepResearch(processor: String) {
        let description = "Summarize recent news"
        #expect(throws: TaskServiceError.self) {
            try TaskGroupRequest(
                ["inputs": Self.inputs, "output": .string(description), "output_type": "json", "processor": .string(processor)],
                maxRows: 100)
        }
        let accepted = try? TaskGroupRequest(
            ["inputs": Self.inputs, "output": .string(description), "output_type": "json", "processor": "pro"], maxRows: 100)
        #expect(accepted?.taskSpec.outputSchema == .auto)
    }
}
