import CHeap

/// Returns freed heap to the system after a large result was read: decoding thousands of rows
/// leaves tens of megabytes of freed memory that glibc's allocator otherwise keeps mapped.
enum HeapTrim {
    static func afterLargeRead() {
        _ = task_mcp_heap_trim()
    }
}
