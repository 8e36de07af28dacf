/// What a webhook's verdict on a run means for what is stored, decided once for every backend:
/// the message kept with the run, and the status and sentence of each MCP task still working on it.
public enum RunSettlementRule {
    /// The run's message as stored: only for a run that did not complete, never empty.
    public static func storedMessage(status: SettledStatus, message: String?) -> String? {
        status == .completed ? nil : message.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The status (`completed` or `failed`) and status message a working MCP task on the run
    /// moves to. A run cancelled at Parallel fails the task: the client did not cancel it.
    public static func mcpTaskOutcome(status: SettledStatus, message: String?) -> (status: String, message: String) {
        let stored = storedMessage(status: status, message: message)
        switch status {
        case .completed: return ("completed", "Parallel finished the run.")
        case .failed: return ("failed", stored ?? "Parallel reported that the run failed.")
        case .cancelled: return ("failed", stored ?? "The run was cancelled at Parallel.")
        }
    }
}
