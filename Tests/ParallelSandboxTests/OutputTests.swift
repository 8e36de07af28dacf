import Foundation
import Hummingbird
import HummingbirdTesting
import JSON
import ParallelAPI
@testable import ParallelSandbox
import Testing

/// Synthetic outputs as Parallel shapes them: JSON, text and auto schemas, the basis (citations,
/// reasoning, confidence), and the same output for the same input.
@Suite("Outputs")
struct OutputTests {
    static let companySchema: JSONValue = [
        "type": "object",
        "properties": [
            "company_name": ["type": "string", "description": "Legal name"],
            "founded_year": ["type": "integer"],
            "revenue_usd": ["type": "number"],
            "is_public": ["type": "boolean"],
            "industry": ["type": "string", "enum": ["software", "hardware", "services"]],
            "website": ["type": "string"],
            "headquarters": [
                "type": "object",
                "properties": ["city": ["type": "string"], "country": ["type": "string"]],
                "required": ["city", "country"], "additionalProperties": false,
            ],
            "products": ["type": "array", "items": ["type": "string"]],
            "executives": [
                "type": "array",
                "items": [
                    "type": "object",
                    "properties": ["name": ["type": "string"], "title": ["type": "string"], "email": ["type": "string"]],
                    "required": ["name", "title", "email"], "additionalProperties": false,
                ],
            ],
            "ticker": ["anyOf": [["type": "string"], ["type": "null"]]],
        ],
        "required": [
            "company_name", "founded_year", "revenue_usd", "is_public", "industry", "website", "headquarters", "products",
            "executives", "ticker",
        ],
        "additionalProperties": false,
    ]

    static func jsonSpec(_ schema: JSONValue) -> JSONValue {
        ["output_schema": ["type": "json", "json_schema": schema]]
    }

    @Test("The checker itself catches wrong types, missing fields, extra fields and enum mismatches")
    func checkerSelfTest() throws {
        let schema = Self.companySchema
        #expect(!SchemaChecker.problems(["company_name": 3], against: schema).isEmpty)
        let good: JSONValue = [
            "company_name": "Acme", "founded_year": 1990, "revenue_usd": 1.5, "is_public": true, "industry": "software",
            "website": "https://acme.example", "headquarters": ["city": "Paris", "country": "FR"], "products": ["a"],
            "executives": [["name": "A", "title": "CEO", "email": "a@example.com"]], "ticker": nil,
        ]
        #expect(SchemaChecker.problems(good, against: schema).isEmpty)
        var bad = good.objectValue ?? [:]
        bad["industry"] = "mining"
        #expect(!SchemaChecker.problems(.object(bad), against: schema).isEmpty)
        bad = good.objectValue ?? [:]
        bad["extra"] = "no"
        #expect(!SchemaChecker.problems(.object(bad), against: schema).isEmpty)
        bad = good.objectValue ?? [:]
        bad["founded_year"] = 1990.5
        #expect(!SchemaChecker.problems(.object(bad), against: schema).isEmpty)
        bad = good.objectValue ?? [:]
        bad["executives"] = [["name": "A", "title": "CEO"]]
        #expect(!SchemaChecker.problems(.object(bad), against: schema).isEmpty)
    }

