public import JSON

/// Aggregate status of a task group (`TaskGroupStatus`).
public struct TaskGroupStatus: Codable, Hashable, Sendable {
    public var numTaskRuns: Int
    /// Run counts keyed by run status (`"completed": 3`).
    public var taskRunStatusCounts: [String: Int]
    public var isActive: Bool
    public var statusMessage: String?
    public var modifiedAt: String?

    public init(
        numTaskRuns: Int, taskRunStatusCounts: [String: Int], isActive: Bool, statusMessage: String? = nil,
        modifiedAt: String? = nil
    ) {
        self.numTaskRuns = numTaskRuns
        self.taskRunStatusCounts = taskRunStatusCounts
        self.isActive = isActive
        self.statusMessage = statusMessage
        self.modifiedAt = modifiedAt
    }

    enum CodingKeys: String, CodingKey {
        case numTaskRuns = "num_task_runs"
        case taskRunStatusCounts = "task_run_status_counts"
        case isActive = "is_active"
        case statusMessage = "status_message"
        case modifiedAt = "modified_at"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        numTaskRuns = try container.decodeIfPresent(Int.self, forKey: .numTaskRuns) ?? 0
        taskRunStatusCounts = try container.decodeIfPresent([String: Int].self, forKey: .taskRunStatusCounts) ?? [:]
        isActive = try container.decodeIfPresent(Bool.self, forKey: .isActive) ?? false
        statusMessage = try container.decodeIfPresent(String.self, forKey: .statusMessage)
        modifiedAt = try container.decodeIfPresent(String.self, forKey: .modifiedAt)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(numTaskRuns, forKey: .numTaskRuns)
        try container.encode(taskRunStatusCounts, forKey: .taskRunStatusCounts)
        try container.encode(isActive, forKey: .isActive)
        try container.encode(statusMessage, forKey: .statusMessage)
        try container.encode(modifiedAt, forKey: .modifiedAt)
    }

    /// The count for one status (0 when absent).
    public func count(_ status: RunStatus) -> Int { taskRunStatusCounts[status.rawValue] ?? 0 }
}

/// A task group (`TaskGroupResponse`).
public struct TaskGroup: Codable, Hashable, Sendable {
    public var taskGroupID: String
    public var metadata: [String: JSONValue]?
    public var status: TaskGroupStatus
    public var createdAt: String?

    public init(taskGroupID: String, metadata: [String: JSONValue]? = nil, status: TaskGroupStatus, createdAt: String?) {
        self.taskGroupID = taskGroupID
        self.metadata = metadata
        self.status = status
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case taskGroupID = "taskgroup_id"
        case metadata, status
        case createdAt = "created_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(taskGroupID, forKey: .taskGroupID)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(status, forKey: .status)
        try container.encode(createdAt, forKey: .createdAt)
    }
}

/// The body of one add-runs request (at most 1,000 inputs).
public struct AddRunsRequest: Codable, Hashable, Sendable {
    public var defaultTaskSpec: TaskSpec?
    public var inputs: [TaskRunInput]

    public init(defaultTaskSpec: TaskSpec? = nil, inputs: [TaskRunInput]) {
        self.defaultTaskSpec = defaultTaskSpec
        self.inputs = inputs
    }

    enum CodingKeys: String, CodingKey {
        case defaultTaskSpec = "default_task_spec"
        case inputs
    }
}

/// The answer to one add-runs request (`TaskGroupRunResponse`).
public struct TaskGroupRunResponse: Codable, Hashable, Sendable {
    public var status: TaskGroupStatus
    /// The new runs' ids, in input order.
    public var runIDs: [String]
    /// `last_event_id` to pass to `/runs` to start at these runs.
    public var runCursor: String?
    /// `last_event_id` to pass to `/events` to start at these runs.
    public var eventCursor: String?

    public init(status: TaskGroupStatus, runIDs: [String], runCursor: String?, eventCursor: String?) {
        self.status = status
        self.runIDs = runIDs
        self.runCursor = runCursor
        self.eventCursor = eventCursor
    }

    enum CodingKeys: String, CodingKey {
        case status
        case runIDs = "run_ids"
        case runCursor = "run_cursor"
        case eventCursor = "event_cursor"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(status, forKey: .status)
        try container.encode(runIDs, forKey: .runIDs)
        try container.encode(runCursor, forKey: .runCursor)
        try container.encode(eventCursor, forKey: .eventCursor)
    }
}
