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
}
