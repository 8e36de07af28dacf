import Foundation
public import JSON
public import ParallelAPI

/// The `output_type` argument of `createTaskGroup`.
public enum GroupOutputType: String, Sendable, CaseIterable {
    case json
    case text
}

/// The output schema built from the `output` and `output_type` arguments of `createTaskGroup`.
///
/// - `text`: a text schema whose description is `output` (trimmed).
/// - `json` with a JSON schema (root `{"type":"object","properties":{…}}`, also accepted wrapped
///   as `{"json_schema":{…}}` or `{"type":"json","json_schema":{…}}`): checked against Parallel's
///   rules (see ``OutputSchemaRules``), then normalised: every object with `properties` and no
///   `additionalProperties` gets `additionalProperties: false`, and every property missing from
///   its object's `required` is added to it (keeping the given order, then the rest
///   alphabetically), so that Parallel raises no warnings. Optional values should be written as a
///   union with `null` (`"type": ["string", "null"]`).
/// - `json` with a JSON array of strings, or plain text that reads as a list of short field
///   names: a flat schema of string fields (see ``FieldList``).
/// - `json` with a long free-form description: the `auto` schema, which needs a `pro`-class
///   processor (origin ``Origin/description``).
public struct GroupOutputSpec: Sendable, Hashable {
    /// Where the schema came from.
    public enum Origin: Sendable, Hashable {
        /// The caller gave a JSON schema.
        case jsonSchema
        /// Built from a list of field names.
        case fieldList
        /// A report description: a `text` schema, which any processor can fill.
        case report
        /// A free-form `json` description: the `auto` schema, which needs a `pro`-class processor.
        case description
    }

    /// The output schema to send as `task_spec.output_schema`.
    public var schema: TaskSchema
    /// The top-level output field names of a json schema, in order; empty for text and auto.
    public var fieldNames: [String]
    /// The number of properties at every level of a json schema (equal to `fieldNames.count` for a
    /// flat one); 0 for text and auto. ``Processors/choose(for:)`` sizes the processor by it.
    public var fieldCount: Int
    public var origin: Origin

    public init(schema: TaskSchema, fieldNames: [String], fieldCount: Int, origin: Origin) {
        self.schema = schema
        self.fieldNames = fieldNames
        self.fieldCount = fieldCount
        self.origin = origin
    }

    /// Builds the spec; throws a ``GroupInputError`` (field `output`, or the schema path at fault).
    public init(output: String, type: GroupOutputType) throws(GroupInputError) {
        let text = output.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty {
            throw GroupInputError(
                type == .json
                    ? "output is empty; list the fields to find (such as \"CEO name, founding year\") or give a JSON schema."
                    : "output is empty; describe the report to write for each row.",
                field: "output")
        }
        if type == .text {
            self.init(schema: .text(description: text), fieldNames: [], fieldCount: 0, origin: .report)
            return
        }
        if text.hasPrefix("{") {
            guard let parsed = try? JSONValue(parsing: text) else {
                throw GroupInputError(
                    "output starts with \"{\" but is not valid JSON. " + Self.acceptedForms, field: "output")
            }
            try self.init(schemaObject: parsed)
            return
        }
        if text.hasPrefix("[") {
            if let parsed = try? JSONValue(parsing: text) {
                guard let items = parsed.arrayValue, !items.isEmpty,
                    case let names = items.compactMap(\.stringValue), names.count == items.count
                else {
                    throw GroupInputError("output is a JSON array but not a list of field names. " + Self.acceptedForms, field: "output")
                }
                let list = try FieldList(names: names)
                self.init(fieldList: list)
                return
            }
            // `[CEO name, revenue]`: a field list in brackets.
            let inner = text.dropFirst().trimmingCharacters(in: .whitespaces)
            let unbracketed = inner.hasSuffix("]") ? String(inner.dropLast()) : inner
            if let list = try FieldList(parsing: unbracketed) {
                self.init(fieldList: list)
                return
            }
        }
        if let list = try FieldList(parsing: text) {
            self.init(fieldList: list)
        } else {
            self.init(schema: .auto, fieldNames: [], fieldCount: 0, origin: .description)
        }
    }

    /// The two forms a `json` output may take, for error messages.
    static let acceptedForms =
        "With output_type \"json\", output must be either a JSON schema whose root is "
        + "{\"type\":\"object\",\"properties\":{…}} (optionally wrapped as {\"json_schema\":{…}}), "
        + "or a plain list of the fields to find, such as \"CEO name, founding year, headquarters city\"."

