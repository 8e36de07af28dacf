import Foundation
import PostgresNIO
public import Storage

extension PostgresStore {
    /// Counts one request against the pair's row (``RateLimitRule``) in one statement on the
    /// database's clock, so that replicas share the limit whatever their own clocks say:
    ///
    /// `INSERT … ON CONFLICT DO UPDATE SET tat = GREATEST(tat, now()) + interval WHERE
    /// GREATEST(tat, now()) + interval - now() <= capacity RETURNING tat`.
    ///
    /// Concurrent callers on one pair queue on its row lock, and each re-evaluates the guard on
    /// the row the previous one left, so no more than the limit is allowed in total. No row
    /// returned means limited; a second read of the row then says for how long.
    public func takeRateLimit(bucket: String, key: String, requests: Int, per: Duration) async throws -> RateLimitDecision {
        let rule: RateLimitRule
        switch RateLimitRule.make(requests: requests, per: per) {
        case .decided(let decision): return decision
        case .apply(let applied): rule = applied
        }
        let taken = try await rows(
            """
            INSERT INTO rate_limits AS r (bucket, limit_key, tat)
            VALUES (\(bucket), \(key), now() + \(rule.interval)::float8 * interval '1 microsecond')
            ON CONFLICT (bucket, limit_key) DO UPDATE
            SET tat = GREATEST(r.tat, now()) + \(rule.interval)::float8 * interval '1 microsecond'
            WHERE GREATEST(r.tat, now()) + \(rule.interval)::float8 * interval '1 microsecond' - now()
                <= \(rule.capacity)::float8 * interval '1 microsecond'
            RETURNING 1
            """)
        guard taken.isEmpty else { return .allowed }
        let ahead = try await rows(
            """
            SELECT (extract(epoch FROM tat - now()) * 1000000)::bigint FROM rate_limits
            WHERE bucket = \(bucket) AND limit_key = \(key)
            """
        ).first?.decode(Int64.self)
        // Purged between the two statements (its time had passed): retry after one interval at most.
        return rule.limited(ahead: ahead ?? rule.capacity)
    }

}
