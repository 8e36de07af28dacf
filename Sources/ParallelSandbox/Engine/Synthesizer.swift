import Crypto
import Foundation
import JSON
import ParallelAPI

/// Makes the sandbox's synthetic outputs: structurally faithful, honest about being
/// synthetic, and deterministic for a given input, spec and processor.
enum Synthesizer {
    /// The note every synthetic text carries.
    static let disclaimer = "Sandbox output: synthesized locally by parallel-sandbox. No web research was done; do not rely on it."

    /// A generator seeded from the request, so equal requests give equal outputs.
    static func generator(input: JSONValue, spec: TaskSpec?, processor: String) -> SplitMix64 {
        var hasher = SHA256()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        hasher.update(data: (try? encoder.encode(input)) ?? Data())
        hasher.update(data: (try? encoder.encode(spec)) ?? Data())
        hasher.update(data: Data(processor.utf8))
        let digest = Array(hasher.finalize())
        let seed = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return SplitMix64(seed: seed)
    }

    /// A short human-readable description of the input.
    static func topic(of input: JSONValue) -> String {
        let text: String
        switch input {
        case .string(let value):
            text = value
        case .object(let members):
            text = members.keys.sorted().compactMap { key in
                guard let value = members[key] else { return nil }
                return "\(key): \(scalarText(value))"
            }.joined(separator: ", ")
        default:
            text = scalarText(input)
        }
        let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ").trimmingCharacters(in: .whitespaces)
        if flat.isEmpty { return "the request" }
        return flat.count > 80 ? String(flat.prefix(77)) + "..." : flat
    }

    static func scalarText(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return text
        case .int(let number): return String(number)
        case .double(let number): return String(number)
        case .bool(let flag): return String(flag)
        case .null: return "null"
        default:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
    }

    /// The output a completed run returns.
    static func output(
        input: JSONValue, spec: TaskSpec?, processor: Processor, perElementBasis: Bool
    ) -> TaskOutput {
        var rng = generator(input: input, spec: spec, processor: processor.name)
        let topic = topic(of: input)
        switch spec?.outputSchema {
        case .json(let schema)?:
            let content = value(for: schema, name: "result", topic: topic, depth: 0, rng: &rng)
            var basis: [FieldBasis] = []
            for key in (content.objectValue ?? [:]).keys.sorted() {
                basis.append(fieldBasis(field: key, topic: topic, rng: &rng))
                if perElementBasis, let items = content[key]?.arrayValue {
                    for index in items.indices {
                        basis.append(fieldBasis(field: "\(key).\(index)", topic: topic, rng: &rng))
                    }
                }
            }
            return TaskOutput(type: .json, content: content, basis: basis)
        case .text(let description)?:
            return textOutput(topic: topic, description: description, processor: processor, rng: &rng)
        case .auto?, .other?, nil:
            return autoOutput(topic: topic, processor: processor, rng: &rng)
        }
    }

    // MARK: JSON schema output

    static func value(for schema: JSONValue, name: String, topic: String, depth: Int, rng: inout SplitMix64) -> JSONValue {
        guard depth < 10, case .object(let node) = schema else { return .string(sentence(for: name, topic: topic)) }
        if let constant = node["const"] { return constant }
        if let options = node["enum"]?.arrayValue, !options.isEmpty {
            return options[Int(rng.next() % UInt64(options.count))]
        }
        for key in ["anyOf", "oneOf"] {
            if let variants = node[key]?.arrayValue,
                let chosen = variants.first(where: { $0["type"]?.stringValue != "null" }) ?? variants.first
            {
                return value(for: chosen, name: name, topic: topic, depth: depth + 1, rng: &rng)
            }
        }
        var type = node["type"]?.stringValue
        if let types = node["type"]?.arrayValue {
            type = types.compactMap(\.stringValue).first { $0 != "null" } ?? "null"
        }
        if type == nil, node["properties"] != nil { type = "object" }
        switch type {
        case "object":
            var members: [String: JSONValue] = [:]
            let properties = node["properties"]?.objectValue ?? [:]
            for key in properties.keys.sorted() {
                if let child = properties[key] {
                    members[key] = value(for: child, name: key, topic: topic, depth: depth + 1, rng: &rng)
                }
            }
            return .object(members)
        case "array":
            let count = 2 + Int(rng.next() % 2)
            let items = node["items"] ?? ["type": "string"]
            return .array((0..<count).map { index in
                value(for: items, name: "\(singular(name)) \(index + 1)", topic: topic, depth: depth + 1, rng: &rng)
            })
        case "integer":
            let lower = node["minimum"]?.numberValue.map { Int($0) } ?? 1
            let upper = node["maximum"]?.numberValue.map { Int($0) } ?? max(lower, 1_000)
            let span = UInt64(max(upper - lower, 0)) + 1
            return .int(lower + Int(rng.next() % span))
        case "number":
            return .double((Double(rng.next() % 100_000) / 100).rounded(toPlaces: 2))
        case "boolean":
            return .bool(rng.next() % 2 == 0)
        case "null":
            return .null
        default:
            return .string(stringValue(for: name, topic: topic, rng: &rng))
        }
    }

