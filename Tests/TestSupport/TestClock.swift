package import Foundation
import Synchronization

/// A clock tests move by hand: handed to code that takes a `() -> Date`, so that time passes
/// only when a test says so.
package final class TestClock: Sendable {
    private let current: Mutex<Date>

    package init(_ start: Date = Date(timeIntervalSince1970: 1_700_000_000)) {
        current = Mutex(start)
    }

    package var now: Date { current.withLock { $0 } }

    package func advance(_ seconds: TimeInterval) {
        current.withLock { $0 += seconds }
    }
}
