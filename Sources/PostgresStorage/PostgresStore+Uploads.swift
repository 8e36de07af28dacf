public import Foundation
import PostgresNIO
public import Storage

extension PostgresStore {
    /// Creates an upload slot (no file yet).
    public func createUpload(_ upload: StoredUpload) async throws {
        try await rows(
            """
            INSERT INTO uploads (id, owner, secret_hash, created_at, expires_at, max_bytes)
            VALUES (\(upload.id), \(upload.owner), \(upload.secretHash), \(upload.createdAt.unix), \(upload.expiresAt.unix),
                    \(upload.maxBytes))
            """)
    }

    /// Stores the slot's one file, if the slot is empty, matches the secret and has not expired;
    /// of two PUTs racing, one stores and the other finds the slot filled.
    public func putUpload(id: String, secretHash: Data, body: Data, contentType: String?, at date: Date) async throws
        -> UploadPutOutcome
    {
        let stored = try await rows(
            """
            UPDATE uploads SET body = \(body), content_type = \(contentType), uploaded_at = \(date.unix)
            WHERE id = \(id) AND secret_hash = \(secretHash) AND body IS NULL AND expires_at > \(date.unix)
            RETURNING id
            """)
        if !stored.isEmpty { return .stored }
        guard
            let row = try await rows(
                "SELECT body IS NOT NULL FROM uploads WHERE id = \(id) AND secret_hash = \(secretHash)"
            ).first
        else { return .notFound }
        return try row.decode(Bool.self) ? .alreadyUploaded : .expired
    }

    /// The file in `owner`'s slot `id`, unless it is empty or expired.
    public func uploadedFile(id: String, owner: String, at date: Date) async throws -> UploadedFile? {
        guard
            let row = try await rows(
                """
                SELECT body, content_type FROM uploads
                WHERE id = \(id) AND owner = \(owner) AND body IS NOT NULL AND expires_at > \(date.unix)
                """
            ).first
        else { return nil }
        let (body, contentType) = try row.decode((Data, String?).self)
        return UploadedFile(body: body, contentType: contentType)
    }

    /// Deletes an upload slot.
    public func deleteUpload(id: String) async throws {
        try await rows("DELETE FROM uploads WHERE id = \(id)")
    }

    /// Deletes slots expired before `date`, in batches; once across replicas (0 when another
    /// purge is running).
    public func purgeExpiredUploads(before date: Date) async throws -> Int {
        let cutoff = date.unix
        return try await purgeOnce("uploads", skipped: 0) { [self] in
            try await purgeInBatches { limit in
                """
                DELETE FROM uploads WHERE ctid = ANY(ARRAY(
                    SELECT ctid FROM uploads WHERE expires_at <= \(cutoff) LIMIT \(limit) FOR UPDATE SKIP LOCKED))
                """
            }
        }
    }
}
