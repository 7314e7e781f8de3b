/*
 * cache.c - a process-local cache in front of any store: check() answers
 * are kept in a bounded LRU table for a short TTL (logical time) so most
 * checks skip the backend; every other method goes straight to the inner
 * store, and the ones that change what check() answers flush the table.
 */
#include "crumb_store.h"
#include "internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

/* ==== Types ============================================================= */

/* A cached check() answer; on the LRU list and in one hash chain. */
typedef struct centry {
    struct centry *hnext;        /* hash chain */
    struct centry *prev, *next;  /* LRU, most recent at head */
    uint8_t digest[32];          /* keyed hash of the request (without now) */
    crumb_err rc;                /* CRUMB_OK or CRUMB_E_REVOKED */
    crumb_store_check_res res;
    int64_t at;                  /* logical time it was fetched */
} centry;

typedef struct cache_store {
    crumb_store base;
    crumb_store_methods methods; /* inner's optional slots mirrored */
    crumb_store *inner;
    int own_inner;
    int64_t ttl;
    size_t max;
    uint8_t key[32];             /* keys the request digest */
    pthread_mutex_t lock;
    centry **tab;
    size_t mask, n;
    centry *head, *tail;
    atomic_ullong hits, misses;
    atomic_uint gen;             /* bumped by every flush */
} cache_store;

/* ==== Table ============================================================= */

