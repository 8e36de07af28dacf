import Foundation

/// Results this process read lately, with the page layouts rendered from them, so that paging
/// through a result renders and lays it out once instead of once per page.
///
/// Entries belong to one caller (a task id and ``Caller/subject``): a caller is only served what it
/// read itself, or a stored result of a task it created. A settled result stays until it is
/// evicted; a group still running stays for a short reuse window only, so that reading its pages
/// one after the other costs one upstream read, not one per page. Bounded by an estimate of the
/// memory held (least recently used first out). A large result is held in its stored form
/// (``StoredResult``, a fraction of the memory of its decoded rows) and decoded only for a view
/// whose layout is not memoised.
actor ResultCache {
    struct Key: Hashable, Sendable {
        var task: String
        var subject: String
    }

    /// What is held of one result.
    struct Hit: Sendable {
        /// The run, or the group without its rows: enough for its status.
        var head: TaskSnapshot
        /// The whole snapshot, when held decoded.
        var whole: TaskSnapshot?
        /// The stored form, when held so instead.
        var body: Data?

        /// A result held whole.
        init(_ snapshot: TaskSnapshot) {
            head = Self.head(of: snapshot)
            whole = snapshot
        }

        init(head: TaskSnapshot, whole: TaskSnapshot?, body: Data?) {
            self.head = head
            self.whole = whole
            self.body = body
        }

        /// The whole snapshot, decoding the stored form if that is what is held.
        func snapshot() -> TaskSnapshot? { whole ?? body.flatMap(StoredResult.decode) }

        static func head(of snapshot: TaskSnapshot) -> TaskSnapshot {
            if case .group(let group, _) = snapshot { return .group(group, runs: []) }
            return snapshot
        }
    }

    private struct Entry {
        var hit: Hit
        /// Estimated bytes held by the snapshot and its layouts.
        var weight: Int
        /// When a result that may still change stops being served; `nil` for a settled one.
        var expires: Date?
        var layouts: [BasisSelector: Paginator.Layout] = [:]
        var lastUse: UInt64
    }

    /// Estimated bytes held in memory per byte of a result's stored JSON, or of a rendering.
    static let bytesPerEncodedByte = 3

    private var entries: [Key: Entry] = [:]
    private var held = 0
    private var clock: UInt64 = 0
    let capacity: Int
    /// Results whose stored form is larger than this are held in that form.
    let decodedLimit: Int

    /// - Parameters:
    ///   - capacity: the most estimated bytes held; 0 keeps nothing.
    ///   - decodedLimit: the largest stored form (bytes) whose result is held decoded.
    init(capacity: Int, decodedLimit: Int = 4 << 20) {
        self.capacity = max(0, capacity)
        self.decodedLimit = max(0, decodedLimit)
    }

    /// What is cached for `key`: a settled result, or with `unsettled`, one still running whose
    /// reuse window has not passed at `now`.
    func lookup(_ key: Key, now: Date, unsettled: Bool) -> Hit? {
        guard var entry = entries[key] else { return nil }
        if let expires = entry.expires {
            if expires <= now { remove(key) }
            guard unsettled, expires > now else { return nil }
        }
        clock += 1
        entry.lastUse = clock
        entries[key] = entry
        return entry.hit
    }

    /// Keeps `snapshot`, whose stored form is `body`, replacing what `key` held: decoded, or as
    /// `body` when that is larger than ``decodedLimit``.
    func insert(_ snapshot: TaskSnapshot, body: Data, for key: Key, expires: Date?) {
        remove(key)
        let compact = body.count > decodedLimit
        let hit = compact ? Hit(head: Hit.head(of: snapshot), whole: nil, body: body) : Hit(snapshot)
        let weight = compact ? body.count : body.count * Self.bytesPerEncodedByte
        guard weight <= capacity else { return }
        clock += 1
        entries[key] = Entry(hit: hit, weight: weight, expires: expires, lastUse: clock)
        held += weight
        evict()
    }

    /// The layout of `basis` memoised for `key`'s snapshot.
    func layout(for key: Key, basis: BasisSelector) -> Paginator.Layout? {
        entries[key]?.layouts[basis]
    }

    /// Memoises the layout of `basis` for `key`'s snapshot (if it is still cached).
    func setLayout(_ layout: Paginator.Layout, for key: Key, basis: BasisSelector) {
        guard var entry = entries[key], entry.layouts[basis] == nil else { return }
        let weight = layout.bytes.count * Self.bytesPerEncodedByte
        entry.layouts[basis] = layout
        entry.weight += weight
        entries[key] = entry
        held += weight
        evict()
    }

    /// Estimated bytes held now.
    var heldBytes: Int { held }

    private func remove(_ key: Key) {
        if let old = entries.removeValue(forKey: key) { held -= old.weight }
    }

    /// Drops least recently used entries until the estimate fits.
    private func evict() {
        while held > capacity, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
            remove(oldest)
        }
    }
}
