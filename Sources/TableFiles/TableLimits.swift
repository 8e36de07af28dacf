/// Bounds on what ``XLSXReader`` accepts, so that a hostile or oversized file costs bounded memory
/// and time. Every limit is checked against what is actually read, never against sizes a file declares.
public struct TableLimits: Sendable, Hashable {
    /// Largest accepted file, in bytes (default 20 MiB).
    public var maxFileBytes: Int
    /// Most bytes one ZIP part may inflate to (default 64 MiB).
    public var maxDecompressedBytesPerPart: Int
    /// Most bytes all parts read may inflate to together (default 256 MiB).
    public var maxDecompressedBytesTotal: Int
    /// Most entries the ZIP archive may list (default 1,000).
    public var maxEntries: Int
    /// Most data rows, not counting the header row (default 10,000).
    public var maxRows: Int
    /// Most columns holding a value (default 200).
    public var maxColumns: Int
    /// Longest cell text, in UTF-8 bytes (default 32 KiB).
    public var maxCellBytes: Int
    /// Most entries in the shared-strings table (default 1,000,000).
    public var maxSharedStrings: Int

    /// Limits with the defaults above; pass any to override it.
    public init(
        maxFileBytes: Int = 20 << 20,
        maxDecompressedBytesPerPart: Int = 64 << 20,
        maxDecompressedBytesTotal: Int = 256 << 20,
        maxEntries: Int = 1_000,
        maxRows: Int = 10_000,
        maxColumns: Int = 200,
        maxCellBytes: Int = 32 << 10,
        maxSharedStrings: Int = 1_000_000
    ) {
        self.maxFileBytes = maxFileBytes
        self.maxDecompressedBytesPerPart = maxDecompressedBytesPerPart
        self.maxDecompressedBytesTotal = maxDecompressedBytesTotal
        self.maxEntries = maxEntries
        self.maxRows = maxRows
        self.maxColumns = maxColumns
        self.maxCellBytes = maxCellBytes
        self.maxSharedStrings = maxSharedStrings
    }
}
