import Foundation
import JSON
import Testing

@Suite("JSON values")
struct JSONValueTests {
    @Test("literals build the matching cases")
    func literals() {
        let value: JSONValue = ["n": nil, "b": true, "i": 3, "d": 2.5, "s": "text", "a": [1, "x"], "o": ["k": false]]
        #expect(
            value
                == .object([
                    "n": .null, "b": .bool(true), "i": .int(3), "d": .double(2.5), "s": .string("text"),
                    "a": .array([.int(1), .string("x")]), "o": .object(["k": .bool(false)]),
                ]))
    }

    @Test("a dictionary literal with a repeated key keeps the last value")
    func repeatedLiteralKey() {
        let value: JSONValue = ["k": 1, "k": 2]
        #expect(value == .object(["k": .int(2)]))
    }

    @Test("integers and doubles are different values")
    func numberKindsDiffer() {
        #expect(JSONValue.int(1) != JSONValue.double(1))
        #expect(Set<JSONValue>([.int(1), .double(1), .int(1)]).count == 2)
    }

    @Test("the subscript reads an object's members and nothing else")
    func subscripts() {
        let value: JSONValue = ["a": ["b": 1]]
        #expect(value["a"]?["b"] == .int(1))
        #expect(value["missing"] == nil)
        #expect(JSONValue.array([1])["a"] == nil)
        #expect(JSONValue.string("a")["a"] == nil)
        #expect(value["a"]?["b"]?["c"] == nil)
    }

    @Test("each accessor answers only for its own case")
    func accessors() {
        #expect(JSONValue.string("s").stringValue == "s")
        #expect(JSONValue.int(1).stringValue == nil)
        #expect(JSONValue.object(["k": 1]).objectValue == ["k": .int(1)])
        #expect(JSONValue.array([]).objectValue == nil)
        #expect(JSONValue.array([1]).arrayValue == [.int(1)])
        #expect(JSONValue.object([:]).arrayValue == nil)
        #expect(JSONValue.bool(false).boolValue == false)
        #expect(JSONValue.int(0).boolValue == nil)
        #expect(JSONValue.null.isNull)
        #expect(!JSONValue.bool(false).isNull)
        #expect(!JSONValue.string("").isNull)
    }

    @Test("numberValue reads both number kinds and nothing else")
    func numberValue() {
        #expect(JSONValue.int(-7).numberValue == -7)
        #expect(JSONValue.double(0.25).numberValue == 0.25)
        #expect(JSONValue.string("1").numberValue == nil)
        #expect(JSONValue.bool(true).numberValue == nil)
        #expect(JSONValue.null.numberValue == nil)
    }

    @Test("decoding keeps each JSON kind: booleans are not numbers, integers are not doubles", arguments: [
        ("true", JSONValue.bool(true)), ("false", .bool(false)), ("1", .int(1)), ("0", .int(0)), ("-3", .int(-3)),
        ("2.5", .double(2.5)), ("null", .null), (#""1""#, .string("1")), ("[true,1]", .array([.bool(true), .int(1)])),
        (#"{"a":null}"#, .object(["a": .null])),
    ])
    func decodes(_ text: String, _ expected: JSONValue) throws {
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) == expected)
    }

    @Test("encoding writes integers without a fraction and round-trips through the parser")
    func encodes() throws {
        let value: JSONValue = ["i": 3, "d": 3.5, "s": "a\"b", "a": [nil, true], "o": [:]]
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = String(decoding: try encoder.encode(value), as: UTF8.self)
        #expect(text == #"{"a":[null,true],"d":3.5,"i":3,"o":{},"s":"a\"b"}"#)
        #expect(try JSONValue(parsing: Data(text.utf8)) == value)
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) == value)
    }
}
