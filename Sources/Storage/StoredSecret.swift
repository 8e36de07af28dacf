public import Foundation
public import Crypto
import WebEncoding

/// How secrets are kept by every backend: codes, tokens, client secrets, CSRF tokens, upstream
/// `state` values and browser bindings are stored and looked up only as SHA-256 hashes, and new
/// row ids come from the system CSPRNG.
public enum StoredSecret {
    /// SHA-256 of a secret.
    public static func hash(_ secret: String) -> Data {
        Data(SHA256.hash(data: Data(secret.utf8)))
    }

    /// Whether `secret` hashes to `hash`, compared in constant time.
    public static func matches(_ secret: String, hash: Data) -> Bool {
        ConstantTime.equal(Self.hash(secret), hash)
    }

    /// `prefix` + 16 hex chars (64 bits) from the system CSPRNG: a row id, never a secret.
    public static func randomID(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let value: UInt64 = generator.next()
        return prefix + withUnsafeBytes(of: value.bigEndian) { $0.hexEncoded }
    }
}

/// The additional data each sealed column is bound to, so a sealed value cannot be moved to another row.
public enum SealContext {
    /// A grant's API key.
    public static func grant(_ id: String) -> String { "grant:\(id)" }
    /// A pending sign-in's upstream PKCE verifier.
    public static func pending(_ id: String) -> String { "pending:\(id)" }
    /// A task's credential.
    public static func task(_ id: String) -> String { "task:\(id)" }
}

/// Derives the stable, opaque user id of an API key: `"u_"` + the first 24 hex chars of
/// HMAC-SHA256(key, apiKey). The same key gives the same user on every replica and backend.
public struct UserIDs: Sendable {
    /// The MAC with the key already absorbed: each id then costs only the key's own blocks
    /// (it is on the path of every request that sends an API key directly).
    private let keyed: HMAC<SHA256>

    public init(key: SymmetricKey) {
        keyed = HMAC<SHA256>(key: key)
    }

    /// The user id of `apiKey`.
    public func id(forAPIKey apiKey: String) -> String {
        var mac = keyed
        var apiKey = apiKey
        apiKey.withUTF8 { mac.update(data: UnsafeRawBufferPointer($0)) }
        let hex = Array("0123456789abcdef".utf8)
        return mac.finalize().withUnsafeBytes { digest in
            // 12 bytes make the 24 hex characters of the id.
            String(unsafeUninitializedCapacity: 26) { buffer in
                buffer[0] = UInt8(ascii: "u")
                buffer[1] = UInt8(ascii: "_")
                for (position, byte) in digest.prefix(12).enumerated() {
                    buffer[2 + 2 * position] = hex[Int(byte >> 4)]
                    buffer[3 + 2 * position] = hex[Int(byte & 0x0F)]
                }
                return 26
            }
        }
    }
}

/// Space-separated scope tokens, without empties or repeats, in their original order.
public enum ScopeList {
    /// The tokens of `scope`.
    public static func tokens(_ scope: String) -> [String] {
        var seen: Set<String> = []
        return scope.split(separator: " ").map(String.init).filter { seen.insert($0).inserted }
    }
}
