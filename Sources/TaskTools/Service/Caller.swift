import Crypto
import Foundation
public import ParallelAPI
import WebEncoding

/// Who is asking, and the Parallel API key their requests run with.
public struct Caller: Sendable, Hashable {
    /// A stable, non-secret identifier of the caller: tasks and view links are bound to it.
    public var subject: String
    /// The caller's Parallel API key. Never logged, never returned to a client.
    public var apiKey: APIKey

    public init(subject: String, apiKey: APIKey) {
        self.subject = subject
        self.apiKey = apiKey
    }

    /// A caller who sent their Parallel API key directly (`Authorization: Bearer <key>`). The
    /// subject is derived from a SHA-256 of the key, so it names the key without revealing it.
    public static func apiKey(_ key: APIKey) -> Caller {
        let digest = SHA256.hash(data: Data("task-mcp/api-key-subject\n\(key.secret)".utf8))
        return Caller(subject: "key:\(digest.prefix(12).hexEncoded)", apiKey: key)
    }
}
