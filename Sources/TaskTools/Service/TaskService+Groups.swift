import Foundation
public import JSON
import ParallelAPI

extension TaskService {
    /// Task spec plus one input may not exceed this many characters (Parallel's limit).
    static let maxSpecAndInputCharacters = 25_000

    /// Creates a task group over `inputs` and adds one run per row, in batches, keeping input
    /// order (`metadata.input_index`). Returns once every batch has been answered.
    ///
    /// Rows that could not be added are reported by index with Parallel's reason; none are
    /// dropped silently. If the credential is rejected before any row is added, this throws.
    public func createTaskGroup(_ arguments: [String: JSONValue], caller: Caller) async throws(TaskServiceError)
        -> TaskGroupCreated
    {
        let fileRows = try await rowsFromFile(arguments, caller: caller)
        let request = try TaskGroupRequest(arguments, rows: fileRows, maxRows: configuration.maxGroupRows)
        let unbounded = makeClient(caller.apiKey)
        let timedOut = TaskServiceError.deadline(
            configuration.callDeadline, waitingFor: "while the task group was being created",
            advice: "a group may have been created with some of the rows. Call listTasks to find it and getStatus to count its rows before creating it again.")
        let created = try await withinCallDeadline(timedOut: timedOut) { end throws(TaskServiceError) in
            try await createTaskGroup(request, client: unbounded.bounded(by: end), caller: caller)
        }
        // An upload is used once: gone after the group holding its rows exists (kept on failure,
        // so the same call can be made again).
        if case .string(let upload)? = arguments["inputs_upload"] { try? await registry.deleteUpload(id: upload) }
        return created
    }

    /// Creates the group and adds the rows with `client` (bounded by the call's deadline).
    ///
    /// Rows whose batch ran out of time or lost its answer are reported with what may have
    /// happened to them; the group is recorded in any case, so that it can be found.
    func createTaskGroup(_ request: TaskGroupRequest, client: ParallelClient, caller: Caller) async throws(TaskServiceError)
        -> TaskGroupCreated
    {
        let group: TaskGroup
        do {
            var metadata: [String: JSONValue] = [
                "created_via": "task-mcp", "output_type": .string(request.outputType.rawValue),
                "processor": .string(request.processor), "inputs_count": .int(request.rows.rows.count),
            ]
            // The columns' order (as in the CSV or sheet), which the runs' JSON inputs do not keep,
            // for the exports; left out when long (metadata values are short strings).
            let columns = String(decoding: JSONValue.array(request.rows.columns.map(JSONValue.string)).serialized, as: UTF8.self)
            if columns.utf8.count <= ResultTable.maxColumnOrderBytes { metadata[ResultTable.columnOrderKey] = .string(columns) }
            group = try await client.createGroup(metadata: metadata)
        } catch {
            throw TaskServiceError(upstream: error, doing: "create the task group")
        }
        let webhook = completionWebhook
        let inputs = request.rows.rows.indices.map { index in
            TaskRunInput(
                processor: request.processor, input: request.rows.input(at: index), metadata: ["input_index": .int(index)],
                sourcePolicy: request.sourcePolicy, webhook: webhook)
        }
        let outcome: AddRunsOutcome
        do {
            outcome = try await client.addRuns(group.taskGroupID, inputs: inputs, defaultTaskSpec: request.taskSpec)
        } catch {
            throw TaskServiceError(upstream: error, doing: "add runs to \(group.taskGroupID)")
        }
        let groupID = group.taskGroupID
        let failures = outcome.failures.map { failure in
            var message = TaskServiceError(upstream: failure.error, doing: "add these rows").message
            if failure.error.outcomeUnknown {
                message += " Some of them may be in the group: call getStatus \(groupID) to count its rows before adding them again."
            } else if failure.error.kind == .deadlineExceeded {
                message = "Not added: there was no time left in this call (Parallel was slow). Add these rows again in a new group."
            }
            return FailedRows(rows: failure.range, error: message, upstreamStatus: failure.error.status)
        }
        let accepted = outcome.runIDs.count { $0 != nil }
        let record = TaskRecord(
            id: group.taskGroupID, kind: .group, owner: caller.subject, createdAt: now(), processor: request.processor,
            label: "\(request.rows.rows.count) rows → \(request.outputSummary)", runCount: accepted,
            linkNonce: ViewLinks.newNonce())
        try await remember(record, caller: caller)
        let created = TaskGroupCreated(
            groupID: group.taskGroupID, submitted: inputs.count, accepted: accepted, processor: request.processor,
            processorChosenAutomatically: request.processorChosenAutomatically, outputFields: request.output.fieldNames,
            failures: failures, progressURL: progressURL(for: record), sandbox: configuration.sandbox)
        if accepted == 0, let first = outcome.failures.first {
            var error = TaskServiceError(upstream: first.error, doing: "add runs to \(group.taskGroupID)")
            error.detail = created.jsonValue
            throw error
        }
        return created
    }
}

/// Validated `createTaskGroup` arguments.
struct TaskGroupRequest: Sendable {
    var rows: GroupRows
    var output: GroupOutputSpec
    var outputType: GroupOutputType
    var processor: String
    var processorChosenAutomatically: Bool
    var sourcePolicy: SourcePolicy?
    var taskSpec: TaskSpec

