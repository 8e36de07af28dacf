import Foundation
import WebEncoding

/// Splits rendered Markdown into pages that fit a token budget, with opaque cursors.
///
/// Pages are computed over the whole (deterministic) rendering, so a cursor is simply the
/// UTF-8 byte offset where its page starts, plus a fingerprint of the rendering. Calling again
/// with a cursor re-renders, re-paginates and checks both: a result that changed in between
/// (more runs finished, say) yields ``PaginationError/contentChanged`` rather than a misplaced page.
///
/// Pages break only at line ends, preferring blank lines and table-row boundaries; a single line
/// longer than a page is cut at a character (grapheme) boundary, never inside a UTF-8 sequence.
/// A page that continues a table repeats the table's header and separator rows first.
public struct Paginator: Sendable {
    /// The default budget per page, in approximate tokens.
    public static let defaultPageTokenBudget = 20_000
    /// The smallest budget accepted; smaller values are raised to it.
    public static let minimumPageTokenBudget = 200
    /// Bytes reserved on each page for the navigation line.
    static let navigationReserve = 320

    /// The budget per page, in approximate tokens (see ``estimatedTokens(_:)``), navigation included.
    public let pageTokenBudget: Int

    public init(pageTokenBudget: Int = Paginator.defaultPageTokenBudget) {
        self.pageTokenBudget = max(pageTokenBudget, Self.minimumPageTokenBudget)
    }

    /// Approximate tokens in `text`: its UTF-8 byte count divided by 4, rounded up.
    ///
    /// Deliberately simple and tokenizer-independent: roughly right for English prose and
    /// Markdown, and conservative for non-Latin scripts.
    public static func estimatedTokens(_ text: some StringProtocol) -> Int {
        (text.utf8.count + 3) / 4
    }

    /// The page a cursor points at, or the first page when `cursor` is `nil`.
    ///
    /// - Throws: ``PaginationError`` for a malformed or foreign cursor, a cursor whose offset is
    ///   not a page start, or a rendering that changed since the cursor was issued.
    public func page(of markdown: String, cursor: String?) throws(PaginationError) -> Page {
        try page(in: layout(of: markdown), cursor: cursor)
    }

    /// The page boundaries of `markdown` at this budget, to serve several pages of one rendering.
    func layout(of markdown: String) -> Layout {
        Layout(markdown: markdown, budgetBytes: pageTokenBudget * 4)
    }

    /// ``page(of:cursor:)`` over boundaries computed before (by ``layout(of:)`` at this budget).
    func page(in layout: Layout, cursor: String?) throws(PaginationError) -> Page {
        guard let cursor else { return layout.page(0) }
        guard let (offset, fingerprint) = Self.decode(cursor) else { throw .malformedCursor }
        guard fingerprint == layout.fingerprint else { throw .contentChanged }
        guard let index = layout.starts.firstIndex(of: offset) else { throw .cursorOutOfRange }
        return layout.page(index)
    }

    /// Every page of `markdown`, in order.
    public func pages(of markdown: String) -> [Page] {
        let layout = Layout(markdown: markdown, budgetBytes: pageTokenBudget * 4)
        return layout.starts.indices.map { layout.page($0) }
    }

    /// One page: an optional repeated table header, a slice of the rendering, and a navigation line.
    public struct Page: Hashable, Sendable {
        /// 1-based page number.
        public var number: Int
        public var pageCount: Int
        /// The table header and separator rows repeated because this page continues a table.
        public var repeatedHeader: String?
        /// The exact slice of the full rendering this page covers.
        public var body: String
        /// The trailing line(s) saying how to get the next page, or that this is the last.
        public var navigation: String
        /// The cursor for the next page; `nil` on the last page.
        public var nextCursor: String?

        /// What to send: header, body and navigation.
        public var text: String { (repeatedHeader ?? "") + body + navigation }
        public var isLast: Bool { nextCursor == nil }
    }

    // MARK: - Cursors

    /// `base64url("v1:<offset>:<fingerprint>")`.
    static func encode(offset: Int, fingerprint: UInt64) -> String {
        let payload = "v1:\(offset):\(String(fingerprint, radix: 16))"
        return Data(payload.utf8).base64URLEncoded()
    }

