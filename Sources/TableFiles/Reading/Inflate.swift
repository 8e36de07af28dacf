/// A DEFLATE (RFC 1951) decoder bounded by its output: it stops with ``Failure/outputLimit`` as soon as
/// the bytes it has actually produced would pass the limit, whatever sizes the archive declares, and
/// with ``Failure/corrupt`` on any invalid or truncated stream (it never reads past its input).
enum Inflate {
    enum Failure: Error, Equatable {
        case corrupt(String)
        case outputLimit
    }

    /// The bytes `input` inflates to, at most `limit` of them.
    static func decompress(_ input: ArraySlice<UInt8>, limit: Int, expectedSize: Int) throws(Failure) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(max(0, min(expectedSize, limit, 64 << 20)))
        let result: Result<Void, Failure> = input.withUnsafeBufferPointer { buffer in
            var state = Decoder(bits: BitReader(input: buffer), limit: limit)
            do throws(Failure) {
                try state.run(into: &output)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
        return output
    }

    private struct Decoder {
        var bits: BitReader
        let limit: Int

        mutating func run(into output: inout [UInt8]) throws(Failure) {
            var final = false
            while !final {
                final = try bits.take(1) == 1
                switch try bits.take(2) {
                case 0: try stored(into: &output)
                case 1: try codes(Fixed.literals, Fixed.distances, into: &output)
                case 2:
                    let (literals, distances) = try dynamicTables()
                    try codes(literals, distances, into: &output)
                default: throw .corrupt("invalid block type")
                }
            }
        }

        mutating func stored(into output: inout [UInt8]) throws(Failure) {
            bits.alignToByte()
            let length = Int(try bits.take(16))
            let complement = Int(try bits.take(16))
            guard length == ~complement & 0xFFFF else { throw .corrupt("stored block length check failed") }
            guard output.count + length <= limit else { throw .outputLimit }
            try bits.copyBytes(length, into: &output)
        }

        mutating func dynamicTables() throws(Failure) -> (Huffman, Huffman) {
            let literalCount = Int(try bits.take(5)) + 257
            let distanceCount = Int(try bits.take(5)) + 1
            let codeLengthCount = Int(try bits.take(4)) + 4
            guard literalCount <= 286, distanceCount <= 30 else { throw .corrupt("too many length or distance codes") }
            var codeLengthLengths = [UInt8](repeating: 0, count: 19)
            for index in 0..<codeLengthCount {
                codeLengthLengths[Self.codeLengthOrder[index]] = try UInt8(bits.take(3))
            }
            let codeLengths = try Huffman(lengths: codeLengthLengths)
            var lengths: [UInt8] = []
            lengths.reserveCapacity(literalCount + distanceCount)
            while lengths.count < literalCount + distanceCount {
                let symbol = try bits.decode(codeLengths)
                switch symbol {
                case 0...15:
                    lengths.append(UInt8(symbol))
                case 16:
                    guard let previous = lengths.last else { throw .corrupt("repeat with no previous length") }
                    let count = try 3 + Int(bits.take(2))
                    lengths.append(contentsOf: repeatElement(previous, count: count))
                case 17:
                    lengths.append(contentsOf: repeatElement(0, count: try 3 + Int(bits.take(3))))
                default:
                    lengths.append(contentsOf: repeatElement(0, count: try 11 + Int(bits.take(7))))
                }
            }
            guard lengths.count == literalCount + distanceCount else { throw .corrupt("code lengths overrun") }
            guard lengths[256] != 0 else { throw .corrupt("no end-of-block code") }
            return (
                try Huffman(lengths: Array(lengths[0..<literalCount])),
                try Huffman(lengths: Array(lengths[literalCount...]))
            )
        }

        mutating func codes(_ literals: Huffman, _ distances: Huffman, into output: inout [UInt8]) throws(Failure) {
            while true {
                let symbol = try bits.decode(literals)
                if symbol < 256 {
                    guard output.count < limit else { throw .outputLimit }
                    output.append(UInt8(truncatingIfNeeded: symbol))
                    continue
                }
                if symbol == 256 { return }
                let lengthIndex = symbol - 257
                guard lengthIndex < Self.lengthBase.count else { throw .corrupt("invalid length code") }
                let length = try Self.lengthBase[lengthIndex] + Int(bits.take(Self.lengthExtra[lengthIndex]))
                let distanceSymbol = try bits.decode(distances)
                guard distanceSymbol < Self.distanceBase.count else { throw .corrupt("invalid distance code") }
                let distance = try Self.distanceBase[distanceSymbol] + Int(bits.take(Self.distanceExtra[distanceSymbol]))
                guard distance <= output.count else { throw .corrupt("distance too far back") }
                guard output.count + length <= limit else { throw .outputLimit }
                // Byte by byte: the source may overlap what is being written, and appending a slice
                // of `output` to itself would copy the whole array.
                let start = output.count - distance
                for index in start..<start + length { output.append(output[index]) }
            }
        }

        static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        static let lengthBase = [
            3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
        ]
        static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
        static let distanceBase = [
            1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097,
            6145, 8193, 12289, 16385, 24577,
        ]
        static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    }

    /// The fixed codes of block type 1.
    private enum Fixed {
        static let literals: Huffman = {
            var lengths = [UInt8](repeating: 8, count: 288)
            for index in 144..<256 { lengths[index] = 9 }
            for index in 256..<280 { lengths[index] = 7 }
            // Valid by construction: the fixed lengths form a complete code.
            return (try? Huffman(lengths: lengths)) ?? Huffman.empty
        }()
        static let distances: Huffman = (try? Huffman(lengths: [UInt8](repeating: 5, count: 32))) ?? Huffman.empty
    }

    /// A canonical Huffman code as a lookup table indexed by the next `maxLength` input bits
    /// (least significant first); each entry is `symbol << 4 | length`, 0 for an unused code.
    struct Huffman: Sendable {
        var table: [UInt32]
        var maxLength: Int

        static let empty = Huffman(table: [0, 0], maxLength: 1)

        private init(table: [UInt32], maxLength: Int) {
            self.table = table
            self.maxLength = maxLength
        }

        init(lengths: [UInt8]) throws(Failure) {
            var counts = [Int](repeating: 0, count: 16)
            for length in lengths { counts[Int(length)] += 1 }
            counts[0] = 0
            let maxLength = max(1, counts.lastIndex { $0 > 0 } ?? 1)
            var nextCode = [Int](repeating: 0, count: 16)
            var code = 0
            for length in 1...15 {
                code = (code + counts[length - 1]) << 1
                nextCode[length] = code
                guard code + counts[length] <= 1 << length else { throw .corrupt("over-subscribed code") }
            }
            var table = [UInt32](repeating: 0, count: 1 << maxLength)
            for (symbol, length) in lengths.enumerated() where length > 0 {
                let width = Int(length)
                let value = nextCode[width]
                nextCode[width] += 1
                var reversed = 0
                for bit in 0..<width where value & (1 << bit) != 0 { reversed |= 1 << (width - 1 - bit) }
                let entry = UInt32(symbol) << 4 | UInt32(width)
                var slot = reversed
                while slot < table.count {
                    table[slot] = entry
                    slot += 1 << width
                }
            }
            self.table = table
            self.maxLength = maxLength
        }
    }

    /// Reads bits least significant first. Past the end of the input it shifts in zero bits for
    /// look-ahead only: consuming any of them is a truncated stream.
    struct BitReader {
        let input: UnsafeBufferPointer<UInt8>
        var position = 0
        var buffer: UInt64 = 0
        var count = 0
        var padding = 0

        init(input: UnsafeBufferPointer<UInt8>) {
            self.input = input
        }

        mutating func refill() {
            while count <= 56 {
                if position < input.count {
                    buffer |= UInt64(input[position]) << UInt64(count)
                    position += 1
                } else {
                    padding += 8
                }
                count += 8
            }
        }

        mutating func consume(_ width: Int) throws(Failure) {
            guard width <= count - padding else { throw .corrupt("stream ends early") }
            buffer >>= UInt64(width)
            count -= width
        }

        mutating func take(_ width: Int) throws(Failure) -> UInt32 {
            if width == 0 { return 0 }
            if count < width { refill() }
            let value = UInt32(truncatingIfNeeded: buffer & ((1 << UInt64(width)) - 1))
            try consume(width)
            return value
        }

        mutating func decode(_ code: Huffman) throws(Failure) -> Int {
            if count < code.maxLength { refill() }
            let entry = code.table[Int(truncatingIfNeeded: buffer) & (code.table.count - 1)]
            let width = Int(entry & 15)
            guard width > 0 else { throw .corrupt("invalid code") }
            try consume(width)
            return Int(entry >> 4)
        }

        mutating func alignToByte() {
            let drop = (count - padding) % 8
            buffer >>= UInt64(drop)
            count -= drop
        }

        mutating func copyBytes(_ length: Int, into output: inout [UInt8]) throws(Failure) {
            var remaining = length
            while remaining > 0, count - padding >= 8 {
                output.append(UInt8(truncatingIfNeeded: buffer))
                buffer >>= 8
                count -= 8
                remaining -= 1
            }
            guard remaining > 0 else { return }
            guard padding == 0 || count == padding else { throw .corrupt("stream ends early") }
            guard position + remaining <= input.count else { throw .corrupt("stream ends early") }
            output.append(contentsOf: input[position..<position + remaining])
            position += remaining
            buffer = 0
            count = 0
            padding = 0
        }
    }
}

/// CRC-32 (ISO 3309, as in ZIP) of some bytes.
enum CRC32 {
    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        bytes.withUnsafeBufferPointer { buffer in
            for byte in buffer {
                crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
            }
        }
        return crc ^ 0xFFFF_FFFF
    }

    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }
}
