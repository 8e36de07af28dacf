public import Foundation
public import MCPProtocol

/// An MCP task as stored: the task-augmented tool call, the Parallel run or group doing its
/// work, and the caller it belongs to.
public struct MCPTaskRecord: Sendable, Hashable {
    /// The unguessable id handed to the client.
    public var id: String
    /// The creating caller's subject; nobody else can see the task.
    public var owner: String
    /// `trun_…` or `tgrp_…`.
    public var upstreamID: String
    /// The tool that was called.
    public var tool: String
    public var status: MCPTaskStatus
    public var statusMessage: String?
    public var createdAt: Date
    public var updatedAt: Date
    /// Retention from creation; `nil` for unlimited.
    public var ttlMilliseconds: Int?
    /// When the task is forgotten (`createdAt` + TTL).
    public var expiresAt: Date?
    /// Read from the task registry, not stored with the task: the run's or group's processor.
    public var processor: String?
    /// Read from the task registry: the run's terminal status as a verified webhook reported it
    /// (`completed`, `failed`, `cancelled`) and its error message.
    public var upstreamSettlement: UpstreamSettlement?

    public init(
        id: String, owner: String, upstreamID: String, tool: String, status: MCPTaskStatus, statusMessage: String? = nil,
        createdAt: Date, updatedAt: Date, ttlMilliseconds: Int?, expiresAt: Date?, processor: String? = nil,
        upstreamSettlement: UpstreamSettlement? = nil
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
        self.upstreamSettlement = upstreamSettlement
    }
}

/// A run's terminal status as a verified Parallel webhook reported it.
public struct UpstreamSettlement: Sendable, Hashable {
    /// `completed`, `failed` or `cancelled`.
    public var status: String
    /// The run's error message, if it failed.
    public var message: String?

    public init(status: String, message: String? = nil) {
        self.status = status
        self.message = message
    }
}
