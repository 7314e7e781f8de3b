/*
 * alloc.c - the one allocator every heap allocation in libcrumb goes
 * through (with a fail-on-Nth-call hook for fault-injection tests), one
 * kept block per thread for the per-request session object, and locked,
 * non-dumpable pages for key material.
 */
#include "internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define PARK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PARK_ASAN 1
#endif
#endif
#ifdef PARK_ASAN
/* An ASan build poisons the kept block, so a session used after
 * crumb_session_free is still reported as the freed heap block was. */
#include <sanitizer/asan_interface.h>
#define park_poison(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define park_unpoison(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define park_poison(p, n) ((void)(p), (void)(n))
#define park_unpoison(p, n) ((void)(p), (void)(n))
#endif

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

/* ==== A thread's kept block ============================================
 * The session object (~1.9 KB) is allocated and freed once per request.
 * Past glibc's per-thread cache (1,032 bytes) each calloc/free pair takes
 * the arena path and zeroes the block again; a thread instead keeps the
 * last block it freed, wiped, for its next request. A pthread key, set
 * the first time a thread keeps a block, frees it at thread exit and
 * clears the slot (a later free in another key's destructor keeps and
 * registers again). As in random.c, the library must stay loaded while
 * threads that used it are alive. */
struct park {
    void *blk;      /* all zero (wiped), or NULL */
    size_t n;       /* its size */
    int registered; /* the key's destructor will run for this thread */
};
static _Thread_local struct park park;
static pthread_once_t park_once = PTHREAD_ONCE_INIT;
static pthread_key_t park_key;
static int park_ok;

/* Thread exit: free the kept block. */
static void park_drop(void *arg)
{
    struct park *k = arg;
    if (k->blk)
        park_unpoison(k->blk, k->n);
    free(k->blk);
    k->blk = NULL;
    k->registered = 0;
}

static void park_setup(void)
{
    park_ok = pthread_key_create(&park_key, park_drop) == 0;
}

/* see internal.h */
void *crumb__park_calloc(size_t n)
{
    if (alloc_should_fail())
        return NULL;
    void *p = park.blk;
    if (p && park.n == n) {
        park.blk = NULL;
        park_unpoison(p, n);
        return p;
    }
    return calloc(1, n ? n : 1);
}

/* see internal.h */
void crumb__park_free(void *p, size_t n)
{
    if (p == NULL)
        return;
    crumb_wipe(p, n);
    if (!park.blk && !park.registered) {
        (void)pthread_once(&park_once, park_setup);
        park.registered = park_ok && pthread_setspecific(park_key, &park) == 0;
    }
    if (!park.blk && park.registered) {
        park.blk = p;
        park.n = n;
        park_poison(p, n);
        return;
    }
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
