import Deadlines
public import PostgresNIO
import Storage
import Synchronization
import _ConnectionPoolModule

/// How the store behaves while PostgreSQL is unreachable.
///
/// postgres-nio's pool (1.33) does not fail a request it cannot serve: while it cannot connect it
/// queues the request, retrying the connection with a backoff that grows to a minute, and only
/// after 60 s without any connection fails what is queued and, from then on, every new request at
/// once (its circuit breaker, not configurable through `PostgresClient`). It keeps retrying in
/// the background and serves requests again as soon as one connection succeeds. A statement in
/// flight on a connection that dies fails when the connection closes; one on a connection that
/// goes silent (a partition) waits for TCP. So every call here is raced against a deadline
/// (``PostgresStore/operationTimeout``) and every connection failure becomes ``StoreUnavailable``.
extension PostgresStore {
    /// ``operationTimeout``'s default: long enough for a loaded database, short enough that a
    /// client waiting on an outage hears about it before its own timeout.
    public static let defaultOperationTimeout: Duration = .seconds(5)

    /// The pool options this store is written for; the server builds its `PostgresClient` with
    /// them. A connection attempt gives up after 5 s (postgres-nio's default is 10 s, longer
    /// than ``defaultOperationTimeout``); idle connections run a keep-alive query every 30 s, so a
    /// dead one is noticed and replaced before a request picks it up. The purge holds one
    /// connection while it deletes on others, so at least two are needed.
    public static func clientOptions(maximumConnections: Int = 20) -> PostgresClient.Configuration.Options {
        var options = PostgresClient.Configuration.Options()
        options.connectTimeout = .seconds(5)
        options.keepAliveBehavior = .init(frequency: .seconds(30))
        options.maximumConnections = max(2, maximumConnections)
        return options
    }

    /// Runs `work` (one statement or one transaction) within `limit` (``operationTimeout`` unless
    /// given), translating connection failures to ``StoreUnavailable``; `work` calls `reached`
    /// once it holds a connection. On expiry `work` is cancelled and left to end in the
    /// background: waiting for a connection ends at once, a statement in flight when its
    /// connection answers or closes (it may still commit; the error says so).
    func bounded<Value: Sendable>(
        limit: Duration? = nil,
        _ work: @escaping @Sendable (_ reached: @escaping @Sendable () -> Void) async throws -> Value
    ) async throws -> Value {
        try checkOpen()
        let limit = limit ?? operationTimeout
        let reached = ReachedFlag()
        let outcome: Result<Value, any Error>? = await Deadline.firstOf(
            deadline: .now + limit, onTimeout: nil, onCancel: .answer(.failure(CancellationError()))
        ) {
            do {
                return .success(try await work { reached.set() })
            } catch {
                return .failure(error)
            }
        }
        guard let outcome else {
            let within = Self.spoken(limit)
            throw reached.isSet
                ? StoreUnavailable(reason: "PostgreSQL did not answer within \(within)", mayHaveApplied: true)
                : StoreUnavailable(reason: "no connection to PostgreSQL within \(within)")
        }
        do {
            return try outcome.get()
        } catch {
            throw Self.translated(error)
        }
    }

    /// A limit as a reason names it: "5 s", "200 ms".
    static func spoken(_ limit: Duration) -> String {
        let (seconds, attoseconds) = limit.components
        return attoseconds == 0 ? "\(seconds) s" : "\(seconds * 1000 + attoseconds / 1_000_000_000_000_000) ms"
    }

    /// `error` as callers see it: unwrapped from `PostgresTransactionError`, and a connection
    /// failure as ``StoreUnavailable``.
    static func translated(_ error: any Error) -> any Error {
        var error = error
        if let failure = error as? PostgresTransactionError {
            error = failure.closureError ?? failure.commitError ?? failure.beginError ?? failure
        }
        return unavailability(error) ?? error
    }

    /// The ``StoreUnavailable`` a connection failure stands for, `nil` for any other error (a
    /// statement PostgreSQL refused, a row this build cannot read, cancellation).
    static func unavailability(_ error: any Error) -> StoreUnavailable? {
        if let error = error as? StoreUnavailable { return error }
        if let error = error as? ConnectionPoolError {
            switch error {
            case .connectionCreationCircuitBreakerTripped: return StoreUnavailable(reason: "PostgreSQL cannot be reached")
            case .poolShutdown: return StoreUnavailable(reason: "the connection pool has shut down")
            default: return nil
            }
        }
        guard let error = error as? PSQLError else { return nil }
        switch error.code {
        case .connectionError, .serverClosedConnection, .uncleanShutdown:
            return StoreUnavailable(reason: "the connection to PostgreSQL was lost", mayHaveApplied: true)
        case .poolClosed:
            return StoreUnavailable(reason: "the connection pool has shut down")
        case .server:
            // Class 08 (connection exception), 57P01–57P03 (the server shutting down, crashed or
            // starting up), 53300 (too many connections).
            guard let state = error.serverInfo?[.sqlState] else { return nil }
            if state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state) {
                return StoreUnavailable(reason: "PostgreSQL is shutting down or starting up", mayHaveApplied: true)
            }
            if state == "53300" { return StoreUnavailable(reason: "PostgreSQL has no connection slot free") }
            return nil
        default:
            return nil
        }
    }
}

/// Whether bounded work got as far as holding a connection.
private final class ReachedFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .relaxed) }
    var isSet: Bool { flag.load(ordering: .relaxed) }
}
