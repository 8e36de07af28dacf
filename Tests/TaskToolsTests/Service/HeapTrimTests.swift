import CHeap
import Foundation
import Testing

/// The allocator knobs must reach glibc where it is the allocator: a build that compiled them to
/// no-ops left a 10,000-row group's RSS growth at ~110 MB instead of ~17 MB.
@Suite("Heap knobs")
struct HeapTrimTests {
    @Test func theMmapThresholdIsSetOnGlibcUnlessTheEnvironmentSetsIt() {
        #if os(Linux) && canImport(Glibc)
        let expected: Int32 = ProcessInfo.processInfo.environment["MALLOC_MMAP_THRESHOLD_"] == nil ? 1 : 0
        #expect(task_mcp_heap_fix_mmap_threshold(256 << 10) == expected)
        #else
        #expect(task_mcp_heap_fix_mmap_threshold(256 << 10) == 0)
        #endif
    }

    @Test func trimmingRunsAndReturnsAFlag() {
        // malloc_trim answers 1 when it released memory and 0 when there was none to release.
        let answer = task_mcp_heap_trim()
        #expect(answer == 0 || answer == 1)
    }
}
