/// How a sandbox behaves: time scale, accounts, OAuth, and the faults it injects.
public struct SandboxConfiguration: Sendable {
    /// The key every sandbox accepts unless told otherwise.
    public static let demoAPIKey = "sandbox-demo-key"

    /// Multiplies every processor latency: `1` is realistic (a `pro` run takes minutes),
    /// `0.01` (the default) makes a `pro` run take seconds.
    public var timeFactor: Double
    /// Accepted API keys and their accounts.
    public var accounts: [String: AccountSettings]
    /// Faults injected from the start (they can be changed at runtime).
    public var faults: FaultSettings
    /// When set, `/getKeys/authorize` approves at once with this key, without showing a page.
    public var oauthAutoApproveKey: String?
    /// Lifetime of OAuth authorization codes.
    public var oauthCodeLifetime: Duration
    /// Longest a run event stream stays open (Parallel: 570 s).
    public var runStreamLimit: Duration
    /// Longest a group event stream stays open (Parallel: one hour).
    public var groupStreamLimit: Duration
    /// How often an idle stream sends a `:` keep-alive comment.
    public var heartbeatInterval: Duration
    /// Largest request body accepted.
    public var maxBodyBytes: Int
    /// The account webhook secret (`whsec_<base64>` or plain text, as ``StandardWebhook`` reads
    /// it). When set, a run created with a `webhook` gets a signed `task_run.status` POST when it
    /// ends, as Parallel sends it; `nil`: no webhook is sent.
    public var webhookSecret: String?
    /// The wait before the first retry of a failed webhook delivery; it doubles for each later one
    /// (Parallel: 5 s).
    public var webhookRetryBaseDelay: Duration
    /// Delivery attempts per webhook, the first included, before the sandbox gives up (Parallel
    /// keeps retrying for about 48 hours; the sandbox stops sooner).
    public var webhookMaxAttempts: Int
    /// How long one delivery attempt may take.
    public var webhookTimeout: Duration

    public init(
        timeFactor: Double = 0.01,
        accounts: [String: AccountSettings] = [SandboxConfiguration.demoAPIKey: AccountSettings()],
        faults: FaultSettings = FaultSettings(), oauthAutoApproveKey: String? = nil,
        oauthCodeLifetime: Duration = .seconds(300), runStreamLimit: Duration = .seconds(570),
        groupStreamLimit: Duration = .seconds(3_600), heartbeatInterval: Duration = .seconds(10),
        maxBodyBytes: Int = 32 * 1024 * 1024, webhookSecret: String? = nil, webhookRetryBaseDelay: Duration = .seconds(5),
        webhookMaxAttempts: Int = 8, webhookTimeout: Duration = .seconds(10)
    ) {
        self.timeFactor = max(0, timeFactor)
        self.accounts = accounts
        self.faults = faults
        self.oauthAutoApproveKey = oauthAutoApproveKey
        self.oauthCodeLifetime = oauthCodeLifetime
        self.runStreamLimit = runStreamLimit
        self.groupStreamLimit = groupStreamLimit
        self.heartbeatInterval = heartbeatInterval
        self.maxBodyBytes = maxBodyBytes
        self.webhookSecret = webhookSecret
        self.webhookRetryBaseDelay = max(.zero, webhookRetryBaseDelay)
        self.webhookMaxAttempts = max(1, webhookMaxAttempts)
        self.webhookTimeout = max(.milliseconds(1), webhookTimeout)
    }

    /// Named time profiles.
    public enum Profile: String, CaseIterable, Sendable {
        /// Runs finish in seconds (time factor 0.01).
        case fast
        /// Processor latencies as documented (time factor 1).
        case realistic
        /// Near-instant runs, for test suites (time factor 0.001).
        case test

        public var timeFactor: Double {
            switch self {
            case .fast: return 0.01
            case .realistic: return 1
            case .test: return 0.001
            }
        }
    }
}

/// One API key's account.
public struct AccountSettings: Codable, Sendable, Hashable {
    /// Credit balance in USD; creating runs spends it, and a run that would overdraw it gets 402.
    public var creditsUSD: Double
    /// Resource-creating POSTs allowed per minute (Parallel's default is 2,000).
    public var rateLimitPerMinute: Int

    public init(creditsUSD: Double = 1_000, rateLimitPerMinute: Int = 2_000) {
        self.creditsUSD = creditsUSD
        self.rateLimitPerMinute = rateLimitPerMinute
    }

    enum CodingKeys: String, CodingKey {
        case creditsUSD = "credits_usd"
        case rateLimitPerMinute = "rate_limit_per_minute"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        creditsUSD = try container.decodeIfPresent(Double.self, forKey: .creditsUSD) ?? 1_000
        rateLimitPerMinute = try container.decodeIfPresent(Int.self, forKey: .rateLimitPerMinute) ?? 2_000
    }
}

/// Faults to inject into the Task API routes (never into the admin or OAuth routes).
public struct FaultSettings: Codable, Sendable, Hashable {
    /// Probability (0–1) of answering a request with each status: keys `"429"`, `"500"`, `"502"`, `"503"`.
    public var errorRates: [String: Double]
    /// The next requests answer with these statuses, in order (deterministic, for tests).
    public var failNext: [ScriptedFailure]
    /// Added to every API response.
    public var addedLatencyMs: Int
    /// Probability (0–1) that a newly created run fails.
    public var runFailureRate: Double
    /// Cut every event stream after this many events (the connection drops without a clean end).
    public var sseCutAfterEvents: Int?
    /// Probability (0–1) that a request stalls for `stallMs` before it is answered.
    public var stallRate: Double
    /// The next N requests stall for `stallMs`.
    public var stallNext: Int
    public var stallMs: Int
    /// `Retry-After` seconds sent with injected 429 and 503 answers (`nil`: no header).
    public var retryAfterSeconds: Int?
    /// The next N creates that succeed (`POST /v1/tasks/runs`, `POST /v1/tasks/groups` and
    /// `POST /v1/tasks/groups/{id}/runs`) are carried out, then answered 504 instead of their
    /// result, as a gateway that lost the answer would: the run, group or rows exist and are billed.
    public var loseCreateAnswers: Int