    /// Reads `arguments`; `fileRows` are the rows already read from a file (`inputs_url`, `file`).
    init(_ arguments: [String: JSONValue], rows fileRows: GroupRows? = nil, maxRows: Int) throws(TaskServiceError) {
        do throws(GroupInputError) {
            if let fileRows {
                rows = fileRows
            } else {
                guard let inputs = arguments["inputs"], !inputs.isNull else {
                    throw GroupInputError(
                        "inputs is required: an array of objects (one per row) or CSV text with a header row; or give inputs_url (a link to a CSV, JSON or XLSX file).",
                        field: "inputs")
                }
                rows = try GroupRows(parsing: inputs, maxRows: maxRows)
            }
        } catch {
            throw .invalid("inputs", error)
        }
        guard case .string(let typeName)? = arguments["output_type"], let type = GroupOutputType(rawValue: typeName) else {
            throw .invalid("output_type", "output_type must be \"json\" (fields per row) or \"text\" (a short report per row).")
        }
        outputType = type
        guard case .string(let outputText)? = arguments["output"] else {
            throw .invalid("output", "output is required: the fields you want per row (names or a JSON schema), or the report you want.")
        }
        do {
            output = try GroupOutputSpec(output: outputText, type: type)
        } catch {
            throw .invalid("output", error)
        }
        if case .null? = arguments["processor"] {
            processorChosenAutomatically = true
        } else {
            processorChosenAutomatically = arguments["processor"] == nil
        }
        processor = try DeepResearchRequest.processor(
            arguments["processor"], default: Processors.choose(for: output), allowed: Processors.all)
        // Only the auto schema (free-form JSON) needs deep research; a text report runs anywhere.
        if output.origin == .description, !Processors.deepResearch.contains(processor) {
            throw .invalid(
                "output",
                "A free-form JSON output description needs a pro or ultra processor (\(processor) was asked for). List the wanted fields instead, e.g. \"ceo_name, founding_year\", or pass a JSON schema.")
        }
        sourcePolicy = try DeepResearchRequest.sourcePolicy(arguments["source_policy"])
        taskSpec = TaskSpec(outputSchema: output.schema, inputSchema: .json(rows.inputSchema))
        try checkSizes()
    }

    /// Parallel rejects a run whose task spec plus input exceed 25,000 characters; name the row.
    private func checkSizes() throws(TaskServiceError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let specLength = (try? encoder.encode(taskSpec).count) ?? 0
        for index in rows.rows.indices {
            let inputLength = MarkdownText.compactJSON(rows.input(at: index)).utf8.count
            if specLength + inputLength > TaskService.maxSpecAndInputCharacters {
                throw .invalid(
                    "inputs",
                    "Row \(index) is too large: with the output spec it is \(specLength + inputLength) characters; Parallel accepts at most \(TaskService.maxSpecAndInputCharacters) per run.",
                    extra: ["row": .int(index)])
            }
        }
    }

    /// What the output is, in a few words, for listings.
    var outputSummary: String {
        switch output.origin {
        case .jsonSchema, .fieldList:
            MarkdownText.shorten(output.fieldNames.joined(separator: ", "), to: 80).text
        case .report:
            "a report per row"
        case .description:
            "auto fields"
        }
    }
}

/// A run of consecutive rows that could not be added, and why.
public struct FailedRows: Sendable, Hashable {
    /// Row indexes (0-based, as in `input_index`).
    public var rows: Range<Int>
    public var error: String
    public var upstreamStatus: Int?

    public var jsonValue: JSONValue {
        var object: [String: JSONValue] = [
            "first_row": .int(rows.lowerBound), "last_row": .int(rows.upperBound - 1), "count": .int(rows.count),
            "error": .string(error),
        ]
        if let upstreamStatus { object["upstream_status"] = .int(upstreamStatus) }
        return .object(object)
    }
}

/// What `createTaskGroup` returns.
public struct TaskGroupCreated: Sendable, Hashable {
    public var groupID: String
    /// Rows received.
    public var submitted: Int
    /// Rows Parallel accepted as runs.
    public var accepted: Int
    public var processor: String
    public var processorChosenAutomatically: Bool
    public var outputFields: [String]
    /// Rows that were not added; empty on full success.
    public var failures: [FailedRows]
    public var progressURL: String
    public var sandbox: Bool

    public var jsonValue: JSONValue {
        var object: [String: JSONValue] = [
            "taskgroup_id": .string(groupID), "run_count": .int(accepted), "submitted": .int(submitted),
            "processor": .string(processor), "processor_chosen_automatically": .bool(processorChosenAutomatically),
            "output_fields": .array(outputFields.map(JSONValue.string)), "progress_url": .string(progressURL),
            "failed_rows": .array(failures.map(\.jsonValue)), "message": .string(message),
        ]
        if sandbox { object["sandbox"] = .bool(true) }
        return .object(object)
    }

    public var message: String {
        var text = "Share the progress link with the user now and stop; do not wait. In a later turn call getStatus with \(groupID), then getResultMarkdown."
        if !failures.isEmpty {
            text = "\(submitted - accepted) of \(submitted) rows were NOT added (see failed_rows); tell the user which. " + text
        }
        return text
    }

    public var text: String {
        var lines = ["Task group \(groupID): \(accepted) of \(submitted) rows started on \(processor)."]
        if processorChosenAutomatically { lines.append("Processor chosen automatically: \(Processors.ruleDescription)") }
        if let cost = Processors.latencyAndCost(processor) { lines.append("Each row takes about \(cost).") }
        if !outputFields.isEmpty { lines.append("Output fields: \(outputFields.joined(separator: ", ")).") }
        lines.append("Progress and results: \(progressURL)")
        if !failures.isEmpty {
            lines.append("")
            lines.append("Rows not added:")
            for failure in failures {
                let span =
                    failure.rows.count == 1 ? "row \(failure.rows.lowerBound)" : "rows \(failure.rows.lowerBound)–\(failure.rows.upperBound - 1)"
                lines.append("- \(span): \(failure.error)")
            }
        }
        lines.append("")
        lines.append(message)
        if sandbox { lines.append("(Sandbox: the upstream is the local Parallel emulator; results will be synthetic.)") }
        return lines.joined(separator: "\n")
    }
}
