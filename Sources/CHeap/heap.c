#include "heap.h"

// <stdlib.h> first: on glibc it brings <features.h>, which defines __GLIBC__ (tested below).
#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#if defined(__GLIBC__) && defined(M_MMAP_THRESHOLD)
int task_mcp_heap_trim(void) { return malloc_trim(0); }

int task_mcp_heap_fix_mmap_threshold(size_t bytes) {
    if (getenv("MALLOC_MMAP_THRESHOLD_") != NULL) return 0;
    return mallopt(M_MMAP_THRESHOLD, (int)bytes);
}
#else
int task_mcp_heap_trim(void) { return 0; }
int task_mcp_heap_fix_mmap_threshold(size_t bytes) { (void)bytes; return 0; }
#endif
