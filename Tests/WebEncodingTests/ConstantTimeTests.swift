import Foundation
import Testing
import WebEncoding

@Suite("Constant-time comparison")
struct ConstantTimeTests {
    @Test("equal exactly when the bytes are")
    func equality() {
        #expect(ConstantTime.equal("abc", "abc"))
        #expect(ConstantTime.equal("", ""))
        #expect(!ConstantTime.equal("abc", "abd"))
        #expect(!ConstantTime.equal("abc", "ab"))
        #expect(!ConstantTime.equal("", "a"))
        #expect(ConstantTime.equal(Data([1, 2, 3]), Data([1, 2, 3])))
        #expect(!ConstantTime.equal(Data([1, 2, 3]), Data([1, 2, 4])))
    }

    /// Lengths that agree in their low byte still differ: 256 NUL bytes are not the empty string.
    @Test("lengths are compared whole")
    func lengthsWhole() {
        #expect(!ConstantTime.equal([UInt8](), [UInt8](repeating: 0, count: 256)))
        #expect(!ConstantTime.equal("", String(repeating: "\u{0}", count: 256)))
    }
}
