/*
 * test_store_cache.c - the check() cache wrapper: conformance over the
 * memory store, hits answered without the inner store, TTL-bounded
 * staleness for revocations made behind its back, immediate flush on
 * revocations made through it, LRU bound, errors never cached, and
 * threads checking while others revoke (also run under TSan).
 */
#include "check.h"
#include "crumb_store.h"
#include "store_conformance.h"

#include <pthread.h>

#define T0 1700000000LL

/* open_fresh for the conformance suite: cache (ttl 1) over a memory store. */
static crumb_store *open_cached(void *ctx)
{
    (void)ctx;
    crumb_store *m = NULL, *c = NULL;
    crumb_store_cache_config cfg = {.ttl = 1, .own_inner = 1};
    if (crumb_store_memory_open(&m, NULL) != CRUMB_OK)
        return NULL;
    if (crumb_store_cache_open(&c, m, &cfg) != CRUMB_OK) {
        crumb_store_close(m);
        return NULL;
    }
    return c;
}

static crumb_store_key key_n(unsigned n)
{
    crumb_store_key k;
    memset(&k, 0x5a, sizeof k);
    memcpy(k.b, &n, sizeof n);
    return k;
}

static void test_behaviour(void)
{
    crumb_store *m = NULL, *c = NULL;
    CHECK_OK(crumb_store_memory_open(&m, NULL));
    crumb_store_cache_config cfg = {.ttl = 5, .max_entries = 8};
    CHECK_OK(crumb_store_cache_open(&c, m, &cfg));
    crumb_store_key k = key_n(1);
    crumb_store_check_req q = {&k, NULL, 0, NULL, NULL, NULL, T0, T0};
    crumb_store_check_res r;
    crumb_store_stats st, mst;

    CHECK_OK(crumb_store_check(c, &q, &r)); /* miss */
    CHECK_OK(crumb_store_check(c, &q, &r)); /* hit */
    CHECK_OK(crumb_store_stats_get(m, &mst));
    CHECK_INT(mst.checks, 1); /* the inner store saw one check */
    CHECK_OK(crumb_store_stats_get(c, &st));
    CHECK_INT(st.checks, 2);

    /* a revocation behind the cache's back (another process): stale for
     * at most ttl seconds of logical time */
    CHECK_OK(crumb_store_revoke_session(m, &k, T0 + 100, T0));
    q.now = T0 + 4;
    CHECK_OK(crumb_store_check(c, &q, &r)); /* still cached: bounded staleness */
    q.now = T0 + 5;
    CHECK_INT(crumb_store_check(c, &q, &r), CRUMB_E_REVOKED);
    CHECK_INT(r.rule, CRUMB_STORE_RULE_SESSION);

    /* a revocation through the cache is seen at once */
    crumb_store_key k2 = key_n(2);
    q.session = &k2;
    CHECK_OK(crumb_store_check(c, &q, &r));
    CHECK_OK(crumb_store_revoke_session(c, &k2, T0 + 100, T0 + 5));
    CHECK_INT(crumb_store_check(c, &q, &r), CRUMB_E_REVOKED);

    /* explicit invalidation (what a pub/sub message handler calls) */
    crumb_store_key k3 = key_n(3);
    q.session = &k3;
    CHECK_OK(crumb_store_check(c, &q, &r));
    CHECK_OK(crumb_store_revoke_session(m, &k3, T0 + 100, T0 + 5));
    CHECK_OK(crumb_store_check(c, &q, &r));
    crumb_store_cache_invalidate(c);
    CHECK_INT(crumb_store_check(c, &q, &r), CRUMB_E_REVOKED);

    /* bounded: 100 distinct requests leave at most 8 entries; the inner
     * store sees every miss */
    CHECK_OK(crumb_store_stats_get(m, &mst));
    uint64_t before = mst.checks;
    for (unsigned i = 100; i < 200; i++) {
        crumb_store_key ki = key_n(i);
        q.session = &ki;
        CHECK_OK(crumb_store_check(c, &q, &r));
    }
    for (unsigned i = 192; i < 200; i++) { /* the 8 newest are hits */
        crumb_store_key ki = key_n(i);
        q.session = &ki;
        CHECK_OK(crumb_store_check(c, &q, &r));
    }
    crumb_store_key k100 = key_n(100); /* evicted: a miss */
    q.session = &k100;
    CHECK_OK(crumb_store_check(c, &q, &r));
    CHECK_OK(crumb_store_stats_get(m, &mst));
    CHECK_INT(mst.checks - before, 101);

    /* invalid arguments are passed through, not cached */
    crumb_store_id dev = {{1}};
    q.device = &dev; /* device without user */
    CHECK_INT(crumb_store_check(c, &q, &r), CRUMB_E_INVALID);
    crumb_store_close(c);
    crumb_store_close(m);
    crumb_store *bad = (crumb_store *)&q;
    CHECK_INT(crumb_store_cache_open(&bad, NULL, NULL), CRUMB_E_INVALID);
    CHECK(bad == NULL);
}

/* Threads checking while another revokes and invalidates (run under TSan
 * via tests/tsan.list): answers stay consistent with the inner store. */
static crumb_store *shared;
static int thread_errors;

static void *checker(void *arg)
{
    unsigned base = (unsigned)(size_t)arg;
    for (unsigned i = 0; i < 4000; i++) {
        crumb_store_key k = key_n(base + i % 64);
        crumb_store_check_req q = {&k, NULL, 0, NULL, NULL, NULL, T0, T0 + (i % 3)};
        crumb_store_check_res r;
        crumb_err e = crumb_store_check(shared, &q, &r);
        if (e != CRUMB_OK && e != CRUMB_E_REVOKED)
            __atomic_add_fetch(&thread_errors, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void test_threads(void)
{
    crumb_store *m = NULL;
    crumb_store_cache_config cfg = {.max_entries = 32, .own_inner = 1};
    CHECK_OK(crumb_store_memory_open(&m, NULL));
    CHECK_OK(crumb_store_cache_open(&shared, m, &cfg));
    pthread_t th[4];
    for (size_t i = 0; i < 4; i++)
        CHECK_INT(pthread_create(&th[i], NULL, checker, (void *)(i * 16)), 0);
    for (unsigned i = 0; i < 200; i++) {
        crumb_store_key k = key_n(i % 100);
        CHECK_OK(crumb_store_revoke_session(shared, &k, T0 + 100, T0));
        if (i % 10 == 0)
            crumb_store_cache_invalidate(shared);
    }
    for (size_t i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    CHECK_INT(thread_errors, 0);
    /* after the writers are done every revoked key reads revoked */
    for (unsigned i = 0; i < 100; i++) {
        crumb_store_key k = key_n(i);
        crumb_store_check_req q = {&k, NULL, 0, NULL, NULL, NULL, T0, T0 + 1};
        crumb_store_check_res r;
        CHECK_INT(crumb_store_check(shared, &q, &r), CRUMB_E_REVOKED);
    }
    crumb_store_close(shared);
}

int main(void)
{
    check_seed();
    CHECK_INT(crumb_store_conformance(open_cached, NULL), 0);
    test_behaviour();
    test_threads();
    return check_done("test_store_cache");
}
