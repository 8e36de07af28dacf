import Synchronization

/// Records that Parallel refused the caller's API key (HTTP 401) while a request was served, so
/// the edge can answer with a 401 challenge and end an OAuth grant whose key no longer works.
public final class CredentialRejections: Sendable {
    private let rejected = Mutex(false)

    public init() {}

    /// Marks the credential as rejected.
    public func record() { rejected.withLock { $0 = true } }

    /// Whether Parallel rejected the credential at least once.
    public var occurred: Bool { rejected.withLock { $0 } }
}