/* Unlink e from the LRU list. */
static void lru_unlink(cache_store *c, centry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

/* Push e at the LRU head. */
static void lru_push(cache_store *c, centry *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (c->tail == NULL)
        c->tail = e;
}

/* Bucket index of a digest. */
static size_t bucket(const cache_store *c, const uint8_t d[32])
{
    uint64_t h;
    memcpy(&h, d, sizeof h);
    return (size_t)h & c->mask;
}

/* Find the entry for digest d, or NULL. */
static centry *find(cache_store *c, const uint8_t d[32])
{
    for (centry *e = c->tab[bucket(c, d)]; e; e = e->hnext)
        if (memcmp(e->digest, d, 32) == 0)
            return e;
    return NULL;
}

/* Remove e from its chain and the LRU list and free it. */
static void drop(cache_store *c, centry *e)
{
    centry **pp = &c->tab[bucket(c, e->digest)];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    lru_unlink(c, e);
    c->n--;
    crumb__free(e);
}

/* Empty the table (lock held). */
static void flush_locked(cache_store *c)
{
    while (c->head)
        drop(c, c->head);
    atomic_fetch_add(&c->gen, 1u);
}

/* Digest of the parts of a check request that decide its answer. */
static void digest_req(const cache_store *c, const crumb_store_check_req *q, uint8_t out[32])
{
    uint8_t b[1 + 32 + 16 + 16 + 8 + 2 * (CRUMB_STORE_NAME_MAX + 1)];
    size_t n = 0;
    b[n++] = (uint8_t)((q->session != NULL) | (q->family != NULL) << 1 | (q->user != NULL) << 2 |
                       (q->device != NULL) << 3);
    if (q->session)
        memcpy(b + n, q->session->b, 32), n += 32;
    if (q->family)
        memcpy(b + n, q->family->b, 16), n += 16;
    if (q->device)
        memcpy(b + n, q->device->b, 16), n += 16;
    memcpy(b + n, &q->issued_at, 8), n += 8;
    if (q->user) {
        const char *t = q->tenant ? q->tenant : "";
        size_t tl = strnlen(t, CRUMB_STORE_NAME_MAX), ul = strnlen(q->user, CRUMB_STORE_NAME_MAX);
        memcpy(b + n, t, tl), n += tl;
        b[n++] = 0;
        memcpy(b + n, q->user, ul), n += ul;
        b[n++] = 0;
    }
    crumb__hmac_sha256(out, c->key, sizeof c->key, b, n, NULL, 0);
}

/* ==== Methods =========================================================== */

#define INNER(s) (((cache_store *)(s))->inner)

/* Flush the table (after a change that may alter check() answers). */
static void flush(crumb_store *s)
{
    cache_store *c = (cache_store *)s;
    pthread_mutex_lock(&c->lock);
    flush_locked(c);
    pthread_mutex_unlock(&c->lock);
}

static void c_close(crumb_store *s)
{
    cache_store *c = (cache_store *)s;
    flush(s);
    if (c->own_inner)
        crumb_store_close(c->inner);
    pthread_mutex_destroy(&c->lock);
    crumb__free(c->tab);
    crumb_wipe(c->key, sizeof c->key);
    crumb__free(c);
}

static crumb_err c_check(crumb_store *s, const crumb_store_check_req *q,
                         crumb_store_check_res *res)
{
    cache_store *c = (cache_store *)s;
    uint8_t d[32];
    digest_req(c, q, d);
    pthread_mutex_lock(&c->lock);
    centry *e = find(c, d);
    if (e != NULL && q->now >= e->at && q->now < e->at + c->ttl) {
        lru_unlink(c, e);
        lru_push(c, e);
        *res = e->res;
        crumb_err rc = e->rc;
        pthread_mutex_unlock(&c->lock);
        atomic_fetch_add(&c->hits, 1u);
        return rc;
    }
    unsigned gen = atomic_load(&c->gen);
    pthread_mutex_unlock(&c->lock);
    atomic_fetch_add(&c->misses, 1u);
    crumb_err rc = crumb_store_check(c->inner, q, res);
    if (rc != CRUMB_OK && rc != CRUMB_E_REVOKED)
        return rc; /* errors are never cached */
    centry *ne = crumb__calloc(1, sizeof *ne);
    if (ne == NULL)
        return rc; /* caching is best effort */
    memcpy(ne->digest, d, 32);
    ne->rc = rc;
    ne->res = *res;
    ne->at = q->now;
    pthread_mutex_lock(&c->lock);
    if (atomic_load(&c->gen) != gen) { /* flushed meanwhile: the answer may predate it */
        pthread_mutex_unlock(&c->lock);
        crumb__free(ne);
        return rc;
    }
    if ((e = find(c, d)) != NULL)
        drop(c, e);
    while (c->n >= c->max && c->tail)
        drop(c, c->tail);
    size_t b = bucket(c, d);
    ne->hnext = c->tab[b];
    c->tab[b] = ne;
    lru_push(c, ne);
    c->n++;
    pthread_mutex_unlock(&c->lock);
    return rc;
}

static crumb_err c_health(crumb_store *s, int64_t now)
{
    return crumb_store_health(INNER(s), now);
}

static crumb_err c_stats(crumb_store *s, crumb_store_stats *out)
{
    cache_store *c = (cache_store *)s;
    crumb_err rc = crumb_store_stats_get(c->inner, out);
    if (rc == CRUMB_OK || rc == CRUMB_E_UNSUPPORTED) {
        out->checks = atomic_load(&c->hits) + atomic_load(&c->misses);
        rc = CRUMB_OK;
    }
    return rc;
}

static crumb_err c_put(crumb_store *s, const crumb_store_key *key, const uint8_t *data,
                       size_t len, int64_t expires_at, uint64_t expected, uint64_t *nv,
                       int64_t now)
{
    return crumb_store_put(INNER(s), key, data, len, expires_at, expected, nv, now);
}

static crumb_err c_get(crumb_store *s, const crumb_store_key *key, uint8_t *buf, size_t cap,
                       size_t *len, uint64_t *version, int64_t *expires_at, int64_t now)
{
    return crumb_store_get(INNER(s), key, buf, cap, len, version, expires_at, now);
}

static crumb_err c_touch(crumb_store *s, const crumb_store_key *key, int64_t expires_at,
                         int64_t now)
{
    return crumb_store_touch(INNER(s), key, expires_at, now);
}

static crumb_err c_del(crumb_store *s, const crumb_store_key *key)
{
    return crumb_store_delete(INNER(s), key);
}

static crumb_err c_revoke_session(crumb_store *s, const crumb_store_key *key, int64_t until,
                                  int64_t now)
{
    crumb_err rc = crumb_store_revoke_session(INNER(s), key, until, now);
    flush(s);
    return rc;
}

static crumb_err c_revoke_family(crumb_store *s, const crumb_store_id *family, int64_t until,
                                 int64_t now)
{
    crumb_err rc = crumb_store_revoke_family(INNER(s), family, until, now);
    flush(s);
    return rc;
}

static crumb_err c_revoke_device(crumb_store *s, const char *tenant, const char *user,
                                 const crumb_store_id *device, int64_t until, int64_t now)
{
    crumb_err rc = crumb_store_revoke_device(INNER(s), tenant, user, device, until, now);
    flush(s);
    return rc;
}

static crumb_err c_revoke_user(crumb_store *s, const char *tenant, const char *user,
                               int64_t before, const crumb_store_key *except, int64_t until,
                               int64_t now)
{
    crumb_err rc = crumb_store_revoke_user(INNER(s), tenant, user, before, except, until, now);
    flush(s);
    return rc;
}

static crumb_err c_revoke_all(crumb_store *s, int64_t before, int64_t now)
{
    crumb_err rc = crumb_store_revoke_all(INNER(s), before, now);
    flush(s);
    return rc;
}

static crumb_err c_family_get(crumb_store *s, const crumb_store_id *family, uint64_t *gen,
                              int64_t *advanced_at, int64_t now)
{
    return crumb_store_family_get(INNER(s), family, gen, advanced_at, now);
}

static crumb_err c_family_advance(crumb_store *s, const crumb_store_id *family, uint64_t expected,
                                  uint64_t new_gen, int64_t until, int64_t now, uint64_t *current)
{
    crumb_err rc =
        crumb_store_family_advance(INNER(s), family, expected, new_gen, until, now, current);
    if (rc == CRUMB_OK)
        flush(s); /* check() reports the family generation */
    return rc;
}

static crumb_err c_device_seen(crumb_store *s, const char *tenant, const char *user,
                               const crumb_store_sighting *sg, int64_t now, int *written)
{
    return crumb_store_device_seen(INNER(s), tenant, user, sg, now, written);
}

static crumb_err c_device_list(crumb_store *s, const char *tenant, const char *user,
                               crumb_store_device *out, size_t cap, size_t *n)
{
    return crumb_store_device_list(INNER(s), tenant, user, out, cap, n);
}

static crumb_err c_device_select(crumb_store *s, const char *tenant, const char *user,
                                 const crumb_store_device_filter *f, crumb_store_device *out,
                                 size_t cap, size_t *n)
{
    return crumb_store_device_select(INNER(s), tenant, user, f, out, cap, n);
}

/* The inner store's naming: the cache keeps no name the inner store does
 * not also hold. */
static int c_naming(crumb_store *s)
{
    return crumb_store_naming_get(INNER(s));
}

static size_t c_last_error(crumb_store *s, char *buf, size_t cap)
{
    return crumb_store_last_error(INNER(s), buf, cap);
}

static crumb_err c_device_find(crumb_store *s, const char *tenant, const char *user,
                               const uint8_t fp[CRUMB_STORE_FPBYTES], crumb_store_device *out)
{
    return crumb_store_device_find(INNER(s), tenant, user, fp, out);
}

static crumb_err c_device_set_trust(crumb_store *s, const char *tenant, const char *user,
                                    const crumb_store_id *device, int trust, int64_t now)
{
    crumb_err rc = crumb_store_device_set_trust(INNER(s), tenant, user, device, trust, now);
    flush(s);
    return rc;
}

static crumb_err c_device_delete(crumb_store *s, const char *tenant, const char *user,
                                 const crumb_store_id *device)
{
    crumb_err rc = crumb_store_device_delete(INNER(s), tenant, user, device);
    flush(s);
    return rc;
}

static crumb_err c_index_put(crumb_store *s, const char *tenant, const char *user,
                             const crumb_store_session_info *info, int64_t now)
{
    return crumb_store_index_put(INNER(s), tenant, user, info, now);
}

static crumb_err c_index_list(crumb_store *s, const char *tenant, const char *user,
                              crumb_store_session_info *out, size_t cap, size_t *n, int64_t now)
{
    return crumb_store_index_list(INNER(s), tenant, user, out, cap, n, now);
}

static crumb_err c_index_del(crumb_store *s, const char *tenant, const char *user,
                             const crumb_store_key *session)
{
    return crumb_store_index_delete(INNER(s), tenant, user, session);
}

static crumb_err c_sweep(crumb_store *s, int64_t now, const crumb_store_retention *ret,
                         crumb_store_sweep_counts *counts)
{
    crumb_err rc = crumb_store_sweep(INNER(s), now, ret, counts);
    flush(s); /* the device ladder may have revoked devices */
    return rc;
}

/* Verify (and repair) the inner store; a repair may have rewritten any
 * record, so nothing cached survives it. */
static crumb_err c_verify(crumb_store *s, int repair, crumb_store_verify_report *out,
                          int64_t now)
{
    crumb_err rc = crumb_store_verify(INNER(s), repair, out, now);
    flush(s);
    return rc;
}

/* see crumb_store.h */
void crumb_store_cache_invalidate(crumb_store *cache)
{
    /* recognised by identity: only a cache's table has c_close as close */
    if (crumb_store__valid(cache) && cache->methods->close == c_close)
        flush(cache);
}

/* Fill c's method table: an optional slot stays NULL if inner lacks it
 * (read through CRUMB_STORE__SLOT, so an older inner table is never read
 * past its end). */
static void cache_mirror(cache_store *c, crumb_store *inner)
{
#define MIRROR(slot, fn) (CRUMB_STORE__SLOT(inner, slot) ? (fn) : NULL)
    c->methods = (crumb_store_methods){
        .version = CRUMB_STORE_METHODS_VERSION,
        .name = "cache",
        .close = c_close,
        .health = c_health,
        .stats = c_stats,
        .put = MIRROR(put, c_put),
        .get = MIRROR(get, c_get),
        .touch = MIRROR(touch, c_touch),
        .del = MIRROR(del, c_del),
        .revoke_session = c_revoke_session,
        .revoke_family = c_revoke_family,
        .revoke_device = c_revoke_device,
        .revoke_user = c_revoke_user,
        .revoke_all = c_revoke_all,
        .check = c_check,
        .family_get = c_family_get,
        .family_advance = c_family_advance,
        .device_seen = MIRROR(device_seen, c_device_seen),
        .device_list = MIRROR(device_list, c_device_list),
        .device_find = MIRROR(device_find, c_device_find),
        .device_set_trust = MIRROR(device_set_trust, c_device_set_trust),
        .device_delete = MIRROR(device_delete, c_device_delete),
        .index_put = MIRROR(index_put, c_index_put),
        .index_list = MIRROR(index_list, c_index_list),
        .index_del = MIRROR(index_del, c_index_del),
        .sweep = MIRROR(sweep, c_sweep),
        .verify = MIRROR(verify, c_verify),
        .device_select = MIRROR(device_select, c_device_select),
        .last_error = MIRROR(last_error, c_last_error),
        .naming = c_naming,
    };
#undef MIRROR
}

/* see crumb_store.h */
crumb_err crumb_store_cache_open(crumb_store **out, crumb_store *inner,
                                 const crumb_store_cache_config *cfg)
{
    if (out == NULL)
        return CRUMB_E_INVALID;
    *out = NULL;
    if (!crumb_store__valid(inner) ||
        (cfg && (cfg->ttl < 0 || cfg->max_entries > ((size_t)1 << 24))))
        return CRUMB_E_INVALID;
    cache_store *c = crumb__calloc(1, sizeof *c);
    if (c == NULL)
        return CRUMB_E_NOMEM;
    c->inner = inner;
    c->own_inner = cfg ? cfg->own_inner : 0;
    c->ttl = cfg && cfg->ttl ? cfg->ttl : 2;
    c->max = cfg && cfg->max_entries ? cfg->max_entries : 10000u;
    size_t nb = 16;
    while (nb < c->max)
        nb <<= 1;
    c->tab = crumb__calloc(nb, sizeof *c->tab);
    if (c->tab == NULL || crumb__random_os(NULL, c->key, sizeof c->key) != 0) {
        crumb_err e = c->tab == NULL ? CRUMB_E_NOMEM : CRUMB_E_RANDOM;
        crumb__free(c->tab);
        crumb__free(c);
        return e;
    }
    c->mask = nb - 1;
    pthread_mutex_init(&c->lock, NULL);
    atomic_init(&c->hits, 0u);
    atomic_init(&c->misses, 0u);
    atomic_init(&c->gen, 0u);
    cache_mirror(c, inner);
    c->base.methods = &c->methods;
    *out = &c->base;
    return CRUMB_OK;
}
