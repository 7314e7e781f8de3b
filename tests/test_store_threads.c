/*
 * test_store_threads.c - the memory store (and the file store, lightly)
 * under 8 threads of mixed operations; run under ThreadSanitizer from
 * tests/tsan.list. Checks CAS counters are exact and revocations stick.
 */
#include "check.h"
#include "crumb_store.h"

#include <pthread.h>
#include <stdatomic.h>

#define T0 1700000000LL
#define NTHREADS 8
#define NOPS 20000

static crumb_store *store;
static atomic_uint incs, advances, errors;

static crumb_store_key key_n(unsigned a, unsigned b)
{
    crumb_store_key k;
    memset(&k, 0, sizeof k);
    k.b[0] = (uint8_t)a;
    k.b[1] = (uint8_t)b;
    k.b[2] = (uint8_t)(b >> 8);
    return k;
}

/* One thread of mixed operations. */
static void *run(void *arg)
{
    unsigned me = (unsigned)(uintptr_t)arg;
    uint64_t st = 0x1234567ull * (me + 1);
    crumb_store_id fam = {{0xfa}};
    for (unsigned op = 0; op < NOPS; op++) {
        st = st * 6364136223846793005ull + 1442695040888963407ull;
        unsigned kind = (unsigned)(st >> 60) % 8, i = (unsigned)(st >> 40) % 512;
        crumb_store_key k = key_n(me, i);
        uint8_t buf[64];
        size_t len;
        uint64_t v;
        crumb_err e = CRUMB_OK;
        switch (kind) {
        case 0:
        case 1:
            e = crumb_store_put(store, &k, (const uint8_t *)&op, sizeof op, T0 + 100,
                                CRUMB_STORE_VERSION_ANY, &v, T0);
            break;
        case 2:
            e = crumb_store_get(store, &k, buf, sizeof buf, &len, &v, NULL, T0);
            if (e == CRUMB_E_NOTFOUND)
                e = CRUMB_OK;
            break;
        case 3: { /* contended CAS counter */
            crumb_store_key sk = key_n(255, 0);
            uint32_t c = 0;
            e = crumb_store_get(store, &sk, buf, sizeof buf, &len, &v, NULL, T0);
            if (e == CRUMB_OK)
                memcpy(&c, buf, 4);
            c++;
            e = crumb_store_put(store, &sk, (uint8_t *)&c, 4, T0 + 100, e == CRUMB_OK ? v : 0,
                                NULL, T0);
            if (e == CRUMB_OK)
                atomic_fetch_add(&incs, 1);
            else if (e == CRUMB_E_CONFLICT)
                e = CRUMB_OK;
            break;
        }
        case 4: {
            uint64_t g;
            e = crumb_store_family_get(store, &fam, &g, NULL, T0);
            if (e == CRUMB_OK) {
                e = crumb_store_family_advance(store, &fam, g, g + 1, T0 + 100, T0, NULL);
                if (e == CRUMB_OK)
                    atomic_fetch_add(&advances, 1);
                else if (e == CRUMB_E_CONFLICT)
                    e = CRUMB_OK;
            }
            break;
        }
        case 5: { /* a signed-in session logs out (anonymous revocations are bounded
                     and may be forgotten under this churn: test_store_memory); its
                     key has no record here, so the records' LRU is unaffected */
            k = key_n(me + 100, i);
            crumb_store_session_info in;
            memset(&in, 0, sizeof in);
            in.session = k;
            in.last_seen = T0;
            in.expires_at = T0 + 100;
            e = crumb_store_index_put(store, "t", "u", &in, T0);
            if (e == CRUMB_OK)
                e = crumb_store_revoke_session(store, &k, T0 + 100, T0);
            crumb_store_check_req q = {.session = &k, .family = &fam, .user = "u", .tenant = "t",
                                       .issued_at = T0, .now = T0 + 1};
            crumb_store_check_res r;
            if (e == CRUMB_OK && crumb_store_check(store, &q, &r) != CRUMB_E_REVOKED)
                e = CRUMB_E_INTERNAL;
            break;
        }
        case 6: {
            crumb_store_sighting sg = {.device = {{(uint8_t)me, (uint8_t)(i % 8)}}, .label = "x"};
            e = crumb_store_device_seen(store, "t", "u", &sg, T0 + op, NULL);
            crumb_store_device out[4];
            size_t n;
            if (e == CRUMB_OK)
                e = crumb_store_device_list(store, "t", "u", out, 4, &n);
            break;
        }
        default:
            if (op % 512 == 0)
                e = crumb_store_sweep(store, T0, NULL, NULL);
            else
                e = crumb_store_revoke_user(store, "t", "other", T0, &k, T0 + 100, T0);
            break;
        }
        if (e != CRUMB_OK) {
            atomic_fetch_add(&errors, 1);
            fprintf(stderr, "thread %u op %u kind %u: %s\n", me, op, kind, crumb_strerror(e));
        }
    }
    return NULL;
}

int main(void)
{
    check_seed();
    crumb_store_memory_config cfg = {.max_sessions = 2048, .shards = 8};
    CHECK_OK(crumb_store_memory_open(&store, &cfg));
    pthread_t th[NTHREADS];
    for (unsigned t = 0; t < NTHREADS; t++)
        CHECK_INT(pthread_create(&th[t], NULL, run, (void *)(uintptr_t)t), 0);
    for (unsigned t = 0; t < NTHREADS; t++)
        pthread_join(th[t], NULL);
    CHECK_INT(atomic_load(&errors), 0);
    crumb_store_key sk = key_n(255, 0);
    uint8_t buf[8];
    size_t len;
    uint32_t c = 0;
    CHECK_OK(crumb_store_get(store, &sk, buf, sizeof buf, &len, NULL, NULL, T0));
    memcpy(&c, buf, 4);
    /* the counter may have been evicted by LRU only if it went cold; it is hot here */
    CHECK_INT(c, atomic_load(&incs));
    crumb_store_id fam = {{0xfa}};
    uint64_t g;
    CHECK_OK(crumb_store_family_get(store, &fam, &g, NULL, T0));
    CHECK_INT(g, atomic_load(&advances));
    crumb_store_stats st;
    CHECK_OK(crumb_store_stats_get(store, &st));
    CHECK(st.sessions <= 2048 + 8); /* + one anonymous record per shard */
    CHECK(st.evictions > 0);
    crumb_store_close(store);
    return check_done("test_store_threads");
}
