import JSON
import Testing

@testable import TaskTools

@Suite struct GroupRowsTests {
    // MARK: - Sources

    @Test func arrayOfObjectsKeepsNestedValuesAndDropsNulls() throws {
        let rows = try GroupRows(parsing: [
            ["company": "Acme", "tags": ["a", "b"], "meta": ["size": 3], "note": nil],
            ["company": "Globex", "employees": 12],
        ])
        #expect(rows.columns == ["company", "meta", "tags", "employees"])
        #expect(rows.rows.count == 2)
        #expect(rows.input(at: 0) == ["company": "Acme", "tags": ["a", "b"], "meta": ["size": 3]])
        #expect(rows.input(at: 1) == ["company": "Globex", "employees": 12])
        #expect(rows.input(at: 2) == .null)
        #expect(rows.input(at: -1) == .null)
    }

    @Test func jsonArrayInAString() throws {
        let rows = try GroupRows(parsing: "  \n[{\"company\": \"Acme\", \"zip\": \"02139\"}, {\"company\": \"Globex\"}]\n")
        #expect(rows.columns == ["company", "zip"])
        #expect(rows.rows == [["company": "Acme", "zip": "02139"], ["company": "Globex"]])
    }

    @Test func csvTextKeepsStringsAndHeaderOrder() throws {
        let rows = try GroupRows(parsing: "\u{FEFF}zip, name ,employees\r\n02139,Acme,12\r\n,\"Globex, Inc.\",\r\n")
        #expect(rows.columns == ["zip", "name", "employees"])
        #expect(rows.rows == [["zip": "02139", "name": "Acme", "employees": "12"], ["name": "Globex, Inc."]])
        #expect(rows.input(at: 0)["zip"] == .string("02139"))
    }

    @Test func csvSkipsBlankAndAllEmptyRows() throws {
        let rows = try GroupRows(parsing: "a,b\n\n1,2\n,\n\n3,4\n")
        #expect(rows.rows == [["a": "1", "b": "2"], ["a": "3", "b": "4"]])
    }

    @Test func tsvText() throws {
        let rows = try GroupRows(parsing: "company\tcountry\nAcme, Inc.\tUS\n")
        #expect(rows.columns == ["company", "country"])
        #expect(rows.rows == [["company": "Acme, Inc.", "country": "US"]])
    }

    // MARK: - Errors

