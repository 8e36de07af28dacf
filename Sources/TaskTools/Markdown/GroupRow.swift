import Foundation
import JSON
import ParallelAPI

/// One run of a group, as the table shows it.
struct GroupRow: Sendable {
    /// The row's position after sorting: the `#` column and the `N` of `index:N`.
    var number: Int
    var event: RunStateEvent
    var inputs: [String: JSONValue]
    var outputs: [String: JSONValue]

    var run: TaskRun { event.run }
    var basis: [FieldBasis] { event.output?.basis ?? [] }

    /// Rows sorted by `metadata.input_index` (integer or integer string); runs without one
    /// follow in stream order.
    static func rows(from events: [RunStateEvent]) -> [GroupRow] {
        let keyed = events.enumerated().map { (position, event) in
            (index: inputIndex(event), position: position, event: event)
        }
        let sorted = keyed.sorted { lhs, rhs in
            switch (lhs.index, rhs.index) {
            case let (left?, right?): return left != right ? left < right : lhs.position < rhs.position
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return lhs.position < rhs.position
            }
        }
        // Rows are numbered by their input index when every row has a distinct one, so that row N
        // is input N even when some inputs were never added; otherwise by position.
        let indexes = sorted.compactMap(\.index)
        let byInputIndex = indexes.count == sorted.count && Set(indexes).count == indexes.count
        return sorted.enumerated().map { position, item in
            GroupRow(
                number: byInputIndex ? (item.index ?? position) : position, event: item.event, inputs: inputs(item.event),
                outputs: outputs(item.event))
        }
    }

    static func inputIndex(_ event: RunStateEvent) -> Int? {
        let value = event.run.metadata?["input_index"] ?? event.input?.metadata?["input_index"]
        switch value {
        case .int(let number): return number
        case .double(let number): return number.isFinite && number == number.rounded() ? Int(exactly: number) : nil
        case .string(let text): return Int(text.trimmingCharacters(in: .whitespaces))
        default: return nil
        }
    }

    static func inputs(_ event: RunStateEvent) -> [String: JSONValue] {
        guard let input = event.input?.input else { return [:] }
        if case .object(let members) = input { return members }
        return ["input": input]
    }

    static func outputs(_ event: RunStateEvent) -> [String: JSONValue] {
        guard let output = event.output else { return [:] }
        if output.type == .json, case .object(let members) = output.content { return members }
        return ["output": output.content]
    }
}
