import Foundation
import ParallelAPI
import TaskTools
import Storage

/// The task registry kept in the server's store (any backend), credential sealed: shared by every
/// replica on the same database and kept across restarts. While the database is unavailable it
/// throws ``TaskServiceError/databaseUnavailable``, which the service passes on as it is.
struct PersistentTaskRegistry: TaskRegistry {
    let store: any TaskStorage

    func save(_ record: TaskRecord, credential: APIKey) async throws {
        try await Self.reporting { try await store.saveTask(Self.stored(record), credential: credential.secret) }
    }

    func record(id: String) async throws -> TaskRecord? {
        try await Self.reporting { try await store.task(id: id).flatMap(Self.record) }
    }

    func credential(forTask id: String) async throws -> APIKey? {
        try await Self.reporting { try await store.taskCredential(id: id).map(APIKey.init) }
    }

    func recent(owner: String, limit: Int) async throws -> [TaskRecord] {
        try await Self.reporting { try await store.recentTasks(owner: owner, limit: limit).compactMap(Self.record) }
    }

    func rotateLinkNonce(taskID: String, newNonce: String) async throws -> TaskRecord? {
        try await Self.reporting { try await store.rotateTaskLinkNonce(id: taskID, newNonce: newNonce).flatMap(Self.record) }
    }

    func saveResult(_ body: Data, forTask id: String, at date: Date) async throws {
        _ = try await Self.reporting { try await store.saveTaskResult(id: id, body: body, storedAt: date) }
    }

    func result(forTask id: String) async throws -> Data? {
        try await Self.reporting { try await store.taskResult(id: id) }
    }

    func createUpload(_ slot: UploadSlotRecord) async throws {
        try await Self.reporting {
            try await store.createUpload(
                StoredUpload(
                    id: slot.id, owner: slot.owner, secretHash: slot.secretHash, createdAt: slot.createdAt, expiresAt: slot.expiresAt,
                    maxBytes: slot.maxBytes))
        }
    }

    func putUpload(id: String, secretHash: Data, body: Data, contentType: String?, at date: Date) async throws -> UploadPut {
        switch try await Self.reporting({ try await store.putUpload(id: id, secretHash: secretHash, body: body, contentType: contentType, at: date) }) {
        case .stored: .stored
        case .notFound: .notFound
        case .alreadyUploaded: .alreadyUploaded
        case .expired: .expired
        }
    }

    func uploadedFile(id: String, owner: String, at date: Date) async throws -> (body: Data, contentType: String?)? {
        try await Self.reporting { try await store.uploadedFile(id: id, owner: owner, at: date) }.map { ($0.body, $0.contentType) }
    }

    func deleteUpload(id: String) async throws {
        try await Self.reporting { try await store.deleteUpload(id: id) }
    }

    /// `operation`, with ``StoreUnavailable`` told in the service's terms.
    static func reporting<Value>(_ operation: () async throws -> Value) async throws -> Value {
        do {
            return try await operation()
        } catch is StoreUnavailable {
            throw TaskServiceError.databaseUnavailable
        }
    }

    static func stored(_ record: TaskRecord) -> StoredTask {
        StoredTask(
            id: record.id, kind: record.kind.rawValue, owner: record.owner, createdAt: record.createdAt, processor: record.processor,
            label: record.label, runCount: record.runCount, linkNonce: record.linkNonce)
    }

    static func record(_ task: StoredTask) -> TaskRecord? {
        guard let kind = TaskRecord.Kind(rawValue: task.kind) else { return nil }
        return TaskRecord(
            id: task.id, kind: kind, owner: task.owner, createdAt: task.createdAt, processor: task.processor, label: task.label,
            runCount: task.runCount, linkNonce: task.linkNonce)
    }
}
