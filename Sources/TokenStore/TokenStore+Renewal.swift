public import Foundation
import GRDB

extension TokenStore {
    /// Moves a client's expiry to `date` (a dynamically registered client in use stays registered).
    public func extendClient(id: String, until date: Date) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE clients SET expires_at = ? WHERE id = ?", arguments: [date.timeIntervalSince1970, id])
        }
    }
}
