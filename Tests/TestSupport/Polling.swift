/// Reads `read` every `interval` until `isDone` holds for what it returned, or until `limit` has
/// passed; returns the last value read (check it: it may be one that is not done).
///
/// `limit` is a hang guard, not a bound under test: keep it generous (a loaded machine stretches
/// every wait), and assert on what comes back.
package func poll<Value>(
    limit: Duration = .seconds(60), every interval: Duration = .milliseconds(20), _ read: () async throws -> Value,
    until isDone: (Value) -> Bool
) async throws -> Value {
    let deadline = ContinuousClock.now + limit
    while true {
        let value = try await read()
        if isDone(value) || ContinuousClock.now > deadline { return value }
        try await Task.sleep(for: interval)
    }
}

/// Polls `condition` every 20 ms until it holds or `limit` (a hang guard) passes; returns whether
/// it held.
package func eventually(limit: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws -> Bool {
    try await poll(limit: limit, condition, until: { $0 })
}
