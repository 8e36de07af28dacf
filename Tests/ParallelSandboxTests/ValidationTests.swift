import Foundation
import Hummingbird
import HummingbirdTesting
import JSON
import ParallelAPI
import ParallelSandbox
import Testing

/// Request validation as Parallel answers it: output schema rules, size limits and metadata,
/// each refused with Parallel's error shape.
@Suite("Validation")
struct ValidationTests {
    /// A create body with a JSON output schema.
    static func body(schema: JSONValue, input: JSONValue = "Tell me about Acme", metadata: JSONValue? = nil) -> String {
        var body: [String: JSONValue] = [
            "processor": "core", "input": input,
            "task_spec": ["output_schema": ["type": "json", "json_schema": schema]],
        ]
        if let metadata { body["metadata"] = metadata }
        return JSONValue.object(body).jsonText
    }

    /// A strict object schema (all properties required, no additional properties).
    static func strict(_ properties: [String: JSONValue]) -> JSONValue {
        [
            "type": "object", "properties": .object(properties),
            "required": .array(properties.keys.sorted().map { .string($0) }), "additionalProperties": false,
        ]
    }

    static let valid = strict(["ceo": ["type": "string", "description": "Name of the CEO"], "employees": ["type": "integer"]])

    /// Creates a run and expects 422 in the run endpoints' error shape.
    static func expectRejected(
        _ sandbox: SandboxClient, _ body: String, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let response = try await sandbox.post("/v1/tasks/runs", body)
        try response.expectErrorResponse(.unprocessableContent, sourceLocation: sourceLocation)
    }

    @Test("A strict schema is accepted without warnings")
    func validSchema() async throws {
        try await withSandbox { sandbox in
            let run = try await sandbox.createRun(Self.body(schema: Self.valid))
            #expect(run.warnings == nil || run.warnings == [])
        }
    }

    @Test("A root that is not an object answers 422")
    func rootNotObject() async throws {
        try await withSandbox { sandbox in
            try await Self.expectRejected(sandbox, Self.body(schema: ["type": "array", "items": ["type": "string"]]))
            try await Self.expectRejected(sandbox, Self.body(schema: ["type": "string"]))
            try await Self.expectRejected(sandbox, Self.body(schema: "not a schema"))
            // An object root without properties is not allowed either.
            try await Self.expectRejected(sandbox, Self.body(schema: ["type": "object"]))
        }
    }

    @Test("A root using anyOf answers 422")
    func rootAnyOf() async throws {
        try await withSandbox { sandbox in
            var schema = Self.valid.objectValue ?? [:]
            schema["anyOf"] = [Self.valid, Self.strict(["name": ["type": "string"]])]
            try await Self.expectRejected(sandbox, Self.body(schema: .object(schema)))
            try await Self.expectRejected(sandbox, Self.body(schema: ["anyOf": [Self.valid]]))
        }
    }

    @Test(
        "Unsupported keywords answer 422",
        arguments: [
            ("minLength", JSONValue.int(3), "string"), ("maxLength", 10, "string"), ("pattern", "^[A-Z]", "string"),
            ("format", "email", "string"), ("minimum", 0, "integer"), ("maximum", 10, "integer"),
            ("multipleOf", 2, "integer"), ("maxItems", 3, "array"), ("uniqueItems", true, "array"),
        ])
    func unsupportedKeyword(keyword: String, value: JSONValue, type: String) async throws {
        try await withSandbox { sandbox in
            var property: [String: JSONValue] = ["type": .string(type), keyword: value]
            if type == "array" { property["items"] = ["type": "string"] }
            let schema = Self.strict(["field": .object(property), "other": ["type": "string"]])
            try await Self.expectRejected(sandbox, Self.body(schema: schema))
        }
    }

    @Test("A type null outside a union answers 422; inside anyOf it is fine")
    func nullOutsideUnion() async throws {
        try await withSandbox { sandbox in
            try await Self.expectRejected(sandbox, Self.body(schema: Self.strict(["nothing": ["type": "null"]])))
            let union = Self.strict(["maybe": ["anyOf": [["type": "string"], ["type": "null"]]]])
            _ = try await sandbox.createRun(Self.body(schema: union))
        }
    }

    /// An object schema nested `levels` objects deep below the root.
    static func nested(levels: Int) -> JSONValue {
        var node: JSONValue = ["type": "string"]
        for level in stride(from: levels, through: 1, by: -1) {
            node = strict(["level\(level)": node])
        }
        return strict(["root": node])
    }

