import Foundation
import JSON
import ParallelAPI

/// One validation problem, located FastAPI-style (`["body", "task_spec", …]`).
struct ValidationIssue: Sendable, Hashable {
    var location: [JSONValue]
    var message: String
    var type: String

    var asJSON: JSONValue {
        ["loc": .array(location), "msg": .string(message), "type": .string(type)]
    }
}

/// A task spec checked once: its encoded length, and what its output schema's rules found.
struct CheckedSpec: Sendable {
    let spec: TaskSpec
    /// Characters of the spec as JSON (the 15,000 and 25,000 limits count these).
    let length: Int
    let issues: [ValidationIssue]
    let warnings: [RunWarning]
}

/// What validating one run input found.
struct InputCheck: Sendable {
    var processor: Processor?
    var issues: [ValidationIssue] = []
    var warnings: [RunWarning] = []
}

/// Checks run inputs against the limits and rules the reference documents.
enum Validation {
    static let unsupportedKeywords: Set<String> = [
        "contains", "format", "maxContains", "maxItems", "maxLength", "maxProperties", "maximum", "minContains",
        "minItems", "minLength", "minimum", "minProperties", "multipleOf", "pattern", "patternProperties",
        "propertyNames", "uniqueItems", "unevaluatedItems", "unevaluatedProperties",
    ]
    static let basisLikeFields: Set<String> = [
        "citations", "confidence", "evidence", "reasoning", "source", "sources", "source_urls",
    ]

    /// Checks a spec's output schema and measures it, locating issues under `location`.
    static func checkSpec(_ spec: TaskSpec, location: [JSONValue]) -> CheckedSpec {
        var issues: [ValidationIssue] = []
        var warnings: [RunWarning] = []
        switch spec.outputSchema {
        case .json(let schema):
            checkOutputSchema(
                schema,
                issue: { path, message in
                    issues.append(
                        ValidationIssue(location: location + ["output_schema", "json_schema"] + path, message: message, type: "value_error"))
                },
                warnings: &warnings)
        case .other:
            issues.append(
                ValidationIssue(
                    location: location + ["output_schema", "type"], message: "output schema type must be json, text or auto",
                    type: "value_error"))
        case .text, .auto:
            break
        }
        return CheckedSpec(spec: spec, length: encodedLength(spec), issues: issues, warnings: warnings)
    }

