/// Why a text is not JSON this module accepts.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable {
        /// Arrays and objects nested deeper than the limit.
        case tooDeep(limit: Int)
        /// Not RFC 8259 JSON (or nothing at all).
        case syntax
        /// A string that is not valid UTF-8, or a `\u` escape naming a lone surrogate.
        case invalidText
        /// A number no `Double` can hold.
        case numberOutOfRange
    }

    public let reason: Reason
    /// Byte offset where the problem was found.
    public let offset: Int

    public init(_ reason: Reason, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    public var isTooDeep: Bool {
        if case .tooDeep = reason { return true }
        return false
    }

    public var description: String {
        switch reason {
        case .tooDeep(let limit): "JSON nested deeper than \(limit) levels (at byte \(offset))"
        case .syntax: "not valid JSON (at byte \(offset))"
        case .invalidText: "invalid text in a JSON string (at byte \(offset))"
        case .numberOutOfRange: "a JSON number out of range (at byte \(offset))"
        }
    }
}

extension JSONValue {
    /// The nesting limit for JSON from outside: deep enough for any request or document we
    /// take, shallow enough that nothing can make a parse expensive.
    public static let defaultMaxDepth = 64

    /// Parses RFC 8259 JSON in one linear pass, refusing arrays and objects nested deeper than
    /// `maxDepth`. Use this (not `JSONDecoder`) for any JSON a peer sends: decoding `JSONValue`
    /// through `Codable` costs the square of the nesting depth.
    ///
    /// Integers that fit `Int` (no fraction, no exponent) become `.int`, other numbers
    /// `.double`; a repeated object key keeps its last value.
    public init(parsing bytes: some Collection<UInt8>, maxDepth: Int = JSONValue.defaultMaxDepth) throws(JSONParseError) {
        let result: Result<JSONValue, JSONParseError>
        if let direct = bytes.withContiguousStorageIfAvailable({ JSONValue.parse($0, maxDepth: maxDepth) }) {
            result = direct
        } else {
            result = Array(bytes).withUnsafeBufferPointer { JSONValue.parse($0, maxDepth: maxDepth) }
        }
        self = try result.get()
    }

    /// Parses the UTF-8 of `text`; see ``init(parsing:maxDepth:)``.
    public init(parsing text: String, maxDepth: Int = JSONValue.defaultMaxDepth) throws(JSONParseError) {
        var text = text
        let result = text.withUTF8 { JSONValue.parse($0, maxDepth: maxDepth) }
        self = try result.get()
    }

    private static func parse(_ buffer: UnsafeBufferPointer<UInt8>, maxDepth: Int) -> Result<JSONValue, JSONParseError> {
        var parser = JSONParser(bytes: buffer, maxDepth: maxDepth)
        do {
            let value = try parser.parseDocument()
            return .success(value)
        } catch {
            return .failure(error)
        }
    }
}

