import Logging
import ServiceLifecycle
import Storage

/// Keeps the database open while the server runs and closes it cleanly on shutdown. Listed first
/// among the application's services, it is shut down last: after the HTTP server has drained.
struct StoreService: Service {
    let store: any ServerStore
    let logger: Logger

    func run() async throws {
        // Returns on graceful shutdown, after the server has drained. When cancelled instead (the
        // grace period ran out), requests may still hold the database: leave it to the process's
        // exit (SQLite's WAL keeps it consistent) rather than close it under them.
        do {
            try await gracefulShutdown()
        } catch {
            return
        }
        do {
            try await store.close()
            logger.debug("Database closed")
        } catch {
            logger.warning("Closing the database failed", metadata: ["error": "\(error)"])
        }
    }
}
