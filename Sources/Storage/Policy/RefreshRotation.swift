public import Foundation

/// The OAuth rule for presenting a refresh token (RFC 9700 §4.14: rotation with reuse detection),
/// as a pure decision over what the store read. Every backend reads a ``Snapshot`` and applies the
/// ``Decision`` inside one write transaction, so the rule itself is written once, here.
public enum RefreshRotation {
    /// A stored refresh token and its grant, as read inside the transaction.
    public struct Snapshot: Sendable, Hashable {
        public var tokenID: String
        public var state: TokenState
        public var expiresAt: Date
        /// When the token was consumed (rotated), on the store's clock; `nil` while unused.
        public var consumedAt: Date?
        public var grant: GrantScope

        public init(tokenID: String, state: TokenState, expiresAt: Date, consumedAt: Date?, grant: GrantScope) {
            self.tokenID = tokenID
            self.state = state
            self.expiresAt = expiresAt
            self.consumedAt = consumedAt
            self.grant = grant
        }
    }

    /// What the backend must do.
    public enum Decision: Sendable, Equatable {
        /// Change nothing and answer `outcome`.
        case refuse(RefreshOutcome)
        /// Delete the grant and all its tokens (a retired token came back), answer ``RefreshOutcome/reused``.
        case revokeGrant(String)
        /// Rotate, as ``Rotation`` says; answer ``RefreshOutcome/rotated(_:)`` with its grant.
        case rotate(Rotation)
    }

    /// What a rotation changes.
    public struct Rotation: Sendable, Hashable {
        /// The presented token, which becomes `presentedBecomes`, consumed at `consumedAt`; every
        /// other refresh token of the grant becomes `retired`.
        public var tokenID: String
        public var presentedBecomes: TokenState
        public var consumedAt: Date
        /// The grant, its scope that of the new access token (possibly narrowed).
        public var grant: GrantScope
        /// The new active refresh token's scope: the grant's whole scope, so that a later refresh
        /// may ask for any part of it.
        public var refreshScope: String

        public init(tokenID: String, presentedBecomes: TokenState, consumedAt: Date, grant: GrantScope, refreshScope: String) {
            self.tokenID = tokenID
            self.presentedBecomes = presentedBecomes
            self.consumedAt = consumedAt
            self.grant = grant
            self.refreshScope = refreshScope
        }
    }

    /// Decides a refresh request. Times are compared as given: a backend passes `presentedAt` at
    /// the precision it stores times (`atStoredPrecision`), so that an equal moment stays equal.
    ///
    /// - unknown, expired, or another client's token: ``RefreshOutcome/invalid``;
    /// - presented no later than the moment it was consumed (it was in flight alongside the request
    ///   that rotated it): ``RefreshOutcome/raced``, nothing changes;
    /// - `retired` (reuse after the one honoured retry): revoke the grant;
    /// - a requested scope (space-separated; empty counts as absent) beyond the grant's:
    ///   ``RefreshOutcome/invalidScope``;
    /// - else rotate: `active` becomes `previous` (honoured once more, for a client that lost the
    ///   answer), `previous` becomes `retired`. The consumption time is never before the
    ///   presentation, so a clock step cannot make the winner look like a later replay.
    public static func decide(
        _ snapshot: Snapshot?, clientID: String, requestedScope: String?, presentedAt: Date, now: Date
    ) -> Decision {
        guard let snapshot, snapshot.grant.clientID == clientID, snapshot.expiresAt > now else {
            return .refuse(.invalid)
        }
        if let consumedAt = snapshot.consumedAt, presentedAt <= consumedAt {
            return .refuse(.raced)
        }
        if snapshot.state == .retired {
            return .revokeGrant(snapshot.grant.grantID)
        }
        var grant = snapshot.grant
        if let requested = requestedScope.map(ScopeList.tokens), !requested.isEmpty {
            guard Set(requested).isSubset(of: ScopeList.tokens(snapshot.grant.scope)) else { return .refuse(.invalidScope) }
            grant.scope = requested.joined(separator: " ")
        }
        return .rotate(
            Rotation(
                tokenID: snapshot.tokenID, presentedBecomes: snapshot.state == .active ? .previous : .retired,
                consumedAt: max(now, presentedAt), grant: grant, refreshScope: snapshot.grant.scope))
    }
}
