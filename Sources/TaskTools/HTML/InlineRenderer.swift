import WebEncoding

/// Inline Markdown (code spans, emphasis, strikethrough, links, autolinks, bare URLs) → HTML.
///
/// Text is escaped character by character; markup is only ever emitted in balanced pairs, by
/// recursing into the span between a matched opener and closer. Failed searches for a closer
/// are remembered per span, and precomputed tables answer "next `]`", so the work stays close
/// to linear even on adversarial input.
struct InlineRenderer {
    private let chars: [Character]
    /// `escaped[i]`: `chars[i]` follows an unescaped backslash.
    private let escaped: [Bool]
    /// `nextBracket[i]`: the first unescaped `]` at or after `i` (`chars.count` when none).
    private let nextBracket: [Int]

    /// Emphasis and links nest at most this deep; deeper delimiters stay text.
    static let maxDepth = 8
    /// Longer link destinations are not recognised.
    static let maxURLLength = 2048

    init(_ text: some StringProtocol) {
        chars = Array(text)
        var escaped = [Bool](repeating: false, count: chars.count)
        var index = 0
        while index < chars.count {
            if chars[index] == "\\", index + 1 < chars.count {
                escaped[index + 1] = true
                index += 2
            } else {
                index += 1
            }
        }
        self.escaped = escaped
        var next = [Int](repeating: chars.count, count: chars.count + 1)
        for position in stride(from: chars.count - 1, through: 0, by: -1) {
            next[position] = chars[position] == "]" && !escaped[position] ? position : next[position + 1]
        }
        nextBracket = next
    }

    func render(into output: inout String) {
        render(0..<chars.count, depth: 0, inLink: false, into: &output)
    }

    // MARK: - Spans

    private func render(_ range: Range<Int>, depth: Int, inLink: Bool, into output: inout String) {
        var dead: Set<String> = []
        var index = range.lowerBound
        let end = range.upperBound
        while index < end {
            let character = chars[index]
            switch character {
            case "\\":
                if index + 1 < end, chars[index + 1] == "\n" {
                    output += "<br>\n"
                    index += 2
                } else if index + 1 < end, Self.isASCIIPunctuation(chars[index + 1]) {
                    HTMLEscaping.appendEscaped(chars[index + 1], to: &output)
                    index += 2
                } else {
                    output += "\\"
                    index += 1
                }
            case "`":
                index = codeSpan(at: index, end: end, dead: &dead, into: &output)
            case "*", "_", "~":
                index = emphasis(at: index, end: end, depth: depth, inLink: inLink, dead: &dead, into: &output)
            case "!" where index + 1 < end && chars[index + 1] == "[" && !inLink:
                if let link = link(at: index + 1, end: end) {
                    let alt = String(chars[link.label])
                    let label = HTMLEscaping.escape(alt.allSatisfy(\.isWhitespace) ? "image" : alt)
                    output += HTMLText.isSafeLinkURL(link.url) ? HTMLText.link(link.url, labelHTML: "🖼 " + label) : label
                    index = link.end
                } else {
                    output += "!"
                    index += 1
                }
            case "[" where !inLink && !escaped[index]:
                if let link = link(at: index, end: end) {
                    if HTMLText.isSafeLinkURL(link.url) {
                        var label = ""
                        if link.label.isEmpty {
                            HTMLEscaping.appendEscaped(link.url, to: &label)
                        } else {
                            render(link.label, depth: depth + 1, inLink: true, into: &label)
                        }
                        output += HTMLText.link(link.url, labelHTML: label)
                    } else {
                        render(link.label, depth: depth + 1, inLink: true, into: &output)
                    }
                    index = link.end
                } else {
                    output += "["
                    index += 1
                }
            case "<":
                if !inLink, let autolink = autolink(at: index, end: end) {
                    output += HTMLText.link(autolink.url, labelHTML: HTMLEscaping.escape(autolink.url))
                    index = autolink.end
                } else {
                    output += "&lt;"
                    index += 1
                }
            case "h", "H":
                if !inLink, let bare = bareURL(at: index, start: range.lowerBound, end: end) {
                    output += HTMLText.link(bare.url, labelHTML: HTMLEscaping.escape(bare.url))
                    index = bare.end
                } else {
                    output.append(character)
                    index += 1
                }
            default:
                HTMLEscaping.appendEscaped(character, to: &output)
                index += 1
            }
        }
    }

