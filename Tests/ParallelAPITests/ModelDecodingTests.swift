import Foundation
import JSON
import ParallelAPI
import Testing

@Suite("Model decoding")
struct ModelDecodingTests {
    func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(json.utf8))
    }

    @Test func decodesTheReferenceRunAndResult() throws {
        let json = """
            {"run":{"run_id":"trun_9907962f83aa4d9d98fd7f4bf745d654","interaction_id":"trun_9907962f83aa4d9d98fd7f4bf745d654",
            "status":"completed","is_active":false,"warnings":null,"error":null,"processor":"core","metadata":{"k":1},
            "taskgroup_id":null,"created_at":"2025-04-23T20:21:48.037943Z","modified_at":"2025-04-23T20:21:48.037943Z"},
            "output":{"basis":[],"type":"json","content":{"gdp":"$3.1 trillion (2023)"}}}
            """
        let result = try decode(TaskRunResult.self, json)
        #expect(result.run.status == .completed)
        #expect(result.run.isActive == false)
        #expect(result.run.metadata?["k"] == .int(1))
        #expect(result.output.type == .json)
        #expect(result.output.content["gdp"] == "$3.1 trillion (2023)")
    }

    @Test func unknownEnumValuesAndExtraFieldsDecode() throws {
        let json = """
            {"run_id":"trun_1","status":"paused_for_review","is_active":true,"processor":"pro","brand_new_field":{"x":[1,2]},
             "warnings":[{"type":"quota_warning","message":"m","detail":{"a":"b"}}]}
            """
        let run = try decode(TaskRun.self, json)
        #expect(run.status.rawValue == "paused_for_review")
        #expect(run.status.isTerminal == false)
        #expect(run.interactionID == "trun_1")
        #expect(run.warnings?.first?.type.rawValue == "quota_warning")
    }

    @Test func decodesTextOutputWithBasisAndToolCalls() throws {
        let json = """
            {"type":"text","content":"# Report [1](https://example.com)","basis":[{"field":"output",
             "citations":[{"url":"https://example.com","title":null,"excerpts":["e"]}],"reasoning":"r","confidence":"very_high"}],
             "mcp_tool_calls":[{"tool_call_id":"c1","server_name":"s","tool_name":"t","arguments":"{}","content":"ok","error":null}]}
            """
        let output = try decode(TaskOutput.self, json)
        #expect(output.text?.hasPrefix("# Report") == true)
        #expect(output.basis.first?.confidence?.rawValue == "very_high")
        #expect(output.basis.first?.citations.first?.excerpts == ["e"])
        #expect(output.mcpToolCalls?.first?.toolName == "t")
    }

    @Test func decodesEveryEventType() throws {
        let lines = [
            #"{"type":"task_run.state","event_id":null,"input":null,"run":{"run_id":"trun_1","status":"running","is_active":true,"processor":"pro"},"output":null}"#,
            #"{"type":"task_run.progress_stats","source_stats":{"num_sources_considered":10,"num_sources_read":3,"sources_read_sample":["https://a"]},"progress_meter":40.5}"#,
            #"{"type":"task_run.progress_msg.search","message":"Searching","timestamp":"2025-01-01T00:00:00Z"}"#,
            #"{"type":"task_run.progress_msg.tool","message":"Tool","timestamp":null}"#,
            #"{"type":"task_group_status","event_id":"123","status":{"num_task_runs":1,"task_run_status_counts":{"completed":1},"is_active":false,"status_message":"","modified_at":"2025-04-23T20:21:48.037943Z"}}"#,
            #"{"type":"error","error":{"ref_id":"r","message":"boom"}}"#,
            #"{"type":"task_run.something_new","x":1}"#,
        ]
        let events = try lines.map { try decode(TaskEvent.self, $0) }
        guard case .runState(let state) = events[0] else { Issue.record("not a state event"); return }
        #expect(state.run.status == .running)
        guard case .progressStats(let stats) = events[1] else { Issue.record("not stats"); return }
        #expect(stats.progressMeter == 40.5)
        guard case .progressMessage(let message) = events[2] else { Issue.record("not a message"); return }
        #expect(message.kind == "search")
        guard case .progressMessage(let tool) = events[3] else { Issue.record("not a message"); return }
        #expect(tool.kind == "tool")
        guard case .groupStatus(let group) = events[4] else { Issue.record("not group status"); return }
        #expect(group.eventID == "123")
        #expect(group.status.count(.completed) == 1)
        guard case .error(let error) = events[5] else { Issue.record("not an error"); return }
        #expect(error.message == "boom")
        #expect(events[6].type == "task_run.something_new")
    }

    @Test func taskSchemaAcceptsEveryDocumentedShape() throws {
        #expect(try decode(TaskSchema.self, #""a short report""#) == .text(description: "a short report"))
        #expect(try decode(TaskSchema.self, #"{"type":"auto"}"#) == .auto)
        #expect(try decode(TaskSchema.self, #"{"type":"text"}"#) == .text(description: nil))
        let json = try decode(TaskSchema.self, #"{"type":"json","json_schema":{"type":"object","properties":{}}}"#)
        #expect(json == .json(["type": "object", "properties": [:]]))
        if case .other = try decode(TaskSchema.self, #"{"type":"future"}"#) {} else { Issue.record("expected .other") }
    }

    @Test func encodesRequestsWithTheWireNamesAndAlwaysAType() throws {
        let input = TaskRunInput(
            processor: "pro", input: "q", taskSpec: TaskSpec(outputSchema: .text(description: nil)),
            sourcePolicy: SourcePolicy(includeDomains: [".gov"]), previousInteractionID: "trun_x", enableEvents: true)
        let data = try JSONEncoder().encode(input)
        let object = try JSONDecoder().decode(JSONValue.self, from: data)
        #expect(object["task_spec"]?["output_schema"]?["type"] == "text")
        #expect(object["source_policy"]?["include_domains"] == [".gov"])
        #expect(object["previous_interaction_id"] == "trun_x")
        #expect(object["enable_events"] == true)
        #expect(object["webhook"] == nil)
        #expect(input.requiredBetas == [.eventsSSE])
    }
}
