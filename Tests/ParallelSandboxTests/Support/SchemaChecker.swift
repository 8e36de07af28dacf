import JSON

/// A small JSON-schema checker for the subset output schemas use: `type` (also as an array),
/// `properties`, `required`, `additionalProperties: false`, `items`, `enum`, `const`, `anyOf`/`oneOf`.
/// Returns one line per violation; empty means the value conforms.
enum SchemaChecker {
    static func problems(_ value: JSONValue, against schema: JSONValue, path: String = "$") -> [String] {
        guard case .object(let node) = schema else { return [] }
        var found: [String] = []

        for union in ["anyOf", "oneOf"] {
            if let variants = node[union]?.arrayValue {
                let matching = variants.filter { problems(value, against: $0, path: path).isEmpty }
                if matching.isEmpty { found.append("\(path): matches no \(union) variant") }
            }
        }
        if let constant = node["const"], constant != value { found.append("\(path): \(value) is not the const \(constant)") }
        if let options = node["enum"]?.arrayValue, !options.contains(value) {
            found.append("\(path): \(value) is not one of the enum values \(options)")
        }

        let types: [String]
        if let single = node["type"]?.stringValue {
            types = [single]
        } else if let several = node["type"]?.arrayValue {
            types = several.compactMap(\.stringValue)
        } else {
            types = []
        }
        if !types.isEmpty, !types.contains(where: { matches(value, type: $0) }) {
            found.append("\(path): \(value) is not of type \(types.joined(separator: "|"))")
            return found
        }

        if case .object(let members) = value {
            let properties = node["properties"]?.objectValue ?? [:]
            for name in node["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where members[name] == nil {
                found.append("\(path): required property \(name) is missing")
            }
            for (name, member) in members {
                if let child = properties[name] {
                    found += problems(member, against: child, path: "\(path).\(name)")
                } else if node["additionalProperties"]?.boolValue == false {
                    found.append("\(path): property \(name) is not allowed")
                }
            }
        }
        if case .array(let items) = value, let itemSchema = node["items"] {
            for (index, item) in items.enumerated() {
                found += problems(item, against: itemSchema, path: "\(path)[\(index)]")
            }
        }
        return found
    }

    static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null),
            ("integer", .int), ("number", .int), ("number", .double):
            return true
        case ("integer", .double(let number)):
            return number.rounded() == number
        default:
            return false
        }
    }

    /// Whether a dot-notation basis path (`a.b`, `list.0.name`) names a value in `content`.
    static func resolves(_ path: String, in content: JSONValue) -> Bool {
        var current = content
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            if let object = current.objectValue, let next = object[String(part)] {
                current = next
            } else if let array = current.arrayValue, let index = Int(part), array.indices.contains(index) {
                current = array[index]
            } else {
                return false
            }
        }
        return true
    }
}
