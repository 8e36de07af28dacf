/// The central directory of a ZIP archive held in memory, read defensively: every offset and size
/// is checked against the bytes present before use, and entries are inflated by ``Inflate`` under a
/// byte cap, so a declared size that lies (a zip bomb) or a truncated stream costs nothing.
struct ZipArchive {
    struct Entry {
        var name: String
        var method: UInt16
        var crc: UInt32
        var compressedSize: Int
        var uncompressedSize: Int
        var localHeaderOffset: Int
    }

    let bytes: [UInt8]
    /// Entries by normalised name (see ``key(_:)``).
    private(set) var entries: [String: Entry] = [:]

    /// Part names compare case-insensitively in OPC, without a leading `/`.
    static func key(_ name: String) -> String {
        var name = name.replacingBackslashes()
        while name.hasPrefix("/") { name.removeFirst() }
        return name.lowercased()
    }

    init(bytes: [UInt8], maxEntries: Int) throws(TableFileError) {
        self.bytes = bytes
        let end = try Self.endOfCentralDirectory(bytes)
        var count = Int(try bytes.u16(end + 10))
        var directorySize = Int(try bytes.u32(end + 12))
        var directoryOffset = Int(try bytes.u32(end + 16))
        guard try bytes.u16(end + 4) == 0, try bytes.u16(end + 6) == 0 else {
            throw TableFileError.malformed("it is a ZIP archive split over several files")
        }
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // ZIP64: the locator sits just before the classic record.
            guard end >= 20, try bytes.u32(end - 20) == 0x0706_4B50 else {
                throw TableFileError.malformed("its ZIP64 directory locator is missing")
            }
            let record = try Self.checkedInt(try bytes.u64(end - 12), within: bytes.count)
            guard try bytes.u32(record) == 0x0606_4B50 else {
                throw TableFileError.malformed("its ZIP64 directory record is missing")
            }
            count = try Self.checkedInt(try bytes.u64(record + 32), within: Int(Int32.max))
            directorySize = try Self.checkedInt(try bytes.u64(record + 40), within: bytes.count)
            directoryOffset = try Self.checkedInt(try bytes.u64(record + 48), within: bytes.count)
        }
        guard count <= maxEntries else {
            throw TableFileError(
                .tooLarge,
                "The workbook's ZIP archive lists \(grouped(count)) entries; at most \(grouped(maxEntries)) are accepted. Save a copy holding only the data (no images or embedded objects) as .xlsx, or export the sheet as CSV.")
        }
        guard directoryOffset <= bytes.count, directorySize <= bytes.count - directoryOffset else {
            throw TableFileError.malformed("its ZIP central directory lies outside the file")
        }
        let directoryEnd = directoryOffset + directorySize
        var cursor = directoryOffset
        for _ in 0..<count {
            guard cursor + 46 <= directoryEnd, try bytes.u32(cursor) == 0x0201_4B50 else {
                throw TableFileError.malformed("its ZIP central directory is damaged")
            }
            let flags = try bytes.u16(cursor + 8)
            let method = try bytes.u16(cursor + 10)
            let crc = try bytes.u32(cursor + 16)
            var compressed = UInt64(try bytes.u32(cursor + 20))
            var uncompressed = UInt64(try bytes.u32(cursor + 24))
            let nameLength = Int(try bytes.u16(cursor + 28))
            let extraLength = Int(try bytes.u16(cursor + 30))
            let commentLength = Int(try bytes.u16(cursor + 32))
            var offset = UInt64(try bytes.u32(cursor + 42))
            let nameStart = cursor + 46
            let extraStart = nameStart + nameLength
            let next = extraStart + extraLength + commentLength
            guard next <= directoryEnd else { throw TableFileError.malformed("its ZIP central directory is damaged") }
            let name = String(decoding: bytes[nameStart..<extraStart], as: UTF8.self)
            if compressed == 0xFFFF_FFFF || uncompressed == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
                try Self.readZIP64Extra(
                    bytes[extraStart..<extraStart + extraLength], uncompressed: &uncompressed,
                    compressed: &compressed, offset: &offset)
            }
            cursor = next
            if name.hasSuffix("/") { continue }
            if flags & 0x41 != 0 {
                throw TableFileError(
                    .encrypted,
                    "The workbook is encrypted (its ZIP entry \(name) is password-protected). Remove the password and save it again as .xlsx, or export the sheet as CSV.")
            }
            let entry = Entry(
                name: name, method: method, crc: crc,
                compressedSize: try Self.checkedInt(compressed, within: bytes.count),
                uncompressedSize: Int(clamping: uncompressed),
                localHeaderOffset: try Self.checkedInt(offset, within: bytes.count))
            let key = Self.key(name)
            guard entries[key] == nil else {
                throw TableFileError.malformed("its ZIP archive holds two entries named \(name)")
            }
            entries[key] = entry
        }
    }

    /// The entry named `name` (case-insensitively), if any.
    func entry(_ name: String) -> Entry? {
        entries[Self.key(name)]
    }

    /// The bytes of `entry`, inflated to at most `limit` bytes; `overLimit` is the error for more.
    func contents(of entry: Entry, limit: Int, overLimit: () -> TableFileError) throws(TableFileError) -> [UInt8] {
        let header = entry.localHeaderOffset
        guard header + 30 <= bytes.count, try bytes.u32(header) == 0x0403_4B50 else {
            throw TableFileError.malformed(part: entry.name, "has a damaged ZIP header")
        }
        let dataStart = try header + 30 + Int(bytes.u16(header + 26)) + Int(bytes.u16(header + 28))
        guard dataStart <= bytes.count, entry.compressedSize <= bytes.count - dataStart else {
            throw TableFileError.malformed(part: entry.name, "extends past the end of the file")
        }
        let data = bytes[dataStart..<dataStart + entry.compressedSize]
        let contents: [UInt8]
        switch entry.method {
        case 0:
            guard data.count <= limit else { throw overLimit() }
            contents = Array(data)
        case 8:
            do {
                contents = try Inflate.decompress(data, limit: limit, expectedSize: entry.uncompressedSize)
            } catch {
                switch error {
                case .outputLimit: throw overLimit()
                case .corrupt(let reason):
                    throw TableFileError.malformed(part: entry.name, "has corrupt compressed data (\(reason))")
                }
            }
        default:
            throw TableFileError.malformed(part: entry.name, "uses ZIP compression method \(entry.method), which .xlsx does not")
        }
        guard CRC32.checksum(contents) == entry.crc else {
            throw TableFileError.malformed(part: entry.name, "fails its ZIP checksum")
        }
        return contents
    }

    /// Offset of the end-of-central-directory record, searched for in the last 64 KiB (its comment's
    /// most) as the ZIP format places it.
    private static func endOfCentralDirectory(_ bytes: [UInt8]) throws(TableFileError) -> Int {
        let notZIP = TableFileError(
            .notXLSX,
            "The file is not an .xlsx workbook: it is not a ZIP archive. Upload the original .xlsx file, or export the sheet as CSV and upload that.")
        guard bytes.count >= 22 else { throw notZIP }
        var index = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 0xFFFF)
        while index >= lowest {
            if bytes[index] == 0x50, bytes[index + 1] == 0x4B, bytes[index + 2] == 0x05, bytes[index + 3] == 0x06,
                index + 22 + Int(bytes[index + 20]) + Int(bytes[index + 21]) << 8 <= bytes.count
            {
                return index
            }
            index -= 1
        }
        throw notZIP
    }

    private static func readZIP64Extra(
        _ extra: ArraySlice<UInt8>, uncompressed: inout UInt64, compressed: inout UInt64, offset: inout UInt64
    ) throws(TableFileError) {
        let bytes = Array(extra)
        var cursor = 0
        while cursor + 4 <= bytes.count {
            let id = try bytes.u16(cursor)
            let size = Int(try bytes.u16(cursor + 2))
            var field = cursor + 4
            let fieldEnd = field + size
            guard fieldEnd <= bytes.count else { break }
            if id == 0x0001 {
                if uncompressed == 0xFFFF_FFFF, field + 8 <= fieldEnd {
                    uncompressed = try bytes.u64(field)
                    field += 8
                }
                if compressed == 0xFFFF_FFFF, field + 8 <= fieldEnd {
                    compressed = try bytes.u64(field)
                    field += 8
                }
                if offset == 0xFFFF_FFFF, field + 8 <= fieldEnd {
                    offset = try bytes.u64(field)
                }
                return
            }
            cursor = fieldEnd
        }
    }

    private static func checkedInt(_ value: UInt64, within bound: Int) throws(TableFileError) -> Int {
        guard value <= UInt64(bound) else { throw TableFileError.malformed("its ZIP directory gives sizes or offsets past the end of the file") }
        return Int(value)
    }
}

