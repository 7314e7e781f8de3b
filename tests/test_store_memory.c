/*
 * test_store_memory.c - the memory store: conformance suite, LRU eviction
 * of session data only (revocations survive), capacity by bytes, and
 * allocation failure on every Nth call (clear error, nothing lost, no leak).
 */
#include "check.h"
#include "crumb_store.h"
#include "internal.h"
#include "store_conformance.h"

/* open_fresh for the conformance suite. */
static crumb_store *open_mem(void *ctx)
{
    crumb_store *s = NULL;
    return crumb_store_memory_open(&s, ctx) == CRUMB_OK ? s : NULL;
}

static crumb_store_key key_n(unsigned n)
{
    crumb_store_key k;
    memset(&k, 0, sizeof k);
    memcpy(k.b, &n, sizeof n);
    k.b[31] = 0x5a;
    return k;
}

#define T0 1700000000LL

/* Name key in a user's session index (what the session layer does for a
 * signed-in session after each save). */
static void sign_in(crumb_store *s, const crumb_store_key *k, unsigned user)
{
    char u[16];
    snprintf(u, sizeof u, "user%u", user);
    crumb_store_session_info in;
    memset(&in, 0, sizeof in);
    in.session = *k;
    in.last_seen = T0;
    in.expires_at = T0 + 100;
    CHECK_OK(crumb_store_index_put(s, "", u, &in, T0));
}

/* LRU evicts only session data. Revocations of signed-in sessions are never
 * forgotten early; those of anonymous sessions are bounded (max_sessions). */
static void test_eviction(void)
{
    crumb_store_memory_config cfg = {.max_sessions = 64, .shards = 4};
    crumb_store *s = NULL;
    CHECK_OK(crumb_store_memory_open(&s, &cfg));
    uint8_t d[100] = {1};
    for (unsigned i = 0; i < 1000; i++) {
        crumb_store_key k = key_n(i);
        CHECK_OK(crumb_store_put(s, &k, d, sizeof d, T0 + 100, CRUMB_STORE_VERSION_NEW, NULL, T0));
        if (i % 10 == 0)
            sign_in(s, &k, i);
        CHECK_OK(crumb_store_revoke_session(s, &k, T0 + 100, T0));
    }
    crumb_store_stats st;
    CHECK_OK(crumb_store_stats_get(s, &st));
    CHECK(st.sessions <= 64 + 4); /* + at most one anonymous record per shard */
    CHECK_INT(st.evictions, 1000 - st.sessions);
    CHECK(st.revocations >= 100 && st.revocations <= 100 + 64);
    size_t len;
    crumb_store_key last = key_n(999);
    CHECK_OK(crumb_store_get(s, &last, NULL, 0, &len, NULL, NULL, T0) == CRUMB_E_BUFSIZE ? 0 : 1);
    for (unsigned i = 0; i < 1000; i += 10) { /* signed in: all still revoked */
        crumb_store_key k = key_n(i);
        crumb_store_check_req q = {.session = &k, .issued_at = T0, .now = T0 + 1};
        crumb_store_check_res r;
        CHECK_INT(crumb_store_check(s, &q, &r), CRUMB_E_REVOKED);
    }
    crumb_store_close(s);

    /* byte capacity */
    cfg = (crumb_store_memory_config){.max_session_bytes = 4096, .shards = 1};
    CHECK_OK(crumb_store_memory_open(&s, &cfg));
    for (unsigned i = 0; i < 100; i++) {
        crumb_store_key k = key_n(i);
        CHECK_OK(crumb_store_put(s, &k, d, sizeof d, T0 + 100, CRUMB_STORE_VERSION_ANY, NULL, T0));
    }
    CHECK_OK(crumb_store_stats_get(s, &st));
    CHECK(st.session_bytes <= 4096);
    CHECK_INT(st.sessions, 40);
    crumb_store_close(s);
}

/* 130,000 anonymous visits (each a server-mode record, a third of them
 * logged out again) next to one signed-in session under the default
 * capacity (100,000 records): the signed-in record and its revocation-free
 * state survive, anonymous revocations stay bounded, and a revocation of
 * the signed-in session made after all that traffic is still kept. Failed
 * before: the signed-in record was LRU-evicted and every anonymous
 * revocation was kept. */
