/// Why the schema could not be brought up to date.
public enum MigrationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bundled `migrations` resource directory could not be found or read.
    case resourcesMissing(String)
    /// A `.sql` file in the bundle is not named `<number>_<name>.sql`, or two share a number.
    case invalidFileName(String)
    /// The database records migrations this build does not know: it was migrated by a newer version.
    case unknownAppliedMigrations([String])

    /// A sentence for logs and operators.
    public var description: String {
        switch self {
        case .resourcesMissing(let detail):
            "the bundled migrations could not be read: \(detail)"
        case .invalidFileName(let name):
            "migration file \"\(name)\" must be named <number>_<name>.sql with a unique number"
        case .unknownAppliedMigrations(let names):
            "the database records migrations this build does not know (a newer schema): \(names.joined(separator: ", "))"
        }
    }
}
