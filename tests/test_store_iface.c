/*
 * test_store_iface.c - the crumb_store.h call wrappers themselves, over a
 * spy store that counts every call: bad arguments are refused before the
 * store is called, a table with version < 1 is never called, a version-1
 * table allocated exactly CRUMB_STORE_METHODS_V1_SIZE bytes is never read
 * past its end (ASan build), and the cache recognises itself by identity.
 */
#include "check.h"
#include "crumb_store.h"
#include "store_conformance.h"

#include <stdlib.h>

#define T0 1700000000LL

/* ---- the spy store: every slot counts and succeeds ---- */

typedef struct spy {
    crumb_store base;
    int calls;
} spy;

#define SPY(s) (((spy *)(s))->calls++, CRUMB_OK)

static void sp_close(crumb_store *s) { ((spy *)s)->calls++; }
static crumb_err sp_health(crumb_store *s, int64_t n) { (void)n; return SPY(s); }
static crumb_err sp_stats(crumb_store *s, crumb_store_stats *o) { (void)o; return SPY(s); }
static crumb_err sp_put(crumb_store *s, const crumb_store_key *k, const uint8_t *d, size_t l,
                        int64_t e, uint64_t x, uint64_t *v, int64_t n)
{
    (void)k, (void)d, (void)l, (void)e, (void)x, (void)v, (void)n;
    return SPY(s);
}
static crumb_err sp_get(crumb_store *s, const crumb_store_key *k, uint8_t *b, size_t c,
                        size_t *l, uint64_t *v, int64_t *e, int64_t n)
{
    (void)k, (void)b, (void)c, (void)l, (void)v, (void)e, (void)n;
    return SPY(s);
}
static crumb_err sp_touch(crumb_store *s, const crumb_store_key *k, int64_t e, int64_t n)
{
    (void)k, (void)e, (void)n;
    return SPY(s);
}
static crumb_err sp_del(crumb_store *s, const crumb_store_key *k) { (void)k; return SPY(s); }
static crumb_err sp_rsess(crumb_store *s, const crumb_store_key *k, int64_t u, int64_t n)
{
    (void)k, (void)u, (void)n;
    return SPY(s);
}
static crumb_err sp_rfam(crumb_store *s, const crumb_store_id *f, int64_t u, int64_t n)
{
    (void)f, (void)u, (void)n;
    return SPY(s);
}
static crumb_err sp_rdev(crumb_store *s, const char *t, const char *us, const crumb_store_id *d,
                         int64_t u, int64_t n)
{
    (void)t, (void)us, (void)d, (void)u, (void)n;
    return SPY(s);
}
static crumb_err sp_ruser(crumb_store *s, const char *t, const char *us, int64_t b,
                          const crumb_store_key *x, int64_t u, int64_t n)
{
    (void)t, (void)us, (void)b, (void)x, (void)u, (void)n;
    return SPY(s);
}
static crumb_err sp_rall(crumb_store *s, int64_t b, int64_t n) { (void)b, (void)n; return SPY(s); }
static crumb_err sp_check(crumb_store *s, const crumb_store_check_req *q,
                          crumb_store_check_res *r)
{
    (void)q, (void)r;
    return SPY(s);
}
static crumb_err sp_fget(crumb_store *s, const crumb_store_id *f, uint64_t *g, int64_t *a,
                         int64_t n)
{
    (void)f, (void)g, (void)a, (void)n;
    return SPY(s);
}
static crumb_err sp_fadv(crumb_store *s, const crumb_store_id *f, uint64_t e, uint64_t g,
                         int64_t u, int64_t n, uint64_t *c)
{
    (void)f, (void)e, (void)g, (void)u, (void)n, (void)c;
    return SPY(s);
}
static crumb_err sp_dseen(crumb_store *s, const char *t, const char *u,
                          const crumb_store_sighting *g, int64_t n, int *w)
{
    (void)t, (void)u, (void)g, (void)n, (void)w;
    return SPY(s);
}
static crumb_err sp_dlist(crumb_store *s, const char *t, const char *u, crumb_store_device *o,
                          size_t c, size_t *n)
{
    (void)t, (void)u, (void)o, (void)c, (void)n;
    return SPY(s);
}
static crumb_err sp_dfind(crumb_store *s, const char *t, const char *u,
                          const uint8_t fp[CRUMB_STORE_FPBYTES], crumb_store_device *o)
{
    (void)t, (void)u, (void)fp, (void)o;
    return SPY(s);
}
static crumb_err sp_dtrust(crumb_store *s, const char *t, const char *u, const crumb_store_id *d,
                           int tr, int64_t n)
{
    (void)t, (void)u, (void)d, (void)tr, (void)n;
    return SPY(s);
}
static crumb_err sp_ddel(crumb_store *s, const char *t, const char *u, const crumb_store_id *d)
{
    (void)t, (void)u, (void)d;
    return SPY(s);
}
static crumb_err sp_iput(crumb_store *s, const char *t, const char *u,
                         const crumb_store_session_info *i, int64_t n)
{
    (void)t, (void)u, (void)i, (void)n;
    return SPY(s);
}
static crumb_err sp_ilist(crumb_store *s, const char *t, const char *u,
                          crumb_store_session_info *o, size_t c, size_t *n, int64_t now)
{
    (void)t, (void)u, (void)o, (void)c, (void)n, (void)now;
    return SPY(s);
}
static crumb_err sp_idel(crumb_store *s, const char *t, const char *u, const crumb_store_key *k)
{
    (void)t, (void)u, (void)k;
    return SPY(s);
}
static crumb_err sp_sweep(crumb_store *s, int64_t n, const crumb_store_retention *r,
                          crumb_store_sweep_counts *c)
{
    (void)n, (void)r, (void)c;
    return SPY(s);
}

