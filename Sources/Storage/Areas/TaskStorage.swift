public import Foundation

/// The per-user registry of tasks created through this server, each with its sealed credential.
public protocol TaskStorage: Sendable {
    /// Records a task; its credential (the caller's API key) is sealed.
    func saveTask(_ task: StoredTask, credential: String) async throws
    /// The task by its id.
    func task(id: String) async throws -> StoredTask?
    /// The task's unsealed credential.
    func taskCredential(id: String) async throws -> String?
    /// The owner's newest tasks first, at most `limit`.
    func recentTasks(owner: String, limit: Int) async throws -> [StoredTask]
    /// Replaces the task's view-link nonce (revoking links made with the old one); the updated task.
    func rotateTaskLinkNonce(id: String, newNonce: String) async throws -> StoredTask?
    /// Stores the result of a finished task (replacing any stored before), dated `storedAt`.
    /// - Returns: `false` if the task is unknown (nothing is stored).
    func saveTaskResult(id: String, body: Data, storedAt: Date) async throws -> Bool
    /// The stored result of a task, if any.
    func taskResult(id: String) async throws -> Data?
    /// Creates an upload slot (no file yet).
    func createUpload(_ upload: StoredUpload) async throws
    /// Stores the one file of the slot `id` whose secret hashes to `secretHash`, at `date`: only
    /// into a slot still empty and not expired.
    func putUpload(id: String, secretHash: Data, body: Data, contentType: String?, at date: Date) async throws -> UploadPutOutcome
    /// The file uploaded into `owner`'s slot `id`, if there is one and the slot has not expired at `date`.
    func uploadedFile(id: String, owner: String, at date: Date) async throws -> UploadedFile?
    /// Deletes an upload slot (once its rows were used).
    func deleteUpload(id: String) async throws
    /// Deletes slots expired before `date`; the number deleted.
    func purgeExpiredUploads(before date: Date) async throws -> Int
}