    private func appendEscaped(_ range: Range<Int>, to output: inout String) {
        for position in range { HTMLEscaping.appendEscaped(chars[position], to: &output) }
    }

    // MARK: - Code spans

    private func runLength(of character: Character, at index: Int, end: Int) -> Int {
        var length = 0
        while index + length < end, chars[index + length] == character { length += 1 }
        return length
    }

    private func codeSpan(at index: Int, end: Int, dead: inout Set<String>, into output: inout String) -> Int {
        let length = runLength(of: "`", at: index, end: end)
        let key = "`\(length)"
        if !dead.contains(key) {
            var search = index + length
            while search < end {
                guard chars[search] == "`" else {
                    search += 1
                    continue
                }
                let closing = runLength(of: "`", at: search, end: end)
                if closing == length {
                    var content = (index + length)..<search
                    // One space each side is padding when both are present and the span is not all spaces.
                    if content.count >= 2, chars[content.lowerBound] == " " || chars[content.lowerBound] == "\n",
                        chars[content.upperBound - 1] == " " || chars[content.upperBound - 1] == "\n",
                        chars[content].contains(where: { $0 != " " && $0 != "\n" })
                    {
                        content = (content.lowerBound + 1)..<(content.upperBound - 1)
                    }
                    output += "<code>"
                    for position in content { HTMLEscaping.appendEscaped(chars[position] == "\n" ? " " : chars[position], to: &output) }
                    output += "</code>"
                    return search + closing
                }
                search += closing
            }
            dead.insert(key)
        }
        output += String(repeating: "`", count: length)
        return index + length
    }

    // MARK: - Emphasis

    private func emphasis(
        at index: Int, end: Int, depth: Int, inLink: Bool, dead: inout Set<String>, into output: inout String
    ) -> Int {
        let marker = chars[index]
        let length = runLength(of: marker, at: index, end: end)
        let literal = String(repeating: marker, count: length)
        let key = "\(marker)\(length)"
        let supported = marker == "~" ? length == 2 : length <= 3
        guard supported, depth < Self.maxDepth, !dead.contains(key), !escaped[index],
            index + length < end, !chars[index + length].isWhitespace,
            marker != "_" || index == 0 || !Self.isWordCharacter(chars[index - 1])
        else {
            output += literal
            return index + length
        }
        var search = index + length
        while search < end {
            guard chars[search] == marker, !escaped[search] else {
                search += 1
                continue
            }
            let closing = runLength(of: marker, at: search, end: end)
            let after = search + closing
            if closing == length, search > index + length, !chars[search - 1].isWhitespace,
                marker != "_" || after >= chars.count || !Self.isWordCharacter(chars[after])
            {
                let (open, close) =
                    switch (marker, length) {
                    case ("~", _): ("<del>", "</del>")
                    case (_, 1): ("<em>", "</em>")
                    case (_, 2): ("<strong>", "</strong>")
                    default: ("<strong><em>", "</em></strong>")
                    }
                output += open
                render((index + length)..<search, depth: depth + 1, inLink: inLink, into: &output)
                output += close
                return after
            }
            search = after
        }
        dead.insert(key)
        output += literal
        return index + length
    }

    // MARK: - Links