    @Test("Nesting deeper than 5 levels answers 422; shallow nesting is accepted")
    func nestingLimit() async throws {
        try await withSandbox { sandbox in
            _ = try await sandbox.createRun(Self.body(schema: Self.nested(levels: 2)))
            try await Self.expectRejected(sandbox, Self.body(schema: Self.nested(levels: 6)))
            try await Self.expectRejected(sandbox, Self.body(schema: Self.nested(levels: 9)))
        }
    }

    @Test("Nesting through array items counts too")
    func nestingThroughArrays() async throws {
        try await withSandbox { sandbox in
            var node: JSONValue = ["type": "string"]
            for _ in 0..<7 { node = ["type": "array", "items": node] }
            try await Self.expectRejected(sandbox, Self.body(schema: Self.strict(["deep": node])))
        }
    }

    static func wide(_ count: Int) -> JSONValue {
        strict(Dictionary(uniqueKeysWithValues: (1...count).map { ("field_\($0)", ["type": "string"] as JSONValue) }))
    }

    @Test("More than 100 properties answers 422; exactly 100 is accepted")
    func propertyLimit() async throws {
        try await withSandbox { sandbox in
            _ = try await sandbox.createRun(Self.body(schema: Self.wide(100)))
            try await Self.expectRejected(sandbox, Self.body(schema: Self.wide(101)))
        }
    }

    @Test("Properties in nested objects count towards the 100")
    func nestedPropertiesCount() async throws {
        try await withSandbox { sandbox in
            let schema = Self.strict(["a": Self.wide(60), "b": Self.wide(60)])
            try await Self.expectRejected(sandbox, Self.body(schema: schema))
        }
    }

    @Test("More than 500 enum values answers 422")
    func enumLimit() async throws {
        try await withSandbox { sandbox in
            let values = JSONValue.array((1...501).map { .string("v\($0)") })
            try await Self.expectRejected(sandbox, Self.body(schema: Self.strict(["choice": ["type": "string", "enum": values]])))
        }
    }

    @Test("Metadata keys longer than 16 characters answer 422; 16 is accepted")
    func metadataKeyLength() async throws {
        try await withSandbox { sandbox in
            let sixteen = String(repeating: "k", count: 16)
            let run = try await sandbox.createRun(Self.body(schema: Self.valid, metadata: [sixteen: "ok"]))
            #expect(run.metadata?[sixteen] == "ok")
            let seventeen = String(repeating: "k", count: 17)
            try await Self.expectRejected(sandbox, Self.body(schema: Self.valid, metadata: [seventeen: "too long"]))
        }
    }

    @Test("Metadata values longer than 512 characters, or not scalars, answer 422")
    func metadataValues() async throws {
        try await withSandbox { sandbox in
            let long = String(repeating: "v", count: 513)
            try await Self.expectRejected(sandbox, Self.body(schema: Self.valid, metadata: ["key": .string(long)]))
            try await Self.expectRejected(sandbox, Self.body(schema: Self.valid, metadata: ["key": ["nested": "object"]]))
        }
    }

    @Test("Task spec and input together over 25,000 characters answer 422")
    func combinedSizeLimit() async throws {
        try await withSandbox { sandbox in
            let input = JSONValue.string(String(repeating: "a", count: 25_001))
            try await Self.expectRejected(sandbox, Self.body(schema: Self.valid, input: input))
        }
    }

    @Test("Optional properties give a spec_validation_warning, and the run is still created")
    func optionalPropertiesWarn() async throws {
        try await withSandbox { sandbox in
            let schema: JSONValue = [
                "type": "object", "properties": ["ceo": ["type": "string"], "employees": ["type": "integer"]],
                "required": ["ceo"], "additionalProperties": false,
            ]
            let run = try await sandbox.createRun(Self.body(schema: schema))
            #expect(run.status == .queued)
            let warnings = try #require(run.warnings)
            #expect(warnings.contains { $0.type == .specValidation && $0.message.contains("employees") }, "\(warnings)")
            // The warning stays on the run.
            #expect(try await sandbox.run(run.runID).warnings == warnings)
        }
    }

