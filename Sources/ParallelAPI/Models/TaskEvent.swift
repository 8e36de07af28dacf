public import JSON

/// Source statistics inside a progress-stats event.
public struct SourceStats: Codable, Hashable, Sendable {
    public var numSourcesConsidered: Int?
    public var numSourcesRead: Int?
    public var sourcesReadSample: [String]?

    public init(numSourcesConsidered: Int? = nil, numSourcesRead: Int? = nil, sourcesReadSample: [String]? = nil) {
        self.numSourcesConsidered = numSourcesConsidered
        self.numSourcesRead = numSourcesRead
        self.sourcesReadSample = sourcesReadSample
    }

    enum CodingKeys: String, CodingKey {
        case numSourcesConsidered = "num_sources_considered"
        case numSourcesRead = "num_sources_read"
        case sourcesReadSample = "sources_read_sample"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(numSourcesConsidered, forKey: .numSourcesConsidered)
        try container.encode(numSourcesRead, forKey: .numSourcesRead)
        try container.encode(sourcesReadSample, forKey: .sourcesReadSample)
    }
}

/// `task_run.state`: a run's status, with its input and output when asked for / available.
public struct RunStateEvent: Hashable, Sendable {
    public var eventID: String?
    public var run: TaskRun
    public var input: TaskRunInput?
    public var output: TaskOutput?

    public init(eventID: String?, run: TaskRun, input: TaskRunInput? = nil, output: TaskOutput? = nil) {
        self.eventID = eventID
        self.run = run
        self.input = input
        self.output = output
    }
}

/// `task_run.progress_stats`: how many sources a run has considered and read.
public struct ProgressStatsEvent: Hashable, Sendable {
    public var sourceStats: SourceStats
    /// 0–100.
    public var progressMeter: Double?

    public init(sourceStats: SourceStats, progressMeter: Double?) {
        self.sourceStats = sourceStats
        self.progressMeter = progressMeter
    }
}

/// `task_run.progress_msg.*`: one line of a run's reasoning trace.
public struct ProgressMessageEvent: Hashable, Sendable {
    /// The full event type, e.g. `task_run.progress_msg.search`.
    public var type: String
    public var message: String
    public var timestamp: String?

    public init(type: String, message: String, timestamp: String?) {
        self.type = type
        self.message = message
        self.timestamp = timestamp
    }

    /// The part after `task_run.progress_msg.` (`plan`, `search`, `result`, …).
    public var kind: Substring {
        type.hasPrefix(TaskEvent.progressMessagePrefix) ? type.dropFirst(TaskEvent.progressMessagePrefix.count) : Substring(type)
    }
}

/// `task_group_status`: a group's aggregate status changed.
public struct GroupStatusEvent: Hashable, Sendable {
    public var eventID: String?
    public var status: TaskGroupStatus

    public init(eventID: String?, status: TaskGroupStatus) {
        self.eventID = eventID
        self.status = status
    }
}

/// One event of a run or group stream, decided by its JSON `type` (as the SDKs do).
public enum TaskEvent: Hashable, Sendable {
    case runState(RunStateEvent)
    case progressStats(ProgressStatsEvent)
    case progressMessage(ProgressMessageEvent)
    case groupStatus(GroupStatusEvent)
    case error(ErrorObject)
    /// An event type this client does not know, kept whole.
    case unknown(type: String, JSONValue)

    public static let progressMessagePrefix = "task_run.progress_msg."

    /// The wire `type` of this event.
    public var type: String {
        switch self {
        case .runState: return "task_run.state"
        case .progressStats: return "task_run.progress_stats"
        case .progressMessage(let event): return event.type
        case .groupStatus: return "task_group_status"
        case .error: return "error"
        case .unknown(let type, _): return type
        }
    }

    /// The resumption cursor carried in the JSON, when there is one.
    public var eventID: String? {
        switch self {
        case .runState(let event): return event.eventID
        case .groupStatus(let event): return event.eventID
        default: return nil
        }
    }
}

extension TaskEvent: Codable {
    enum CodingKeys: String, CodingKey {
        case type
        case eventID = "event_id"
        case run, input, output
        case sourceStats = "source_stats"
        case progressMeter = "progress_meter"
        case message, timestamp, status, error
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "task_run.state":
            self = .runState(
                RunStateEvent(
                    eventID: try container.decodeIfPresent(String.self, forKey: .eventID),
                    run: try container.decode(TaskRun.self, forKey: .run),
                    input: try container.decodeIfPresent(TaskRunInput.self, forKey: .input),
                    output: try container.decodeIfPresent(TaskOutput.self, forKey: .output)
                ))
        case "task_run.progress_stats":
            self = .progressStats(
                ProgressStatsEvent(
                    sourceStats: try container.decodeIfPresent(SourceStats.self, forKey: .sourceStats) ?? SourceStats(),
                    progressMeter: try container.decodeIfPresent(Double.self, forKey: .progressMeter)
                ))
        case _ where type.hasPrefix(Self.progressMessagePrefix):
            self = .progressMessage(
                ProgressMessageEvent(
                    type: type,
                    message: try container.decodeIfPresent(String.self, forKey: .message) ?? "",
                    timestamp: try container.decodeIfPresent(String.self, forKey: .timestamp)
                ))
        case "task_group_status":
            self = .groupStatus(
                GroupStatusEvent(
                    eventID: try container.decodeIfPresent(String.self, forKey: .eventID),
                    status: try container.decode(TaskGroupStatus.self, forKey: .status)
                ))
        case "error":
            self = .error(try container.decode(ErrorObject.self, forKey: .error))
        default:
            self = .unknown(type: type, try JSONValue(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        if case .unknown(_, let value) = self {
            try value.encode(to: encoder)
            return
        }
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        switch self {
        case .runState(let event):
            try container.encode(event.eventID, forKey: .eventID)
            try container.encode(event.input, forKey: .input)
            try container.encode(event.run, forKey: .run)
            try container.encode(event.output, forKey: .output)
        case .progressStats(let event):
            try container.encode(event.sourceStats, forKey: .sourceStats)
            try container.encode(event.progressMeter, forKey: .progressMeter)
        case .progressMessage(let event):
            try container.encode(event.message, forKey: .message)
            try container.encode(event.timestamp, forKey: .timestamp)
        case .groupStatus(let event):
            try container.encode(event.eventID, forKey: .eventID)
            try container.encode(event.status, forKey: .status)
        case .error(let error):
            try container.encode(error, forKey: .error)
        case .unknown:
            break
        }
    }
}