    static func stringValue(for name: String, topic: String, rng: inout SplitMix64) -> String {
        let lowered = name.lowercased()
        let slug = slugify(topic)
        if lowered.contains("url") || lowered.contains("website") || lowered.contains("link") {
            return "https://www.example.com/\(slug)"
        }
        if lowered.contains("email") { return "contact@example.com" }
        if lowered.contains("phone") { return "+1-555-01\(10 + Int(rng.next() % 90))" }
        if lowered.contains("date") {
            return String(format: "2025-%02d-%02d", 1 + Int(rng.next() % 12), 1 + Int(rng.next() % 28))
        }
        return sentence(for: name, topic: topic)
    }

    static func sentence(for name: String, topic: String) -> String {
        "Sandbox \(humanize(name)) for \(topic)"
    }

    static func fieldBasis(field: String, topic: String, rng: inout SplitMix64) -> FieldBasis {
        let count = 1 + Int(rng.next() % 3)
        let citations = (1...count).map { index in citation(field: field, topic: topic, index: index) }
        let confidence: Confidence = [.high, .high, .medium, .low][Int(rng.next() % 4)]
        return FieldBasis(
            field: field, citations: citations,
            reasoning: "Sandbox reasoning for \(field): synthesized deterministically from the input; no sources were consulted.",
            confidence: confidence)
    }

    static func citation(field: String, topic: String, index: Int) -> Citation {
        let domains = ["example.com", "example.org", "example.net"]
        let domain = domains[(index - 1) % domains.count]
        return Citation(
            url: "https://\(domain)/sandbox/\(slugify(field))/\(index)",
            title: "Sandbox source \(index) for \(humanize(field))",
            excerpts: ["Synthetic excerpt about \(humanize(field)) for \(topic)."])
    }

    // MARK: Text output

    static func textOutput(topic: String, description: String?, processor: Processor, rng: inout SplitMix64) -> TaskOutput {
        let sourceCount = 3 + Int(rng.next() % 4)
        let citations = (1...sourceCount).map { citation(field: "report", topic: topic, index: $0) }
        var report = "# Research report: \(topic)\n\n> \(disclaimer)\n\n"
        if let description, !description.isEmpty { report += "_Requested focus: \(description)_\n\n" }
        report += "## Summary\n\n"
        report += "This sandbox report stands in for a \(processor.name) deep-research result on \(topic). "
        report += "Its structure matches a real report: sections, findings and inline citations "
        report += "([\(citations[0].title ?? "source")](\(citations[0].url))).\n\n"
        report += "## Key findings\n\n"
        for index in 1..<min(sourceCount, 4) {
            report += "- Finding \(index) about \(topic), supported by [source \(index + 1)](\(citations[index].url)).\n"
        }
        report += "\n## Analysis\n\n"
        report += "The findings above are synthetic. A real run would weigh the sources, note disagreements and "
        report += "give dates for every figure ([source \(sourceCount)](\(citations[sourceCount - 1].url))).\n\n"
        report += "## Sources\n\n"
        for (index, citation) in citations.enumerated() {
            report += "\(index + 1). [\(citation.title ?? citation.url)](\(citation.url))\n"
        }
        let basis = FieldBasis(
            field: "output", citations: citations,
            reasoning: "Sandbox reasoning: the report was synthesized deterministically from the input.",
            confidence: [.high, .medium][Int(rng.next() % 2)])
        return TaskOutput(type: .text, content: .string(report), basis: [basis])
    }

