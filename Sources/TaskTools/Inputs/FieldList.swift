import Foundation
import JSON

/// A flat output schema of string fields, read from a plain-language list such as
/// `"CEO name, founding year and headquarters city"` or `"- revenue: annual revenue in USD"`.
///
/// Reading:
/// - The text splits into lines and at `;`. Bullets (`-`, `*`, `•`, `+`) and numbering (`1.`,
///   `1)`) are dropped; a line that only introduces the list (ends with `:`) is skipped.
/// - A piece may name its field: `name: description` or `name - description` (also `–`, `—`).
///   Commas split a line, but a part without its own name continues the previous named piece's
///   description. Pieces without a name split further at ` and ` and ` & `. Nothing splits
///   inside brackets.
/// - The text is a free-form description instead (``init(parsing:)`` returns `nil`) when a piece
///   (or, for a named piece, its name) has more than ``maxWords`` words, or when it is a single
///   sentence without list punctuation that starts with an instruction verb ("Summarize …").
///
/// Naming: the name part in snake_case ASCII (accents folded, leading articles and a leading
/// "find the"-style instruction dropped, other characters → `_`, at most ``maxNameLength``
/// characters, `field_` before a leading digit). Names Parallel warns about because the basis
/// already covers them (``basisNames``) get the suffix `_value`; repeats get `_2`, `_3`, ….
struct FieldList: Sendable, Hashable {
    static let maxWords = 8
    static let maxFields = 50
    static let maxNameLength = 40
    /// Output field names that duplicate the research basis; Parallel warns about them.
    static let basisNames: Set<String> = [
        "citations", "confidence", "evidence", "reasoning", "source", "sources", "source_urls",
    ]

    /// The field names, in the order given.
    var names: [String]
    /// Each field's description, parallel to `names`.
    var descriptions: [String]

    /// A list from explicit field entries (a JSON array of strings); no free-form detection.
    init(names entries: [String]) throws(GroupInputError) {
        let pieces = entries.compactMap { entry -> Piece? in
            let text = Self.strippingBullet(entry).trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? nil : Self.piece(text)
        }
        try self.init(pieces: pieces)
    }

    /// A list read from plain text, or `nil` when the text reads as a free-form description.
    init?(parsing text: String) throws(GroupInputError) {
        var pieces: [Piece] = []
        let lines = text.split(whereSeparator: \.isNewline).map(String.init)
        var hasListPunctuation = lines.count > 1
        for line in lines {
            for rawSegment in Self.splitTopLevel(line, separators: [";"]) {
                let bulletless = Self.strippingBullet(rawSegment)
                if bulletless != rawSegment { hasListPunctuation = true }
                let segment = bulletless.trimmingCharacters(in: .whitespaces)
                if segment.isEmpty { continue }
                if segment.hasSuffix(":"), !segment.dropLast().contains(":") { continue }  // "Fields:" lead-in
                let parts = Self.splitTopLevel(segment, separators: [","])
                    .map { Self.droppingLeadingConjunction($0.trimmingCharacters(in: .whitespaces)) }
                    .filter { !$0.isEmpty }
                if parts.count > 1 || rawSegment != line { hasListPunctuation = true }
                var current: Piece?
                var plain: [String] = []
                func flush() {
                    if let done = current { pieces.append(done) }
                    current = nil
                }
                for part in parts {
                    let piece = Self.piece(part)
                    if piece.isNamed {
                        flush()
                        for text in plain.flatMap(Self.splitOnAnd) { pieces.append(Self.piece(text)) }
                        plain = []
                        current = piece
                        hasListPunctuation = true
                    } else if var named = current {
                        named.description += ", " + part
                        current = named
                    } else {
                        plain.append(part)
                    }
                }
                flush()
                for text in plain.flatMap(Self.splitOnAnd) { pieces.append(Self.piece(text)) }
            }
        }
        if pieces.isEmpty { return nil }
        for piece in pieces {
            let words = piece.isNamed ? piece.nameText : piece.description
            if Self.wordCount(words) > Self.maxWords { return nil }
        }
        if !hasListPunctuation, let first = Self.words(text).first?.lowercased(), Self.instructionVerbs.contains(first) {
            return nil
        }
        try self.init(pieces: pieces)
    }