    /// One scripted failure: the next `count` requests answer `status`.
    public struct ScriptedFailure: Codable, Sendable, Hashable {
        public var status: Int
        public var count: Int
        public init(status: Int, count: Int = 1) {
            self.status = status
            self.count = count
        }
        enum CodingKeys: String, CodingKey { case status, count }
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            status = try container.decode(Int.self, forKey: .status)
            count = try container.decodeIfPresent(Int.self, forKey: .count) ?? 1
        }
    }

    public init(
        errorRates: [String: Double] = [:], failNext: [ScriptedFailure] = [], addedLatencyMs: Int = 0,
        runFailureRate: Double = 0, sseCutAfterEvents: Int? = nil, stallRate: Double = 0, stallNext: Int = 0,
        stallMs: Int = 0, retryAfterSeconds: Int? = 0, loseCreateAnswers: Int = 0
    ) {
        self.errorRates = errorRates
        self.failNext = failNext
        self.addedLatencyMs = addedLatencyMs
        self.runFailureRate = runFailureRate
        self.sseCutAfterEvents = sseCutAfterEvents
        self.stallRate = stallRate
        self.stallNext = stallNext
        self.stallMs = stallMs
        self.retryAfterSeconds = retryAfterSeconds
        self.loseCreateAnswers = loseCreateAnswers
    }

    enum CodingKeys: String, CodingKey {
        case errorRates = "error_rates"
        case failNext = "fail_next"
        case addedLatencyMs = "added_latency_ms"
        case runFailureRate = "run_failure_rate"
        case sseCutAfterEvents = "sse_cut_after_events"
        case stallRate = "stall_rate"
        case stallNext = "stall_next"
        case stallMs = "stall_ms"
        case retryAfterSeconds = "retry_after_seconds"
        case loseCreateAnswers = "lose_create_answers"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        errorRates = try container.decodeIfPresent([String: Double].self, forKey: .errorRates) ?? [:]
        failNext = try container.decodeIfPresent([ScriptedFailure].self, forKey: .failNext) ?? []
        addedLatencyMs = try container.decodeIfPresent(Int.self, forKey: .addedLatencyMs) ?? 0
        runFailureRate = try container.decodeIfPresent(Double.self, forKey: .runFailureRate) ?? 0
        sseCutAfterEvents = try container.decodeIfPresent(Int.self, forKey: .sseCutAfterEvents)
        stallRate = try container.decodeIfPresent(Double.self, forKey: .stallRate) ?? 0
        stallNext = try container.decodeIfPresent(Int.self, forKey: .stallNext) ?? 0
        stallMs = try container.decodeIfPresent(Int.self, forKey: .stallMs) ?? 0
        retryAfterSeconds = try container.decodeIfPresent(Int.self, forKey: .retryAfterSeconds) ?? 0
        loseCreateAnswers = try container.decodeIfPresent(Int.self, forKey: .loseCreateAnswers) ?? 0
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(errorRates, forKey: .errorRates)
        try container.encode(failNext, forKey: .failNext)
        try container.encode(addedLatencyMs, forKey: .addedLatencyMs)
        try container.encode(runFailureRate, forKey: .runFailureRate)
        try container.encode(sseCutAfterEvents, forKey: .sseCutAfterEvents)
        try container.encode(stallRate, forKey: .stallRate)
        try container.encode(stallNext, forKey: .stallNext)
        try container.encode(stallMs, forKey: .stallMs)
        try container.encode(retryAfterSeconds, forKey: .retryAfterSeconds)
        try container.encode(loseCreateAnswers, forKey: .loseCreateAnswers)
    }

    /// Statuses that may be injected.
    public static let injectableStatuses: Set<Int> = [408, 429, 500, 502, 503, 504]

    /// Problems with these settings, empty when they are valid.
    public var problems: [String] {
        var problems: [String] = []
        for (key, rate) in errorRates {
            if let status = Int(key), Self.injectableStatuses.contains(status) {
                if !(0...1).contains(rate) { problems.append("error_rates[\(key)] must be between 0 and 1") }
            } else {
                problems.append("error_rates: \(key) is not an injectable status (429, 500, 502, 503, 504, 408)")
            }
        }
        if errorRates.values.reduce(0, +) > 1 { problems.append("error_rates must add up to at most 1") }
        for failure in failNext where !Self.injectableStatuses.contains(failure.status) && !(400...599).contains(failure.status) {
            problems.append("fail_next: \(failure.status) is not an HTTP error status")
        }
        for (name, rate) in [("run_failure_rate", runFailureRate), ("stall_rate", stallRate)] where !(0...1).contains(rate) {
            problems.append("\(name) must be between 0 and 1")
        }
        if addedLatencyMs < 0 || stallMs < 0 || stallNext < 0 || loseCreateAnswers < 0 { problems.append("latencies and counts must not be negative") }
        if let cut = sseCutAfterEvents, cut < 0 { problems.append("sse_cut_after_events must not be negative") }
        return problems
    }
}
