public import Crypto
public import Foundation

/// A value sealed with AES-GCM: the id of the key that sealed it and the combined
/// nonce ‖ ciphertext ‖ tag.
public struct SealedValue: Sendable, Hashable {
    /// The id of the ``SealingKeyring`` key that sealed the value.
    public var keyID: String
    /// AES-GCM combined representation: 12-byte nonce, ciphertext, 16-byte tag.
    public var combined: Data

    /// Wraps a sealed value read from storage.
    public init(keyID: String, combined: Data) {
        self.keyID = keyID
        self.combined = combined
    }
}

/// Why a keyring could not be built or a value could not be opened.
public enum SealingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The keyring configuration is unusable; the message never contains key material.
    case invalidKeyring(String)
    /// The value was sealed under a key id the keyring does not hold.
    case unknownKey(String)
    /// The value is damaged, or was sealed for another context.
    case corrupt

    /// A sentence for logs and operators.
    public var description: String {
        switch self {
        case .invalidKeyring(let reason): "invalid sealing keyring: \(reason)"
        case .unknownKey(let id): "no sealing key with id \"\(id)\" in the keyring"
        case .corrupt: "sealed value is corrupt or belongs to another context"
        }
    }
}

/// AES-GCM sealing keys; the first is current, the others open older rows until rotated.
public struct SealingKeyring: Sendable {
    private let order: [String]
    private let keys: [String: SymmetricKey]

    /// Builds a keyring whose first key seals; all keys open.
    ///
    /// - Throws: ``SealingError/invalidKeyring(_:)`` if `keys` is empty, an id does not match
    ///   `[A-Za-z0-9_-]{1,32}`, an id repeats, or a key is not 256 bits.
    public init(keys: [(id: String, key: SymmetricKey)]) throws {
        guard !keys.isEmpty else { throw SealingError.invalidKeyring("no keys") }
        var order: [String] = []
        var table: [String: SymmetricKey] = [:]
        for (index, entry) in keys.enumerated() {
            guard Self.isValidKeyID(entry.id) else {
                throw SealingError.invalidKeyring("key \(index + 1): id must match [A-Za-z0-9_-]{1,32}")
            }
            guard table[entry.id] == nil else {
                throw SealingError.invalidKeyring("duplicate key id \"\(entry.id)\"")
            }
            guard entry.key.bitCount == 256 else {
                throw SealingError.invalidKeyring("key \"\(entry.id)\" must be 256 bits")
            }
            order.append(entry.id)
            table[entry.id] = entry.key
        }
        self.order = order
        self.keys = table
    }

    /// Parses `id:base64key[,id:base64key…]` (standard or URL-safe base64, 32 bytes).
    /// Error messages never echo key material.
    public static func parse(_ text: String) throws -> SealingKeyring {
        let entries = text.split(separator: ",", omittingEmptySubsequences: false)
        var keys: [(id: String, key: SymmetricKey)] = []
        for (index, rawEntry) in entries.enumerated() {
            let entry = rawEntry.trimmingCharacters(in: .whitespacesAndNewlines)
            guard let colon = entry.firstIndex(of: ":") else {
                throw SealingError.invalidKeyring("entry \(index + 1): expected id:base64key")
            }
            let id = String(entry[..<colon])
            guard isValidKeyID(id) else {
                throw SealingError.invalidKeyring("entry \(index + 1): id must match [A-Za-z0-9_-]{1,32}")
            }
            guard let bytes = decodeBase64(entry[entry.index(after: colon)...]) else {
                throw SealingError.invalidKeyring("key \"\(id)\": not valid base64")
            }
            guard bytes.count == 32 else {
                throw SealingError.invalidKeyring("key \"\(id)\": must decode to 32 bytes, got \(bytes.count)")
            }
            keys.append((id, SymmetricKey(data: bytes)))
        }
        return try SealingKeyring(keys: keys)
    }

    /// The id of the key new values are sealed under.
    public var currentKeyID: String { order[0] }

    /// The ids of every key, current first.
    public var keyIDs: [String] { order }

    /// This keyring with one more key after the others (it opens, never seals), unless a key of
    /// that id is already present.
    public func adding(id: String, key: SymmetricKey) throws -> SealingKeyring {
        guard keys[id] == nil else { return self }
        return try SealingKeyring(keys: order.compactMap { existing in keys[existing].map { (id: existing, key: $0) } } + [(id: id, key: key)])
    }

    /// Seals `plaintext` under the current key, authenticating `context` as additional data.
    public func seal(_ plaintext: String, context: String) throws -> SealedValue {
        let id = currentKeyID
        guard let key = keys[id] else { throw SealingError.unknownKey(id) }
        let box = try AES.GCM.seal(Data(plaintext.utf8), using: key, authenticating: Data(context.utf8))
        guard let combined = box.combined else { throw SealingError.corrupt }
        return SealedValue(keyID: id, combined: combined)
    }

    /// Opens a value sealed by ``seal(_:context:)`` under any key of the keyring, for the same `context`.
    ///
    /// - Throws: ``SealingError/unknownKey(_:)`` or ``SealingError/corrupt``.
    public func open(_ sealed: SealedValue, context: String) throws -> String {
        guard let key = keys[sealed.keyID] else { throw SealingError.unknownKey(sealed.keyID) }
        let plaintext: Data
        do {
            let box = try AES.GCM.SealedBox(combined: sealed.combined)
            plaintext = try AES.GCM.open(box, using: key, authenticating: Data(context.utf8))
        } catch {
            throw SealingError.corrupt
        }
        guard let text = String(data: plaintext, encoding: .utf8) else { throw SealingError.corrupt }
        return text
    }

    private static func isValidKeyID(_ id: String) -> Bool {
        (1...32).contains(id.utf8.count)
            && id.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
                    true
                default:
                    false
                }
            }
    }

    /// Standard or URL-safe base64, padded or not.
    private static func decodeBase64(_ text: Substring) -> Data? {
        var normalized = String(text).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        switch normalized.utf8.count % 4 {
        case 2: normalized += "=="
        case 3: normalized += "="
        default: break
        }
        return Data(base64Encoded: normalized)
    }
}
