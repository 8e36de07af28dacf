import PostgresNIO

/// Reading postgres-nio's errors: whether PostgreSQL could not be reached, and a description fit
/// for logs and operators (postgres-nio's own `description` is deliberately generic).
public enum PostgresFailure {
    /// Whether `error` says the server could not be reached or the connection was lost (as
    /// opposed to a statement the server refused), so that trying again later may succeed.
    public static func isUnreachable(_ error: any Error) -> Bool {
        let error = unwrapped(error)
        guard let error = error as? PSQLError, error.serverInfo == nil else { return false }
        switch error.code {
        case .connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection: return true
        default: return false
        }
    }

    /// The error without postgres-nio's transaction wrapper.
    public static func unwrapped(_ error: any Error) -> any Error {
        guard let wrapper = error as? PostgresTransactionError else { return error }
        return wrapper.closureError ?? wrapper.commitError ?? wrapper.beginError ?? wrapper.rollbackError ?? error
    }

    /// A one-line description: the SQLSTATE and the server's message when it answered, else
    /// the connection failure. Never holds bound values.
    public static func describe(_ error: any Error) -> String {
        let error = unwrapped(error)
        guard let error = error as? PSQLError else { return "\(error)" }
        if let info = error.serverInfo {
            let state = info[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return "PostgreSQL refused the statement: \(info[.message] ?? "no message")\(state)"
        }
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }
}