    // MARK: Auto output

    static func autoOutput(topic: String, processor: Processor, rng: inout SplitMix64) -> TaskOutput {
        let findingCount = processor.isDeepResearch ? 3 : 2
        var findings: [JSONValue] = []
        for index in 0..<findingCount {
            findings.append([
                "finding": .string("Sandbox finding \(index + 1) about \(topic)"),
                "importance": .string(["high", "medium", "low"][Int(rng.next() % 3)]),
            ])
        }
        let content: JSONValue = [
            "summary": .string("Sandbox summary of \(topic). \(disclaimer)"),
            "key_findings": .array(findings),
            "details": [
                "topic": .string(topic),
                "as_of_year": .int(2026),
                "sources_reviewed": .int(5 + Int(rng.next() % 20)),
            ],
        ]
        let finding: JSONValue = [
            "type": "object",
            "properties": [
                "finding": ["type": "string", "description": "One finding"],
                "importance": ["type": "string", "enum": ["high", "medium", "low"]],
            ],
            "required": ["finding", "importance"],
            "additionalProperties": false,
        ]
        let schema: JSONValue = [
            "type": "object",
            "properties": [
                "summary": ["type": "string", "description": "Executive summary"],
                "key_findings": ["type": "array", "items": finding, "description": "Main findings"],
                "details": [
                    "type": "object",
                    "properties": [
                        "topic": ["type": "string"],
                        "as_of_year": ["type": "integer"],
                        "sources_reviewed": ["type": "integer"],
                    ],
                    "required": ["topic", "as_of_year", "sources_reviewed"],
                    "additionalProperties": false,
                ],
            ],
            "required": ["summary", "key_findings", "details"],
            "additionalProperties": false,
        ]
        var fields = ["summary", "key_findings"]
        fields += (0..<findingCount).flatMap { ["key_findings.\($0).finding", "key_findings.\($0).importance"] }
        fields += ["details.topic", "details.as_of_year", "details.sources_reviewed"]
        let basis = fields.map { fieldBasis(field: $0, topic: topic, rng: &rng) }
        return TaskOutput(type: .json, content: content, basis: basis, outputSchema: schema)
    }

    // MARK: Progress

    /// The progress trace of a deep-research run: (fraction of run time, kind, message).
    static func progressTrace(topic: String) -> [(fraction: Double, kind: String, message: String)] {
        [
            (0.05, "plan", "Planning research on: \(topic)"),
            (0.2, "search", "Searching for sources about \(topic)"),
            (0.35, "search", "Reading https://example.com/sandbox/\(slugify(topic))/1"),
            (0.5, "result", "Found relevant material in 4 sandbox sources"),
            (0.65, "search", "Cross-checking figures against https://example.org/sandbox/\(slugify(topic))/2"),
            (0.8, "plan", "Drafting the answer"),
            (0.92, "exec_status", "Finalizing output"),
        ]
    }

    // MARK: Text helpers

    static func humanize(_ name: String) -> String {
        name.replacingOccurrences(of: "_", with: " ").replacingOccurrences(of: ".", with: " ")
    }

    static func singular(_ name: String) -> String {
        name.hasSuffix("s") && name.count > 1 ? String(name.dropLast()) : name
    }

    static func slugify(_ text: String) -> String {
        var slug = ""
        for scalar in text.lowercased().unicodeScalars {
            if scalar.isASCII, CharacterSet.alphanumerics.contains(scalar) {
                slug.unicodeScalars.append(scalar)
            } else if !slug.hasSuffix("-") {
                slug += "-"
            }
            if slug.count >= 48 { break }
        }
        let trimmed = slug.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return trimmed.isEmpty ? "topic" : trimmed
    }
}

/// A small, fast, seedable generator (SplitMix64), for deterministic synthetic data.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Double {
    func rounded(toPlaces places: Int) -> Double {
        let factor = pow(10, Double(places))
        return (self * factor).rounded() / factor
    }
}