static const crumb_store_methods spy_methods = {
    .version = 1, .name = "spy", .close = sp_close, .health = sp_health, .stats = sp_stats,
    .put = sp_put, .get = sp_get, .touch = sp_touch, .del = sp_del,
    .revoke_session = sp_rsess, .revoke_family = sp_rfam, .revoke_device = sp_rdev,
    .revoke_user = sp_ruser, .revoke_all = sp_rall, .check = sp_check,
    .family_get = sp_fget, .family_advance = sp_fadv, .device_seen = sp_dseen,
    .device_list = sp_dlist, .device_find = sp_dfind, .device_set_trust = sp_dtrust,
    .device_delete = sp_ddel, .index_put = sp_iput, .index_list = sp_ilist,
    .index_del = sp_idel, .sweep = sp_sweep,
};

/* A heap copy of spy_methods of CRUMB_STORE_METHODS_V1_SIZE bytes (sc_v1_table: the
 * tail is poisoned under ASan and holds garbage pointers otherwise), with the given version. */
static crumb_store_methods *v1_table(int version)
{
    crumb_store_methods *t = sc_v1_table(&spy_methods, version);
    if (t == NULL)
        abort();
    return t;
}

/* Call every wrapper once with valid arguments; returns how many said OK. */
static int call_all(crumb_store *s)
{
    crumb_store_key k = {{1}};
    crumb_store_id f = {{2}};
    uint8_t d[4] = {0}, fp[CRUMB_STORE_FPBYTES] = {0};
    size_t n = 0;
    uint64_t v = 0;
    crumb_store_stats st;
    crumb_store_check_req q = {&k, &f, 1, "t", "u", &f, T0, T0};
    crumb_store_check_res r;
    crumb_store_sighting sg;
    crumb_store_device dv;
    crumb_store_session_info in;
    crumb_store_sweep_counts c;
    memset(&sg, 0, sizeof sg);
    memset(&in, 0, sizeof in);
    in.expires_at = T0 + 10;
    crumb_err rc[] = {
        crumb_store_health(s, T0),
        crumb_store_stats_get(s, &st),
        crumb_store_put(s, &k, d, sizeof d, T0 + 10, 0, &v, T0),
        crumb_store_get(s, &k, d, sizeof d, &n, NULL, NULL, T0),
        crumb_store_touch(s, &k, T0 + 10, T0),
        crumb_store_delete(s, &k),
        crumb_store_revoke_session(s, &k, T0 + 10, T0),
        crumb_store_revoke_family(s, &f, T0 + 10, T0),
        crumb_store_revoke_device(s, "t", "u", &f, T0 + 10, T0),
        crumb_store_revoke_user(s, "t", "u", T0, NULL, T0 + 10, T0),
        crumb_store_revoke_all(s, T0, T0),
        crumb_store_check(s, &q, &r),
        crumb_store_family_get(s, &f, &v, NULL, T0),
        crumb_store_family_advance(s, &f, 0, 1, T0 + 10, T0, NULL),
        crumb_store_device_seen(s, "t", "u", &sg, T0, NULL),
        crumb_store_device_list(s, "t", "u", &dv, 1, &n),
        crumb_store_device_find(s, "t", "u", fp, &dv),
        crumb_store_device_set_trust(s, "t", "u", &f, CRUMB_TRUST_SEEN, T0),
        crumb_store_device_delete(s, "t", "u", &f),
        crumb_store_index_put(s, "t", "u", &in, T0),
        crumb_store_index_list(s, "t", "u", &in, 1, &n, T0),
        crumb_store_index_delete(s, "t", "u", &k),
        crumb_store_sweep(s, T0, NULL, &c),
    };
    int ok = 0;
    for (size_t i = 0; i < sizeof rc / sizeof rc[0]; i++)
        ok += rc[i] == CRUMB_OK;
    return ok;
}

