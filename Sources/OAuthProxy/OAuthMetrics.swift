import Metrics

/// The authorization server's counters, recorded through swift-metrics (the application chooses
/// the backend; without one they cost nothing).
///
/// - `oauth_tokens_issued_total{grant_type}`: access/refresh pairs issued, by ``GrantType``
///   (`authorization_code` or `refresh_token`).
/// - `oauth_tokens_revoked_total{reason}`: revocations: `client` (RFC 7009), `code_replay`,
///   `refresh_reuse`, `pkce_mismatch`, `redirect_mismatch`, `upstream_rejected`.
/// - `oauth_registrations_total`: dynamic client registrations accepted.
/// - `oauth_rate_limited_total{endpoint}`: requests refused with 429.
/// - `oauth_shared_rate_limit_failures_total{endpoint,outcome}`: shared rate-limit checks that
///   failed or timed out: `refused` (503, registration) or `local` (the local limit decided).
enum OAuthMetrics {
    static func issued(grantType: GrantType) {
        Counter(label: "oauth_tokens_issued_total", dimensions: [("grant_type", grantType.rawValue)]).increment()
    }

    static func revoked(reason: String) {
        Counter(label: "oauth_tokens_revoked_total", dimensions: [("reason", reason)]).increment()
    }

    static func registered() {
        Counter(label: "oauth_registrations_total").increment()
    }

    static func rateLimited(endpoint: String) {
        Counter(label: "oauth_rate_limited_total", dimensions: [("endpoint", endpoint)]).increment()
    }

    static func sharedRateLimitFailed(endpoint: String, outcome: String) {
        Counter(label: "oauth_shared_rate_limit_failures_total", dimensions: [("endpoint", endpoint), ("outcome", outcome)]).increment()
    }
}
