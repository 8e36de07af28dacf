public import Foundation

/// The OAuth rule for presenting an authorization code (single use, RFC 6749 §4.1.2 and the race
/// rule in ARCHITECTURE.md), as a pure decision over what the store read inside its transaction.
public enum CodeRedemption {
    /// A stored code and its grant.
    public struct Snapshot: Sendable, Hashable {
        public var grant: CodeGrant
        public var expiresAt: Date
        /// When the code was redeemed, on the store's clock; `nil` while unused.
        public var usedAt: Date?

        public init(grant: CodeGrant, expiresAt: Date, usedAt: Date?) {
            self.grant = grant
            self.expiresAt = expiresAt
            self.usedAt = usedAt
        }
    }

    /// What the backend must do.
    public enum Decision: Sendable, Equatable {
        /// Change nothing and answer `outcome` (``CodeExchange/invalid`` or ``CodeExchange/raced``).
        case refuse(CodeExchange)
        /// A replay: delete the grant and every token issued from it, answer ``CodeExchange/replayed``.
        case revokeGrant(String)
        /// First use: mark the code used at `usedAt`, then run the caller's checks of the request
        /// (redirect URI, PKCE) and issue, or revoke the grant when they refuse.
        case redeem(usedAt: Date, grant: CodeGrant)
    }

    /// Decides a code presentation. Times are compared as given: a backend passes `presentedAt` at
    /// the precision it stores times (`atStoredPrecision`), so that an equal moment stays equal.
    ///
    /// - unknown or another client's code: ``CodeExchange/invalid``;
    /// - used, and presented no later than its use (in flight alongside the winner):
    ///   ``CodeExchange/raced``, nothing revoked;
    /// - used, presented afterwards: a replay (even after it expired, until purged);
    /// - expired: ``CodeExchange/invalid``;
    /// - else redeem, never before the presentation (a clock step must not make the winner's own
    ///   presentation look like a later replay).
    public static func decide(_ snapshot: Snapshot?, clientID: String, presentedAt: Date, now: Date) -> Decision {
        guard let snapshot, snapshot.grant.clientID == clientID else { return .refuse(.invalid) }
        if let usedAt = snapshot.usedAt {
            return presentedAt <= usedAt ? .refuse(.raced) : .revokeGrant(snapshot.grant.grantID)
        }
        guard snapshot.expiresAt > now else { return .refuse(.invalid) }
        return .redeem(usedAt: max(now, presentedAt), grant: snapshot.grant)
    }
}
