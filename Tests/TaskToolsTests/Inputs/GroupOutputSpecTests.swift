import JSON
import ParallelAPI
import Testing

@testable import TaskTools

@Suite struct GroupOutputSpecTests {
    // MARK: - Text

    @Test func textOutputIsTrimmedDescription() throws {
        let spec = try GroupOutputSpec(output: "  A one-paragraph company profile.\n", type: .text)
        #expect(spec.schema == .text(description: "A one-paragraph company profile."))
        #expect(spec.fieldNames == [])
        #expect(spec.fieldCount == 0)
        #expect(spec.origin == .report)
    }

    @Test func emptyOutputIsAnError() throws {
        let text = try #require(throws: GroupInputError.self) { try GroupOutputSpec(output: " \n", type: .text) }
        #expect(text.field == "output")
        #expect(text.message == "output is empty; describe the report to write for each row.")
        let json = try #require(throws: GroupInputError.self) { try GroupOutputSpec(output: "", type: .json) }
        #expect(json.message.hasPrefix("output is empty; list the fields to find"))
    }

    // MARK: - JSON schemas

    @Test func jsonSchemaIsNormalised() throws {
        let output = """
            {"type": "object", "required": ["name"],
             "properties": {
               "name": {"type": "string", "description": "Company name"},
               "address": {"type": "object", "properties": {"city": {"type": "string"}, "zip": {"type": "string"}}},
               "people": {"type": "array", "items": {"type": "object", "properties": {"role": {"type": "string"}},
                          "additionalProperties": true}},
               "free": {"type": "object"}
             }}
            """
        let spec = try GroupOutputSpec(output: output, type: .json)
        let expected: JSONValue = [
            "type": "object",
            "required": ["name", "address", "free", "people"],
            "additionalProperties": false,
            "properties": [
                "name": ["type": "string", "description": "Company name"],
                "address": [
                    "type": "object", "properties": ["city": ["type": "string"], "zip": ["type": "string"]],
                    "required": ["city", "zip"], "additionalProperties": false,
                ],
                "people": [
                    "type": "array",
                    "items": [
                        "type": "object", "properties": ["role": ["type": "string"]], "required": ["role"],
                        "additionalProperties": true,
                    ],
                ],
                "free": ["type": "object"],
            ],
        ]
        #expect(spec.schema == .json(expected))
        #expect(spec.fieldNames == ["name", "address", "free", "people"])
        #expect(spec.fieldCount == 7)
        #expect(spec.origin == .jsonSchema)
    }

    @Test func wrappedSchemasAreAccepted() throws {
        let inner = #"{"type":"object","properties":{"ceo":{"type":"string"}}}"#
        let expected = TaskSchema.json([
            "type": "object", "properties": ["ceo": ["type": "string"]], "required": ["ceo"],
            "additionalProperties": false,
        ])
        for output in [#"{"json_schema":"# + inner + "}", #"{"type":"json","json_schema":"# + inner + "}"] {
            let spec = try GroupOutputSpec(output: output, type: .json)
            #expect(spec.schema == expected)
            #expect(spec.fieldNames == ["ceo"])
            #expect(spec.origin == .jsonSchema)
        }
    }

    @Test func jsonThatIsNotASchema() throws {
        let error = try #require(throws: GroupInputError.self) {
            try GroupOutputSpec(output: #"{"ceo": "name of the CEO"}"#, type: .json)
        }
        #expect(error.message == "output is JSON but not a JSON schema. " + GroupOutputSpec.acceptedForms)
        #expect(error.field == "output")
        let array = try #require(throws: GroupInputError.self) { try GroupOutputSpec(output: "[1, 2]", type: .json) }
        #expect(array.message.hasPrefix("output is a JSON array but not a list of field names."))
        let broken = try #require(throws: GroupInputError.self) { try GroupOutputSpec(output: "{\"type\": ", type: .json) }
        #expect(broken.message.hasPrefix("output starts with \"{\" but is not valid JSON."))
    }

