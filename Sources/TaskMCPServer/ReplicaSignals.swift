import Logging
import PostgresNIO
import PostgresStorage
import TaskTools

extension TaskSignalHub {
    /// The service that shares this hub's announcements with every replica on the database of
    /// `client`: what is announced here is sent with `NOTIFY`, what other replicas announce wakes
    /// the followers here, and each (re)connect of the listener resyncs them (notifications sent
    /// meanwhile are lost). Add it to the service group after the client's own service, so that it
    /// stops before the pool closes; it holds one pooled connection while it runs.
    func sharing(through client: PostgresClient, logger: Logger) -> PostgresTaskSignals {
        let listener = PostgresTaskSignals(client: client, logger: logger.component("task-signals")) { [weak self] message in
            switch message {
            case .announced(let id): self?.receive(id)
            case .resync: self?.resync()
            }
        }
        relay { listener.publish($0) }
        return listener
    }
}
