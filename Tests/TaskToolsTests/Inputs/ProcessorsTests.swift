import JSON
import ParallelAPI
import Testing

@testable import TaskTools

@Suite struct ProcessorsTests {
    @Test func lists() {
        #expect(Processors.all.count == 18)
        #expect(Array(Processors.all.prefix(9)) == ["lite", "base", "core", "core2x", "pro", "ultra", "ultra2x", "ultra4x", "ultra8x"])
        #expect(Processors.all.contains("core2x-fast"))
        #expect(
            Processors.deepResearch == [
                "pro", "ultra", "ultra2x", "ultra4x", "ultra8x",
                "pro-fast", "ultra-fast", "ultra2x-fast", "ultra4x-fast", "ultra8x-fast",
            ])
    }

    @Test func validateAcceptsExactNames() throws {
        try Processors.validate("ultra8x-fast", allowed: Processors.all)
        try Processors.validate("pro", allowed: Processors.deepResearch)
    }

    @Test func validateSuggestsNearMiss() throws {
        #expect(throws: GroupInputError(
            "Unknown processor \"Pro\"; did you mean \"pro\"? Allowed: pro, ultra, ultra2x, ultra4x, ultra8x "
                + "(each also as a -fast variant, e.g. pro-fast).", field: "processor")
        ) { try Processors.validate("Pro", allowed: Processors.deepResearch) }
        let error = try #require(throws: GroupInputError.self) {
            try Processors.validate("ultra-2x", allowed: Processors.all)
        }
        #expect(error.message.hasPrefix("Unknown processor \"ultra-2x\"; did you mean \"ultra2x\"?"))
        #expect(error.message.hasSuffix("Allowed: lite, base, core, core2x, pro, ultra, ultra2x, ultra4x, ultra8x (each also as a -fast variant, e.g. lite-fast)."))
    }

    @Test func validateRejectsProcessorNotAllowedHere() {
        #expect(throws: GroupInputError(
            "The processor \"core\" cannot be used here; use one of: pro, ultra, ultra2x, ultra4x, ultra8x "
                + "(each also as a -fast variant, e.g. pro-fast).", field: "processor")
        ) { try Processors.validate("core", allowed: Processors.deepResearch) }
    }

    @Test func validateListsPartialAllowedListInFull() {
        #expect(throws: GroupInputError("Unknown processor \"mega\"; use one of: lite, base, pro-fast.", field: "processor")) {
            try Processors.validate("mega", allowed: ["lite", "base", "pro-fast"])
        }
    }

    @Test func chooseFollowsTheRule() throws {
        func choice(_ output: String, _ type: GroupOutputType) throws -> String {
            try Processors.choose(for: GroupOutputSpec(output: output, type: type))
        }
        #expect(try choice("A short profile of the company", .text) == "core")
        #expect(
            try choice("A detailed overview of the company's market position relative to its main competitors", .json)
                == "pro")
        #expect(try choice("a, b, c", .json) == "base")
        #expect(try choice("a, b, c, d", .json) == "core")
        #expect(try choice((1...10).map { "f\($0)" }.joined(separator: ","), .json) == "core")
        #expect(try choice((1...11).map { "f\($0)" }.joined(separator: ","), .json) == "pro")
        #expect(try choice((1...20).map { "f\($0)" }.joined(separator: ","), .json) == "pro")
        #expect(try choice((1...21).map { "f\($0)" }.joined(separator: ","), .json) == "ultra2x")
        // Nested properties count: 2 top-level fields, 4 properties in all.
        let nested = #"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"object","properties":{"c":{"type":"string"},"d":{"type":"string"}}}}}"#
        #expect(try choice(nested, .json) == "core")
        #expect(Processors.choose(for: GroupOutputSpec(schema: .other(["type": "x"]), fieldNames: [], fieldCount: 0, origin: .description)) == "pro")
        #expect(Processors.ruleDescription.contains("base for n ≤ 3"))
    }

    @Test func latencyAndCost() {
        #expect(Processors.latencyAndCost("pro") == "2–10 min, $0.10 per run")
        #expect(Processors.latencyAndCost("pro-fast") == "30 s–5 min, $0.10 per run")
        #expect(Processors.latencyAndCost("lite") == "10–60 s, $0.005 per run")
        #expect(Processors.latencyAndCost("ultra8x") == "5 min–2 h, $2.40 per run")
        #expect(Processors.latencyAndCost("ultra8x-fast") == "1 min–1 h, $2.40 per run")
        #expect(Processors.latencyAndCost("core2x-fast") == "15 s–3 min, $0.05 per run")
        #expect(Processors.latencyAndCost("mega") == nil)
        #expect(Processors.latencyAndCost("-fast") == nil)
        #expect(Processors.all.allSatisfy { Processors.latencyAndCost($0) != nil })
    }
}
