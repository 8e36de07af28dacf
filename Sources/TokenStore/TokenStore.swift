public import Crypto
public import Foundation
import GRDB
import WebEncoding

/// The server's persistent state in SQLite: OAuth clients, consents, pending authorizations,
/// authorization codes, grants (holding the user's sealed Parallel API key), token hashes, and
/// the per-user task registry.
///
/// Codes, tokens, client secrets, CSRF tokens, upstream `state` values and browser bindings are
/// stored only as SHA-256 hashes; API keys, task credentials and upstream PKCE verifiers are
/// sealed with AES-GCM. A copy of the database file alone reveals no token and no key.
public final class TokenStore: Sendable {
    let writer: any DatabaseWriter
    let keyring: SealingKeyring
    private let userIDKey: SymmetricKey
    private let clock: @Sendable () -> Date

    /// Opens (creating if needed) the database at `path` as a GRDB `DatabasePool` (WAL, busy timeout 5 s,
    /// foreign keys on); `":memory:"` opens an in-memory `DatabaseQueue` (tests). Does NOT migrate.
    ///
    /// - Parameters:
    ///   - keyring: seals new values under its first key, opens values sealed under any of its keys.
    ///   - userIDKey: the HMAC key deriving user ids from API keys (256 bits recommended).
    ///   - clock: the current time; injectable for tests.
    public init(
        path: String, keyring: SealingKeyring, userIDKey: SymmetricKey,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.foreignKeysEnabled = true
        configuration.label = "TokenStore"
        if path == ":memory:" {
            writer = try DatabaseQueue(configuration: configuration)
        } else {
            writer = try DatabasePool(path: path, configuration: configuration)
        }
        self.keyring = keyring
        self.userIDKey = userIDKey
        self.clock = clock
    }

    /// Closes the database connections; later calls throw. Optional: connections also close on deinit.
    public func close() throws {
        try writer.close()
    }

    /// `"u_"` + first 24 hex chars of HMAC-SHA256(userIDKey, apiKey).
    public func userID(forAPIKey apiKey: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(apiKey.utf8), using: userIDKey)
        return "u_" + String(mac.hexEncoded.prefix(24))
    }

    // MARK: - Helpers shared by the extensions

    /// The store's clock (injectable for tests). Callers stamp the moment a request is presented
    /// with it, so that races are judged on one clock (see ``exchangeCode(_:clientID:presentedAt:accepting:accessToken:accessLifetime:refreshToken:refreshLifetime:extendRegistrationUntil:)``).
    public var currentDate: Date { clock() }

    /// The current time as stored: Unix seconds.
    var now: Double { clock().timeIntervalSince1970 }

    /// SHA-256 of a secret, the only form in which codes, tokens, secrets, CSRF tokens, states and
    /// browser bindings are stored or looked up.
    static func hash(_ secret: String) -> Data {
        Data(SHA256.hash(data: Data(secret.utf8)))
    }

    /// `prefix` + 16 hex chars (64 bits) from the system CSPRNG.
    static func randomID(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let value: UInt64 = generator.next()
        return prefix + withUnsafeBytes(of: value.bigEndian) { $0.hexEncoded }
    }

    /// Compares two hashes without an early exit.
    static func constantTimeEquals(_ lhs: Data, _ rhs: Data) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (left, right) in zip(lhs, rhs) {
            difference |= left ^ right
        }
        return difference == 0
    }

    /// Seals `plaintext` for `context` under the current key.
    func seal(_ plaintext: String, context: String) throws -> SealedValue {
        try keyring.seal(plaintext, context: context)
    }

    /// Opens a sealed column pair read from a row.
    func open(keyID: String, combined: Data, context: String) throws -> String {
        try keyring.open(SealedValue(keyID: keyID, combined: combined), context: context)
    }
}

extension Date {
    /// A stored time (Unix seconds).
    init(unix seconds: Double) {
        self.init(timeIntervalSince1970: seconds)
    }

    /// This time as stored (Unix seconds).
    var unix: Double { timeIntervalSince1970 }
}

/// Space-separated scope tokens, without empties or repeats, in their original order.
func scopeTokens(_ scope: String) -> [String] {
    var seen: Set<String> = []
    return scope.split(separator: " ").map(String.init).filter { seen.insert($0).inserted }
}