    /// The JSON schema: every field a required string, no additional properties.
    var schema: JSONValue {
        var properties: [String: JSONValue] = [:]
        for (name, description) in zip(names, descriptions) {
            properties[name] = ["type": "string", "description": .string(description)]
        }
        return [
            "type": "object", "properties": .object(properties), "required": .array(names.map(JSONValue.string)),
            "additionalProperties": false,
        ]
    }

    // MARK: - Pieces

    /// One entry: the text naming the field and its description (the whole entry when unnamed).
    private struct Piece {
        var nameText: String
        var description: String
        var isNamed: Bool
    }

    private init(pieces: [Piece]) throws(GroupInputError) {
        if pieces.isEmpty {
            throw GroupInputError("output lists no field names. " + GroupOutputSpec.acceptedForms, field: "output")
        }
        if pieces.count > Self.maxFields {
            throw GroupInputError(
                "output lists \(pieces.count) fields but a field list may have at most \(Self.maxFields); "
                    + "keep the fields that matter, or give a JSON schema (at most 100 properties).",
                field: "output")
        }
        var names: [String] = []
        var taken: Set<String> = []
        for piece in pieces {
            var base = Self.snakeCase(Self.droppingFiller(piece.nameText))
            if Self.basisNames.contains(base) { base += "_value" }
            var name = base
            var number = 2
            while taken.contains(name) {
                let suffix = "_\(number)"
                name = String(base.prefix(Self.maxNameLength - suffix.count)) + suffix
                number += 1
            }
            taken.insert(name)
            names.append(name)
        }
        self.names = names
        self.descriptions = pieces.map(\.description)
    }

    /// Splits `text` into a name and a description at the first top-level `:` (not `://`) or
    /// spaced dash, when the name part is not empty.
    private static func piece(_ text: String) -> Piece {
        let characters = Array(text)
        var depth = 0
        for index in characters.indices {
            switch characters[index] {
            case "(", "[", "{": depth += 1
            case ")", "]", "}": depth = max(depth - 1, 0)
            default: break
            }
            guard depth == 0, index > 0 else { continue }
            var splitAt: (name: Int, rest: Int)?
            if characters[index] == ":", !(characters[(index + 1)...].starts(with: ["/", "/"])) {
                splitAt = (index, index + 1)
            } else if ["-", "–", "—"].contains(characters[index]), characters[index - 1] == " ",
                index + 1 < characters.count, characters[index + 1] == " "
            {
                splitAt = (index, index + 1)
            }
            if let splitAt {
                let name = String(characters[..<splitAt.name]).trimmingCharacters(in: .whitespaces)
                let rest = String(characters[splitAt.rest...]).trimmingCharacters(in: .whitespaces)
                if !name.isEmpty {
                    return Piece(nameText: name, description: rest.isEmpty ? name : rest, isNamed: true)
                }
            }
        }
        return Piece(nameText: text, description: text, isNamed: false)
    }

    // MARK: - Text helpers

    /// Verbs that start an instruction rather than name a field.
    static let instructionVerbs: Set<String> = [
        "find", "summarize", "summarise", "write", "describe", "explain", "analyze", "analyse", "investigate",
        "determine", "identify", "tell", "give", "provide", "generate", "produce", "explore", "assess", "evaluate",
        "gather", "collect", "extract", "look",
    ]
    /// Words dropped from the start of a field name.
    static let fillerWords: Set<String> = ["the", "a", "an", "its", "their", "his", "her", "each", "every", "all"]