static void test_signed_in_not_evicted(void)
{
    crumb_store *s = NULL;
    CHECK_OK(crumb_store_memory_open(&s, NULL));
    crumb_store_key me;
    memset(&me, 0xee, sizeof me);
    uint8_t d[64] = {7}, buf[64];
    CHECK_OK(crumb_store_put(s, &me, d, sizeof d, T0 + 100, CRUMB_STORE_VERSION_NEW, NULL, T0));
    sign_in(s, &me, 1);
    for (unsigned i = 0; i < 130000; i++) {
        crumb_store_key k = key_n(i);
        CHECK_OK(crumb_store_put(s, &k, d, 16, T0 + 100, CRUMB_STORE_VERSION_NEW, NULL, T0));
        if (i % 3 == 0)
            CHECK_OK(crumb_store_revoke_session(s, &k, T0 + 100, T0));
    }
    size_t len = 0;
    CHECK_OK(crumb_store_get(s, &me, buf, sizeof buf, &len, NULL, NULL, T0 + 1));
    CHECK_INT(len, sizeof d);
    crumb_store_stats st;
    CHECK_OK(crumb_store_stats_get(s, &st));
    printf("130k anonymous visits: %llu records, %llu evicted, %llu revocations kept\n",
           (unsigned long long)st.sessions, (unsigned long long)st.evictions,
           (unsigned long long)st.revocations);
    CHECK(st.sessions <= 100000 + 64);
    CHECK(st.revocations <= 100000 + 64); /* 43,334 anonymous revocations, bounded */
    CHECK(st.evictions >= 30000);
    CHECK_OK(crumb_store_revoke_session(s, &me, T0 + 100, T0));
    for (unsigned i = 200000; i < 330000; i++) { /* more anonymous logouts */
        crumb_store_key k = key_n(i);
        CHECK_OK(crumb_store_revoke_session(s, &k, T0 + 100, T0));
    }
    crumb_store_check_req q = {.session = &me, .issued_at = T0, .now = T0 + 1};
    crumb_store_check_res r;
    CHECK_INT(crumb_store_check(s, &q, &r), CRUMB_E_REVOKED);
    CHECK_OK(crumb_store_stats_get(s, &st));
    CHECK(st.revocations <= 100000 + 64);
    crumb_store_close(s);
}

/* Every allocation failure yields CRUMB_E_NOMEM and changes nothing. */
static void test_alloc_faults(void)
{
    for (long n = 1; n < 40; n++) {
        crumb_store *s = NULL;
        crumb__alloc_fail_at(n, 0);
        crumb_err e = crumb_store_memory_open(&s, NULL);
        crumb__alloc_fail_at(0, 0);
        if (e != CRUMB_OK) {
            CHECK_INT(e, CRUMB_E_NOMEM);
            CHECK(s == NULL);
            continue;
        }
        crumb_store_close(s);
    }
    crumb_store *s = NULL;
    crumb_store_memory_config cfg = {.shards = 2};
    CHECK_OK(crumb_store_memory_open(&s, &cfg));
    crumb_store_key k = key_n(7);
    uint8_t d[16] = {9}, buf[16];
    uint64_t v = 0;
    CHECK_OK(crumb_store_put(s, &k, d, sizeof d, T0 + 100, CRUMB_STORE_VERSION_NEW, &v, T0));
    for (int round = 0; round < 3; round++) {
        crumb_store_sighting sg = {.device = {{1}}, .label = "x"};
        crumb_store_session_info info = {.session = k, .last_seen = T0, .expires_at = T0 + 9};
        crumb_store_id fam = {{3}};
        /* every allocation fails; re-arming returns how many the previous
         * call attempted, so a call that allocated must say NOMEM */
        crumb__alloc_fail_at(1, 1);
        crumb_err e1 = crumb_store_put(s, &k, d, 8, T0 + 100, v, NULL, T0);
        long m1 = crumb__alloc_fail_at(1, 1);
        crumb_err e2 = crumb_store_revoke_user(s, "t", "u", T0, NULL, T0 + 9, T0);
        long m2 = crumb__alloc_fail_at(1, 1);
        crumb_err e3 = crumb_store_device_seen(s, "t", "u2", &sg, T0, NULL);
        long m3 = crumb__alloc_fail_at(1, 1);
        crumb_err e4 = crumb_store_index_put(s, "t", "u3", &info, T0);
        long m4 = crumb__alloc_fail_at(1, 1);
        crumb_err e5 = crumb_store_family_advance(s, &fam, 0, 1, T0 + 9, T0, NULL);
        long m5 = crumb__alloc_fail_at(1, 1);
        crumb_err e6 = crumb_store_revoke_session(s, &k, T0 + 9, T0);
        long m6 = crumb__alloc_fail_at(0, 0);
        CHECK(m1 > 0);
        CHECK_INT(e1, CRUMB_E_NOMEM);
        CHECK_INT(e2, m2 > 0 ? CRUMB_E_NOMEM : CRUMB_OK);
        CHECK_INT(e3, m3 > 0 ? CRUMB_E_NOMEM : CRUMB_OK);
        CHECK_INT(e4, m4 > 0 ? CRUMB_E_NOMEM : CRUMB_OK);
        CHECK_INT(e5, m5 > 0 ? CRUMB_E_NOMEM : CRUMB_OK);
        CHECK_INT(e6, m6 > 0 ? CRUMB_E_NOMEM : CRUMB_OK);
        CHECK(m2 + m3 + m4 + m5 + m6 > 0); /* the fault reached past the put */
        size_t len;
        uint64_t v2;
        CHECK_OK(crumb_store_get(s, &k, buf, sizeof buf, &len, &v2, NULL, T0));
        CHECK_INT(len, sizeof d);
        CHECK_INT(v2, v);
    }
    crumb_store_close(s);
}

int main(void)
{
    check_seed();
    crumb_store_memory_config small = {.shards = 2};
    CHECK_INT(crumb_store_conformance(open_mem, NULL), 0);
    CHECK_INT(crumb_store_conformance(open_mem, &small), 0);
    test_eviction();
    test_signed_in_not_evicted();
    test_alloc_faults();
    return check_done("test_store_memory");
}
