import ServiceLifecycle
import Synchronization

/// Set once the server begins a graceful shutdown.
private final class ShutdownSignal: Sendable {
    let isSet = Atomic<Bool>(false)
}

/// Sleeps until `deadline`, or returns early (with `false`) when the server begins a graceful
/// shutdown, so long waits and open streams never hold a shutdown back.
///
/// - Returns: `true` when the deadline was reached.
func sleepUnlessShuttingDown(until deadline: ContinuousClock.Instant) async throws -> Bool {
    let signal = ShutdownSignal()
    let clock = ContinuousClock()
    return try await withGracefulShutdownHandler {
        while clock.now < deadline {
            if signal.isSet.load(ordering: .acquiring) { return false }
            try await clock.sleep(until: min(deadline, clock.now + .milliseconds(200)))
        }
        return !signal.isSet.load(ordering: .acquiring)
    } onGracefulShutdown: {
        signal.isSet.store(true, ordering: .releasing)
    }
}
