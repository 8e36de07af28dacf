/// A small pull parser for the XML of OOXML parts: elements, attributes, character data, CDATA,
/// comments and processing instructions. It never builds a tree, knows only the five predefined
/// entities and character references, and refuses any DTD (`<!DOCTYPE`, `<!ENTITY`) outright, so
/// no entity expansion or external fetch can happen. Namespace prefixes are dropped: elements and
/// attributes are matched by local name, which reads Transitional and Strict OOXML alike.
struct XMLScanner {
    enum Event {
        /// An element opens (an empty element is followed by its `.end` at once).
        case start(XMLTag)
        /// An element closes: its local name.
        case end(String)
        /// Character data, undecoded; read it with ``text(_:)``.
        case text(Range<Int>)
        /// A CDATA section's content; read it with ``cdata(_:)``.
        case cdata(Range<Int>)
    }

    /// Deepest nesting accepted; OOXML parts nest a dozen levels or so.
    static let maxDepth = 256

    let bytes: [UInt8]
    let part: String
    private var position = 0
    private var open: [String] = []
    private var pendingEnd: String?
    private var sawRoot = false

    /// A scanner over `bytes`, the part named `part`; UTF-16 parts are transcoded to UTF-8 first.
    /// Throws `doctypeRefused` if the part declares a DTD or an entity anywhere.
    init(_ bytes: [UInt8], part: String) throws(TableFileError) {
        self.part = part
        self.bytes = Self.utf8(bytes)
        if Self.declaresDTD(self.bytes) {
            throw TableFileError(
                .doctypeRefused,
                "The workbook's part \(part) declares a DTD or entities (<!DOCTYPE or <!ENTITY), which .xlsx files never contain, so it was refused as unsafe. \(TableFileError.resave)")
        }
    }

