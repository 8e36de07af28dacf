/// The one rule for a client's self-declared `client_name`, applied to both registration paths
/// (`/register` and Client ID Metadata Documents): the name is shown on the consent page and in
/// the admin CLI, so it must not carry characters that control a terminal or disguise text.
public enum ClientNames {
    /// The longest `client_name` accepted, in characters.
    public static let maxLength = 200

    /// Why `name` (already trimmed) cannot be a client's name, or nil. An empty name is the
    /// caller's business (DCR falls back to the redirect host; a metadata document must name
    /// itself).
    public static func problem(_ name: String) -> String? {
        if name.count > maxLength { return "client_name is longer than \(maxLength) characters" }
        if name.unicodeScalars.contains(where: isUnsafe) {
            return "client_name contains control characters or bidirectional formatting characters"
        }
        return nil
    }

    /// C0 and C1 controls (NUL, ESC, BEL, newlines included), DEL, line and paragraph
    /// separators, and the bidirectional marks, embeddings, overrides and isolates that could
    /// reorder a name on screen (U+061C, U+200E–200F, U+202A–202E, U+2066–2069).
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x061C, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// `name` with every unsafe scalar replaced by U+FFFD, for display: names stored before this
    /// rule existed are shown harmlessly too.
    public static func displayable(_ name: String) -> String {
        guard name.unicodeScalars.contains(where: isUnsafe) else { return name }
        return String(String.UnicodeScalarView(name.unicodeScalars.map { isUnsafe($0) ? "\u{FFFD}" : $0 }))
    }
}
