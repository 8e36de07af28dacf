public import Foundation

/// The store's clock (injectable in tests). Callers stamp the moment a request is presented with
/// it, so that the race rules (``CodeRedemption``, ``RefreshRotation``) judge on one clock.
public protocol StoreClock: Sendable {
    /// Now, on the store's clock.
    var currentDate: Date { get }
}