    @Test func notAnArrayOrString() {
        #expect(throws: GroupInputError(
            "inputs is a number; send an array of objects (one per row), or a string holding a JSON array of objects "
                + "or CSV text with a header row.", field: "inputs")
        ) { try GroupRows(parsing: 3) }
        #expect(throws: GroupInputError.self) { try GroupRows(parsing: ["company": "Acme"]) }
    }

    @Test func emptyInputs() {
        let empty = GroupInputError("inputs must contain at least one row; start with 3–5 rows.", field: "inputs")
        #expect(throws: empty) { try GroupRows(parsing: []) }
        #expect(throws: empty) { try GroupRows(parsing: "  \n ") }
        #expect(throws: empty) { try GroupRows(parsing: "[]") }
    }

    @Test func rowThatIsNotAnObjectNamesItsIndex() throws {
        let error = try #require(throws: GroupInputError.self) {
            try GroupRows(parsing: [["company": "Acme"], ["company": "Globex"], "Initech"])
        }
        #expect(error.row == 2)
        #expect(
            error.message
                == "inputs[2] is a string, not an object; every row must be an object such as {\"company\": \"Acme\"}.")
    }

    @Test func rowWithNoFields() throws {
        let error = try #require(throws: GroupInputError.self) {
            try GroupRows(parsing: [["company": "Acme"], ["company": nil]])
        }
        #expect(error.row == 1)
        #expect(error.message.hasPrefix("inputs[1] has no fields"))
    }

    @Test func tooManyRows() throws {
        let items = JSONValue.array(Array(repeating: ["a": 1], count: 4))
        #expect(throws: GroupInputError(
            "inputs has 4 rows but at most 3 are accepted in one call; split the list into several task groups.",
            field: "inputs")
        ) { try GroupRows(parsing: items, maxRows: 3) }
        #expect(throws: GroupInputError.self) { try GroupRows(parsing: "a\n1\n2\n3\n4\n", maxRows: 3) }
        #expect(try GroupRows(parsing: items, maxRows: 4).rows.count == 4)
    }

    @Test func moreThanOneHundredColumns() throws {
        var wide: [String: JSONValue] = [:]
        for index in 0..<100 { wide["c\(index)"] = .int(index) }
        #expect(try GroupRows(parsing: [.object(wide)]).columns.count == 100)
        let error = try #require(throws: GroupInputError.self) {
            try GroupRows(parsing: [.object(wide), ["extra": 1]])
        }
        #expect(error.row == 1)
        #expect(error.message.hasPrefix("inputs has more than 100 distinct columns"))
        let header = (0...100).map { "c\($0)" }.joined(separator: ",")
        let cells = (0...100).map { "\($0)" }.joined(separator: ",")
        #expect(throws: GroupInputError.self) { try GroupRows(parsing: .string(header + "\n" + cells)) }
    }

    @Test func columnNameTooLong() throws {
        let name = String(repeating: "x", count: 101)
        let error = try #require(throws: GroupInputError.self) { try GroupRows(parsing: [[name: 1]]) }
        #expect(error.field == name)
        #expect(error.message.contains("is 101 characters long"))
        #expect(try GroupRows(parsing: [[String(repeating: "x", count: 100): 1]]).columns.count == 1)
    }

    @Test func emptyKeyInJSONRow() throws {
        let error = try #require(throws: GroupInputError.self) { try GroupRows(parsing: [["": 1]]) }
        #expect(error.row == 0)
        #expect(error.message == "inputs[0] has a field with an empty name; give every field a name.")
    }

    @Test func invalidJSONString() throws {
        let error = try #require(throws: GroupInputError.self) { try GroupRows(parsing: "[{\"a\": 1,}") }
        #expect(error.message.hasPrefix("inputs starts with \"[\" but is not a valid JSON array"))
    }

    @Test func singleObjectString() throws {
        let error = try #require(throws: GroupInputError.self) { try GroupRows(parsing: "{\"company\": \"Acme\"}") }
        #expect(error.message.hasPrefix("inputs holds a single JSON object"))
    }

    @Test func csvEmptyHeaderName() {
        #expect(throws: GroupInputError("Column 2 of the CSV header (line 1) has no name; give every column a name.")) {
            try GroupRows(parsing: "a,,c\n1,2,3\n")
        }
    }

    @Test func csvDuplicateHeaderName() {
        #expect(throws: GroupInputError(
            "The CSV header names the column \"a\" twice (columns 1 and 3); column names must be unique.", field: "a")
        ) { try GroupRows(parsing: "a,b, a\n1,2,3\n") }
    }

    @Test func csvRaggedRowNamesRowAndLine() throws {
        let error = try #require(throws: GroupInputError.self) {
            try GroupRows(parsing: "a,b,c,d\n1,2,3,4\n\n5,6,7,8\n1,2,3,4,5\n")
        }
        #expect(error.row == 2)
        #expect(
            error.message
                == "Row 3 (line 5 of the CSV) has 5 cells but the header has 4 columns; quote cells that contain commas.")
    }

    @Test func csvUnterminatedQuoteIsReported() throws {
        let error = try #require(throws: GroupInputError.self) { try GroupRows(parsing: "a\n\"x\n") }
        #expect(error.message.contains("starts on line 2 and is never closed"))
    }

    @Test func csvHeaderOnly() throws {
        let error = try #require(throws: GroupInputError.self) { try GroupRows(parsing: "Acme Corp") }
        #expect(error.message.hasPrefix("The CSV text has only a header row (\"Acme Corp\") and no data rows"))
    }

    // MARK: - Input schema

    @Test func inputSchemaInfersTypesAndRequired() throws {
        let rows = try GroupRows(parsing: [
            ["name": "Acme", "count": 1, "score": 1, "ok": true, "tags": ["x"], "meta": ["k": 1], "mixed": "a"],
            ["name": "Globex", "count": 2, "score": 2.5, "ok": false, "tags": [], "meta": [:], "mixed": 3, "extra": nil],
            ["name": "Initech", "count": 3, "score": 4, "mixed": true],
        ])
        let expected: JSONValue = [
            "type": "object",
            "properties": [
                "count": ["type": "integer", "description": "Input column \"count\"."],
                "meta": ["type": "object", "description": "Input column \"meta\" (present in 2 of 3 rows)."],
                "mixed": ["description": "Input column \"mixed\"."],
                "name": ["type": "string", "description": "Input column \"name\"."],
                "ok": ["type": "boolean", "description": "Input column \"ok\" (present in 2 of 3 rows)."],
                "score": ["type": "number", "description": "Input column \"score\"."],
                "tags": ["type": "array", "description": "Input column \"tags\" (present in 2 of 3 rows)."],
            ],
            "required": ["count", "mixed", "name", "score"],
        ]
        #expect(rows.inputSchema == expected)
        #expect(rows.columns == ["count", "meta", "mixed", "name", "ok", "score", "tags"])
    }

    @Test func inputSchemaForCSVIsAllStringsAndRequiredFollowsHeaderOrder() throws {
        let rows = try GroupRows(parsing: "zip,name,city\n02139,Acme,\n10001,Globex,NYC\n")
        #expect(rows.inputSchema["required"] == ["zip", "name"])
        #expect(rows.inputSchema["properties"]?["zip"]?["type"] == "string")
        #expect(rows.inputSchema["properties"]?["city"]?["description"] == "Input column \"city\" (present in 1 of 2 rows).")
    }
}
