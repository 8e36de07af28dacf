import WebEncoding

/// A small Markdown → HTML converter for untrusted text.
///
/// Every character of the input reaches the output HTML-escaped; the only markup emitted is
/// the converter's own: headings, paragraphs, lists (one level; deeper items are flattened),
/// block quotes, rules, fenced code, GFM tables, inline code, bold, italic, strikethrough and
/// links. Only `http:` and `https:` URLs become links (with `rel="nofollow noopener noreferrer"`);
/// any other link keeps its text only. Images become links, so nothing is ever loaded.
public enum SafeMarkdownHTML {
    /// The HTML body fragment for `markdown`.
    public static func render(_ markdown: String) -> String {
        let lines = markdown.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        var output = ""
        output.reserveCapacity(markdown.utf8.count + markdown.utf8.count / 4 + 64)
        renderBlocks(lines[...], depth: 0, into: &output)
        if output.hasSuffix("\n") { output.removeLast() }
        return output
    }

    /// Markdown inline syntax of `text` as HTML (no block structure).
    static func inlineHTML(_ text: some StringProtocol) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count + 16)
        InlineRenderer(text).render(into: &output)
        return output
    }

    /// Block quotes nest at most this deep; deeper markers stay text.
    static let maxQuoteDepth = 8

    // MARK: - Blocks

    private static func renderBlocks(_ lines: ArraySlice<Substring>, depth: Int, into output: inout String) {
        var index = lines.startIndex
        while index < lines.endIndex {
            let line = lines[index]
            if isBlank(line) {
                index += 1
            } else if let fence = fence(line) {
                index = renderFencedCode(lines, from: index, fence: fence, into: &output)
            } else if let (level, text) = heading(line) {
                output += "<h\(level)>"
                InlineRenderer(text).render(into: &output)
                output += "</h\(level)>\n"
                index += 1
            } else if isRule(line) {
                output += "<hr>\n"
                index += 1
            } else if depth < maxQuoteDepth, quoteContent(line) != nil {
                var inner: [Substring] = []
                while index < lines.endIndex, let content = quoteContent(lines[index]) {
                    inner.append(content)
                    index += 1
                }
                output += "<blockquote>\n"
                renderBlocks(inner[...], depth: depth + 1, into: &output)
                output += "</blockquote>\n"
            } else if index + 1 < lines.endIndex, line.contains("|"), let aligns = tableSeparator(lines[index + 1]) {
                index = renderTable(lines, from: index, aligns: aligns, into: &output)
            } else if listItem(line) != nil {
                index = renderList(lines, from: index, into: &output)
            } else {
                index = renderParagraph(lines, from: index, depth: depth, into: &output)
            }
        }
    }

    private static func renderParagraph(
        _ lines: ArraySlice<Substring>, from start: Int, depth: Int, into output: inout String
    ) -> Int {
        var index = start
        var paragraph: [Substring] = []
        while index < lines.endIndex {
            let line = lines[index]
            if isBlank(line) || (index > start && interruptsParagraph(line, depth: depth)) { break }
            paragraph.append(line.drop { $0 == " " || $0 == "\t" })
            index += 1
        }
        output += "<p>"
        InlineRenderer(joinedWithBreaks(paragraph)).render(into: &output)
        output += "</p>\n"
        return index
    }

    private static func renderFencedCode(
        _ lines: ArraySlice<Substring>, from start: Int, fence: Fence, into output: inout String
    ) -> Int {
        let language = fence.info.prefix { !$0.isWhitespace }.filter {
            $0.isASCII && ($0.isLetter || $0.isNumber || "+-_#.".contains($0))
        }.prefix(32)
        output += language.isEmpty ? "<pre><code>" : "<pre><code class=\"language-\(language)\">"
        var index = start + 1
        var first = true
        while index < lines.endIndex {
            let line = lines[index]
            index += 1
            if let closing = self.fence(line), closing.marker == fence.marker, closing.count >= fence.count,
                closing.info.allSatisfy(\.isWhitespace)
            {
                break
            }
            if !first { output += "\n" }
            first = false
            HTMLEscaping.appendEscaped(removingIndent(line, upTo: fence.indent), to: &output)
        }
        output += "</code></pre>\n"
        return index
    }

    private static func renderList(_ lines: ArraySlice<Substring>, from start: Int, into output: inout String) -> Int {
        guard let first = listItem(lines[start]) else { return start + 1 }
        var items: [[Substring]] = []
        var index = start
        var afterBlank = false
        while index < lines.endIndex {
            let line = lines[index]
            if let item = listItem(line) {
                guard item.ordered == first.ordered || item.indent > first.indent else { break }
                items.append([item.content])
                afterBlank = false
                index += 1
            } else if isBlank(line) {
                // A blank line continues the list only when an item or an indented line follows.
                var next = index + 1
                while next < lines.endIndex, isBlank(lines[next]) { next += 1 }
                guard next < lines.endIndex else { break }
                let following = lines[next]
                if let item = listItem(following), item.ordered == first.ordered || item.indent > first.indent {
                    index = next
                } else if indentation(following) >= 2 {
                    index = next
                    afterBlank = true
                } else {
                    break
                }
            } else if afterBlank ? indentation(line) >= 2 : !startsBlock(line, depth: 0) {
                items[items.count - 1].append(line.drop { $0 == " " || $0 == "\t" })
                index += 1
            } else {
                break
            }
        }
        if first.ordered {
            output += first.number == 1 ? "<ol>\n" : "<ol start=\"\(first.number)\">\n"
        } else {
            output += "<ul>\n"
        }
        for item in items {
            output += "<li>"
            InlineRenderer(joinedWithBreaks(item)).render(into: &output)
            output += "</li>\n"
        }
        output += first.ordered ? "</ol>\n" : "</ul>\n"
        return index
    }

    private static func renderTable(
        _ lines: ArraySlice<Substring>, from start: Int, aligns: [Alignment], into output: inout String
    ) -> Int {
        let header = tableCells(lines[start])
        let columns = max(header.count, aligns.count)
        func row(_ cells: [Substring], tag: String) {
            output += "<tr>"
            for column in 0..<columns {
                let align = column < aligns.count ? aligns[column] : .none
                output += "<\(tag)\(align.attribute)>"
                if column < cells.count { InlineRenderer(cells[column]).render(into: &output) }
                output += "</\(tag)>"
            }
            output += "</tr>\n"
        }
        output += "<div class=\"md-table\"><table>\n<thead>\n"
        row(header, tag: "th")
        output += "</thead>\n<tbody>\n"
        var index = start + 2
        while index < lines.endIndex, !isBlank(lines[index]), lines[index].contains("|") {
            row(tableCells(lines[index]), tag: "td")
            index += 1
        }
        output += "</tbody>\n</table></div>\n"
        return index
    }

    // MARK: - Line classification

    private struct Fence {
        var marker: Character
        var count: Int
        var indent: Int
        var info: Substring
    }

    private enum Alignment {
        case none, left, center, right

        var attribute: String {
            switch self {
            case .none: ""
            case .left: " class=\"al-l\""
            case .center: " class=\"al-c\""
            case .right: " class=\"al-r\""
            }
        }
    }

    private static func isBlank(_ line: Substring) -> Bool { line.allSatisfy(\.isWhitespace) }

    /// Leading columns of whitespace (a tab counts 4).
    private static func indentation(_ line: Substring) -> Int {
        var count = 0
        for character in line {
            if character == " " {
                count += 1
            } else if character == "\t" {
                count += 4
            } else {
                break
            }
        }
        return count
    }

    /// The line without up to three leading spaces, or nil when it is indented further.
    private static func leadingTrimmed(_ line: Substring) -> Substring? {
        let indent = indentation(line)
        guard indent <= 3 else { return nil }
        return line.drop { $0 == " " || $0 == "\t" }
    }

    private static func removingIndent(_ line: Substring, upTo count: Int) -> Substring {
        var rest = line
        var removed = 0
        while removed < count, rest.first == " " {
            rest = rest.dropFirst()
            removed += 1
        }
        return rest
    }

    /// Whether `line` starts a block that interrupts a paragraph.
    private static func startsBlock(_ line: Substring, depth: Int) -> Bool {
        fence(line) != nil || heading(line) != nil || isRule(line) || (depth < maxQuoteDepth && quoteContent(line) != nil)
    }

    private static func fence(_ line: Substring) -> Fence? {
        guard let trimmed = leadingTrimmed(line), let marker = trimmed.first, marker == "`" || marker == "~" else {
            return nil
        }
        let count = trimmed.prefix { $0 == marker }.count
        guard count >= 3 else { return nil }
        let info = trimmed.dropFirst(count).trimmingSpaces
        if marker == "`", info.contains("`") { return nil }
        return Fence(marker: marker, count: count, indent: indentation(line), info: info)
    }

    private static func heading(_ line: Substring) -> (Int, Substring)? {
        guard let trimmed = leadingTrimmed(line), trimmed.first == "#" else { return nil }
        let level = trimmed.prefix { $0 == "#" }.count
        guard level <= 6 else { return nil }
        let rest = trimmed.dropFirst(level)
        guard rest.isEmpty || rest.first == " " || rest.first == "\t" else { return nil }
        var text = rest.trimmingSpaces
        // An optional closing sequence of #s, when separated by a space.
        let closing = text.reversed().prefix { $0 == "#" }.count
        if closing > 0 {
            let kept = text.dropLast(closing)
            if kept.isEmpty || kept.last == " " || kept.last == "\t" { text = kept.trimmingSpaces }
        }
        return (level, text)
    }

    private static func isRule(_ line: Substring) -> Bool {
        guard let trimmed = leadingTrimmed(line), let marker = trimmed.first, "-*_".contains(marker) else {
            return false
        }
        var count = 0
        for character in trimmed {
            if character == marker {
                count += 1
            } else if character != " " && character != "\t" {
                return false
            }
        }
        return count >= 3
    }

    private static func quoteContent(_ line: Substring) -> Substring? {
        guard let trimmed = leadingTrimmed(line), trimmed.first == ">" else { return nil }
        let rest = trimmed.dropFirst()
        return rest.first == " " ? rest.dropFirst() : rest
    }

    private static func listItem(_ line: Substring) -> (ordered: Bool, number: Int, indent: Int, content: Substring)? {
        let indent = indentation(line)
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        guard let first = trimmed.first else { return nil }
        if "-*+".contains(first) {
            let rest = trimmed.dropFirst()
            guard rest.isEmpty || rest.first == " " || rest.first == "\t" else { return nil }
            return (false, 0, indent, rest.trimmingSpaces)
        }
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        guard (1...9).contains(digits.count), let number = Int(digits) else { return nil }
        let rest = trimmed.dropFirst(digits.count)
        guard let delimiter = rest.first, delimiter == "." || delimiter == ")" else { return nil }
        let after = rest.dropFirst()
        guard after.isEmpty || after.first == " " || after.first == "\t" else { return nil }
        return (true, number, indent, after.trimmingSpaces)
    }

    /// The column alignments of a GFM table delimiter row (`| --- | :-: |`), or nil.
    private static func tableSeparator(_ line: Substring) -> [Alignment]? {
        let cells = tableCells(line)
        guard !cells.isEmpty, line.contains("-") else { return nil }
        var aligns: [Alignment] = []
        for cell in cells {
            let text = cell.trimmingSpaces
            let left = text.first == ":"
            let right = text.last == ":" && text.count > 1
            let dashes = text.dropFirst(left ? 1 : 0).dropLast(right ? 1 : 0)
            guard !dashes.isEmpty, dashes.allSatisfy({ $0 == "-" }) else { return nil }
            aligns.append(left && right ? .center : right ? .right : left ? .left : .none)
        }
        if cells.count == 1, !line.contains("|") { return nil }
        return aligns
    }

    /// The cells of a table row: split on unescaped `|`, outer pipes optional.
    private static func tableCells(_ line: Substring) -> [Substring] {
        var text = line.trimmingSpaces
        if text.first == "|" { text = text.dropFirst() }
        if text.last == "|", !text.dropLast().hasSuffix("\\") { text = text.dropLast() }
        var cells: [Substring] = []
        var start = text.startIndex
        var index = text.startIndex
        var escaped = false
        while index < text.endIndex {
            let character = text[index]
            if escaped {
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "|" {
                cells.append(text[start..<index].trimmingSpaces)
                start = text.index(after: index)
            }
            index = text.index(after: index)
        }
        cells.append(text[start...].trimmingSpaces)
        return cells
    }

    /// The lines joined by newlines; a line ending in two spaces gets CommonMark's other
    /// hard-break form, a trailing backslash, which the inline renderer turns into `<br>`.
    private static func joinedWithBreaks(_ lines: [Substring]) -> String {
        var text = ""
        for (offset, line) in lines.enumerated() {
            if offset > 0 { text += "\n" }
            text += line.trimmingSpaces
            if offset < lines.count - 1, line.hasSuffix("  ") { text += "\\" }
        }
        return text
    }

    /// Whether `line` ends a paragraph: a block start, a bullet item or an ordered item numbered 1.
    private static func interruptsParagraph(_ line: Substring, depth: Int) -> Bool {
        if startsBlock(line, depth: depth) { return true }
        guard let item = listItem(line), !item.content.isEmpty else { return false }
        return !item.ordered || item.number == 1
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    fileprivate var trimmingSpaces: Substring {
        var start = startIndex
        var end = endIndex
        while start < end, self[start] == " " || self[start] == "\t" { start = index(after: start) }
        while end > start, self[index(before: end)] == " " || self[index(before: end)] == "\t" {
            end = index(before: end)
        }
        return self[start..<end]
    }
}