    @Test("JSON output conforms to the requested schema, with one basis entry per top-level field")
    func jsonOutputConforms() async throws {
        try await withSandbox { sandbox in
            let run = try await sandbox.createRun(processor: "core", input: ["company": "Acme Robotics"], taskSpec: Self.jsonSpec(Self.companySchema))
            let result = try await sandbox.result(run.runID)
            let output = result.output
            #expect(output.type == .json)
            let problems = SchemaChecker.problems(output.content, against: Self.companySchema)
            #expect(problems.isEmpty, "\(problems)")
            #expect(output.outputSchema == nil, "output_schema is set only for auto runs")

            let topLevel = Set(output.content.objectValue?.keys.map { $0 } ?? [])
            let fields = output.basis.map(\.field)
            #expect(Set(fields) == topLevel, "basis fields \(fields)")
            #expect(fields.count == topLevel.count, "one entry per field: \(fields)")
            for basis in output.basis {
                #expect(!basis.citations.isEmpty, "\(basis.field) has no citations")
                #expect(!basis.reasoning.isEmpty)
                #expect(basis.confidence.map { [.low, .medium, .high].contains($0) } ?? false)
                for citation in basis.citations { #expect(citation.url.hasPrefix("https://")) }
            }
        }
    }

    @Test("JSON output conforms for a variety of schemas", arguments: [
        #"{"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"],"additionalProperties":false}"#,
        #"{"type":"object","properties":{"count":{"type":"integer"},"ratio":{"type":"number"},"ok":{"type":"boolean"}},"required":["count","ratio","ok"],"additionalProperties":false}"#,
        #"{"type":"object","properties":{"tags":{"type":"array","items":{"type":"string","enum":["x","y"]}},"status":{"type":["string","null"]}},"required":["tags","status"],"additionalProperties":false}"#,
        #"{"type":"object","properties":{"a":{"type":"object","properties":{"b":{"type":"object","properties":{"c":{"type":"integer"}},"required":["c"],"additionalProperties":false}},"required":["b"],"additionalProperties":false}},"required":["a"],"additionalProperties":false}"#,
        #"{"type":"object","properties":{"kind":{"const":"fixed"},"choice":{"oneOf":[{"type":"integer"},{"type":"string"}]}},"required":["kind","choice"],"additionalProperties":false}"#,
    ])
    func jsonOutputConformsVariety(schemaText: String) async throws {
        let schema = try JSONValue.parse(schemaText)
        try await withSandbox { sandbox in
            let run = try await sandbox.createRun(processor: "base", input: "Variety", taskSpec: Self.jsonSpec(schema))
            let output = try await sandbox.result(run.runID).output
            #expect(output.type == .json)
            let problems = SchemaChecker.problems(output.content, against: schema)
            #expect(problems.isEmpty, "\(problems) in \(output.content.jsonText)")
        }
    }

    @Test("A group's default_task_spec shapes runs without their own spec; a run's spec overrides it")
    func groupDefaultSpec() async throws {
        try await withSandbox { sandbox in
            let group = try await sandbox.createGroup()
            let own: JSONValue = ["type": "object", "properties": ["other": ["type": "boolean"]], "required": ["other"], "additionalProperties": false]
            let added = try await sandbox.addRuns(
                group: group.taskGroupID,
                inputs: [["processor": "lite", "input": "Acme"], ["processor": "lite", "input": "Beta", "task_spec": Self.jsonSpec(own)]],
                defaultTaskSpec: Self.jsonSpec(Self.companySchema))
            let first = try await sandbox.result(added.runIDs[0]).output
            #expect(SchemaChecker.problems(first.content, against: Self.companySchema).isEmpty, "\(first.content.jsonText)")
            let second = try await sandbox.result(added.runIDs[1]).output
            #expect(SchemaChecker.problems(second.content, against: own).isEmpty, "\(second.content.jsonText)")
        }
    }

    @Test("Text output is a markdown report with citations and the sandbox disclaimer; basis is one entry named output")
    func textOutput() async throws {
        try await withSandbox { sandbox in
            let run = try await sandbox.createRun(
                processor: "pro", input: "The state of solid-state batteries",
                taskSpec: ["output_schema": ["type": "text", "description": "Focus on 2025 announcements"]])
            let output = try await sandbox.result(run.runID).output
            #expect(output.type == .text)
            let report = try #require(output.text)
            #expect(report.hasPrefix("# "), "markdown heading expected")
            #expect(report.contains("\n## "), "markdown sections expected")
            #expect(report.contains("](https://"), "inline markdown links expected")
            #expect(report.contains(Synthesizer.disclaimer))
            #expect(report.localizedCaseInsensitiveContains("synthe"))
            #expect(report.contains("Focus on 2025 announcements"))
            #expect(output.basis.count == 1)
            let basis = try #require(output.basis.first)
            #expect(basis.field == "output")
            #expect(!basis.citations.isEmpty)
            for citation in basis.citations {
                #expect(report.contains(citation.url), "citation \(citation.url) is not in the report")
            }
            #expect(output.outputSchema == nil)
            // The wire form of text output has no output_schema member.
            let wire = try await sandbox.get("/v1/tasks/runs/\(run.runID)/result").json
            #expect(wire["output"]?["type"] == "text")
            #expect(wire["output"]?["content"]?.stringValue == report)
        }
    }

    @Test("A bare string output_schema means a text schema")
    func bareStringSchemaIsText() async throws {
        try await withSandbox { sandbox in
            let run = try await sandbox.createRun(processor: "lite", input: "Short", taskSpec: ["output_schema": "One paragraph summary"])
            let output = try await sandbox.result(run.runID).output
            #expect(output.type == .text)
            #expect(output.basis.map(\.field) == ["output"])
        }
    }

    @Test("Auto output (no task_spec) carries output_schema, conforms to it, and has dot-notation basis")
    func autoOutput() async throws {
        try await withSandbox { sandbox in
            let run = try await sandbox.createRun(processor: "pro", input: "Market for home heat pumps in Europe")
            let output = try await sandbox.result(run.runID).output
            #expect(output.type == .json)
            let schema = try #require(output.outputSchema)
            #expect(schema["type"] == "object")
            #expect(schema["properties"]?.objectValue?.isEmpty == false)
            let problems = SchemaChecker.problems(output.content, against: schema)
            #expect(problems.isEmpty, "\(problems)")
            let fields = output.basis.map(\.field)
            #expect(fields.contains { $0.contains(".") }, "dot-notation fields expected: \(fields)")
            #expect(fields.contains { $0.split(separator: ".").contains { Int($0) != nil } }, "list indices expected: \(fields)")
            for field in fields {
                #expect(SchemaChecker.resolves(field, in: output.content), "basis field \(field) names no value")
            }
        }
    }

    @Test("An explicit auto schema behaves like no task_spec", arguments: ["lite", "pro"])
    func explicitAuto(processor: String) async throws {
        try await withSandbox { sandbox in
            let run = try await sandbox.createRun(processor: processor, input: "Auto please", taskSpec: ["output_schema": ["type": "auto"]])
            let output = try await sandbox.result(run.runID).output
            let schema = try #require(output.outputSchema)
            #expect(SchemaChecker.problems(output.content, against: schema).isEmpty)
        }
    }

    @Test("Runs with the same input give identical output; a different input gives different output")
    func determinism() async throws {
        try await withSandbox { sandbox in
            for spec in [Self.jsonSpec(Self.companySchema), ["output_schema": ["type": "text"]], nil] as [JSONValue?] {
                let first = try await sandbox.createRun(processor: "core", input: ["company": "Acme"], taskSpec: spec)
                let second = try await sandbox.createRun(processor: "core", input: ["company": "Acme"], taskSpec: spec)
                let other = try await sandbox.createRun(processor: "core", input: ["company": "Globex"], taskSpec: spec)
                let a = try await sandbox.result(first.runID).output
                let b = try await sandbox.result(second.runID).output
                let c = try await sandbox.result(other.runID).output
                #expect(a.content == b.content)
                #expect(a.basis == b.basis)
                #expect(a.content != c.content)
            }
        }
    }

    @Test("Outputs are the same across sandboxes (restarts) for the same request")
    func determinismAcrossSandboxes() async throws {
        let body = #"{"processor":"base","input":"Deterministic?","task_spec":{"output_schema":{"type":"text"}}}"#
        let first = try await withSandbox { sandbox in try await sandbox.result(sandbox.createRun(body).runID).output }
        let second = try await withSandbox { sandbox in try await sandbox.result(sandbox.createRun(body).runID).output }
        #expect(first == second)
    }

    @Test("field-basis-2025-11-25 adds a basis entry per array element; without it there are none")
    func perElementBasis() async throws {
        try await withSandbox { sandbox in
            let spec = Self.jsonSpec(Self.companySchema)
            let plain = try await sandbox.createRun(processor: "core", input: "Acme", taskSpec: spec)
            let beta = try await sandbox.createRun(
                processor: "core", input: "Acme", taskSpec: spec, headers: [(Header.beta, ParallelBeta.fieldBasis.rawValue)])
            let withoutBeta = try await sandbox.result(plain.runID).output
            let withBeta = try await sandbox.result(beta.runID).output

            #expect(!withoutBeta.basis.contains { $0.field.contains(".") }, "\(withoutBeta.basis.map(\.field))")
            let fields = Set(withBeta.basis.map(\.field))
            for key in ["products", "executives"] {
                let items = try #require(withBeta.content[key]?.arrayValue)
                #expect(fields.contains(key), "parent entry \(key) kept")
                for index in items.indices {
                    #expect(fields.contains("\(key).\(index)"), "missing \(key).\(index) in \(fields.sorted())")
                }
                #expect(!fields.contains("\(key).\(items.count)"))
            }
            #expect(!fields.contains("headquarters.0"), "only array fields get element entries")
            #expect(fields.subtracting(withoutBeta.basis.map(\.field)).allSatisfy { $0.hasPrefix("products.") || $0.hasPrefix("executives.") })
        }
    }

    @Test("The beta header is also honoured in a comma-separated list, and for group runs")
    func perElementBasisInListAndGroups() async throws {
        try await withSandbox { sandbox in
            let spec = Self.jsonSpec(Self.companySchema)
            let run = try await sandbox.createRun(
                processor: "core", input: "Acme", taskSpec: spec,
                headers: [(Header.beta, "events-sse-2025-07-24, field-basis-2025-11-25")])
            let output = try await sandbox.result(run.runID).output
            #expect(output.basis.contains { $0.field == "products.0" })

            let group = try await sandbox.createGroup()
            let response = try await sandbox.post(
                "/v1/tasks/groups/\(group.taskGroupID)/runs",
                JSONValue.object(["inputs": [["processor": "core", "input": "Acme", "task_spec": spec]]]).jsonText,
                headers: [(Header.beta, ParallelBeta.fieldBasis.rawValue)])
            #expect(response.status == .ok)
            let added = try response.decode(TaskGroupRunResponse.self)
            let groupOutput = try await sandbox.result(added.runIDs[0]).output
            #expect(groupOutput.basis.contains { $0.field == "products.0" })
        }
    }
}
