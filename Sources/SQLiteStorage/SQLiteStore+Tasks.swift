public import Foundation
import GRDB
public import Storage

extension SQLiteStore {
    /// Remembers a task (upsert) with its credential sealed (context "task:<id>").
    public func saveTask(_ task: StoredTask, credential: String) async throws {
        let sealed = try seal(credential, context: SealContext.task(task.id))
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO tasks (id, kind, owner, created_at, processor, label, run_count, link_nonce,
                                       credential_key_id, credential)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
                    """,
                arguments: [
                    task.id, task.kind, task.owner, task.createdAt.unix, task.processor, task.label, task.runCount,
                    task.linkNonce, sealed.keyID, sealed.combined,
                ]
            )
        }
    }

    /// The task with this id, if this server recorded it.
    public func task(id: String) async throws -> StoredTask? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM tasks WHERE id = ?", arguments: [id]).map(StoredTask.init(row:))
        }
    }

    /// The credential stored with a task, opened; `nil` if the task is unknown.
    public func taskCredential(id: String) async throws -> String? {
        let sealed = try await writer.read { db -> SealedValue? in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT credential_key_id, credential FROM tasks WHERE id = ?", arguments: [id]
                )
            else { return nil }
            return SealedValue(
                keyID: try row.decode(forColumn: "credential_key_id"), combined: try row.decode(forColumn: "credential")
            )
        }
        return try sealed.map { try keyring.open($0, context: SealContext.task(id)) }
    }

    /// The owner's most recent tasks, newest first, at most `limit`.
    public func recentTasks(owner: String, limit: Int) async throws -> [StoredTask] {
        guard limit > 0 else { return [] }
        return try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM tasks WHERE owner = ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
                arguments: [owner, limit]
            ).map(StoredTask.init(row:))
        }
    }

    /// Replaces the task's link nonce, so that view links issued before stop working.
    /// - Returns: the updated task, or `nil` if unknown.
    public func rotateTaskLinkNonce(id: String, newNonce: String) async throws -> StoredTask? {
        try await writer.write { db in
            try db.execute(sql: "UPDATE tasks SET link_nonce = ? WHERE id = ?", arguments: [newNonce, id])
            guard db.changesCount > 0 else { return nil }
            return try Row.fetchOne(db, sql: "SELECT * FROM tasks WHERE id = ?", arguments: [id]).map(StoredTask.init(row:))
        }
    }
    /// Stores a finished task's result (replacing the one before); `false` if the task is unknown.
    public func saveTaskResult(id: String, body: Data, storedAt: Date) async throws -> Bool {
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO task_results (task_id, stored_at, body)
                    SELECT id, ?, ? FROM tasks WHERE id = ?
                    ON CONFLICT (task_id) DO UPDATE SET stored_at = excluded.stored_at, body = excluded.body
                    """,
                arguments: [storedAt.unix, body, id])
            return db.changesCount > 0
        }
    }

    /// The stored result of a task, if any.
    public func taskResult(id: String) async throws -> Data? {
        try await writer.read { db in
            try Data.fetchOne(db, sql: "SELECT body FROM task_results WHERE task_id = ?", arguments: [id])
        }
    }
}

extension StoredTask {
    /// Decodes a `tasks` row (the sealed credential is left out).
    init(row: Row) throws {
        self.init(
            id: try row.decode(forColumn: "id"),
            kind: try row.decode(forColumn: "kind"),
            owner: try row.decode(forColumn: "owner"),
            createdAt: Date(unix: try row.decode(forColumn: "created_at")),
            processor: try row.decode(forColumn: "processor"),
            label: try row.decode(forColumn: "label"),
            runCount: try row.decode(forColumn: "run_count"),
            linkNonce: try row.decode(forColumn: "link_nonce")
        )
    }
}
