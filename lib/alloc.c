/*
 * alloc.c - the one allocator every heap allocation in libcrumb goes
 * through (with a fail-on-Nth-call hook for fault-injection tests), and
 * locked, non-dumpable pages for key material.
 */
#include "internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* Atomic (relaxed) so that threads allocating concurrently are not a data
 * race; setting the hook while other threads allocate is still unsupported. */
static atomic_long alloc_calls;   /* allocations since the hook was last set */
static atomic_long alloc_fail_at; /* 0 = never fail */
static atomic_int alloc_sticky;

/* Decide whether this allocation should fail (test hook). */
static int alloc_should_fail(void)
{
    long n = atomic_fetch_add_explicit(&alloc_calls, 1, memory_order_relaxed) + 1;
    long at = atomic_load_explicit(&alloc_fail_at, memory_order_relaxed);
    if (at == 0)
        return 0;
    return atomic_load_explicit(&alloc_sticky, memory_order_relaxed) ? n >= at : n == at;
}

/* see internal.h */
long crumb__alloc_fail_at(long n, int sticky)
{
    long made = atomic_exchange(&alloc_calls, 0);
    atomic_store(&alloc_fail_at, n);
    atomic_store(&alloc_sticky, sticky);
    return made;
}

/* see internal.h */
void *crumb__malloc(size_t n)
{
    return alloc_should_fail() ? NULL : malloc(n ? n : 1);
}

/* see internal.h */
void *crumb__calloc(size_t count, size_t n)
{
    return alloc_should_fail() ? NULL : calloc(count ? count : 1, n ? n : 1);
}

/* see internal.h */
void *crumb__realloc(void *p, size_t n)
{
    return alloc_should_fail() ? NULL : realloc(p, n ? n : 1);
}

/* see internal.h */
void crumb__free(void *p)
{
    free(p);
}

/* Round n up to whole pages. */
static size_t page_round(size_t n)
{
    long ps = sysconf(_SC_PAGESIZE);
    size_t p = ps > 0 ? (size_t)ps : 4096u;
    return (n + p - 1) / p * p;
}

/* see internal.h */
void *crumb__secure_alloc(size_t n)
{
    if (alloc_should_fail())
        return NULL;
    size_t len = page_round(n);
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    (void)mlock(p, len); /* best effort: RLIMIT_MEMLOCK may forbid it */
#ifdef MADV_DONTDUMP
    (void)madvise(p, len, MADV_DONTDUMP);
#endif
    return p;
}

/* see internal.h */
void crumb__secure_free(void *p, size_t n)
{
    if (p == NULL)
        return;
    size_t len = page_round(n);
    crumb_wipe(p, len);
    (void)munlock(p, len);
    (void)munmap(p, len);
}