/* A version-1 table of exactly the v1 size: every slot callable, nothing
 * read past the end; a table with version 0 (or negative) is never called. */
static void test_version_gating(void)
{
    CHECK_INT(crumb_store__table_size(1), CRUMB_STORE_METHODS_V1_SIZE);
    CHECK_INT(crumb_store__table_size(2), CRUMB_STORE_METHODS_V2_SIZE);
    CHECK_INT(crumb_store__table_size(0), 0);
    CHECK_INT(crumb_store__table_size(-5), 0);
    CHECK_INT(crumb_store__table_size(CRUMB_STORE_METHODS_VERSION),
              sizeof(crumb_store_methods));

    spy sp = {{NULL}, 0};
    crumb_store_methods *t = v1_table(1);
    sp.base.methods = t;
    CHECK_INT(call_all(&sp.base), 23);
    CHECK_INT(sp.calls, 23);
#if CRUMB_STORE_METHODS_VERSION >= 2
    /* the version-2 slot of a version-1 table is absent, and reading that
     * fact does not touch memory past the table (ASan) */
    CHECK(CRUMB_STORE__SLOT(&sp.base, verify) == 0);
#endif
    /* nor is the version-3 naming slot: HMAC names, nothing read past */
    CHECK_INT(crumb_store_naming_get(&sp.base), CRUMB_STORE_NAMING_HMAC);
    /* a cache over a v1-sized table mirrors only v1 slots */
    crumb_store *c = NULL;
    CHECK_OK(crumb_store_cache_open(&c, &sp.base, NULL));
    crumb_store_cache_invalidate(c);
    crumb_store_close(c);
    sc_v1_free(t);

    for (int ver = -1; ver <= 0; ver++) {
        t = v1_table(ver);
        sp.base.methods = t;
        sp.calls = 0;
        CHECK_INT(call_all(&sp.base), 0);
        CHECK_INT(crumb_store_health(&sp.base, T0), CRUMB_E_INVALID);
        crumb_store_close(&sp.base);
        CHECK_INT(sp.calls, 0);
        CHECK(crumb_store_cache_open(&c, &sp.base, NULL) == CRUMB_E_INVALID);
        CHECK_INT(strcmp(crumb_store_name(&sp.base), ""), 0);
        sc_v1_free(t);
    }
    sp.base.methods = NULL;
    CHECK_INT(crumb_store_health(&sp.base, T0), CRUMB_E_INVALID);
    crumb_store_close(&sp.base);
}