    /// Checks one run input. A run without its own spec uses `defaultSpec`, whose issues the caller
    /// reports once (at its own location) rather than once per input.
    static func check(_ input: TaskRunInput, defaultSpec: CheckedSpec?, location base: [JSONValue]) -> InputCheck {
        var check = InputCheck(processor: Processor(name: input.processor))
        func issue(_ path: [JSONValue], _ message: String, _ type: String = "value_error") {
            check.issues.append(ValidationIssue(location: base + path, message: message, type: type))
        }

        switch input.input {
        case .string, .object: break
        default: issue(["input"], "input must be a string or an object", "type_error")
        }

        let ownSpec = input.taskSpec.map { checkSpec($0, location: base + ["task_spec"]) }
        if let ownSpec { check.issues += ownSpec.issues }
        let checkedSpec = ownSpec ?? defaultSpec
        let specLength = checkedSpec?.length ?? 0
        let inputLength = encodedLength(input.input)
        if specLength > 15_000 { issue(["task_spec"], "task spec is \(specLength) characters; the limit is 15000") }
        if specLength + inputLength > 25_000 {
            issue(["input"], "task spec and input together are \(specLength + inputLength) characters; the limit is 25000")
        }

        if let checkedSpec {
            check.warnings += checkedSpec.warnings
            if case .json(let inputSchema)? = checkedSpec.spec.inputSchema, case .object(let members) = input.input {
                let required = inputSchema["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
                let missing = required.filter { members[$0] == nil }
                if !missing.isEmpty {
                    check.warnings.append(
                        RunWarning(
                            type: .inputValidation,
                            message: "Input is missing required fields: \(missing.joined(separator: ", "))"))
                }
            }
        }

        for (key, value) in input.metadata ?? [:] {
            if key.count > 16 { issue(["metadata", .string(key)], "metadata keys are at most 16 characters") }
            switch value {
            case .string(let text) where text.count > 512:
                issue(["metadata", .string(key)], "metadata values are at most 512 characters")
            case .string, .int, .double, .bool: break
            default: issue(["metadata", .string(key)], "metadata values must be strings, numbers or booleans", "type_error")
            }
        }
        if let policy = input.sourcePolicy {
            let domains = (policy.includeDomains ?? []) + (policy.excludeDomains ?? [])
            if domains.count > 200 { issue(["source_policy"], "at most 200 domains in include_domains and exclude_domains together") }
            if let date = policy.afterDate, !isISODate(date) {
                issue(["source_policy", "after_date"], "after_date must be a date as YYYY-MM-DD")
            }
        }
        if let servers = input.mcpServers, servers.count > 10 {
            issue(["mcp_servers"], "at most 10 MCP servers per run")
        }
        if let location = input.advancedSettings?.location,
            location.count != 2 || !location.allSatisfy({ $0.isASCII && $0.isLetter })
        {
            issue(["advanced_settings", "location"], "location must be an ISO 3166-1 alpha-2 country code")
        }
        if let webhook = input.webhook, !(webhook.url.hasPrefix("https://") || webhook.url.hasPrefix("http://")) {
            issue(["webhook", "url"], "webhook url must be an http(s) URL")
        }
        return check
    }

    static func checkOutputSchema(
        _ schema: JSONValue, issue: ([JSONValue], String) -> Void, warnings: inout [RunWarning]
    ) {
        guard case .object(let root) = schema else {
            issue([], "json_schema must be an object")
            return
        }
        if root["type"]?.stringValue != "object" || root["properties"]?.objectValue == nil {
            issue([], "the root of an output schema must be of type object with properties")
        }
        if root["anyOf"] != nil { issue(["anyOf"], "the root of an output schema may not use anyOf") }

        var propertyCount = 0
        var enumValues = 0
        var missingRequired: [String] = []
        var openObjects = 0
        var basisLike: [String] = []
        func walk(_ node: JSONValue, path: [JSONValue], depth: Int, inUnion: Bool = false) {
            guard case .object(let members) = node else { return }
            if depth > 5 {
                issue(path, "output schemas may nest at most 5 levels")
                return
            }
            for key in members.keys.sorted() where unsupportedKeywords.contains(key) {
                issue(path + [.string(key)], "keyword '\(key)' is not supported in output schemas")
            }
            if members["type"]?.stringValue == "null", !inUnion { issue(path, "null is allowed only inside a union") }
            if let options = members["enum"]?.arrayValue { enumValues += options.count }
            if let properties = members["properties"]?.objectValue {
                propertyCount += properties.count
                let required = Set(members["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
                for key in properties.keys.sorted() {
                    if !required.contains(key) { missingRequired.append(key) }
                    if depth == 0, basisLikeFields.contains(key) { basisLike.append(key) }
                    if let child = properties[key] { walk(child, path: path + ["properties", .string(key)], depth: depth + 1) }
                }
                if members["additionalProperties"]?.boolValue != false { openObjects += 1 }
            }
            if let items = members["items"] { walk(items, path: path + ["items"], depth: depth + 1) }
            for union in ["anyOf", "oneOf"] {
                for (index, variant) in (members[union]?.arrayValue ?? []).enumerated() {
                    walk(variant, path: path + [.string(union), .int(index)], depth: depth, inUnion: true)
                }
            }
        }
        walk(schema, path: [], depth: 0)
        if propertyCount > 100 { issue([], "output schemas may have at most 100 properties; this one has \(propertyCount)") }
        if enumValues > 500 { issue([], "output schemas may have at most 500 enum values; this one has \(enumValues)") }
        if !missingRequired.isEmpty {
            warnings.append(
                RunWarning(
                    type: .specValidation,
                    message: "Properties not listed in required: \(missingRequired.joined(separator: ", ")). All properties should be required."))
        }
        if openObjects > 0 {
            warnings.append(
                RunWarning(type: .specValidation, message: "Every object should set additionalProperties to false."))
        }
        if !basisLike.isEmpty {
            warnings.append(
                RunWarning(
                    type: .specValidation,
                    message: "Fields \(basisLike.joined(separator: ", ")) duplicate what the basis already provides."))
        }
    }

    /// Characters of `value` as compact JSON with sorted keys.
    static func encodedLength(_ value: some Encodable) -> Int {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value))?.count ?? 0
    }

    static func isISODate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let month = Int(parts[1]), let day = Int(parts[2]), Int(parts[0]) != nil
        else { return false }
        return (1...12).contains(month) && (1...31).contains(day)
    }
}
