public import Foundation
import GRDB
public import Storage

extension SQLiteStore {
    /// Creates an upload slot (no file yet).
    public func createUpload(_ upload: StoredUpload) async throws {
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO uploads (id, owner, secret_hash, created_at, expires_at, max_bytes)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    upload.id, upload.owner, upload.secretHash, upload.createdAt.unix, upload.expiresAt.unix, upload.maxBytes,
                ])
        }
    }

    /// Stores the slot's one file, if the slot is empty, matches the secret and has not expired.
    public func putUpload(id: String, secretHash: Data, body: Data, contentType: String?, at date: Date) async throws
        -> UploadPutOutcome
    {
        try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE uploads SET body = ?, content_type = ?, uploaded_at = ?
                    WHERE id = ? AND secret_hash = ? AND body IS NULL AND expires_at > ?
                    """,
                arguments: [body, contentType, date.unix, id, secretHash, date.unix])
            if db.changesCount > 0 { return .stored }
            // Why not: read in the same transaction, so the answer is about the same row.
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT expires_at, body IS NOT NULL AS filled FROM uploads WHERE id = ? AND secret_hash = ?",
                    arguments: [id, secretHash])
            else { return .notFound }
            let filled: Bool = row["filled"]
            if filled { return .alreadyUploaded }
            return .expired
        }
    }

    /// The file in `owner`'s slot `id`, unless it is empty or expired.
    public func uploadedFile(id: String, owner: String, at date: Date) async throws -> UploadedFile? {
        try await writer.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT body, content_type FROM uploads WHERE id = ? AND owner = ? AND body IS NOT NULL AND expires_at > ?",
                    arguments: [id, owner, date.unix])
            else { return nil }
            let body: Data = row["body"]
            let contentType: String? = row["content_type"]
            return UploadedFile(body: body, contentType: contentType)
        }
    }

    /// Deletes an upload slot.
    public func deleteUpload(id: String) async throws {
        _ = try await delete(sql: "DELETE FROM uploads WHERE id = ?", arguments: [id])
    }

    /// Deletes slots expired before `date`.
    public func purgeExpiredUploads(before date: Date) async throws -> Int {
        try await delete(sql: "DELETE FROM uploads WHERE expires_at <= ?", arguments: [date.unix])
    }
}