static void test_validation_users(spy *sp);

/* Every malformed call is refused by the wrapper: the store never sees it. */
static void test_validation(void)
{
    spy sp = {{&spy_methods}, 0};
    crumb_store *s = &sp.base;
    crumb_store_key k = {{1}};
    crumb_store_id f = {{2}};
    uint8_t d[4] = {0};
    size_t n = 0;
    uint64_t v = 0;
    char longname[CRUMB_STORE_NAME_MAX + 2];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0'; /* 256 bytes: one too many */
    const crumb_err inv = CRUMB_E_INVALID;

    CHECK_INT(crumb_store_put(s, NULL, d, 1, T0 + 1, 0, &v, T0), inv);
    CHECK_INT(crumb_store_put(s, &k, NULL, 1, T0 + 1, 0, &v, T0), inv);
    CHECK_INT(crumb_store_put(s, &k, d, 1, T0, 0, &v, T0), inv);
    CHECK_INT(crumb_store_put(s, &k, d, CRUMB_STORE_DATA_MAX + 1, T0 + 1, 0, &v, T0),
              CRUMB_E_TOO_LARGE);
    CHECK_INT(crumb_store_get(s, NULL, d, 4, &n, NULL, NULL, T0), inv);
    CHECK_INT(crumb_store_get(s, &k, NULL, 4, &n, NULL, NULL, T0), inv);
    CHECK_INT(crumb_store_get(s, &k, d, 4, NULL, NULL, NULL, T0), inv);
    CHECK_INT(crumb_store_touch(s, &k, T0, T0), inv);
    CHECK_INT(crumb_store_delete(s, NULL), inv);
    CHECK_INT(crumb_store_revoke_session(s, NULL, T0 + 1, T0), inv);
    CHECK_INT(crumb_store_revoke_session(s, &k, T0, T0), inv);
    CHECK_INT(crumb_store_revoke_family(s, NULL, T0 + 1, T0), inv);
    CHECK_INT(crumb_store_revoke_device(s, "t", NULL, &f, T0 + 1, T0), inv);
    CHECK_INT(crumb_store_revoke_device(s, longname, "u", &f, T0 + 1, T0), inv);
    CHECK_INT(crumb_store_revoke_device(s, "t", "u", NULL, T0 + 1, T0), inv);
    CHECK_INT(crumb_store_revoke_user(s, "t", longname, T0, NULL, T0 + 1, T0), inv);
    CHECK_INT(crumb_store_revoke_user(s, "t", "u", T0, NULL, T0 - 1, T0), inv);

    crumb_store_check_req q = {&k, &f, 1, NULL, NULL, &f, T0, T0}; /* device, no user */
    crumb_store_check_res r;
    CHECK_INT(crumb_store_check(s, &q, &r), inv);
    q.device = NULL;
    q.user = longname;
    CHECK_INT(crumb_store_check(s, &q, &r), inv);
    CHECK_INT(crumb_store_check(s, NULL, &r), inv);

    CHECK_INT(sp.calls, 0);
    test_validation_users(&sp);
}

