import Foundation
import JSON
import Testing

@Suite("JSON parser")
struct JSONParserTests {
    @Test("parses every kind of value the way JSONDecoder does", arguments: [
        #"null"#, #"true"#, #"false"#, #"0"#, #"-0"#, #"42"#, #"-17"#, #"3.5"#, #"-2.5e3"#, #"1E2"#, #"1e-3"#,
        #"9223372036854775807"#, #"-9223372036854775808"#, #"9223372036854775808"#, #""""#, #""plain""#,
        #""esc \" \\ \/ \b \f \n \r \t""#, #""\u00e9\u4e2d""#, #""\ud83d\ude00""#, #""é中😀""#, #"[]"#, #"{}"#,
        #"[1,"a",[true,null],{"k":[{}]}]"#, #" { "a" : 1 , "b" : [ 2 , 3 ] } "#, "\n\t[\r\n1\n]\n",
        #"{"nested":{"deeper":{"deepest":["x",1.25,false]}}}"#,
    ])
    func matchesJSONDecoder(_ text: String) throws {
        let parsed = try JSONValue(parsing: Data(text.utf8))
        let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(parsed == decoded || parsed.numberValue == decoded.numberValue)
    }

    @Test("integers stay integers and fractions stay doubles")
    func numberKinds() throws {
        #expect(try JSONValue(parsing: "3") == .int(3))
        #expect(try JSONValue(parsing: "3.0") == .double(3))
        #expect(try JSONValue(parsing: "1e2") == .double(100))
        #expect(try JSONValue(parsing: "18446744073709551616") == .double(18_446_744_073_709_551_616))
    }

    @Test("a repeated key keeps its last value")
    func repeatedKey() throws {
        #expect(try JSONValue(parsing: #"{"a":1,"a":2}"#) == ["a": 2])
    }

    @Test("refuses what RFC 8259 refuses", arguments: [
        "", " ", "[", "]", "{", #"{"a"}"#, #"{"a":}"#, #"{a:1}"#, "[1,]", "[,1]", #"{"a":1,}"#, "01", "1.", ".5", "-",
        "+1", "1e", "1e+", "0x10", "NaN", "Infinity", "tru", "nul", "true false", "[1] x", #""unterminated"#,
        "\"tab\there\"", #""\x""#, #""\u12""#, #""\uZZZZ""#, "'single'", "[1 2]",
    ])
    func refusesInvalid(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: text) }
    }

    @Test("refuses invalid UTF-8 and lone surrogates")
    func refusesInvalidText() {
        let invalidUTF8: [UInt8] = [0x22, 0xC3, 0x28, 0x22]
        #expect(throws: JSONParseError(.invalidText, at: 1)) { try JSONValue(parsing: invalidUTF8) }
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: #""\ud83d""#) }
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: #""\ude00""#) }
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: #""\ud83d\u0041""#) }
    }

    @Test("numbers beyond Double are refused, not turned into infinity")
    func outOfRange() {
        #expect(throws: JSONParseError(.numberOutOfRange, at: 1)) { try JSONValue(parsing: "[1e400]") }
    }

    @Test("nesting up to the limit parses; one level deeper is refused as too deep")
    func depthLimit() throws {
        let limit = JSONValue.defaultMaxDepth
        let atLimit = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        _ = try JSONValue(parsing: atLimit)
        let objects = String(repeating: #"{"a":"#, count: limit) + "1" + String(repeating: "}", count: limit)
        _ = try JSONValue(parsing: objects)

        let tooDeep = String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)
        #expect(throws: JSONParseError(.tooDeep(limit: limit), at: limit)) { try JSONValue(parsing: tooDeep) }
        #expect(throws: JSONParseError(.tooDeep(limit: 3), at: 3)) { try JSONValue(parsing: "[[[[]]]]", maxDepth: 3) }
    }

    /// The probe's body: eight values nested 500 deep (JSONDecoder spent 11 s of CPU on it).
    @Test("the adversarial body (8 values nested 500 deep) is refused at the limit")
    func adversarialBody() {
        let one = String(repeating: #"{"a":["#, count: 250) + String(repeating: "]}", count: 250)
        let body = "[" + Array(repeating: one, count: 8).joined(separator: ",") + "]"
        do {
            _ = try JSONValue(parsing: body)
            Issue.record("a body nested 500 deep was accepted")
        } catch {
            #expect(error.isTooDeep)
            // Refused as soon as the limit is crossed, inside the first value.
            #expect(error.offset < one.utf8.count)
        }
    }

    @Test("unclosed containers at the end of a truncated body are a syntax error")
    func truncated() {
        #expect(throws: JSONParseError(.syntax, at: 8)) { try JSONValue(parsing: #"{"a":[1,"#) }
    }
}