    static func decode(_ cursor: String) -> (offset: Int, fingerprint: UInt64)? {
        guard !cursor.isEmpty, cursor.utf8.count <= 128, let data = Data(base64URLEncoded: cursor),
            let payload = String(data: data, encoding: .utf8)
        else {
            return nil
        }
        let parts = payload.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v1", parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
            let offset = Int(parts[1]), let fingerprint = UInt64(parts[2], radix: 16)
        else { return nil }
        return (offset, fingerprint)
    }

    /// 64-bit FNV-1a over the UTF-8 bytes.
    static func fingerprint(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    // MARK: - Layout

    /// Page boundaries over the UTF-8 bytes of one rendering.
    struct Layout {
        let bytes: [UInt8]
        let fingerprint: UInt64
        /// Byte offset of each page's start.
        private(set) var starts: [Int] = []
        private(set) var ends: [Int] = []
        private(set) var headers: [Range<Int>?] = []

        private let lineStarts: [Int]
        private let lineEnds: [Int]
        /// For each line: the byte range of its table's header + separator, when the line is a table body row.
        private let tableHeader: [Range<Int>?]

        init(markdown: String, budgetBytes: Int) {
            bytes = Array(markdown.utf8)
            fingerprint = Paginator.fingerprint(bytes)
            var starts: [Int] = []
            var ends: [Int] = []
            var index = 0
            while index < bytes.count {
                starts.append(index)
                var end = index
                while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
                if end < bytes.count { end += 1 }
                ends.append(end)
                index = end
            }
            lineStarts = starts
            lineEnds = ends
            tableHeader = Self.tableHeaders(bytes: bytes, starts: starts, ends: ends)
            paginate(budgetBytes: budgetBytes)
        }

        func page(_ index: Int) -> Page {
            let count = starts.count
            let body = String(decoding: bytes[starts[index]..<ends[index]], as: UTF8.self)
            let header = headers[index].map { String(decoding: bytes[$0], as: UTF8.self) }
            let lead = body.hasSuffix("\n") ? "\n" : "\n\n"
            var next: String?
            let navigation: String
            if index + 1 < count {
                let cursor = Paginator.encode(offset: starts[index + 1], fingerprint: fingerprint)
                next = cursor
                navigation =
                    lead + "_Page \(index + 1) of \(count) — call getResultMarkdown again with the same arguments "
                    + "and cursor \"\(cursor)\" for the next page._\n"
            } else {
                navigation = lead + "_Page \(index + 1) of \(count) — this is the last page._\n"
            }
            return Page(
                number: index + 1, pageCount: count, repeatedHeader: header, body: body, navigation: navigation,
                nextCursor: next)
        }

        private func lineIndex(containing offset: Int) -> Int {
            var low = 0
            var high = lineStarts.count - 1
            while low < high {
                let middle = (low + high + 1) / 2
                if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
            }
            return low
        }

        private func isBlank(_ line: Int) -> Bool {
            bytes[lineStarts[line]..<lineEnds[line]].allSatisfy { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        }

        private func isTableRow(_ line: Int) -> Bool {
            Self.isTableRow(bytes, lineStarts[line], lineEnds[line])
        }

        private func startsHeading(_ line: Int) -> Bool { bytes[lineStarts[line]] == UInt8(ascii: "#") }

        private mutating func paginate(budgetBytes: Int) {
            let total = bytes.count
            if total == 0 {
                starts = [0]
                ends = [0]
                headers = [nil]
                return
            }
            let pageCapacity = budgetBytes - Paginator.navigationReserve
            var position = 0
            while position < total {
                let line = lineIndex(containing: position)
                var header: Range<Int>? = nil
                if lineStarts[line] == position, let candidate = tableHeader[line], position > candidate.lowerBound,
                    candidate.count * 2 <= pageCapacity
                {
                    header = candidate
                }
                let capacity = pageCapacity - (header?.count ?? 0)
                let end: Int
                if total - position <= capacity {
                    end = total
                } else {
                    end = breakPoint(from: position, line: line, capacity: capacity)
                }
                starts.append(position)
                ends.append(end)
                headers.append(header)
                position = end
            }
        }

        /// Where a page starting at `position` should end: a preferred line boundary in the second
        /// half of the page, else the last line boundary, else a character boundary inside the line.
        private func breakPoint(from position: Int, line firstLine: Int, capacity: Int) -> Int {
            let limit = position + capacity
            var lastBoundary: Int? = nil
            var preferred: Int? = nil
            var line = firstLine
            while line < lineEnds.count, lineEnds[line] <= limit {
                let boundary = lineEnds[line]
                lastBoundary = boundary
                let next = line + 1
                let isPreferred =
                    isBlank(line) || (next < lineStarts.count && (isBlank(next) || startsHeading(next)))
                    || (next < lineStarts.count && isTableRow(line) && isTableRow(next))
                if isPreferred { preferred = boundary }
                line += 1
            }
            if let preferred, preferred - position >= capacity / 2 { return preferred }
            if let lastBoundary, lastBoundary > position { return lastBoundary }
            return characterBoundary(from: position, limit: limit)
        }

        /// The furthest grapheme boundary at or before `limit` (at least one character past `position`).
        private func characterBoundary(from position: Int, limit: Int) -> Int {
            let line = lineIndex(containing: position)
            let text = String(decoding: bytes[position..<lineEnds[line]], as: UTF8.self)
            var offset = position
            for character in text {
                let size = character.utf8.count
                if offset + size > limit, offset > position { break }
                offset += size
                if offset >= limit { break }
            }
            return offset
        }

        static func isTableRow(_ bytes: [UInt8], _ start: Int, _ end: Int) -> Bool {
            var index = start
            while index < end, bytes[index] == 0x20 { index += 1 }
            return index < end && bytes[index] == UInt8(ascii: "|")
        }

        static func isSeparatorRow(_ bytes: [UInt8], _ start: Int, _ end: Int) -> Bool {
            guard isTableRow(bytes, start, end) else { return false }
            var sawDash = false
            for byte in bytes[start..<end] {
                switch byte {
                case UInt8(ascii: "-"): sawDash = true
                case UInt8(ascii: "|"), UInt8(ascii: ":"), 0x20, 0x09, 0x0A, 0x0D: continue
                default: return false
                }
            }
            return sawDash
        }

        /// For every table body row (after header and separator), the byte range of that table's header rows.
        static func tableHeaders(bytes: [UInt8], starts: [Int], ends: [Int]) -> [Range<Int>?] {
            var result = [Range<Int>?](repeating: nil, count: starts.count)
            var line = 0
            while line < starts.count {
                guard isTableRow(bytes, starts[line], ends[line]) else {
                    line += 1
                    continue
                }
                let tableStart = line
                var tableEnd = line
                while tableEnd + 1 < starts.count, isTableRow(bytes, starts[tableEnd + 1], ends[tableEnd + 1]) {
                    tableEnd += 1
                }
                if tableEnd >= tableStart + 2, isSeparatorRow(bytes, starts[tableStart + 1], ends[tableStart + 1]) {
                    let header = starts[tableStart]..<ends[tableStart + 1]
                    for body in (tableStart + 2)...tableEnd { result[body] = header }
                }
                line = tableEnd + 1
            }
            return result
        }
    }
}

/// Why a cursor could not be used; ``description`` tells the caller how to recover.
public enum PaginationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Not a cursor this server issued.
    case malformedCursor
    /// A well-formed cursor whose offset is not a page start of this result.
    case cursorOutOfRange
    /// The result changed since the cursor was issued.
    case contentChanged

    public var description: String {
        switch self {
        case .malformedCursor:
            return "Invalid cursor: pass a cursor exactly as a previous page gave it, or omit it to start at page 1."
        case .cursorOutOfRange:
            return "Invalid cursor: it does not point at a page of this result. Omit it to start at page 1."
        case .contentChanged:
            return "The result changed since this cursor was issued. Call getResultMarkdown again without a cursor to restart at page 1."
        }
    }
}
