public import Foundation

/// A task created through this server, as the registry keeps it (its credential is stored sealed, apart).
public struct StoredTask: Sendable, Hashable {
    /// `trun_…` or `tgrp_…`.
    public var id: String
    /// `"run"` or `"group"`.
    public var kind: String
    /// The caller that created it.
    public var owner: String
    /// When it was created.
    public var createdAt: Date
    /// The processor the task runs on.
    public var processor: String
    /// A one-line reminder of what it is.
    public var label: String
    /// For groups, how many rows were submitted.
    public var runCount: Int?
    /// Per-task salt of the view link; replacing it revokes the links issued so far.
    public var linkNonce: String

    /// Describes a task.
    public init(
        id: String, kind: String, owner: String, createdAt: Date, processor: String, label: String,
        runCount: Int? = nil, linkNonce: String
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

/// An MCP task row (`mcp_tasks`), with what the task registry (`tasks`) knows about its run.
public struct StoredMCPTask: Sendable, Hashable {
    public var id: String
    public var owner: String
    public var upstreamID: String
    public var tool: String
    /// `working`, `input_required`, `completed`, `failed` or `cancelled`.
    public var status: String
    public var statusMessage: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var ttlMilliseconds: Int?
    public var expiresAt: Date?
    /// From `tasks`: the processor, and a webhook-reported terminal status with its message.
    public var processor: String?
    public var settledStatus: String?
    public var settledMessage: String?

    public init(
        id: String, owner: String, upstreamID: String, tool: String, status: String, statusMessage: String? = nil, createdAt: Date,
        updatedAt: Date, ttlMilliseconds: Int?, expiresAt: Date?, processor: String? = nil, settledStatus: String? = nil,
        settledMessage: String? = nil
    ) {
        self.id = id
        self.owner = owner
        self.upstreamID = upstreamID
        self.tool = tool
        self.status = status
        self.statusMessage = statusMessage
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.ttlMilliseconds = ttlMilliseconds
        self.expiresAt = expiresAt
        self.processor = processor
        self.settledStatus = settledStatus
        self.settledMessage = settledMessage
    }
}

/// A run's terminal status, as a verified webhook reported it.
public enum SettledStatus: String, Sendable, Hashable, CaseIterable {
    case completed
    case failed
    case cancelled
}

/// What the server learnt from a webhook about how a run ended.
public struct RunSettlement: Sendable, Hashable {
    public var status: SettledStatus
    /// The run's error message, when it failed and Parallel gave one.
    public var message: String?
    /// When the webhook settled it.
    public var settledAt: Date

    public init(status: SettledStatus, message: String?, settledAt: Date) {
        self.status = status
        self.message = message
        self.settledAt = settledAt
    }
}

/// A slot for a file of rows (`uploads`): created by its owner, filled by one `PUT` to a URL
/// carrying a secret (only its SHA-256 is kept), read by its owner until it expires.
public struct StoredUpload: Sendable, Hashable {
    public var id: String
    /// The caller that created it.
    public var owner: String
    /// SHA-256 of the upload URL's secret.
    public var secretHash: Data
    public var createdAt: Date
    public var expiresAt: Date
    /// The largest file the slot accepts, in bytes.
    public var maxBytes: Int

    /// Describes an upload slot.
    public init(id: String, owner: String, secretHash: Data, createdAt: Date, expiresAt: Date, maxBytes: Int) {
        self.id = id
        self.owner = owner
        self.secretHash = secretHash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.maxBytes = maxBytes
    }
}

/// What a `PUT` to an upload slot came to.
public enum UploadPutOutcome: Sendable, Hashable {
    /// The file is stored.
    case stored
    /// No slot with this id and secret.
    case notFound
    /// The slot has a file already (its URL is one-time).
    case alreadyUploaded
    /// The slot expired.
    case expired
}

/// An uploaded file.
public struct UploadedFile: Sendable, Hashable {
    public var body: Data
    public var contentType: String?

    /// Describes an uploaded file.
    public init(body: Data, contentType: String?) {
        self.body = body
        self.contentType = contentType
    }
}