    private init(fieldList: FieldList) {
        self.init(schema: .json(fieldList.schema), fieldNames: fieldList.names, fieldCount: fieldList.names.count, origin: .fieldList)
    }

    private init(schemaObject value: JSONValue) throws(GroupInputError) {
        guard case .object(var members) = value else {
            throw GroupInputError("output is JSON but not a JSON schema. " + Self.acceptedForms, field: "output")
        }
        if let wrapped = members["json_schema"] {
            if let type = members["type"], type != "json" {
                throw GroupInputError(
                    "output wraps a json_schema but its \"type\" is not \"json\". " + Self.acceptedForms, field: "output")
            }
            guard case .object(let inner) = wrapped else {
                throw GroupInputError("output's \"json_schema\" must be a JSON object. " + Self.acceptedForms, field: "output")
            }
            members = inner
        }
        guard OutputSchemaRules.looksLikeSchema(members) else {
            throw GroupInputError("output is JSON but not a JSON schema. " + Self.acceptedForms, field: "output")
        }
        let checked = try OutputSchemaRules.check(.object(members))
        let fieldNames = OutputSchemaRules.orderedPropertyNames(members)
        self.init(
            schema: .json(OutputSchemaRules.normalised(.object(members))), fieldNames: fieldNames,
            fieldCount: checked.propertyCount, origin: .jsonSchema)
    }
}

/// Parallel's rules for output JSON schemas (reference §2.3), checked before a group is created.
public enum OutputSchemaRules {
    /// Keywords Parallel rejects in output schemas.
    public static let unsupportedKeywords: Set<String> = [
        "contains", "format", "maxContains", "maxItems", "maxLength", "maxProperties", "maximum", "minContains",
        "minItems", "minLength", "minimum", "minProperties", "multipleOf", "pattern", "patternProperties",
        "propertyNames", "uniqueItems", "unevaluatedItems", "unevaluatedProperties",
    ]
    /// Levels of `properties`/`items` nesting allowed below the root.
    public static let maxDepth = 5
    /// Properties allowed in one schema, counted at every level.
    public static let maxProperties = 100
    /// `enum` values allowed in one schema, counted at every level.
    public static let maxEnumValues = 500

    /// What a successful check measured.
    public struct Checked: Sendable, Hashable {
        /// Properties at every level.
        public var propertyCount: Int
    }

    /// Throws the first rule `schema` breaks: root not an object with properties, root `anyOf`,
    /// nesting deeper than ``maxDepth``, unsupported keywords (all of them, with their paths),
    /// more than ``maxProperties`` properties or ``maxEnumValues`` enum values, a bare `null` type
    /// outside a union.
    public static func check(_ schema: JSONValue) throws(GroupInputError) -> Checked {
        guard case .object(let root) = schema else {
            throw GroupInputError("The output schema must be a JSON object.", field: "$")
        }
        if root["anyOf"] != nil {
            throw GroupInputError(
                "The output schema's root may not use anyOf; make the root {\"type\":\"object\",\"properties\":{…}} "
                    + "and put the alternatives inside a property.",
                field: "$.anyOf")
        }
        guard root["type"] == "object", let properties = root["properties"]?.objectValue else {
            throw GroupInputError(
                "The output schema's root must have \"type\": \"object\" and a \"properties\" object; "
                    + "put other values inside a property.",
                field: "$")
        }
        if properties.isEmpty {
            throw GroupInputError("The output schema's root has no properties; add the fields to find.", field: "$.properties")
        }

        var walker = Walker()
        walker.walk(schema, path: "$", depth: 0, inUnion: false)
        if let path = walker.tooDeep {
            throw GroupInputError(
                "The output schema nests more than \(maxDepth) levels deep at \(path); flatten it.", field: path)
        }
        if let first = walker.keywords.first {
            let listed = walker.keywords.prefix(8).map { "\"\($0.keyword)\" at \($0.path)" }.joined(separator: ", ")
            let more = walker.keywords.count > 8 ? " and \(walker.keywords.count - 8) more" : ""
            throw GroupInputError(
                "The output schema uses keywords Parallel does not support: \(listed)\(more); remove them "
                    + "and state such constraints in the property's description instead.",
                field: first.path)
        }
        if walker.propertyCount > maxProperties {
            throw GroupInputError(
                "The output schema has \(walker.propertyCount) properties but Parallel allows at most \(maxProperties) "
                    + "(counted at every level); drop or merge some fields.",
                field: "$")
        }
        if walker.enumValues > maxEnumValues {
            throw GroupInputError(
                "The output schema has \(walker.enumValues) enum values but Parallel allows at most \(maxEnumValues).",
                field: "$")
        }
        if let path = walker.bareNull {
            throw GroupInputError(
                "The output schema uses \"type\": \"null\" outside a union at \(path); null is allowed only "
                    + "inside a union such as \"type\": [\"string\", \"null\"].",
                field: path)
        }
        return Checked(propertyCount: walker.propertyCount)
    }