    @Test("Objects without additionalProperties:false give a spec_validation_warning")
    func openObjectsWarn() async throws {
        try await withSandbox { sandbox in
            let schema: JSONValue = ["type": "object", "properties": ["ceo": ["type": "string"]], "required": ["ceo"]]
            let run = try await sandbox.createRun(Self.body(schema: schema))
            #expect(run.status == .queued)
            let warnings = try #require(run.warnings)
            #expect(warnings.contains { $0.type == .specValidation }, "\(warnings)")
        }
    }

    @Test("Fields that duplicate the basis (citations, confidence, …) give a spec_validation_warning")
    func basisLikeFieldsWarn() async throws {
        try await withSandbox { sandbox in
            let schema = Self.strict(["answer": ["type": "string"], "citations": ["type": "array", "items": ["type": "string"]]])
            let run = try await sandbox.createRun(Self.body(schema: schema))
            let warnings = try #require(run.warnings)
            #expect(warnings.contains { $0.type == .specValidation && $0.message.contains("citations") }, "\(warnings)")
        }
    }

    @Test("An input missing fields required by input_schema gives an input_validation_warning, not an error")
    func inputSchemaWarns() async throws {
        try await withSandbox { sandbox in
            let body: JSONValue = [
                "processor": "lite", "input": ["company": "Acme"],
                "task_spec": [
                    "input_schema": [
                        "type": "json",
                        "json_schema": ["type": "object", "properties": ["company": ["type": "string"], "country": ["type": "string"]],
                            "required": ["company", "country"]],
                    ],
                    "output_schema": ["type": "text"],
                ],
            ]
            let run = try await sandbox.createRun(body.jsonText)
            let warnings = try #require(run.warnings)
            #expect(warnings.contains { $0.type == .inputValidation && $0.message.contains("country") }, "\(warnings)")
        }
    }

    @Test("Other documented limits answer 422: source policy, location, MCP servers, webhook")
    func otherLimits() async throws {
        try await withSandbox { sandbox in
            let domains = JSONValue.array((1...201).map { .string("d\($0).example.com") })
            try await Self.expectRejected(sandbox, #"{"processor":"lite","input":"x","source_policy":{"include_domains":\#(domains.jsonText)}}"#)
            try await Self.expectRejected(sandbox, #"{"processor":"lite","input":"x","source_policy":{"after_date":"March 2024"}}"#)
            try await Self.expectRejected(sandbox, #"{"processor":"lite","input":"x","advanced_settings":{"location":"FRA"}}"#)
            let servers = JSONValue.array((1...11).map { ["type": "url", "url": .string("https://mcp\($0).example.com"), "name": .string("s\($0)")] })
            try await Self.expectRejected(sandbox, #"{"processor":"lite","input":"x","mcp_servers":\#(servers.jsonText)}"#)
            try await Self.expectRejected(sandbox, #"{"processor":"lite","input":"x","webhook":{"url":"ftp://example.com/hook"}}"#)
            // The same fields within limits are accepted.
            _ = try await sandbox.createRun(
                #"{"processor":"lite","input":"x","source_policy":{"include_domains":[".gov"],"after_date":"2024-03-01"},"advanced_settings":{"location":"FR"}}"#)
        }
    }

    @Test("Schema errors in a group's default_task_spec answer 422 in FastAPI's shape")
    func groupSchemaErrors() async throws {
        try await withSandbox { sandbox in
            let group = try await sandbox.createGroup()
            let body: JSONValue = [
                "default_task_spec": ["output_schema": ["type": "json", "json_schema": ["type": "array", "items": ["type": "string"]]]],
                "inputs": [["processor": "lite", "input": "x"]],
            ]
            let response = try await sandbox.post("/v1/tasks/groups/\(group.taskGroupID)/runs", body.jsonText)
            try response.expectFastAPIValidationError()
            #expect(try await sandbox.group(group.taskGroupID).status.numTaskRuns == 0)
        }
    }

    @Test("An invalid processor inside a group batch answers 403, as on create, and adds nothing")
    func groupInvalidProcessor() async throws {
        try await withSandbox { sandbox in
            let group = try await sandbox.createGroup()
            let body = #"{"inputs":[{"processor":"lite","input":"a"},{"processor":"turbo","input":"b"}]}"#
            let message = try await sandbox.post("/v1/tasks/groups/\(group.taskGroupID)/runs", body).expectErrorResponse(.forbidden)
            #expect(message.contains("invalid processor"))
            #expect(try await sandbox.group(group.taskGroupID).status.numTaskRuns == 0)
        }
    }
}
