public import Foundation
import PostgresNIO
public import Storage

extension PostgresStore {
    /// The `tasks` columns ``StoredTask/init(postgresRow:)`` decodes, in order.
    static let taskColumns = "id, kind, owner, created_at, processor, label, run_count, link_nonce"

    /// Remembers a task (upsert) with its credential sealed (context ``SealContext/task(_:)``).
    public func saveTask(_ task: StoredTask, credential: String) async throws {
        let sealed = try seal(credential, context: SealContext.task(task.id))
        try await rows(
            """
            INSERT INTO tasks (id, kind, owner, created_at, processor, label, run_count, link_nonce, credential_key_id, credential)
            VALUES (\(task.id), \(task.kind), \(task.owner), \(task.createdAt.unix), \(task.processor), \(task.label),
                    \(task.runCount), \(task.linkNonce), \(sealed.keyID), \(sealed.combined))
            ON CONFLICT (id) DO UPDATE SET
                kind = excluded.kind,
                owner = excluded.owner,
                created_at = excluded.created_at,
                processor = excluded.processor,
                label = excluded.label,
                run_count = excluded.run_count,
                link_nonce = excluded.link_nonce,
                credential_key_id = excluded.credential_key_id,
                credential = excluded.credential
            """)
    }

    /// The task with this id, if this server recorded it.
    public func task(id: String) async throws -> StoredTask? {
        try await rows("SELECT \(unescaped: Self.taskColumns) FROM tasks WHERE id = \(id)").first.map(StoredTask.init(postgresRow:))
    }

    /// The credential stored with a task, opened; `nil` if the task is unknown.
    public func taskCredential(id: String) async throws -> String? {
        guard let row = try await rows("SELECT credential_key_id, credential FROM tasks WHERE id = \(id)").first else { return nil }
        let (keyID, combined) = try row.decode((String, Data).self)
        return try keyring.open(SealedValue(keyID: keyID, combined: combined), context: SealContext.task(id))
    }

    /// The owner's most recent tasks, newest first (insertion order breaking ties), at most `limit`.
    public func recentTasks(owner: String, limit: Int) async throws -> [StoredTask] {
        guard limit > 0 else { return [] }
        return try await rows(
            """
            SELECT \(unescaped: Self.taskColumns) FROM tasks WHERE owner = \(owner)
            ORDER BY created_at DESC, seq DESC LIMIT \(limit)
            """
        ).map(StoredTask.init(postgresRow:))
    }

    /// Replaces the task's link nonce, revoking the view links issued before; the updated task.
    public func rotateTaskLinkNonce(id: String, newNonce: String) async throws -> StoredTask? {
        try await rows(
            "UPDATE tasks SET link_nonce = \(newNonce) WHERE id = \(id) RETURNING \(unescaped: Self.taskColumns)"
        ).first.map(StoredTask.init(postgresRow:))
    }

    /// Stores a finished task's result (replacing the one before); `false` if the task is unknown.
    public func saveTaskResult(id: String, body: Data, storedAt: Date) async throws -> Bool {
        try await !rows(
            """
            INSERT INTO task_results (task_id, stored_at, body)
            SELECT id, \(storedAt.unix), \(body) FROM tasks WHERE id = \(id)
            ON CONFLICT (task_id) DO UPDATE SET stored_at = excluded.stored_at, body = excluded.body
            RETURNING task_id
            """
        ).isEmpty
    }

    /// The stored result of a task, if any.
    public func taskResult(id: String) async throws -> Data? {
        try await rows("SELECT body FROM task_results WHERE task_id = \(id)").first?.decode(Data.self)
    }
}

extension StoredTask {
    /// Decodes ``PostgresStore/taskColumns``.
    init(postgresRow row: PostgresRow) throws {
        let (id, kind, owner, createdAt, processor, label, runCount, linkNonce) = try row.decode(
            (String, String, String, Double, String, String, Int?, String).self)
        self.init(
            id: id, kind: kind, owner: owner, createdAt: Date(timeIntervalSince1970: createdAt), processor: processor,
            label: label, runCount: runCount, linkNonce: linkNonce)
    }
}
