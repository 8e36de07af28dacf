import Configuration
import Foundation
import SystemPackage

/// Reads task-mcp's variables from an optional `.env` file (parsed by swift-configuration's
/// `EnvironmentVariablesProvider`): `NAME=value` lines (one pair of quotes around a value is dropped), `#` comments. The process environment
/// wins over the file, so a value exported or set by a container runtime is never overridden.
public enum EnvironmentFile {
    /// `environment` plus each documented variable (``ServerConfiguration/variableNames``, and
    /// `PARALLEL_API_KEY`) found in the file at `path` and not already set.
    ///
    /// - Parameter required: when false, a missing file is the same as an empty one.
    /// - Throws: ``StartupError`` when the file is required but missing, or cannot be read.
    public static func merged(_ environment: [String: String], path: String, required: Bool) async throws -> [String: String] {
        if required, !FileManager.default.fileExists(atPath: path) {
            throw StartupError("the environment file \(path) does not exist")
        }
        let provider: EnvironmentVariablesProvider
        do {
            provider = try await EnvironmentVariablesProvider(environmentFilePath: FilePath(path), allowMissing: !required)
        } catch {
            throw StartupError("cannot read the environment file \(path): \(error)")
        }
        var merged = environment
        for name in ServerConfiguration.variableNames + ["PARALLEL_API_KEY"] where merged[name] == nil {
            if let value = try provider.environmentValue(forName: name) {
                merged[name] = unquoted(value)
            }
        }
        return merged
    }

    /// The value without one pair of surrounding double or single quotes, as Docker Compose and
    /// shells read `NAME="value"`, so one file means the same everywhere.
    static func unquoted(_ value: String) -> String {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard trimmed.count >= 2, let first = trimmed.first, first == "\"" || first == "'", trimmed.last == first else { return value }
        return String(trimmed.dropFirst().dropLast())
    }
}
