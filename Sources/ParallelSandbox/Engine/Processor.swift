/// A processor as the sandbox models it: latency range, price, and what it emits.
public struct Processor: Sendable, Hashable {
    /// The name as sent (`pro`, `ultra2x-fast`, …).
    public let name: String
    /// The tier without `-fast`.
    public let tier: String
    public let isFast: Bool
    /// Documented latency range in seconds, before the sandbox's time factor.
    public let latency: ClosedRange<Double>
    /// USD per run (pricing is per run; fast variants cost the same).
    public let priceUSD: Double
    /// Approximate maximum number of output fields.
    public let maxFields: Int

    /// Whether this is a deep-research tier (`pro` and above), which records progress events by default.
    public var isDeepResearch: Bool { Self.deepResearchTiers.contains(tier) }

    /// Tiers in ascending order of depth.
    public static let tiers = ["lite", "base", "core", "core2x", "pro", "ultra", "ultra2x", "ultra4x", "ultra8x"]
    static let deepResearchTiers: Set<String> = ["pro", "ultra", "ultra2x", "ultra4x", "ultra8x"]

    /// The processor named `name`, or `nil` for a name Parallel does not offer.
    public init?(name: String) {
        let isFast = name.hasSuffix("-fast")
        let tier = isFast ? String(name.dropLast(5)) : name
        // Latency (s) from the reference's processor tables; price per run in USD.
        let table: [String: (normal: ClosedRange<Double>, fast: ClosedRange<Double>, price: Double, fields: Int)] = [
            "lite": (10...60, 10...20, 0.005, 2),
            "base": (15...100, 15...50, 0.01, 5),
            "core": (60...300, 15...100, 0.025, 10),
            "core2x": (60...600, 15...180, 0.05, 10),
            "pro": (120...600, 30...300, 0.1, 20),
            "ultra": (300...1_500, 60...600, 0.3, 20),
            "ultra2x": (300...3_000, 60...1_200, 0.6, 25),
            "ultra4x": (300...5_400, 60...2_400, 1.2, 25),
            "ultra8x": (300...7_200, 60...3_600, 2.4, 25),
        ]
        guard let entry = table[tier] else { return nil }
        self.name = name
        self.tier = tier
        self.isFast = isFast
        self.latency = isFast ? entry.fast : entry.normal
        self.priceUSD = entry.price
        self.maxFields = entry.fields
    }
}