    /// True when `members` look like a JSON schema rather than arbitrary data.
    static func looksLikeSchema(_ members: [String: JSONValue]) -> Bool {
        if members["properties"] != nil || members["$schema"] != nil || members["anyOf"] != nil
            || members["oneOf"] != nil || members["allOf"] != nil
        {
            return true
        }
        let types: Set<String> = ["object", "array", "string", "number", "integer", "boolean", "null"]
        switch members["type"] {
        case .string(let type)?: return types.contains(type)
        case .array(let items)?: return !items.isEmpty && items.allSatisfy { $0.stringValue.map(types.contains) ?? false }
        default: return false
        }
    }

    /// The root's property names: first in the order of its `required` list, then alphabetically.
    static func orderedPropertyNames(_ root: [String: JSONValue]) -> [String] {
        let properties = root["properties"]?.objectValue ?? [:]
        var names: [String] = []
        for name in root["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
        where properties[name] != nil && !names.contains(name) {
            names.append(name)
        }
        return names + properties.keys.filter { !names.contains($0) }.sorted()
    }

    /// `schema` with `additionalProperties: false` on every object that has `properties` and does
    /// not set it, and every property listed in its object's `required`.
    public static func normalised(_ schema: JSONValue) -> JSONValue {
        guard case .object(var members) = schema else {
            if case .array(let items) = schema { return .array(items.map(normalised)) }
            return schema
        }
        if let properties = members["properties"]?.objectValue {
            members["properties"] = .object(properties.mapValues(normalised))
            if members["additionalProperties"] == nil { members["additionalProperties"] = false }
            members["required"] = .array(orderedPropertyNames(members).map(JSONValue.string))
        }
        for key in ["items", "anyOf", "oneOf", "allOf"] {
            if let child = members[key] { members[key] = normalised(child) }
        }
        for key in ["$defs", "definitions"] {
            if let definitions = members[key]?.objectValue { members[key] = .object(definitions.mapValues(normalised)) }
        }
        return .object(members)
    }

    /// One walk over a schema, collecting what ``check(_:)`` reports.
    private struct Walker {
        var tooDeep: String?
        var keywords: [(keyword: String, path: String)] = []
        var propertyCount = 0
        var enumValues = 0
        var bareNull: String?

        mutating func walk(_ node: JSONValue, path: String, depth: Int, inUnion: Bool) {
            guard case .object(let members) = node else { return }
            if depth > OutputSchemaRules.maxDepth {
                if tooDeep == nil { tooDeep = path }
                return
            }
            for key in members.keys.sorted() where OutputSchemaRules.unsupportedKeywords.contains(key) {
                keywords.append((key, path + "." + key))
            }
            if members["type"] == "null", !inUnion, bareNull == nil { bareNull = path }
            if let options = members["enum"]?.arrayValue { enumValues += options.count }
            if let properties = members["properties"]?.objectValue {
                propertyCount += properties.count
                for key in properties.keys.sorted() {
                    if let child = properties[key] {
                        walk(child, path: path + ".properties." + key, depth: depth + 1, inUnion: false)
                    }
                }
            }
            switch members["items"] {
            case .object?:
                if let items = members["items"] { walk(items, path: path + ".items", depth: depth + 1, inUnion: false) }
            case .array(let tuple)?:
                for (index, item) in tuple.enumerated() {
                    walk(item, path: path + ".items[\(index)]", depth: depth + 1, inUnion: false)
                }
            default:
                break
            }
            for union in ["anyOf", "oneOf", "allOf"] {
                for (index, variant) in (members[union]?.arrayValue ?? []).enumerated() {
                    walk(variant, path: path + ".\(union)[\(index)]", depth: depth, inUnion: union != "allOf")
                }
            }
            for key in ["$defs", "definitions"] {
                let definitions = members[key]?.objectValue ?? [:]
                for name in definitions.keys.sorted() {
                    if let definition = definitions[name] {
                        walk(definition, path: path + ".\(key).\(name)", depth: depth + 1, inUnion: false)
                    }
                }
            }
        }
    }
}
