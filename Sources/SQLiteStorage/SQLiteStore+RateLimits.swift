import Foundation
import GRDB
public import Storage

extension SQLiteStore {
    /// Counts one request against the pair's row (``RateLimitRule``) on the store's clock, read
    /// and written in one write transaction: SQLite has one writer, so processes sharing the file
    /// never both take the last request of a burst.
    public func takeRateLimit(bucket: String, key: String, requests: Int, per: Duration) async throws -> RateLimitDecision {
        let rule: RateLimitRule
        switch RateLimitRule.make(requests: requests, per: per) {
        case .decided(let decision): return decision
        case .apply(let applied): rule = applied
        }
        let now = nowMicroseconds
        return try await writer.write { db in
            let tat = try Int64.fetchOne(
                db, sql: "SELECT tat FROM rate_limits WHERE bucket = ? AND limit_key = ?", arguments: [bucket, key])
            let (decision, newTAT) = rule.decide(tat: tat, now: now)
            if let newTAT {
                try db.execute(
                    sql: """
                        INSERT INTO rate_limits (bucket, limit_key, tat) VALUES (?, ?, ?)
                        ON CONFLICT (bucket, limit_key) DO UPDATE SET tat = excluded.tat
                        """,
                    arguments: [bucket, key, newTAT])
            }
            return decision
        }
    }

    /// Deletes rate-limit rows whose stored time has passed (they behave like no row); how many.
    func purgeRateLimits() async throws -> Int {
        try await delete(sql: "DELETE FROM rate_limits WHERE tat <= ?", arguments: [nowMicroseconds])
    }

    /// The store's clock in whole Unix microseconds, as `rate_limits.tat` holds it.
    var nowMicroseconds: Int64 {
        Int64((currentDate.timeIntervalSince1970 * 1_000_000).rounded(.down))
    }
}
