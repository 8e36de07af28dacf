/// One `<Relationship>` of an OPC `.rels` part.
struct Relationship {
    var id: String
    var type: String
    var target: String
    var isExternal: Bool

    /// Whether the type is `kind` (e.g. `officeDocument`, `worksheet`), in the Transitional or Strict
    /// namespace alike: both end in `/kind`.
    func isType(_ kind: String) -> Bool {
        type.hasSuffix("/" + kind)
    }

    /// The relationships in a `.rels` part.
    static func parse(_ scanner: inout XMLScanner) throws(TableFileError) -> [Relationship] {
        var relationships: [Relationship] = []
        while let event = try scanner.next() {
            guard case .start(let element) = event, element.name == "Relationship" else { continue }
            guard let id = element["Id"], let type = element["Type"], let target = element["Target"] else { continue }
            relationships.append(
                Relationship(id: id, type: type, target: target, isExternal: element["TargetMode"] == "External"))
        }
        return relationships
    }

    /// The part name `target` points to, seen from the part `source` ("" for the package root):
    /// absolute targets start at the root, relative ones at the source's folder, `.` and `..` resolved.
    static func resolve(_ target: String, from source: String) -> String {
        let target = target.replacingBackslashes()
        var segments: [Substring] = []
        if !target.hasPrefix("/") {
            segments = source.split(separator: "/")
            if !segments.isEmpty { segments.removeLast() }
        }
        let path = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        for segment in path.split(separator: "/") {
            switch segment {
            case ".": continue
            case "..": if !segments.isEmpty { segments.removeLast() }
            default: segments.append(segment)
            }
        }
        return segments.joined(separator: "/")
    }

    /// The `.rels` part holding the relationships of `part`: `xl/workbook.xml` → `xl/_rels/workbook.xml.rels`.
    static func partName(for part: String) -> String {
        var segments = part.split(separator: "/").map(String.init)
        let name = segments.popLast() ?? ""
        return (segments + ["_rels", name + ".rels"]).joined(separator: "/")
    }
}
