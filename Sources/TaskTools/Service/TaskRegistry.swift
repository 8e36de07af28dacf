public import Foundation
public import ParallelAPI

/// A run or group created through this server, remembered for its creator.
public struct TaskRecord: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable { case run, group }

    /// `trun_…` or `tgrp_…`.
    public var id: String
    public var kind: Kind
    /// The caller that created it (see ``Caller/subject``).
    public var owner: String
    public var createdAt: Date
    public var processor: String
    /// A one-line reminder of what it is: the start of the question, or the group's shape.
    public var label: String
    /// For groups, how many rows were submitted.
    public var runCount: Int?
    /// Random per-task salt of the view link; replacing it revokes every link issued so far.
    public var linkNonce: String

    public init(
        id: String, kind: Kind, owner: String, createdAt: Date, processor: String, label: String, runCount: Int? = nil,
        linkNonce: String
    ) {
        self.id = id
        self.kind = kind
        self.owner = owner
        self.createdAt = createdAt
        self.processor = processor
        self.label = label
        self.runCount = runCount
        self.linkNonce = linkNonce
    }
}

/// Where created tasks, and the credential their view links act with, are kept.
///
/// The in-memory implementation serves a single process; the server's store (any backend, with the
/// credential sealed) implements the same interface, throwing ``TaskServiceError/databaseUnavailable``
/// while its database cannot be reached.
public protocol TaskRegistry: Sendable {
    /// Remembers a task and the credential its view link may use to read it.
    func save(_ record: TaskRecord, credential: APIKey) async throws
    /// The task with this id, if this server created it.
    func record(id: String) async throws -> TaskRecord?
    /// The credential stored with a task, for serving its view link.
    func credential(forTask id: String) async throws -> APIKey?
    /// The owner's most recent tasks, newest first.
    func recent(owner: String, limit: Int) async throws -> [TaskRecord]
    /// Replaces the task's link nonce, so that links issued before stop working.
    /// - Returns: the updated record, or `nil` if unknown.
    func rotateLinkNonce(taskID: String, newNonce: String) async throws -> TaskRecord?
    /// Keeps the result of a finished task (``StoredResult``), replacing any kept before; a
    /// task the registry does not know is ignored.
    func saveResult(_ body: Data, forTask id: String, at date: Date) async throws
    /// The result kept for a task, if any.
    func result(forTask id: String) async throws -> Data?
    /// Creates an upload slot.
    func createUpload(_ slot: UploadSlotRecord) async throws
    /// Stores the slot's one file (see ``UploadPut``).
    func putUpload(id: String, secretHash: Data, body: Data, contentType: String?, at date: Date) async throws -> UploadPut
    /// The file uploaded into `owner`'s slot, unless empty or expired.
    func uploadedFile(id: String, owner: String, at date: Date) async throws -> (body: Data, contentType: String?)?
    /// Deletes an upload slot.
    func deleteUpload(id: String) async throws
}

/// An upload slot as the registry keeps it: only the SHA-256 of its URL's secret.
public struct UploadSlotRecord: Sendable, Hashable {
    public var id: String
    public var owner: String
    public var secretHash: Data
    public var createdAt: Date
    public var expiresAt: Date
    public var maxBytes: Int

    public init(id: String, owner: String, secretHash: Data, createdAt: Date, expiresAt: Date, maxBytes: Int) {
        self.id = id
        self.owner = owner
        self.secretHash = secretHash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.maxBytes = maxBytes
    }
}

/// What a `PUT` of an upload came to.
public enum UploadPut: Sendable, Hashable {
    case stored, notFound, alreadyUploaded, expired
}

/// A ``TaskRegistry`` in process memory, bounded: past `capacity` records the oldest are dropped
/// with their results (their view links stop working; the tasks themselves live on at Parallel),
/// and results are kept for the newest tasks up to `resultBytes` in all.
public actor InMemoryTaskRegistry: TaskRegistry {
    private var records: [String: (record: TaskRecord, credential: APIKey, sequence: Int)] = [:]
    private var results: [String: (body: Data, sequence: Int)] = [:]
    private var uploads: [String: (slot: UploadSlotRecord, file: (body: Data, contentType: String?)?)] = [:]
    private var resultBytesHeld = 0
    private var sequence = 0
    private let capacity: Int
    private let resultBytes: Int

    public init(capacity: Int = 50_000, resultBytes: Int = 64 << 20) {
        self.capacity = max(1, capacity)
        self.resultBytes = max(0, resultBytes)
    }

    public func save(_ record: TaskRecord, credential: APIKey) {
        sequence += 1
        records[record.id] = (record, credential, sequence)
        if records.count > capacity, let oldest = records.min(by: { $0.value.sequence < $1.value.sequence })?.key {
            records[oldest] = nil
            dropResult(oldest)
        }
    }

    public func saveResult(_ body: Data, forTask id: String, at date: Date) {
        guard records[id] != nil, body.count <= resultBytes else { return }
        dropResult(id)
        sequence += 1
        results[id] = (body, sequence)
        resultBytesHeld += body.count
        while resultBytesHeld > resultBytes, let oldest = results.min(by: { $0.value.sequence < $1.value.sequence })?.key {
            dropResult(oldest)
        }
    }

    public func result(forTask id: String) -> Data? { results[id]?.body }

    public func createUpload(_ slot: UploadSlotRecord) {
        uploads = uploads.filter { $0.value.slot.expiresAt > slot.createdAt }
        uploads[slot.id] = (slot, nil)
    }

    public func putUpload(id: String, secretHash: Data, body: Data, contentType: String?, at date: Date) -> UploadPut {
        guard let held = uploads[id], held.slot.secretHash == secretHash else { return .notFound }
        if held.file != nil { return .alreadyUploaded }
        guard held.slot.expiresAt > date else { return .expired }
        uploads[id] = (held.slot, (body, contentType))
        return .stored
    }

    public func uploadedFile(id: String, owner: String, at date: Date) -> (body: Data, contentType: String?)? {
        guard let held = uploads[id], held.slot.owner == owner, held.slot.expiresAt > date else { return nil }
        return held.file
    }

    public func deleteUpload(id: String) { uploads[id] = nil }

    private func dropResult(_ id: String) {
        if let old = results.removeValue(forKey: id) { resultBytesHeld -= old.body.count }
    }

    public func record(id: String) -> TaskRecord? { records[id]?.record }

    public func credential(forTask id: String) -> APIKey? { records[id]?.credential }

    public func recent(owner: String, limit: Int) -> [TaskRecord] {
        let mine = records.values.filter { $0.record.owner == owner }.sorted { $0.sequence > $1.sequence }
        return mine.prefix(max(0, limit)).map(\.record)
    }

    public func rotateLinkNonce(taskID: String, newNonce: String) -> TaskRecord? {
        guard var entry = records[taskID] else { return nil }
        entry.record.linkNonce = newNonce
        records[taskID] = entry
        return entry.record
    }
}
