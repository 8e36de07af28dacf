import Crypto
import Foundation
import Testing
import Storage
import StoreTestSupport

private let keyBytes = Data((0..<32).map { UInt8($0 * 7 % 256) })

/// The keyring and user ids every backend uses (no store involved).
@Suite struct SealingKeyringTests {
    @Test func parsesStandardAndURLSafeBase64() throws {
        let standard = keyBytes.base64EncodedString()
        let urlSafe = keyBytes.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        let keyring = try SealingKeyring.parse("k2026:\(standard), k2025:\(urlSafe)")
        #expect(keyring.currentKeyID == "k2026")
        #expect(keyring.keyIDs == ["k2026", "k2025"])

        // Both entries decode to the same key: what one seals, the other opens.
        let sealed = try keyring.seal("hello", context: "c")
        let swapped = SealedValue(keyID: "k2025", combined: sealed.combined)
        #expect(try keyring.open(swapped, context: "c") == "hello")
    }

    static let badKeyrings: [(text: String, expected: String)] = {
        let good = keyBytes.base64EncodedString()
        let short = Data(repeating: 1, count: 16).base64EncodedString()
        return [
            ("k1:not*base64!!", "not valid base64"),
            ("k1:" + short, "32 bytes"),
            ("k1:" + good + ",k1:" + good, "duplicate"),
            (good, "expected id:base64key"),
            ("bad id!:" + good, "id must match"),
            ("", "expected id:base64key"),
        ]
    }()

    @Test(arguments: badKeyrings)
    func rejectsBadKeyringsWithoutEchoingKeys(text: String, expected: String) throws {
        do {
            _ = try SealingKeyring.parse(text)
            Issue.record("parsed \(text.count) characters without error")
        } catch let error as SealingError {
            guard case .invalidKeyring(let message) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(message.contains(expected), "\(message)")
            for secret in [keyBytes.base64EncodedString(), "not*base64!!", Data(repeating: 1, count: 16).base64EncodedString()] {
                #expect(!error.description.contains(secret))
                #expect(!String(describing: error).contains(secret))
            }
        }
    }

    @Test func initRejectsEmptyShortKeysAndBadIDs() {
        #expect(throws: SealingError.self) { try SealingKeyring(keys: []) }
        #expect(throws: SealingError.self) {
            try SealingKeyring(keys: [(id: "k", key: SymmetricKey(size: .bits128))])
        }
        #expect(throws: SealingError.self) {
            try SealingKeyring(keys: [(id: String(repeating: "a", count: 33), key: SymmetricKey(size: .bits256))])
        }
        #expect(throws: SealingError.self) {
            try SealingKeyring(keys: [(id: "a", key: SymmetricKey(size: .bits256)), (id: "a", key: SymmetricKey(size: .bits256))])
        }
    }

    @Test func sealOpenRoundTripAndContextBinding() throws {
        let keyring = try Keys.keyring("new", "old")
        let sealed = try keyring.seal("par_secret", context: "grant:grt_1")
        #expect(sealed.keyID == "new")
        #expect(!sealed.combined.isEmpty)
        #expect(try keyring.open(sealed, context: "grant:grt_1") == "par_secret")
        // Fresh nonce every time.
        #expect(try keyring.seal("par_secret", context: "grant:grt_1") != sealed)

        #expect(throws: SealingError.corrupt) { try keyring.open(sealed, context: "grant:grt_2") }
        var tampered = sealed
        tampered.combined[tampered.combined.startIndex + 14] ^= 0x01
        #expect(throws: SealingError.corrupt) { try keyring.open(tampered, context: "grant:grt_1") }
        #expect(throws: SealingError.corrupt) {
            try keyring.open(SealedValue(keyID: "new", combined: Data([1, 2, 3])), context: "grant:grt_1")
        }
    }

    @Test func unknownKeyIDFails() throws {
        let sealed = try Keys.keyring("old").seal("v", context: "c")
        #expect(throws: SealingError.unknownKey("old")) { try Keys.keyring("new").open(sealed, context: "c") }
        // Any key of the ring opens.
        #expect(try Keys.keyring("new", "old").open(sealed, context: "c") == "v")
    }

    @Test func userIDIsAKeyedHashOfTheAPIKey() {
        let userIDs = UserIDs(key: Keys.userID)
        let id = userIDs.id(forAPIKey: Sample.apiKey)
        #expect(id.hasPrefix("u_"))
        #expect(id.count == 26)
        #expect(id.dropFirst(2).allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(userIDs.id(forAPIKey: Sample.apiKey) == id)
        #expect(userIDs.id(forAPIKey: Sample.apiKey + "x") != id)
        let mac = HMAC<SHA256>.authenticationCode(for: Data(Sample.apiKey.utf8), using: Keys.userID)
        let hex = mac.map { String(format: "%02x", $0) }.joined()
        #expect(id == "u_" + hex.prefix(24))
    }
}

@Suite struct UserIDTests {
    /// The id as first defined: HMAC-SHA256 of the whole key, hex, first 24 characters.
    static func reference(_ apiKey: String, key: SymmetricKey) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(apiKey.utf8), using: key)
        return "u_" + mac.map { String(format: "%02x", $0) }.joined().prefix(24)
    }

    @Test("an id derived from the kept MAC state equals the one-shot HMAC, for keys of any length")
    func matchesTheDefinition() {
        let key = SymmetricKey(data: Data((0..<32).map { UInt8($0) }))
        let ids = UserIDs(key: key)
        for length in [0, 1, 8, 55, 56, 63, 64, 65, 200, 512] {
            let apiKey = String(repeating: "k", count: length) + "é"
            #expect(ids.id(forAPIKey: apiKey) == Self.reference(apiKey, key: key))
        }
        #expect(ids.id(forAPIKey: "sandbox-demo-key") == ids.id(forAPIKey: "sandbox-demo-key"))
        #expect(ids.id(forAPIKey: "a") != ids.id(forAPIKey: "b"))
    }

    @Test("ids derived concurrently from one value are all correct")
    func concurrent() async {
        let key = SymmetricKey(size: .bits256)
        let ids = UserIDs(key: key)
        let wrong = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<200 {
                group.addTask { ids.id(forAPIKey: "key-\(index)") != Self.reference("key-\(index)", key: key) }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(wrong == 0)
    }
}