    /// `text` split at top-level occurrences of any of `separators`.
    static func splitTopLevel(_ text: String, separators: Set<Character>) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            switch character {
            case "(", "[", "{": depth += 1
            case ")", "]", "}": depth = max(depth - 1, 0)
            default: break
            }
            if depth == 0, separators.contains(character) {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        return parts
    }

    /// `text` split at top-level ` and ` and ` & ` (any case), pieces trimmed, empty ones dropped.
    static func splitOnAnd(_ text: String) -> [String] {
        let characters = Array(text)
        var parts: [String] = []
        var start = 0
        var depth = 0
        var index = 0
        while index < characters.count {
            switch characters[index] {
            case "(", "[", "{": depth += 1
            case ")", "]", "}": depth = max(depth - 1, 0)
            default: break
            }
            if depth == 0, characters[index] == " " {
                let rest = characters[(index + 1)...]
                var length: Int?
                if rest.count > 4, String(rest.prefix(4)).lowercased() == "and " {
                    length = 5
                } else if rest.starts(with: ["&", " "]) {
                    length = 3
                }
                if let length {
                    parts.append(String(characters[start..<index]))
                    index += length
                    start = index
                    continue
                }
            }
            index += 1
        }
        parts.append(String(characters[start...]))
        return parts.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// `text` without a leading bullet (`-`, `*`, `•`, `+`) or number (`1.`, `1)`).
    static func strippingBullet(_ text: String) -> String {
        let trimmed = text.drop { $0 == " " || $0 == "\t" }
        if let first = trimmed.first, "-*•+".contains(first) {
            return String(trimmed.dropFirst())
        }
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        if !digits.isEmpty, digits.count <= 3 {
            let rest = trimmed.dropFirst(digits.count)
            if let marker = rest.first, marker == "." || marker == ")", rest.dropFirst().first?.isWhitespace ?? true {
                return String(rest.dropFirst())
            }
        }
        return text
    }

    /// `text` without a leading "and " or "& " (left by an Oxford comma).
    static func droppingLeadingConjunction(_ text: String) -> String {
        if text.lowercased().hasPrefix("and ") { return String(text.dropFirst(4)).trimmingCharacters(in: .whitespaces) }
        if text.hasPrefix("& ") { return String(text.dropFirst(2)).trimmingCharacters(in: .whitespaces) }
        return text
    }

    /// `text` without leading articles, and without a leading instruction verb followed by one.
    static func droppingFiller(_ text: String) -> String {
        var words = Self.words(text)
        if words.count > 2, instructionVerbs.contains(words[0].lowercased()), fillerWords.contains(words[1].lowercased()) {
            words.removeFirst()
        }
        while words.count > 1, fillerWords.contains(words[0].lowercased()) { words.removeFirst() }
        return words.joined(separator: " ")
    }

    static func words(_ text: String) -> [String] {
        text.split(whereSeparator: \.isWhitespace).map(String.init)
    }

    static func wordCount(_ text: String) -> Int { words(text).count }

    /// Lowercase ASCII snake_case, at most ``maxNameLength`` characters, never starting with a digit.
    static func snakeCase(_ text: String) -> String {
        let folded = text.folding(options: [.diacriticInsensitive], locale: nil).lowercased()
        var result = ""
        var pendingUnderscore = false
        for scalar in folded.unicodeScalars where scalar != "'" && scalar != "\u{2019}" {
            if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                if pendingUnderscore, !result.isEmpty { result += "_" }
                pendingUnderscore = false
                result.unicodeScalars.append(scalar)
            } else {
                pendingUnderscore = true
            }
        }
        if result.isEmpty { result = "field" }
        if let first = result.unicodeScalars.first, ("0"..."9").contains(first) { result = "field_" + result }
        if result.count > maxNameLength {
            result = String(result.prefix(maxNameLength))
            while result.hasSuffix("_") { result.removeLast() }
        }
        return result
    }
}
