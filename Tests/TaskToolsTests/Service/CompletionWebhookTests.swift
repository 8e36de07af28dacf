import Foundation
import JSON
import ParallelAPI
import TaskTools
import Testing

/// With a webhook path configured, every run the service creates asks Parallel for a
/// `task_run.status` webhook on the public URL; without one, none does.
@Suite struct CompletionWebhookTests {
    let expected = WebhookSpec(url: servicePublicURL + "/webhooks/parallel", eventTypes: ["task_run.status"])

    @Test func deepResearchAndEveryGroupRunAskForTheWebhook() async throws {
        try await withService(webhookPath: "/webhooks/parallel") { harness in
            let run = try await harness.service.createDeepResearch(["input": "Which ports handle the most LNG?"], caller: harness.caller)
            #expect(try await harness.client.runInput(run.runID).webhook == expected)

            let group = try await harness.service.createTaskGroup(
                ["inputs": companyRows(3), "output": "ceo_name", "output_type": "json"], caller: harness.caller)
            #expect(group.accepted == 3)
            let runs = try await harness.client.allGroupRuns(group.groupID, includeInput: true)
            #expect(runs.count == 3)
            for state in runs {
                #expect(state.input?.webhook == expected, "\(state.run.runID)")
            }
        }
    }

    @Test func withoutAPathNoRunAsksForAWebhook() async throws {
        try await withService { harness in
            let run = try await harness.service.createDeepResearch(["input": "Which ports handle the most LNG?"], caller: harness.caller)
            #expect(try await harness.client.runInput(run.runID).webhook == nil)
            let group = try await harness.service.createTaskGroup(
                ["inputs": companyRows(2), "output": "ceo_name", "output_type": "json"], caller: harness.caller)
            let runs = try await harness.client.allGroupRuns(group.groupID, includeInput: true)
            #expect(runs.count == 2)
            #expect(runs.allSatisfy { $0.input?.webhook == nil })
        }
    }
}
