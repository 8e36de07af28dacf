import Crypto
public import Foundation

/// Signs and verifies webhook deliveries the way Parallel sends them (Standard Webhooks).
///
/// A delivery carries three headers: `webhook-id` (the message id, the same on every retry),
/// `webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature`: one or more
/// `v1,<base64>` entries separated by spaces. Each `v1` signature is HMAC-SHA256 over
/// `<webhook-id>.<webhook-timestamp>.<raw body>`, keyed with the account's webhook secret, in
/// standard Base64 with padding.
///
/// Pure: no I/O and no clock of its own (`now` is a parameter), so it is cheap to test.
public struct StandardWebhook: Sendable {
    /// How far a delivery's timestamp may be from `now`, in either direction, by default.
    public static let defaultTolerance: TimeInterval = 300
    /// The prefix of a secret written as Standard Webhooks writes them: `whsec_<base64 of the key>`.
    public static let secretPrefix = "whsec_"
    /// At most this many `v1` entries of one signature header are checked; the rest are ignored.
    /// (Parallel sends one, or two while a secret rotates.)
    public static let maxSignaturesChecked = 8

    /// The header names, lowercase.
    public enum Header {
        public static let id = "webhook-id"
        public static let timestamp = "webhook-timestamp"
        public static let signature = "webhook-signature"
    }

    private let key: SymmetricKey
    /// How far a timestamp may be from `now` (past or future) and still be accepted.
    public let tolerance: TimeInterval

    /// - Parameters:
    ///   - secret: the account's webhook secret. `whsec_<base64>` is decoded (the key is the
    ///     decoded bytes, as Standard Webhooks defines it); any other text is used as is (its UTF-8
    ///     bytes are the key). Surrounding whitespace is ignored.
    ///   - tolerance: seconds a timestamp may be off from `now`; 5 minutes by default.
    /// - Throws: ``WebhookSecretError`` for an empty secret or a `whsec_` secret that is not base64.
    public init(secret: String, tolerance: TimeInterval = StandardWebhook.defaultTolerance) throws(WebhookSecretError) {
        key = SymmetricKey(data: try Self.keyBytes(secret: secret))
        self.tolerance = max(0, tolerance)
    }

