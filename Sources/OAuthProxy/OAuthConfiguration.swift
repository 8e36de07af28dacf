public import Foundation

/// How the authorization server behaves. Lifetimes follow the anchor implementations: access
/// tokens 1 h, refresh tokens 30 d, codes 5 min, the sign-in round trip 10 min.
public struct OAuthConfiguration: Sendable {
    /// Parallel's OAuth provider, where users sign in and pick an API key.
    public struct Upstream: Sendable, Hashable {
        /// Base of the provider's endpoints (`…/authorize`, `…/token`), no trailing slash.
        public var baseURL: String
        /// Our client id there. Parallel's provider identifies clients by hostname; `nil` uses the
        /// host of the issuer.
        public var clientID: String?
        public var scope: String
        /// Shown on the consent page ("you will be sent to <name> …").
        public var displayName: String

        public init(
            baseURL: String = "https://platform.parallel.ai/getKeys", clientID: String? = nil, scope: String = "key:read",
            displayName: String = "Parallel"
        ) {
            self.baseURL = baseURL
            self.clientID = clientID
            self.scope = scope
            self.displayName = displayName
        }
    }

    public var upstream: Upstream
    public var accessTokenLifetime: TimeInterval
    public var refreshTokenLifetime: TimeInterval
    public var codeLifetime: TimeInterval
    /// From `/authorize` to the upstream callback, consent included.
    public var signInLifetime: TimeInterval
    /// How long a dynamically registered client lives without being used.
    public var registrationLifetime: TimeInterval
    /// Requests per client address: `/register`, `/authorize` (+ consent and callback), `/token` (+ revoke).
    public var rateLimits: RateLimits
    /// DEVELOPMENT ONLY: accept `http://localhost:<port>` Client ID Metadata Document URLs and
    /// fetch them from loopback addresses.
    public var allowLoopbackMetadataDocuments: Bool

    /// Requests allowed per client address.
    public struct RateLimits: Sendable {
        public var register: (Int, Duration)
        public var authorize: (Int, Duration)
        public var token: (Int, Duration)
        /// The longest a request waits for the shared rate limit (when the server has one) before
        /// its database counts as unreachable.
        public var sharedTimeout: Duration

        public init(
            register: (Int, Duration) = (20, .seconds(3_600)), authorize: (Int, Duration) = (120, .seconds(60)),
            token: (Int, Duration) = (300, .seconds(60)), sharedTimeout: Duration = .seconds(1)
        ) {
            self.register = register
            self.authorize = authorize
            self.token = token
            self.sharedTimeout = sharedTimeout
        }
    }

    public init(
        upstream: Upstream = .init(), accessTokenLifetime: TimeInterval = 3_600, refreshTokenLifetime: TimeInterval = 30 * 86_400,
        codeLifetime: TimeInterval = 300, signInLifetime: TimeInterval = 600, registrationLifetime: TimeInterval = 90 * 86_400,
        rateLimits: RateLimits = .init(), allowLoopbackMetadataDocuments: Bool = false
    ) {
        self.upstream = upstream
        self.accessTokenLifetime = accessTokenLifetime
        self.refreshTokenLifetime = refreshTokenLifetime
        self.codeLifetime = codeLifetime
        self.signInLifetime = signInLifetime
        self.registrationLifetime = registrationLifetime
        self.rateLimits = rateLimits
        self.allowLoopbackMetadataDocuments = allowLoopbackMetadataDocuments
    }

    /// The one scope this server defines: use the Task API tools.
    public static let scope = "tasks"
}
