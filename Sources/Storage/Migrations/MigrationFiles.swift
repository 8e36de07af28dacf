public import Foundation

/// A backend's schema as plain numbered SQL files (`0001_oauth_and_tasks.sql`, …), read the
/// same way by every backend from its bundled `migrations` resource.
public enum MigrationFiles {
    /// The `.sql` files in `directory`, in number order: a migration's name is its file name
    /// without `.sql` (e.g. `0001_oauth_and_tasks`); other files are ignored.
    ///
    /// - Parameters:
    ///   - directory: the bundle's `migrations` folder (`nil` when the bundle has no location).
    ///   - module: the module whose bundle it is, for the error message.
    /// - Throws: ``MigrationError/resourcesMissing(_:)`` when the folder or a file cannot be read;
    ///   ``MigrationError/invalidFileName(_:)`` for a `.sql` file not named `<number>_<name>.sql`
    ///   or a number used twice.
    public static func read(_ directory: URL?, of module: String) throws(MigrationError) -> [(name: String, sql: String)] {
        guard let directory else { throw .resourcesMissing("the \(module) resource bundle has no location") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .resourcesMissing("no migrations directory at \(directory.path)")
        }
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw .resourcesMissing("\(directory.path): \(error.localizedDescription)")
        }
        var numbered: [(number: Int, name: String, url: URL)] = []
        for file in files where file.hasSuffix(".sql") {
            let name = String(file.dropLast(4))
            let digits = name.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, name.dropFirst(digits.count).first == "_", let number = Int(digits) else {
                throw .invalidFileName(file)
            }
            numbered.append((number, name, directory.appendingPathComponent(file)))
        }
        numbered.sort { ($0.number, $0.name) < ($1.number, $1.name) }
        for (previous, next) in zip(numbered, numbered.dropFirst()) where previous.number == next.number {
            throw .invalidFileName(next.name + ".sql")
        }
        var migrations: [(name: String, sql: String)] = []
        for entry in numbered {
            do {
                migrations.append((entry.name, try String(contentsOf: entry.url, encoding: .utf8)))
            } catch {
                throw .resourcesMissing("\(entry.url.lastPathComponent): \(error.localizedDescription)")
            }
        }
        return migrations
    }
}
