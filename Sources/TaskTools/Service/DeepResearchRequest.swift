import JSON
import Foundation
import ParallelAPI

/// Validated `createDeepResearch` arguments.
struct DeepResearchRequest: Sendable {
    var input: String
    var processor: String
    var sourcePolicy: SourcePolicy?
    var previousInteractionID: String?

    init(_ arguments: [String: JSONValue], maxInputCharacters: Int) throws(TaskServiceError) {
        guard case .string(let raw)? = arguments["input"] else {
            throw .invalid("input", "input is required: the research question, as a string.")
        }
        let input = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !input.isEmpty else { throw .invalid("input", "input is empty; give the research question.") }
        // Counted in Unicode code points, as JSON Schema's maxLength counts.
        let length = input.unicodeScalars.count
        guard length <= maxInputCharacters else {
            throw .invalid(
                "input",
                "input is \(length) characters; deep research accepts at most \(maxInputCharacters). Shorten it to the question and the essential context.",
                extra: ["input_length": .int(length), "max_length": .int(maxInputCharacters)])
        }
        self.input = input
        processor = try Self.processor(arguments["processor"], default: "pro", allowed: Processors.deepResearch)
        sourcePolicy = try Self.sourcePolicy(arguments["source_policy"])
        switch arguments["previous_interaction_id"] {
        case nil, .null?:
            previousInteractionID = nil
        case .string(let id)? where !id.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty:
            previousInteractionID = id.trimmingCharacters(in: .whitespacesAndNewlines)
        default:
            throw .invalid("previous_interaction_id", "previous_interaction_id must be the interaction_id of an earlier, completed run.")
        }
    }

    /// A processor argument checked against `allowed` (absent or null → `default`).
    static func processor(_ value: JSONValue?, default fallback: String?, allowed: [String]) throws(TaskServiceError) -> String {
        switch value {
        case nil, .null?:
            guard let fallback else { throw .invalid("processor", "processor is required.") }
            return fallback
        case .string(let name)?:
            let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
            do {
                try Processors.validate(trimmed, allowed: allowed)
            } catch {
                throw .invalid("processor", error.message, extra: ["valid_processors": .array(allowed.map(JSONValue.string))])
            }
            return trimmed
        default:
            throw .invalid("processor", "processor must be a string such as \"pro\".")
        }
    }

    /// A `source_policy` object: `include_domains`, `exclude_domains` (≤ 200 in all), `after_date` (YYYY-MM-DD).
    static func sourcePolicy(_ value: JSONValue?) throws(TaskServiceError) -> SourcePolicy? {
        switch value {
        case nil, .null?:
            return nil
        case .object(let members)?:
            let known: Set = ["include_domains", "exclude_domains", "after_date"]
            if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
                throw .invalid("source_policy", "source_policy has an unknown member '\(unknown)'; use include_domains, exclude_domains, after_date.")
            }
            let include = try domains(members["include_domains"], name: "include_domains")
            let exclude = try domains(members["exclude_domains"], name: "exclude_domains")
            guard (include?.count ?? 0) + (exclude?.count ?? 0) <= 200 else {
                throw .invalid("source_policy", "source_policy lists more than 200 domains; Parallel accepts at most 200.")
            }
            var afterDate: String?
            switch members["after_date"] {
            case nil, .null?: break
            case .string(let date)? where isDate(date): afterDate = date
            default: throw .invalid("source_policy", "source_policy.after_date must be a date as YYYY-MM-DD.")
            }
            return SourcePolicy(includeDomains: include, excludeDomains: exclude, afterDate: afterDate)
        default:
            throw .invalid("source_policy", "source_policy must be an object with include_domains, exclude_domains and/or after_date.")
        }
    }

    private static func domains(_ value: JSONValue?, name: String) throws(TaskServiceError) -> [String]? {
        switch value {
        case nil, .null?:
            return nil
        case .array(let items)?:
            var result: [String] = []
            for item in items {
                guard case .string(let domain) = item, !domain.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, !domain.contains(" ") else {
                    throw .invalid("source_policy", "source_policy.\(name) must be a list of domain names such as \"example.com\".")
                }
                result.append(domain.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            return result
        default:
            throw .invalid("source_policy", "source_policy.\(name) must be a list of domain names.")
        }
    }

    private static func isDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { return false }
        return year >= 1900 && (1...12).contains(month) && (1...31).contains(day)
    }
}
