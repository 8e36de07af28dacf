public import JSON

/// A deliberately small JSON Schema check of tool arguments against a tool's `inputSchema`:
/// `required`, the `type` (or list of types) and `enum` of top-level `properties`, and
/// `additionalProperties: false`. Nested schemas and composition keywords are left to the handler.
public enum ArgumentValidator {
    /// Human-readable problems with `arguments`; empty when they pass.
    public static func problems(in arguments: [String: JSONValue], schema: JSONValue) -> [String] {
        var problems: [String] = []
        let properties = schema["properties"]?.objectValue ?? [:]
        for case .string(let name) in schema["required"]?.arrayValue ?? [] where arguments[name] == nil {
            problems.append("missing required property '\(name)'")
        }
        for name in arguments.keys.sorted() {
            guard let value = arguments[name] else { continue }
            guard let propertySchema = properties[name] else {
                if schema["additionalProperties"] == .bool(false) {
                    problems.append("unexpected property '\(name)'")
                }
                continue
            }
            if let types = allowedTypes(propertySchema["type"]), !types.contains(where: { matches(value, type: $0) }) {
                problems.append("property '\(name)' must be of type \(types.joined(separator: " or "))")
            } else if let options = propertySchema["enum"]?.arrayValue, !options.contains(value) {
                problems.append("property '\(name)' must be one of \(options.map(render).joined(separator: ", "))")
            }
        }
        return problems
    }

    private static func allowedTypes(_ type: JSONValue?) -> [String]? {
        switch type {
        case .string(let single)?: [single]
        case .array(let list)?: list.compactMap(\.stringValue)
        default: nil
        }
    }

    private static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("string", .string), ("boolean", .bool), ("object", .object), ("array", .array), ("null", .null): true
        case ("number", .int), ("number", .double): true
        case ("integer", .int): true
        case ("integer", .double(let number)): number.isFinite && number.rounded() == number
        case (let other, _): !["string", "boolean", "object", "array", "null", "number", "integer"].contains(other)
        }
    }

    private static func render(_ value: JSONValue) -> String {
        switch value {
        case .string(let string): "'\(string)'"
        case .int(let int): String(int)
        case .double(let double): String(double)
        case .bool(let bool): String(bool)
        case .null: "null"
        case .array, .object: "a structured value"
        }
    }
}
