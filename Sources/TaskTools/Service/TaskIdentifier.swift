import Foundation

/// A `trun_…` or `tgrp_…` id, checked before it reaches an upstream URL.
public struct TaskIdentifier: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable { case run, group }

    public let rawValue: String
    public let kind: Kind

    /// - Throws: an `invalidArgument` error naming `argument` when the text is not a run or group id.
    public init(_ text: String, argument: String = "taskRunOrGroupId") throws(TaskServiceError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let kind: Kind
        if trimmed.hasPrefix("trun_") {
            kind = .run
        } else if trimmed.hasPrefix("tgrp_") {
            kind = .group
        } else {
            throw .invalid(argument, "\(argument) must be a task run id (trun_…) or a task group id (tgrp_…).")
        }
        let rest = trimmed.utf8.dropFirst(5)
        guard !rest.isEmpty, rest.count <= 128, rest.allSatisfy({ $0.isIDCharacter }) else {
            throw .invalid(argument, "\(argument) is not a well-formed id: letters, digits, '-' and '_' after the prefix.")
        }
        self.rawValue = trimmed
        self.kind = kind
    }

    public var description: String { rawValue }
}

extension UInt8 {
    fileprivate var isIDCharacter: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || self == UInt8(ascii: "_") || self == UInt8(ascii: "-")
    }
}
