package import Crypto
package import Foundation
package import Storage

/// Fixed key material, so that several stores (of any backend) can share a database.
package enum Keys {
    package static let old = SymmetricKey(data: Data(repeating: 0x11, count: 32))
    package static let new = SymmetricKey(data: Data(repeating: 0x22, count: 32))
    package static let userID = SymmetricKey(data: Data(repeating: 0x33, count: 32))
    /// The user ids every test store derives (backends derive them alike from the same key).
    package static let userIDs = UserIDs(key: userID)

    /// A keyring of `"old"` and/or `"new"`, the first sealing.
    package static func keyring(_ ids: String...) throws -> SealingKeyring {
        try SealingKeyring(keys: ids.map { id in (id: id, key: id == "old" ? old : new) })
    }
}

/// A temporary directory, removed when the test body returns or throws.
package func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("StoreTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory)
}