    @Test func rootMustBeObjectWithProperties() {
        #expect(throws: GroupInputError(
            "The output schema's root must have \"type\": \"object\" and a \"properties\" object; put other values "
                + "inside a property.", field: "$")
        ) { try GroupOutputSpec(output: #"{"type":"array","items":{"type":"string"}}"#, type: .json) }
    }

    @Test func anyOfAtRootIsRejected() throws {
        let output = #"{"type":"object","properties":{"a":{"type":"string"}},"anyOf":[{"required":["a"]}]}"#
        let error = try #require(throws: GroupInputError.self) { try GroupOutputSpec(output: output, type: .json) }
        #expect(error.field == "$.anyOf")
        #expect(error.message.hasPrefix("The output schema's root may not use anyOf"))
    }

    @Test func unsupportedKeywordsAreListedWithPaths() throws {
        let output = """
            {"type":"object","properties":{
              "zip":{"type":"string","pattern":"^[0-9]{5}$"},
              "people":{"type":"array","maxItems":3,"items":{"type":"object","properties":{"age":{"type":"integer","minimum":0}}}}
            }}
            """
        let error = try #require(throws: GroupInputError.self) { try GroupOutputSpec(output: output, type: .json) }
        #expect(error.field == "$.properties.people.maxItems")
        #expect(
            error.message
                == "The output schema uses keywords Parallel does not support: \"maxItems\" at $.properties.people.maxItems, "
                + "\"minimum\" at $.properties.people.items.properties.age.minimum, \"pattern\" at $.properties.zip.pattern; "
                + "remove them and state such constraints in the property's description instead.")
    }

    /// An object schema nested `levels` deep below the root, ending in a string.
    private func nested(_ levels: Int) -> JSONValue {
        var node: JSONValue = ["type": "string"]
        for _ in 1..<levels {
            node = ["type": "object", "properties": ["n": node]]
        }
        return ["type": "object", "properties": ["n": node]]
    }

    @Test func nestingDepthLimit() throws {
        let ok = try GroupOutputSpec(output: MarkdownText.compactJSON(nested(5)), type: .json)
        #expect(ok.fieldCount == 5)
        let error = try #require(throws: GroupInputError.self) {
            try GroupOutputSpec(output: MarkdownText.compactJSON(nested(6)), type: .json)
        }
        #expect(error.field == "$.properties.n.properties.n.properties.n.properties.n.properties.n.properties.n")
        #expect(error.message.hasPrefix("The output schema nests more than 5 levels deep at $.properties.n."))
    }

    @Test func propertyCountLimit() throws {
        func schema(_ count: Int) -> String {
            var properties: [String: JSONValue] = [:]
            for index in 0..<count { properties["f\(index)"] = ["type": "string"] }
            return MarkdownText.compactJSON(["type": "object", "properties": .object(properties)])
        }
        #expect(try GroupOutputSpec(output: schema(100), type: .json).fieldCount == 100)
        #expect(throws: GroupInputError(
            "The output schema has 101 properties but Parallel allows at most 100 (counted at every level); "
                + "drop or merge some fields.", field: "$")
        ) { try GroupOutputSpec(output: schema(101), type: .json) }
    }

    @Test func nullOnlyInsideUnion() throws {
        let bare = #"{"type":"object","properties":{"a":{"type":"null"}}}"#
        let error = try #require(throws: GroupInputError.self) { try GroupOutputSpec(output: bare, type: .json) }
        #expect(error.field == "$.properties.a")
        let union = #"{"type":"object","properties":{"a":{"anyOf":[{"type":"string"},{"type":"null"}]}}}"#
        #expect(try GroupOutputSpec(output: union, type: .json).fieldNames == ["a"])
    }

    // MARK: - Field lists

    @Test func commaAndAndList() throws {
        let spec = try GroupOutputSpec(output: "CEO name, founding year and headquarters city", type: .json)
        #expect(spec.origin == .fieldList)
        #expect(spec.fieldNames == ["ceo_name", "founding_year", "headquarters_city"])
        #expect(
            spec.schema
                == .json([
                    "type": "object",
                    "properties": [
                        "ceo_name": ["type": "string", "description": "CEO name"],
                        "founding_year": ["type": "string", "description": "founding year"],
                        "headquarters_city": ["type": "string", "description": "headquarters city"],
                    ],
                    "required": ["ceo_name", "founding_year", "headquarters_city"],
                    "additionalProperties": false,
                ]))
        #expect(spec.fieldCount == 3)
    }

    @Test func bulletedNamedList() throws {
        let spec = try GroupOutputSpec(output: "- revenue: latest annual revenue in USD\n- employees: headcount", type: .json)
        #expect(spec.fieldNames == ["revenue", "employees"])
        #expect(spec.schema.jsonProperty("revenue") == ["type": "string", "description": "latest annual revenue in USD"])
        #expect(spec.schema.jsonProperty("employees") == ["type": "string", "description": "headcount"])
    }

    @Test func namedPiecesKeepCommasAndAndInDescriptions() throws {
        let output = "Return these fields:\n1. Revenue - revenue and profit, in USD (latest year)\n2) HQ: city, country"
        let spec = try GroupOutputSpec(output: output, type: .json)
        #expect(spec.fieldNames == ["revenue", "hq"])
        #expect(spec.schema.jsonProperty("revenue")?["description"] == "revenue and profit, in USD (latest year)")
        #expect(spec.schema.jsonProperty("hq")?["description"] == "city, country")
    }

    @Test func namesAreSanitisedDeduplicatedAndAvoidBasisNames() throws {
        let spec = try GroupOutputSpec(
            output: "Café owner's name; 2024 revenue; sources; Confidence; founding year; Founding-Year; the website (URL, if any)",
            type: .json)
        #expect(
            spec.fieldNames == [
                "cafe_owners_name", "field_2024_revenue", "sources_value", "confidence_value", "founding_year",
                "founding_year_2", "website_url_if_any",
            ])
    }

    @Test func longNamesAreCutToFortyCharacters() throws {
        let spec = try GroupOutputSpec(output: "extraordinarily_long_field_name_that_goes_beyond_limits, x", type: .json)
        #expect(spec.fieldNames == ["extraordinarily_long_field_name_that_goe", "x"])
    }

    @Test func jsonArrayOfNames() throws {
        let spec = try GroupOutputSpec(output: #"["CEO name", "revenue: annual revenue"]"#, type: .json)
        #expect(spec.origin == .fieldList)
        #expect(spec.fieldNames == ["ceo_name", "revenue"])
    }

    @Test func freeFormSentenceBecomesAuto() throws {
        let long = try GroupOutputSpec(
            output: "A detailed overview of the company's market position relative to its main competitors in Europe",
            type: .json)
        #expect(long.schema == .auto)
        #expect(long.origin == .description)
        #expect(long.fieldNames == [])
        let instruction = try GroupOutputSpec(
            output: "Find the CEO of each company and summarize their background", type: .json)
        #expect(instruction.schema == .auto)
    }

    @Test func oxfordCommaInstructionLeadInAndSingleField() throws {
        #expect(
            try GroupOutputSpec(output: "Find the CEO name, founding year, and HQ city", type: .json).fieldNames
                == ["ceo_name", "founding_year", "hq_city"])
        #expect(try GroupOutputSpec(output: "revenue", type: .json).fieldNames == ["revenue"])
        #expect(try GroupOutputSpec(output: "Summarize recent news", type: .json).schema == .auto)
        #expect(try GroupOutputSpec(output: "website (https://…)", type: .json).fieldNames == ["website_https"])
    }

    @Test func tooManyFields() throws {
        let output = (1...51).map { "field \($0)" }.joined(separator: ", ")
        let error = try #require(throws: GroupInputError.self) { try GroupOutputSpec(output: output, type: .json) }
        #expect(error.message.hasPrefix("output lists 51 fields but a field list may have at most 50"))
        let fifty = (1...50).map { "field \($0)" }.joined(separator: ", ")
        #expect(try GroupOutputSpec(output: fifty, type: .json).fieldNames.count == 50)
    }
}

extension TaskSchema {
    /// The property `name` of a json schema's root.
    fileprivate func jsonProperty(_ name: String) -> JSONValue? {
        guard case .json(let schema) = self else { return nil }
        return schema["properties"]?[name]
    }
}
