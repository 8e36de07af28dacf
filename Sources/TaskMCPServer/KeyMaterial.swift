import Crypto
import Foundation
import Logging
import Storage

/// The keys derived from the configuration's secrets.
///
/// `TASK_MCP_SECRET_KEY` keys progress links and, through HKDF with distinct labels, the user-id
/// hash and (unless `TASK_MCP_SEALING_KEYS` is given) the sealing key. Without it every key is
/// random per process: fine for a try-out, not for a database that must outlive the process.
struct KeyMaterial: Sendable {
    let links: SymmetricKey
    let userID: SymmetricKey
    let keyring: SealingKeyring

    init(configuration: ServerConfiguration, logger: Logger) throws {
        let secret: SymmetricKey
        if let bytes = configuration.secretKeyBytes {
            secret = SymmetricKey(data: bytes)
        } else {
            secret = SymmetricKey(size: .bits256)
            logger.notice(
                "TASK_MCP_SECRET_KEY is not set: a random key is used, so progress links, sign-ins and stored grants stop working when this process restarts.")
        }
        links = secret
        userID = Self.derive(secret, label: "task-mcp/user-id/v1")
        let derived = (id: "derived", key: Self.derive(secret, label: "task-mcp/sealing/v1"))
        if let text = configuration.sealingKeys {
            // Explicit keys seal; the key derived from the secret still opens what was sealed
            // before they were configured (until `admin rotate-key` has re-sealed it).
            let explicit = try SealingKeyring.parse(text)
            keyring = configuration.secretKeyBytes == nil ? explicit : try explicit.adding(id: derived.id, key: derived.key)
        } else {
            keyring = try SealingKeyring(keys: [derived])
        }
    }

    static func derive(_ secret: SymmetricKey, label: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: secret, info: Data(label.utf8), outputByteCount: 32)
    }
}
