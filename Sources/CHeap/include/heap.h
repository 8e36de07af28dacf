#ifndef TASK_MCP_HEAP_H
#define TASK_MCP_HEAP_H

#include <stddef.h>

/// Returns freed heap memory to the operating system where the allocator supports it (glibc's
/// malloc_trim); elsewhere does nothing. Returns whether any memory was released.
int task_mcp_heap_trim(void);

/// Serves allocations of at least `bytes` with their own mappings, returned to the system when
/// freed (glibc's M_MMAP_THRESHOLD, which also stops glibc raising that threshold as large blocks
/// are freed). Does nothing where unsupported or when MALLOC_MMAP_THRESHOLD_ is set in the
/// environment (the operator's choice). Returns whether the threshold was set.
int task_mcp_heap_fix_mmap_threshold(size_t bytes);

#endif
