package import Foundation

/// Times as every backend stores them: Unix seconds in a double. A `Date` counts from 2001, so a
/// moment does not always survive the trip to Unix seconds and back; the race rules compare a
/// request's moment with a stored one, so a backend compares them at the stored precision
/// (``atStoredPrecision``), and an equal moment stays equal.
package extension Date {
    /// A stored time (Unix seconds).
    init(unix seconds: Double) {
        self.init(timeIntervalSince1970: seconds)
    }

    /// This time as stored (Unix seconds).
    var unix: Double { timeIntervalSince1970 }

    /// This moment as it reads back once stored.
    var atStoredPrecision: Date { Date(unix: unix) }
}
