import Foundation
import JSON
import ParallelAPI
import Testing

@testable import TaskTools

@Suite struct StatusSummaryTests {
    @Test func runningRunIsCompactWithElapsedAndHint() {
        let now = Fixtures.createdDate.addingTimeInterval(252)
        let summary = StatusSummary(run: Fixtures.run(status: .running), now: now)
        #expect(summary.text.count <= 300)
        #expect(summary.text.contains("running (pro)"))
        #expect(summary.text.contains("4m 12s elapsed"))
        #expect(summary.text.contains("check again in about 3 minutes"))
        #expect(summary.elapsedSeconds == 252)
        #expect(!summary.resultsReady)
    }

    @Test func completedRunPointsAtResults() {
        let summary = StatusSummary(run: Fixtures.run(), now: Fixtures.createdDate.addingTimeInterval(30))
        #expect(summary.text.contains("Results ready: call getResultMarkdown"))
        #expect(summary.resultsReady)
        #expect(summary.pollAfterMinutes == nil)
    }

    @Test func failedRunStaysShortWithLongMessage() {
        let error = ErrorObject(refID: "r1", message: String(repeating: "very long failure ", count: 40))
        let summary = StatusSummary(run: Fixtures.run(status: .failed, error: error), now: Fixtures.createdDate)
        #expect(summary.text.count <= 300)
        #expect(summary.text.contains("…"))
        #expect(summary.errorMessage == error.message)
    }

    @Test func groupCountsAndSize() {
        let group = Fixtures.group(counts: ["completed": 12, "failed": 1, "running": 27, "queued": 0], total: 40, active: true)
        let summary = StatusSummary(group: group, now: Fixtures.createdDate.addingTimeInterval(3_725))
        #expect(summary.text.count <= 300)
        #expect(summary.text.contains("12/40 completed, 1 failed, 27 running"))
        #expect(!summary.text.contains("queued"))
        #expect(summary.text.contains("1h 2m elapsed"))
        #expect(summary.text.contains("partial results"))
        #expect(summary.resultsReady)
    }

    @Test func structuredFormMatchesText() throws {
        let group = Fixtures.group(counts: ["completed": 3], total: 3, active: false)
        let summary = StatusSummary(group: group, now: Fixtures.createdDate.addingTimeInterval(10))
        let json = summary.jsonValue
        #expect(json["status"] == "completed")
        #expect(json["counts"]?["completed"] == 3)
        // A finished group has no modified_at here: nothing to report, and nothing that grows.
        #expect(json["elapsed_seconds"] == nil)
        #expect(json["results_ready"] == true)
        let decoded = try JSONDecoder().decode(StatusSummary.self, from: JSONEncoder().encode(summary))
        #expect(decoded == summary)
    }

    /// A finished run reports how long it took, and that does not grow as time passes (it used
    /// to report the time since creation).
    @Test func finishedRunReportsItsDurationNotAGrowingElapsedTime() {
        var run = Fixtures.run(status: .completed)
        run.modifiedAt = "2025-04-23T20:21:51.037943Z"
        let soon = StatusSummary(run: run, now: Fixtures.createdDate.addingTimeInterval(24))
        let later = StatusSummary(run: run, now: Fixtures.createdDate.addingTimeInterval(3_600))
        #expect(soon.durationSeconds == 3)
        #expect(soon.elapsedSeconds == nil)
        #expect(soon.text.contains("took 3s"))
        #expect(!soon.text.contains("elapsed"))
        #expect(soon.text == later.text)
        #expect(soon.jsonValue["duration_seconds"] == 3)
        #expect(soon.jsonValue["elapsed_seconds"] == nil)
    }

    @Test func finishedGroupReportsItsDuration() {
        var group = Fixtures.group(counts: ["completed": 2, "failed": 1], total: 3, active: false)
        group.status.modifiedAt = "2025-04-23T20:23:48.037943Z"
        let summary = StatusSummary(group: group, now: Fixtures.createdDate.addingTimeInterval(86_400))
        #expect(summary.durationSeconds == 120)
        #expect(summary.text.contains("took 2m 0s"))
        #expect(!summary.text.contains("elapsed"))
    }

    @Test func parsesRFC3339Variants() {
        #expect(RFC3339.date(from: "2025-04-23T20:21:48Z") == Date(timeIntervalSince1970: 1_745_439_708))
        #expect(RFC3339.date(from: "2025-04-23T22:21:48+02:00") == Date(timeIntervalSince1970: 1_745_439_708))
        #expect(RFC3339.date(from: "yesterday") == nil)
        #expect(StatusSummary.duration(45) == "45s")
        #expect(StatusSummary.duration(90_000) == "1d 1h")
        let summary = StatusSummary(
            run: TaskRun(runID: "trun_x", interactionID: "trun_x", status: .queued, isActive: true, processor: "lite"),
            now: Date())
        #expect(summary.elapsedSeconds == nil)
        #expect(summary.text.count <= 300)
    }
}