    /// `[label](url "title")` starting at the `[`: the label span, the destination and the index after `)`.
    private func link(at index: Int, end: Int) -> (label: Range<Int>, url: String, end: Int)? {
        let close = nextBracket[index + 1]
        guard close + 1 < end, chars[close + 1] == "(" else { return nil }
        var position = close + 2
        func skipSpaces() {
            while position < end, chars[position] == " " || chars[position] == "\t" || chars[position] == "\n" {
                position += 1
            }
        }
        skipSpaces()
        var url = ""
        if position < end, chars[position] == "<" {
            position += 1
            while position < end, chars[position] != ">" {
                guard chars[position] != "\n", chars[position] != "<", url.count < Self.maxURLLength else { return nil }
                url.append(chars[position])
                position += 1
            }
            guard position < end else { return nil }
            position += 1
        } else {
            var parens = 0
            while position < end {
                let character = chars[position]
                if character.isWhitespace { break }
                if character == "\\", position + 1 < end, Self.isASCIIPunctuation(chars[position + 1]) {
                    url.append(chars[position + 1])
                    position += 2
                    continue
                }
                if character == "(" { parens += 1 }
                if character == ")" {
                    if parens == 0 { break }
                    parens -= 1
                }
                url.append(character)
                position += 1
                guard url.count <= Self.maxURLLength else { return nil }
            }
        }
        skipSpaces()
        // An optional title, ignored.
        let titleCloser: Character? =
            switch position < end ? chars[position] : " " {
            case "\"": "\""
            case "'": "'"
            case "(": ")"
            default: nil
            }
        if let closer = titleCloser {
            position += 1
            while position < end, chars[position] != closer { position += 1 }
            guard position < end else { return nil }
            position += 1
            skipSpaces()
        }
        guard position < end, chars[position] == ")" else { return nil }
        return ((index + 1)..<close, url, position + 1)
    }

    /// `<https://…>` starting at the `<`.
    private func autolink(at index: Int, end: Int) -> (url: String, end: Int)? {
        guard startsWithHTTP(at: index + 1, end: end) else { return nil }
        var position = index + 1
        var url = ""
        while position < end, chars[position] != ">" {
            let character = chars[position]
            guard !character.isWhitespace, character != "<", url.count < Self.maxURLLength else { return nil }
            url.append(character)
            position += 1
        }
        guard position < end, HTMLText.isSafeLinkURL(url) else { return nil }
        return (url, position + 1)
    }

    /// A bare `http(s)://…` URL starting at `index`, without trailing punctuation or an unbalanced `)`.
    private func bareURL(at index: Int, start: Int, end: Int) -> (url: String, end: Int)? {
        guard index == start || !Self.isWordCharacter(chars[index - 1]), startsWithHTTP(at: index, end: end) else {
            return nil
        }
        var stop = index
        while stop < end, stop - index < Self.maxURLLength {
            let character = chars[stop]
            if character.isWhitespace || "<>\"`".contains(character) { break }
            stop += 1
        }
        while stop > index {
            let last = chars[stop - 1]
            if ".,:;!?'*_~".contains(last) {
                stop -= 1
            } else if last == ")" || last == "]" {
                let opener: Character = last == ")" ? "(" : "["
                let opens = chars[index..<stop].count { $0 == opener }
                let closes = chars[index..<stop].count { $0 == last }
                guard closes > opens else { break }
                stop -= 1
            } else {
                break
            }
        }
        let url = String(chars[index..<stop])
        guard HTMLText.isSafeLinkURL(url) else { return nil }
        return (url, stop)
    }

    private func startsWithHTTP(at index: Int, end: Int) -> Bool {
        for scheme in ["https://", "http://"] where index + scheme.count <= end {
            if zip(chars[index..<(index + scheme.count)], scheme).allSatisfy({ $0.lowercased() == String($1) }) {
                return true
            }
        }
        return false
    }

    // MARK: - Character classes

    private static func isWordCharacter(_ character: Character) -> Bool {
        character.isLetter || character.isNumber
    }

    private static func isASCIIPunctuation(_ character: Character) -> Bool {
        guard let ascii = character.asciiValue else { return false }
        return (33...47).contains(ascii) || (58...64).contains(ascii) || (91...96).contains(ascii)
            || (123...126).contains(ascii)
    }
}
