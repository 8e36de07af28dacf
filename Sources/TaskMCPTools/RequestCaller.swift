public import TaskTools

/// The caller of the request being served, set by the HTTP edge around each tool call.
///
/// MCP tool handlers are shared by every request; the credential they act with is request-scoped,
/// so it travels as a task-local value rather than through the protocol layer.
public enum RequestCaller {
    @TaskLocal public static var current: Caller?
    /// Set by the edge to learn whether Parallel rejected the caller's credential during the request.
    @TaskLocal public static var rejections: CredentialRejections?
}
