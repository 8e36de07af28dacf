/// Comparing secrets (hashes, PKCE challenges) without an early exit at the first difference.
public enum ConstantTime {
    /// Whether `lhs` and `rhs` hold the same bytes, in time that depends on their lengths only.
    public static func equal(_ lhs: some Sequence<UInt8>, _ rhs: some Sequence<UInt8>) -> Bool {
        let left = Array(lhs)
        let right = Array(rhs)
        // Lengths whole (not truncated to a byte, where 0 and 256 would agree), padded with zeros.
        var difference = left.count ^ right.count
        for index in 0..<max(left.count, right.count) {
            difference |= Int((index < left.count ? left[index] : 0) ^ (index < right.count ? right[index] : 0))
        }
        return difference == 0
    }

    /// Whether two strings have the same UTF-8 bytes, compared as bytes are above.
    public static func equal(_ lhs: String, _ rhs: String) -> Bool {
        equal(lhs.utf8, rhs.utf8)
    }
}