extension [UInt8] {
    func u16(_ offset: Int) throws(TableFileError) -> UInt16 {
        guard offset >= 0, offset + 2 <= count else { throw TableFileError.malformed("its ZIP structure is truncated") }
        return UInt16(self[offset]) | UInt16(self[offset + 1]) << 8
    }

    func u32(_ offset: Int) throws(TableFileError) -> UInt32 {
        guard offset >= 0, offset + 4 <= count else { throw TableFileError.malformed("its ZIP structure is truncated") }
        var value: UInt32 = 0
        for index in (0..<4).reversed() { value = value << 8 | UInt32(self[offset + index]) }
        return value
    }

    func u64(_ offset: Int) throws(TableFileError) -> UInt64 {
        guard offset >= 0, offset + 8 <= count else { throw TableFileError.malformed("its ZIP structure is truncated") }
        var value: UInt64 = 0
        for index in (0..<8).reversed() { value = value << 8 | UInt64(self[offset + index]) }
        return value
    }
}

extension String {
    func replacingBackslashes() -> String {
        guard utf8.contains(UInt8(ascii: "\\")) else { return self }
        return String(decoding: utf8.map { $0 == UInt8(ascii: "\\") ? UInt8(ascii: "/") : $0 }, as: UTF8.self)
    }
}