/* The device, index and family wrappers refuse malformed calls too. */
static void test_validation_users(spy *sp)
{
    crumb_store *s = &sp->base;
    crumb_store_key k = {{1}};
    crumb_store_id f = {{2}};
    uint8_t fp[CRUMB_STORE_FPBYTES] = {0};
    size_t n = 0;
    char longname[CRUMB_STORE_NAME_MAX + 2];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    crumb_store_device dv;
    crumb_store_session_info in;
    memset(&in, 0, sizeof in);
    in.expires_at = T0 + 10;
    crumb_store_sighting sg;
    memset(&sg, 0, sizeof sg);
    const crumb_err inv = CRUMB_E_INVALID;

    CHECK_INT(crumb_store_family_get(s, &f, NULL, NULL, T0), inv);
    CHECK_INT(crumb_store_family_advance(s, &f, 3, 3, T0 + 1, T0, NULL), inv);
    CHECK_INT(crumb_store_family_advance(s, NULL, 0, 1, T0 + 1, T0, NULL), inv);
    CHECK_INT(crumb_store_device_seen(s, "t", "u", NULL, T0, NULL), inv);
    sg.label = longname;
    CHECK_INT(crumb_store_device_seen(s, "t", "u", &sg, T0, NULL), inv);
    sg.label = NULL;
    sg.ip_prefix = longname;
    CHECK_INT(crumb_store_device_seen(s, "t", "u", &sg, T0, NULL), inv);
    CHECK_INT(crumb_store_device_list(s, "t", "u", NULL, 1, &n), inv);
    CHECK_INT(crumb_store_device_list(s, "t", "u", &dv, 1, NULL), inv);
    CHECK_INT(crumb_store_device_find(s, "t", "u", NULL, &dv), inv);
    CHECK_INT(crumb_store_device_find(s, "t", "u", fp, NULL), inv);
    CHECK_INT(crumb_store_device_set_trust(s, "t", "u", &f, 4, T0), inv);
    CHECK_INT(crumb_store_device_set_trust(s, "t", "u", &f, -1, T0), inv);
    CHECK_INT(crumb_store_device_delete(s, NULL, NULL, &f), inv);
    CHECK_INT(crumb_store_index_put(s, "t", "u", &in, T0 + 10), inv); /* expired */
    memset(in.label, 'x', sizeof in.label);                           /* unterminated */
    CHECK_INT(crumb_store_index_put(s, "t", "u", &in, T0), inv);
    CHECK_INT(crumb_store_index_list(s, "t", "u", NULL, 2, &n, T0), inv);
    CHECK_INT(crumb_store_index_delete(s, "t", "u", NULL), inv);
    CHECK_INT(crumb_store_index_delete(s, "t", longname, &k), inv);
    CHECK_INT(sp->calls, 0);
    /* the boundary itself passes: 255-byte names */
    longname[CRUMB_STORE_NAME_MAX] = '\0';
    CHECK_OK(crumb_store_revoke_user(s, longname, longname, T0, NULL, T0 + 1, T0));
    CHECK_INT(sp->calls, 1);
}

/* The cache recognises itself by identity, not by the name "cache". */
static void test_cache_identity(void)
{
    crumb_store_methods *t = v1_table(1);
    t->name = "cache";
    spy sp = {{t}, 0};
    crumb_store_cache_invalidate(&sp.base); /* a store named "cache" is not a cache */
    CHECK_INT(sp.calls, 0);
    crumb_store *m = NULL, *c = NULL;
    CHECK_OK(crumb_store_memory_open(&m, NULL));
    crumb_store_cache_config cfg = {.ttl = 100, .own_inner = 1};
    CHECK_OK(crumb_store_cache_open(&c, m, &cfg));
    crumb_store_key k = {{7}};
    crumb_store_check_req q = {&k, NULL, 0, NULL, NULL, NULL, T0, T0};
    crumb_store_check_res r;
    CHECK_OK(crumb_store_check(c, &q, &r));               /* cached: not revoked */
    CHECK_OK(crumb_store_revoke_session(m, &k, T0 + 50, T0)); /* behind its back */
    CHECK_OK(crumb_store_check(c, &q, &r));               /* still the cached answer */
    crumb_store_cache_invalidate(c);
    CHECK_INT(crumb_store_check(c, &q, &r), CRUMB_E_REVOKED);
    crumb_store_close(c);
    sc_v1_free(t);
}

int main(void)
{
    test_version_gating();
    test_validation();
    test_cache_identity();
    return check_done("test_store_iface");
}
