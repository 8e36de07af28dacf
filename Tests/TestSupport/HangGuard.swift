package import Testing

/// What `operation` returns, or `nil` when `limit` passed first (`operation` is then cancelled).
///
/// For awaiting something that should come but might not: `limit` is a hang guard, not a bound
/// under test, so give it a minute.
package func value<Value: Sendable>(
    within limit: Duration, of operation: @escaping @Sendable () async -> Value
) async -> Value? {
    await withTaskGroup(of: Value?.self) { group in
        group.addTask { await operation() }
        group.addTask {
            try? await Task.sleep(for: limit)
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
}

/// The next element of `elements`, or `nil` once it has finished; an issue (thrown) when nothing
/// came within `limit`, a hang guard.
package func next<Element: Sendable>(
    of elements: AsyncStream<Element>, within limit: Duration, sourceLocation: SourceLocation = #_sourceLocation
) async throws -> Element? {
    let outcome = await value(within: limit) { () -> Element? in
        for await element in elements { return element }
        return nil
    }
    return try #require(outcome, "nothing arrived within \(limit)", sourceLocation: sourceLocation)
}
