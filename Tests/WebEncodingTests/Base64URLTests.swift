import Foundation
import Testing
import WebEncoding

@Suite("Base64url and hex")
struct Base64URLTests {
    @Test("encodes with the URL alphabet and no padding")
    func encodesWithoutPadding() {
        #expect(Data([0xFB, 0xFF]).base64URLEncoded() == "-_8")
        #expect(Data([0xFB, 0xEF, 0xBE]).base64URLEncoded() == "----")
        #expect(Data([0xFF, 0xFF, 0xFF]).base64URLEncoded() == "____")
        #expect(Data("f".utf8).base64URLEncoded() == "Zg")
        #expect(Data("fo".utf8).base64URLEncoded() == "Zm8")
        #expect(Data("foo".utf8).base64URLEncoded() == "Zm9v")
        #expect(Data().base64URLEncoded() == "")
    }

    @Test("decoding undoes encoding for every byte value and every length remainder")
    func roundTrips() {
        let bytes = Data((0...255).map { UInt8($0) })
        for length in [0, 1, 2, 3, 4, 255, 256] {
            let data = bytes.prefix(length)
            let text = data.base64URLEncoded()
            #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"), "\(text)")
            #expect(Data(base64URLEncoded: text) == data, "length \(length)")
        }
    }

    @Test("decodes unpadded base64url")
    func decodesUnpadded() {
        #expect(Data(base64URLEncoded: "-_8") == Data([0xFB, 0xFF]))
        #expect(Data(base64URLEncoded: "Zg") == Data("f".utf8))
        #expect(Data(base64URLEncoded: "") == Data())
    }

    // View links carry base64url tokens: anything outside the alphabet must be refused, not
    // repaired, so that one token has one spelling.
    @Test("refuses padding, the standard alphabet's + and /, whitespace and other characters", arguments: [
        "Zg==", "Zm8=", "Zg=", "+/8", "ab/c", "ab+c", "Zm9v\n", " Zm9v", "Zm 9v", "Zm9v.", "Zm9v%3D", "é", "Zm9v\u{0}",
    ])
    func refusesNonAlphabetCharacters(_ text: String) {
        #expect(Data(base64URLEncoded: text) == nil)
    }

    @Test("refuses a length that no byte string encodes to (one character past a group)", arguments: ["A", "Zm9vA"])
    func refusesImpossibleLengths(_ text: String) {
        #expect(Data(base64URLEncoded: text) == nil)
    }

    @Test("hex is lowercase, two digits per byte, leading zeros kept")
    func hex() {
        #expect([UInt8]([0x00, 0x0F, 0xAB, 0xFF]).hexEncoded == "000fabff")
        #expect(Data([0x01, 0x23, 0x45, 0x67, 0x89]).hexEncoded == "0123456789")
        #expect([UInt8]().hexEncoded == "")
    }
}
