import Foundation
import JSON
import Testing

@Suite("JSON writer")
struct JSONWriterTests {
    /// What Foundation writes for `value` with the options the server used before the writer.
    static func foundation(_ value: JSONValue) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    static let corpus: [JSONValue] = [
        nil, true, false, 0, 7, -1, 10, 1234567, .int(Int.max), .int(Int.min),
        1.0, 0.1, -0.0, 2.5, 1e20, 1e-7, 123456789012345678.0, .double(Double.leastNonzeroMagnitude), 1.7976931348623157e308, 100.0, -3.75,
        "", "plain", "quote \" backslash \\ slash / tab \t newline \n cr \r", "\u{01}\u{08}\u{0C}\u{1F}\u{7F}",
        "é 😀 \u{2028} \u{2029} 中文", "<script>&amp;</script>",
        [], [1, "two", nil, [3.5, ["k": false]]],
        [:], ["b": 1, "B": 2, "a": 3, "A": 4, "_x": 5, "Z": 6, "a10": 7, "a9": 8, "é": 9, "e": 10],
        ["tools": [["name": "x", "inputSchema": ["type": "object", "properties": ["q": ["type": "string", "maxLength": 15000]]]]]],
    ]

    @Test("writes the bytes JSONEncoder writes with sorted keys and unescaped slashes", arguments: corpus)
    func sameBytesAsFoundation(_ value: JSONValue) throws {
        #expect(value.serialized == (try Self.foundation(value)), "\(String(decoding: value.serialized, as: UTF8.self))")
    }

    /// `value` as JSON text says it: an integral double is written as an integer (as Foundation does), so it reads back as one.
    static func asWritten(_ value: JSONValue) -> JSONValue {
        switch value {
        case .double(let d) where d == d.rounded() && abs(d) < 9.0e15: .int(Int(d))
        case .array(let items): .array(items.map(asWritten))
        case .object(let members): .object(members.mapValues(asWritten))
        default: value
        }
    }

    @Test("what it writes parses back to the same value", arguments: corpus)
    func roundTrips(_ value: JSONValue) throws {
        #expect(try JSONValue(parsing: value.serialized) == Self.asWritten(value))
    }

    @Test("every control character is escaped and reads back")
    func controlCharacters() throws {
        let text = String((0..<0x20).map { Character(Unicode.Scalar(UInt8($0))) })
        let value = JSONValue.string(text + "\"\\")
        #expect(value.serialized == (try Self.foundation(value)))
        #expect(try JSONValue(parsing: value.serialized) == value)
        #expect(!value.serialized.dropFirst().dropLast().contains(where: { $0 < 0x20 }))
    }

    @Test("a double JSON cannot carry is written as null")
    func nonFinite() throws {
        #expect(JSONValue.array([.double(.nan), .double(.infinity), .double(-.infinity)]).serialized == Array("[null,null,null]".utf8))
    }

    @Test("raw bytes are spliced in unchanged")
    func raw() throws {
        var writer = JSONWriter()
        writer.writeRaw(#"{"id":"#)
        writer.write(42)
        writer.writeRaw(#","result":"#)
        writer.writeRaw(JSONValue.object(["ok": true]).serialized)
        writer.writeRaw("}")
        #expect(try JSONValue(parsing: writer.bytes) == ["id": 42, "result": ["ok": true]])
    }
}