    /// The next event, or nil at the end of a well-formed part.
    mutating func next() throws(TableFileError) -> Event? {
        if let name = pendingEnd {
            pendingEnd = nil
            return .end(name)
        }
        while position < bytes.count {
            guard bytes[position] == UInt8(ascii: "<") else {
                let start = position
                position = index(of: UInt8(ascii: "<"), from: position) ?? bytes.count
                if open.isEmpty { continue }
                return .text(start..<position)
            }
            guard position + 1 < bytes.count else { throw malformed("ends inside a tag") }
            switch bytes[position + 1] {
            case UInt8(ascii: "?"):
                position = try after("?>", from: position + 2)
            case UInt8(ascii: "!"):
                if matches("<!--", at: position) {
                    position = try after("-->", from: position + 4)
                } else if matches("<![CDATA[", at: position) {
                    let start = position + 9
                    position = try after("]]>", from: start)
                    if !open.isEmpty { return .cdata(start..<position - 3) }
                } else {
                    throw malformed("has an unexpected <! declaration")
                }
            case UInt8(ascii: "/"):
                position += 2
                let (qualified, local) = try name()
                skipSpace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ">") else {
                    throw malformed("has an unterminated closing tag </\(qualified)")
                }
                position += 1
                guard let top = open.popLast(), top == qualified else {
                    throw malformed("closes </\(qualified)> without a matching opening tag")
                }
                return .end(local)
            default:
                return .start(try startTag())
            }
        }
        guard open.isEmpty, sawRoot else { throw malformed("ends before its elements are closed") }
        return nil
    }

    /// Character data with entities and character references decoded and line ends normalised (CRLF
    /// and lone CR become LF), as an XML processor reports it.
    func text(_ range: Range<Int>) throws(TableFileError) -> String {
        try decode(range, attribute: false)
    }

    /// A CDATA section's text, line ends normalised.
    func cdata(_ range: Range<Int>) -> String {
        let slice = bytes[range]
        guard slice.contains(0x0D) else { return String(decoding: slice, as: UTF8.self) }
        return String(decoding: Self.normalisingLineEnds(slice), as: UTF8.self)
    }

    /// Skips the rest of the element whose `.start` was just returned, children included.
    mutating func skipElement() throws(TableFileError) {
        var depth = 1
        while depth > 0, let event = try next() {
            switch event {
            case .start: depth += 1
            case .end: depth -= 1
            case .text, .cdata: break
            }
        }
    }

    // MARK: - Tags

    private mutating func startTag() throws(TableFileError) -> XMLTag {
        position += 1
        let (qualified, local) = try name()
        var attributes: [XMLTag.Attribute] = []
        while true {
            let hadSpace = skipSpace()
            guard position < bytes.count else { throw malformed("ends inside the tag <\(qualified)") }
            switch bytes[position] {
            case UInt8(ascii: ">"):
                position += 1
                guard open.count < Self.maxDepth else { throw malformed("nests elements more than \(Self.maxDepth) levels deep") }
                open.append(qualified)
                sawRoot = true
                return XMLTag(name: local, attributes: attributes)
            case UInt8(ascii: "/"):
                guard position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: ">") else {
                    throw malformed("has a stray / in the tag <\(qualified)")
                }
                position += 2
                sawRoot = true
                pendingEnd = local
                return XMLTag(name: local, attributes: attributes)
            default:
                guard hadSpace else { throw malformed("lacks a space between attributes in <\(qualified)") }
                let (attributeName, attributeLocal) = try name()
                skipSpace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "=") else {
                    throw malformed("has an attribute \(attributeName) without a value")
                }
                position += 1
                skipSpace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") || bytes[position] == UInt8(ascii: "'")
                else { throw malformed("has an unquoted value for \(attributeName)") }
                let quote = bytes[position]
                let start = position + 1
                guard let end = index(of: quote, from: start) else {
                    throw malformed("has an unterminated value for \(attributeName)")
                }
                position = end + 1
                if attributeName == "xmlns" || attributeName.hasPrefix("xmlns:") { continue }
                attributes.append(.init(name: attributeLocal, value: try decode(start..<end, attribute: true)))
            }
        }
    }

    /// A name at the current position: the qualified name and its local part (after the last `:`).
    private mutating func name() throws(TableFileError) -> (String, String) {
        let start = position
        var colon: Int?
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: ":") { colon = position }
            if Self.isSpace(byte) || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "=")
                || byte == UInt8(ascii: "<") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
            {
                break
            }
            position += 1
        }
        guard position > start else { throw malformed("has a tag or attribute without a name") }
        let qualified = String(decoding: bytes[start..<position], as: UTF8.self)
        guard let colon else { return (qualified, qualified) }
        return (qualified, String(decoding: bytes[(colon + 1)..<position], as: UTF8.self))
    }

    @discardableResult
    private mutating func skipSpace() -> Bool {
        let start = position
        while position < bytes.count, Self.isSpace(bytes[position]) { position += 1 }
        return position > start
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private func index(of byte: UInt8, from start: Int) -> Int? {
        var index = start
        while index < bytes.count {
            if bytes[index] == byte { return index }
            index += 1
        }
        return nil
    }

    private func matches(_ literal: StaticString, at index: Int) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        return literal.withUTF8Buffer { pattern in
            for offset in 0..<count where bytes[index + offset] != pattern[offset] { return false }
            return true
        }
    }

    /// The position just past the next `terminator` at or after `start`.
    private func after(_ terminator: StaticString, from start: Int) throws(TableFileError) -> Int {
        let first = terminator.withUTF8Buffer { $0[0] }
        var index = start
        while let candidate = self.index(of: first, from: index) {
            if matches(terminator, at: candidate) { return candidate + terminator.utf8CodeUnitCount }
            index = candidate + 1
        }
        throw malformed("ends before a comment, CDATA section or processing instruction is closed")
    }

    // MARK: - Text

    private func decode(_ range: Range<Int>, attribute: Bool) throws(TableFileError) -> String {
        let slice = bytes[range]
        if !slice.contains(where: { $0 == UInt8(ascii: "&") || $0 == 0x0D || (attribute && ($0 == 0x09 || $0 == 0x0A)) }) {
            return String(decoding: slice, as: UTF8.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity(slice.count)
        var index = range.lowerBound
        while index < range.upperBound {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "&"):
                guard let semicolon = self.index(of: UInt8(ascii: ";"), from: index + 1), semicolon < range.upperBound,
                    semicolon - index <= 12
                else { throw malformed("has a bare & (write it as &amp;)") }
                try appendEntity(bytes[(index + 1)..<semicolon], to: &out)
                index = semicolon + 1
                continue
            case 0x0D:
                out.append(attribute ? 0x20 : 0x0A)
                if index + 1 < range.upperBound, bytes[index + 1] == 0x0A { index += 1 }
            case 0x09 where attribute, 0x0A where attribute:
                out.append(0x20)
            default:
                out.append(byte)
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private func appendEntity(_ name: ArraySlice<UInt8>, to out: inout [UInt8]) throws(TableFileError) {
        switch String(decoding: name, as: UTF8.self) {
        case "lt": out.append(UInt8(ascii: "<"))
        case "gt": out.append(UInt8(ascii: ">"))
        case "amp": out.append(UInt8(ascii: "&"))
        case "quot": out.append(UInt8(ascii: "\""))
        case "apos": out.append(UInt8(ascii: "'"))
        case let reference where reference.hasPrefix("#"):
            let digits = reference.dropFirst()
            let value =
                digits.hasPrefix("x") || digits.hasPrefix("X") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
            guard let value else { throw malformed("has an invalid character reference &\(reference);") }
            let scalar: Unicode.Scalar = value == 0 ? "\u{FFFD}" : Unicode.Scalar(value) ?? "\u{FFFD}"
            out.append(contentsOf: String(scalar).utf8)
        case let other:
            throw malformed("uses the undefined entity &\(other);")
        }
    }

    private func malformed(_ detail: String) -> TableFileError {
        TableFileError.malformed(part: part, "is not well-formed XML: it \(detail)")
    }

    // MARK: - Preparation

    /// `bytes` as UTF-8 without a byte-order mark; UTF-16 (with a BOM, or recognisable by `<?`) is transcoded.
    private static func utf8(_ bytes: [UInt8]) -> [UInt8] {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { return Array(bytes.dropFirst(3)) }
        let bigEndian: Bool
        var start = 0
        if bytes.starts(with: [0xFF, 0xFE]) {
            bigEndian = false
            start = 2
        } else if bytes.starts(with: [0xFE, 0xFF]) {
            bigEndian = true
            start = 2
        } else if bytes.starts(with: [0x3C, 0x00, 0x3F, 0x00]) {
            bigEndian = false
        } else if bytes.starts(with: [0x00, 0x3C, 0x00, 0x3F]) {
            bigEndian = true
        } else {
            return bytes
        }
        var units: [UInt16] = []
        units.reserveCapacity((bytes.count - start) / 2)
        var index = start
        while index + 1 < bytes.count {
            let high = UInt16(bytes[bigEndian ? index : index + 1])
            let low = UInt16(bytes[bigEndian ? index + 1 : index])
            units.append(high << 8 | low)
            index += 2
        }
        return Array(String(decoding: units, as: UTF16.self).utf8)
    }

    /// Whether `<!DOCTYPE` or `<!ENTITY` occurs anywhere (in any letter case).
    static func declaresDTD(_ bytes: [UInt8]) -> Bool {
        let doctype = Array("DOCTYPE".utf8)
        let entity = Array("ENTITY".utf8)
        var index = 0
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: "<"), bytes[index + 1] == UInt8(ascii: "!") {
                if startsUppercased(bytes, at: index + 2, with: doctype) || startsUppercased(bytes, at: index + 2, with: entity) {
                    return true
                }
            }
            index += 1
        }
        return false
    }

    private static func startsUppercased(_ bytes: [UInt8], at start: Int, with word: [UInt8]) -> Bool {
        guard start + word.count <= bytes.count else { return false }
        for (offset, letter) in word.enumerated() {
            let byte = bytes[start + offset]
            let upper = byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? byte - 32 : byte
            if upper != letter { return false }
        }
        return true
    }

    private static func normalisingLineEnds(_ slice: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(slice.count)
        var previousCR = false
        for byte in slice {
            if byte == 0x0A, previousCR {
                previousCR = false
                continue
            }
            previousCR = byte == 0x0D
            out.append(byte == 0x0D ? 0x0A : byte)
        }
        return out
    }
}

/// An element's local name and attributes (local names, decoded values; namespace declarations left out).
struct XMLTag {
    struct Attribute {
        var name: String
        var value: String
    }

    var name: String
    var attributes: [Attribute]

    /// The value of the attribute with local name `name`, if present.
    subscript(_ name: String) -> String? {
        attributes.first { $0.name == name }?.value
    }
}