/// A recursive-descent parser over bytes; recursion is bounded by `maxDepth`.
private struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var index = 0
    var depth = 0

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = max(1, maxDepth)
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        guard index == bytes.count else { throw JSONParseError(.syntax, at: index) }
        return value
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws(JSONParseError) -> JSONValue {
        guard index < bytes.count else { throw JSONParseError(.syntax, at: index) }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw JSONParseError(.syntax, at: index)
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count else { throw JSONParseError(.syntax, at: index) }
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: count)
        for offset in 0..<count where bytes[index + offset] != expected[offset] {
            throw JSONParseError(.syntax, at: index + offset)
        }
        index += count
    }

    private mutating func enterContainer() throws(JSONParseError) {
        depth += 1
        guard depth <= maxDepth else { throw JSONParseError(.tooDeep(limit: maxDepth), at: index) }
        index += 1
    }

    private mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw JSONParseError(.syntax, at: index) }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                depth -= 1
                return .array(elements)
            default: throw JSONParseError(.syntax, at: index)
            }
        }
    }

    private mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw JSONParseError(.syntax, at: index) }
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw JSONParseError(.syntax, at: index) }
            index += 1
            skipWhitespace()
            members[key] = try parseValue()
            skipWhitespace()
            guard index < bytes.count else { throw JSONParseError(.syntax, at: index) }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                depth -= 1
                return .object(members)
            default: throw JSONParseError(.syntax, at: index)
            }
        }
    }

    /// A string starting at the opening quote; leaves `index` after the closing one.
    private mutating func parseString() throws(JSONParseError) -> String {
        let start = index + 1
        var cursor = start
        // Fast path: no escapes.
        while cursor < bytes.count {
            let byte = bytes[cursor]
            if byte == UInt8(ascii: "\"") {
                guard let text = String(validating: UnsafeBufferPointer(rebasing: bytes[start..<cursor]), as: UTF8.self) else {
                    throw JSONParseError(.invalidText, at: start)
                }
                index = cursor + 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw JSONParseError(.syntax, at: cursor) }
            cursor += 1
        }
        guard cursor < bytes.count else { throw JSONParseError(.syntax, at: cursor) }
        // Slow path: copy what came so far, then decode escapes.
        var decoded = Array(UnsafeBufferPointer(rebasing: bytes[start..<cursor]))
        while cursor < bytes.count {
            let byte = bytes[cursor]
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: decoded, as: UTF8.self) else { throw JSONParseError(.invalidText, at: start) }
                index = cursor + 1
                return text
            case UInt8(ascii: "\\"):
                cursor += 1
                guard cursor < bytes.count else { throw JSONParseError(.syntax, at: cursor) }
                switch bytes[cursor] {
                case UInt8(ascii: "\""): decoded.append(0x22)
                case UInt8(ascii: "\\"): decoded.append(0x5C)
                case UInt8(ascii: "/"): decoded.append(0x2F)
                case UInt8(ascii: "b"): decoded.append(0x08)
                case UInt8(ascii: "f"): decoded.append(0x0C)
                case UInt8(ascii: "n"): decoded.append(0x0A)
                case UInt8(ascii: "r"): decoded.append(0x0D)
                case UInt8(ascii: "t"): decoded.append(0x09)
                case UInt8(ascii: "u"):
                    let scalar = try unicodeEscape(at: &cursor)
                    UTF8.encode(scalar) { decoded.append($0) }
                    continue
                default: throw JSONParseError(.syntax, at: cursor)
                }
                cursor += 1
            default:
                guard byte >= 0x20 else { throw JSONParseError(.syntax, at: cursor) }
                decoded.append(byte)
                cursor += 1
            }
        }
        throw JSONParseError(.syntax, at: cursor)
    }

    /// Decodes `\uXXXX` (and a following low surrogate) with `cursor` on the `u`; leaves it
    /// after the last hex digit.
    private func unicodeEscape(at cursor: inout Int) throws(JSONParseError) -> Unicode.Scalar {
        let high = try hexQuad(at: cursor + 1)
        cursor += 5
        if (0xD800...0xDBFF).contains(high) {
            guard cursor + 1 < bytes.count, bytes[cursor] == UInt8(ascii: "\\"), bytes[cursor + 1] == UInt8(ascii: "u") else {
                throw JSONParseError(.invalidText, at: cursor)
            }
            let low = try hexQuad(at: cursor + 2)
            guard (0xDC00...0xDFFF).contains(low) else { throw JSONParseError(.invalidText, at: cursor) }
            cursor += 6
            let value = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
            guard let scalar = Unicode.Scalar(value) else { throw JSONParseError(.invalidText, at: cursor) }
            return scalar
        }
        guard let scalar = Unicode.Scalar(high) else { throw JSONParseError(.invalidText, at: cursor) }
        return scalar
    }

    private func hexQuad(at position: Int) throws(JSONParseError) -> UInt32 {
        guard bytes.count - position >= 4 else { throw JSONParseError(.syntax, at: position) }
        var value: UInt32 = 0
        for offset in 0..<4 {
            let byte = bytes[position + offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw JSONParseError(.syntax, at: position + offset)
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = index
        var cursor = index
        func isDigit(_ position: Int) -> Bool {
            position < bytes.count && bytes[position] >= UInt8(ascii: "0") && bytes[position] <= UInt8(ascii: "9")
        }
        if bytes[cursor] == UInt8(ascii: "-") { cursor += 1 }
        guard isDigit(cursor) else { throw JSONParseError(.syntax, at: cursor) }
        if bytes[cursor] == UInt8(ascii: "0") {
            cursor += 1
        } else {
            while isDigit(cursor) { cursor += 1 }
        }
        var integral = true
        if cursor < bytes.count, bytes[cursor] == UInt8(ascii: ".") {
            integral = false
            cursor += 1
            guard isDigit(cursor) else { throw JSONParseError(.syntax, at: cursor) }
            while isDigit(cursor) { cursor += 1 }
        }
        if cursor < bytes.count, bytes[cursor] == UInt8(ascii: "e") || bytes[cursor] == UInt8(ascii: "E") {
            integral = false
            cursor += 1
            if cursor < bytes.count, bytes[cursor] == UInt8(ascii: "+") || bytes[cursor] == UInt8(ascii: "-") { cursor += 1 }
            guard isDigit(cursor) else { throw JSONParseError(.syntax, at: cursor) }
            while isDigit(cursor) { cursor += 1 }
        }
        index = cursor
        // The grammar above admits ASCII only, so this decoding cannot fail.
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<cursor]), as: UTF8.self)
        if integral, let value = Int(text) { return .int(value) }
        guard let value = Double(text), value.isFinite else { throw JSONParseError(.numberOutOfRange, at: start) }
        return .double(value)
    }
}
