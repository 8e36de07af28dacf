import Storage
import Testing

@Suite("RunSettlementRule: what a webhook's verdict stores")
struct RunSettlementRuleTests {
    @Test("a completed run keeps no message; failed and cancelled keep a non-empty one")
    func storedMessage() {
        #expect(RunSettlementRule.storedMessage(status: .completed, message: "ignored") == nil)
        #expect(RunSettlementRule.storedMessage(status: .failed, message: "budget exceeded") == "budget exceeded")
        #expect(RunSettlementRule.storedMessage(status: .failed, message: "") == nil)
        #expect(RunSettlementRule.storedMessage(status: .cancelled, message: nil) == nil)
    }

    @Test("working MCP tasks complete, or fail with the run's message or a sentence saying why")
    func mcpTaskOutcome() {
        #expect(RunSettlementRule.mcpTaskOutcome(status: .completed, message: "x") == ("completed", "Parallel finished the run."))
        #expect(RunSettlementRule.mcpTaskOutcome(status: .failed, message: "budget exceeded") == ("failed", "budget exceeded"))
        #expect(RunSettlementRule.mcpTaskOutcome(status: .failed, message: "") == ("failed", "Parallel reported that the run failed."))
        // Cancelled at Parallel, not by the client: the task fails.
        #expect(RunSettlementRule.mcpTaskOutcome(status: .cancelled, message: nil) == ("failed", "The run was cancelled at Parallel."))
    }
}