    /// The key bytes a secret stands for (see ``init(secret:tolerance:)``).
    static func keyBytes(secret: String) throws(WebhookSecretError) -> [UInt8] {
        let text = secret.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw .empty }
        guard text.hasPrefix(secretPrefix) else { return Array(text.utf8) }
        var encoded = String(text.dropFirst(secretPrefix.count))
        // Accept the key with or without its Base64 padding.
        while encoded.utf8.count % 4 != 0 { encoded += "=" }
        guard let bytes = Data(base64Encoded: encoded), !bytes.isEmpty else { throw .notBase64 }
        return Array(bytes)
    }

    /// The `webhook-signature` value for a delivery: `v1,<base64>`.
    ///
    /// - Parameter timestamp: the `webhook-timestamp` value, Unix seconds.
    public func sign(id: String, timestamp: Int, body: some DataProtocol) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Self.signedContent(id: id, timestamp: String(timestamp), body: body), using: key)
        return "v1," + Data(mac).base64EncodedString()
    }

    /// Checks a delivery's headers against its raw body.
    ///
    /// The signature is checked before the timestamp, so a request that is not signed with the
    /// secret always fails with ``WebhookVerificationError/noValidSignature``, and only an
    /// authentic delivery learns that its timestamp was refused. Signature entries with another
    /// version than `v1` (such as `v1a,`) and entries that are not Base64 are skipped; the
    /// comparison is constant-time (`HMAC.isValidAuthenticationCode`).
    ///
    /// - Parameters:
    ///   - id: the `webhook-id` header; `timestamp`: `webhook-timestamp`; `signature`: `webhook-signature`.
    ///     `nil` or blank means the header is missing.
    ///   - body: the raw request body, exactly as received.
    ///   - now: the current time.
    /// - Returns: the verified delivery's id and timestamp.
    @discardableResult
    public func verify(id: String?, timestamp: String?, signature: String?, body: some DataProtocol, now: Date = Date())
        throws(WebhookVerificationError) -> VerifiedWebhook
    {
        guard let id = Self.present(id) else { throw .missingHeader(Header.id) }
        guard let timestampText = Self.present(timestamp) else { throw .missingHeader(Header.timestamp) }
        guard let signature = Self.present(signature) else { throw .missingHeader(Header.signature) }

        let content = Self.signedContent(id: id, timestamp: timestampText, body: body)
        let candidates = Self.v1Signatures(in: signature).prefix(Self.maxSignaturesChecked)
        guard candidates.contains(where: { HMAC<SHA256>.isValidAuthenticationCode($0, authenticating: content, using: key) }) else {
            throw .noValidSignature
        }

        guard timestampText.utf8.count <= 15, timestampText.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            let seconds = Int(timestampText)
        else { throw .malformedTimestamp }
        let sent = Date(timeIntervalSince1970: TimeInterval(seconds))
        let offset = sent.timeIntervalSince(now)
        if offset < -tolerance { throw .timestampTooOld }
        if offset > tolerance { throw .timestampInFuture }
        return VerifiedWebhook(id: id, timestamp: sent)
    }

    /// `<id>.<timestamp>.<body>`, the bytes a signature covers.
    static func signedContent(id: String, timestamp: String, body: some DataProtocol) -> Data {
        var content = Data()
        content.reserveCapacity(id.utf8.count + timestamp.utf8.count + 2 + body.count)
        content.append(contentsOf: Array(id.utf8))
        content.append(UInt8(ascii: "."))
        content.append(contentsOf: Array(timestamp.utf8))
        content.append(UInt8(ascii: "."))
        content.append(contentsOf: body)
        return content
    }

    /// The decoded signatures of the `v1` entries, in order; other versions and bad Base64 are skipped.
    static func v1Signatures(in header: String) -> [Data] {
        header.split(separator: " ", omittingEmptySubsequences: true).compactMap { entry in
            guard let comma = entry.firstIndex(of: ","), entry[..<comma] == "v1" else { return nil }
            return Data(base64Encoded: String(entry[entry.index(after: comma)...]))
        }
    }

    static func present(_ value: String?) -> String? {
        guard let text = value?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        return text
    }
}

/// A delivery whose signature and timestamp were accepted.
public struct VerifiedWebhook: Sendable, Hashable {
    /// The `webhook-id`: the same on every retry of one message, so it is the replay key.
    public var id: String
    /// When this attempt was sent (`webhook-timestamp`).
    public var timestamp: Date

    public init(id: String, timestamp: Date) {
        self.id = id
        self.timestamp = timestamp
    }
}

/// Why a delivery was refused.
public enum WebhookVerificationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A required header is missing or blank (its name, e.g. `webhook-signature`).
    case missingHeader(String)
    /// No `v1` signature in `webhook-signature` matches the secret, id, timestamp and body.
    case noValidSignature
    /// `webhook-timestamp` is not a whole number of Unix seconds.
    case malformedTimestamp
    /// The timestamp is older than the tolerance allows (a replay, or a clock far behind).
    case timestampTooOld
    /// The timestamp is further in the future than the tolerance allows.
    case timestampInFuture

    public var description: String {
        switch self {
        case .missingHeader(let name): "the \(name) header is missing"
        case .noValidSignature: "no webhook-signature entry is a valid v1 signature for this delivery"
        case .malformedTimestamp: "webhook-timestamp is not a number of Unix seconds"
        case .timestampTooOld: "webhook-timestamp is older than the tolerance allows"
        case .timestampInFuture: "webhook-timestamp is further in the future than the tolerance allows"
        }
    }
}

/// Why a webhook secret could not be used.
public enum WebhookSecretError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The secret is empty.
    case empty
    /// The secret starts with `whsec_` but the rest is not Base64.
    case notBase64

    public var description: String {
        switch self {
        case .empty: "the webhook secret is empty"
        case .notBase64: "a webhook secret starting with whsec_ must continue with Base64"
        }
    }
}
