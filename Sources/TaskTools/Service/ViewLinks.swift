public import Crypto
import Foundation
import WebEncoding

/// Unguessable, revocable links to a task's progress page, bound to the task and its creator.
///
/// A link token is `HMAC-SHA256(key, "task-mcp/view/v1", task id, creator, nonce)`, base64url
/// encoded. The server keeps only the key and each task's random nonce, so it can show the same
/// link again (in `listTasks`) without storing the token; rotating the nonce revokes every link
/// issued for the task. Checking a token is constant-time. The API key never appears in a URL.
public struct ViewLinks: Sendable {
    private let key: SymmetricKey

    /// - Parameter key: at least 256 bits; from configuration, so links survive restarts and
    ///   work across replicas that share it.
    public init(key: SymmetricKey) {
        self.key = key
    }

    /// A fresh random nonce for a new task (128 bits, hex).
    public static func newNonce() -> String {
        SymmetricKey(size: .bits128).withUnsafeBytes { $0.hexEncoded }
    }

    /// The view token for a record.
    public func token(for record: TaskRecord) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Self.message(for: record), using: key)
        return Data(mac).base64URLEncoded()
    }

    /// Whether `token` is the current view token of `record`.
    public func isValid(_ token: String, for record: TaskRecord) -> Bool {
        // Only the canonical encoding is accepted, so each link has exactly one spelling.
        guard let mac = Data(base64URLEncoded: token), mac.count == SHA256.byteCount, mac.base64URLEncoded() == token else {
            return false
        }
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Self.message(for: record), using: key)
    }

    private static func message(for record: TaskRecord) -> Data {
        Data(["task-mcp/view/v1", record.id, record.owner, record.linkNonce].joined(separator: "\n").utf8)
    }
}
