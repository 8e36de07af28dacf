/// How long what the store keeps stays after it stops being usable, for every backend.
public enum Retention {
    /// An authorization code is kept this long past its expiry (seconds), so that its grant
    /// survives at least that long and a late replay is still recognised as one.
    public static let expiredCodes: Double = 3_600
    /// A token's `last_used_at` (and its grant's) is written at most this often (seconds).
    public static let lastUsedResolution: Double = 60
}
