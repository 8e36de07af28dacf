import Crypto
import Foundation
import WebEncoding

/// Random identifiers and secrets, and PKCE.
///
/// Every secret carries a prefix naming what it is (so a leaked one is recognisable in logs and
/// secret scanners) followed by 256 bits from the system CSPRNG, base64url-encoded.
enum Secrets {
    /// What every value minted here starts with; a Parallel API key never does.
    static let issuedPrefix = "tmcp_"
    static let accessTokenPrefix = issuedPrefix + "at_"
    static let refreshTokenPrefix = issuedPrefix + "rt_"
    static let codePrefix = issuedPrefix + "ac_"
    static let clientSecretPrefix = issuedPrefix + "cs_"

    /// `prefix` + base64url of `bytes` random bytes.
    static func random(_ prefix: String, bytes: Int = 32) -> String {
        let key = SymmetricKey(size: SymmetricKeySize(bitCount: bytes * 8))
        return prefix + key.withUnsafeBytes { Data($0) }.base64URLEncoded()
    }

    /// S256: `base64url(SHA-256(verifier)) == challenge`, compared in constant time.
    static func verifyPKCE(verifier: String, challenge: String) -> Bool {
        guard isValidVerifier(verifier) else { return false }
        let computed = Data(SHA256.hash(data: Data(verifier.utf8))).base64URLEncoded()
        return ConstantTime.equal(computed, challenge)
    }

    /// The S256 challenge of a verifier.
    static func challenge(for verifier: String) -> String {
        Data(SHA256.hash(data: Data(verifier.utf8))).base64URLEncoded()
    }

    /// RFC 7636 §4.1: 43–128 characters of `[A-Za-z0-9-._~]`.
    static func isValidVerifier(_ text: String) -> Bool {
        (43...128).contains(text.utf8.count) && text.utf8.allSatisfy(isUnreserved)
    }

    /// An S256 challenge is the base64url of 32 bytes: 43 characters.
    static func isValidChallenge(_ text: String) -> Bool {
        text.utf8.count == 43 && text.utf8.allSatisfy(isUnreserved)
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}
