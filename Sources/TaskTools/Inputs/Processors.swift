import ParallelAPI

/// Parallel's processors: names, the automatic choice for `createTaskGroup`, and prices.
public enum Processors {
    /// The tiers, cheapest first.
    public static let tiers = ["lite", "base", "core", "core2x", "pro", "ultra", "ultra2x", "ultra4x", "ultra8x"]
    /// The tiers that run deep research (`pro` and the ultra family).
    public static let deepResearchTiers = ["pro", "ultra", "ultra2x", "ultra4x", "ultra8x"]

    /// Every processor: the tiers, then their `-fast` variants.
    public static let all: [String] = tiers + tiers.map { $0 + "-fast" }
    /// The processors `createDeepResearch` accepts: the deep-research tiers, then their `-fast` variants.
    public static let deepResearch: [String] = deepResearchTiers + deepResearchTiers.map { $0 + "-fast" }

    /// How ``choose(for:)`` picks a processor when the caller gives none.
    public static let ruleDescription =
        "If processor is omitted it is chosen from the output: a free-form json description (auto schema) uses pro, "
        + "text output uses core, and json with n fields (nested ones counted) uses base for n ≤ 3, core for n ≤ 10, "
        + "pro for n ≤ 20 and ultra2x above that."

    /// Throws unless `name` is one of `allowed` (exact, case-sensitive). The error lists the allowed
    /// names and, for a near miss such as `Pro` or `ultra-2x`, suggests the intended one.
    public static func validate(_ name: String, allowed: [String]) throws(GroupInputError) {
        if allowed.contains(name) { return }
        let key = comparisonKey(name)
        let allowedText = describe(allowed)
        if let match = allowed.first(where: { comparisonKey($0) == key }) {
            throw GroupInputError(
                "Unknown processor \"\(name)\"; did you mean \"\(match)\"? Allowed: \(allowedText).", field: "processor")
        }
        if all.contains(name) {
            throw GroupInputError(
                "The processor \"\(name)\" cannot be used here; use one of: \(allowedText).", field: "processor")
        }
        throw GroupInputError("Unknown processor \"\(name)\"; use one of: \(allowedText).", field: "processor")
    }

    /// The processor for an output spec when the caller gives none (see ``ruleDescription``).
    public static func choose(for spec: GroupOutputSpec) -> String {
        switch spec.schema {
        case .auto, .other: return "pro"
        case .text: return "core"
        case .json:
            switch spec.fieldCount {
            case ...3: return "base"
            case ...10: return "core"
            case ...20: return "pro"
            default: return "ultra2x"
            }
        }
    }

    /// Latency and price of a processor, e.g. `2–10 min, $0.10 per run`; `nil` for an unknown name.
    /// A `-fast` variant has its own latency and the same price as its tier.
    public static func latencyAndCost(_ processor: String) -> String? {
        let isFast = processor.hasSuffix("-fast")
        let tier = isFast ? String(processor.dropLast("-fast".count)) : processor
        guard let facts = table[tier] else { return nil }
        return (isFast ? facts.fastLatency : facts.latency) + ", " + facts.price + " per run"
    }

    /// Reference §2.4: latency, fast-variant latency, USD per run.
    private static let table: [String: (latency: String, fastLatency: String, price: String)] = [
        "lite": ("10–60 s", "10–20 s", "$0.005"),
        "base": ("15–100 s", "15–50 s", "$0.01"),
        "core": ("1–5 min", "15–100 s", "$0.025"),
        "core2x": ("1–10 min", "15 s–3 min", "$0.05"),
        "pro": ("2–10 min", "30 s–5 min", "$0.10"),
        "ultra": ("5–25 min", "1–10 min", "$0.30"),
        "ultra2x": ("5–50 min", "1–20 min", "$0.60"),
        "ultra4x": ("5–90 min", "1–40 min", "$1.20"),
        "ultra8x": ("5 min–2 h", "1 min–1 h", "$2.40"),
    ]

    /// Lowercased, with spaces, `-` and `_` removed: `Ultra-2x` and `ultra2x` compare equal.
    private static func comparisonKey(_ name: String) -> String {
        String(name.lowercased().unicodeScalars.filter { $0 != " " && $0 != "-" && $0 != "_" })
    }

    /// `allowed` as text; when every name has its `-fast` twin, only the tiers plus a note.
    private static func describe(_ allowed: [String]) -> String {
        let tiers = allowed.filter { !$0.hasSuffix("-fast") }
        let fast = allowed.filter { $0.hasSuffix("-fast") }
        if !tiers.isEmpty, fast.count == tiers.count, Set(fast) == Set(tiers.map { $0 + "-fast" }) {
            return tiers.joined(separator: ", ") + " (each also as a -fast variant, e.g. \(tiers[0])-fast)"
        }
        return allowed.joined(separator: ", ")
    }
}
