/*
 * test_store_naming.c - how session ids become the keys a store sees
 * (docs/STORE.md, "Session names"), written as attacks: the operator who
 * revokes a stolen session by its documented name, over every store x seal
 * suite x store mode, through a cache, and on a file store an earlier
 * release made (identity version 1); a store written for an older
 * table version keeps the HMAC names that persist; a store that answers a
 * naming the library does not know is refused when the context is made.
 */
#include "check.h"
#include "crumb.h"
#include "crumb_store.h"
#include "internal.h"
#include "jar.h"
#include "matrix.h"
#include "names.h"
#include "session_env.h"
#include "store_conformance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t secret[32] = "naming test store secret........";
static crumb_keyring *ring;
static int want_naming; /* the naming the store under test must report */
static char sentinel;   /* what a context pointer holds before crumb_ctx_new */

static crumb_ctx *ctx_on(crumb_store *st, int suite, int mode)
{
    env e = {.st = st, .suite = suite, .mode = mode};
    crumb_ctx_config c = {0};
    crumb_ctx *ctx = NULL;
    env_config(&c, &e, secret);
    CHECK_OK(crumb_ctx_new(&ctx, ring, &c));
    if (!ctx)
        abort();
    return ctx;
}

/* One request with the jar's cookies: the load's result; *user_len and
 * sid (may be NULL) receive what the loaded session holds. */
static crumb_err visit(crumb_ctx *ctx, const jar *j, size_t *user_len, uint8_t *sid)
{
    crumb_session *s = NULL;
    crumb_err rc = crumb_session_load(&s, ctx, jar_header(j));
    if (!s)
        abort();
    *user_len = crumb_session_payload(s)->user_len;
    if (sid)
        memcpy(sid, crumb_session_payload(s)->sid, CRUMB_SID_BYTES);
    crumb_session_free(s);
    return rc;
}

/* Sign in as user; sid receives the id of the session the jar now holds. */
static void login(crumb_ctx *ctx, jar *j, const char *user, uint8_t sid[CRUMB_SID_BYTES])
{
    crumb_session *s = NULL;
    const char *const *lines;
    size_t n = 0, ul = 0;
    CHECK_OK(crumb_session_load(&s, ctx, jar_header(j)));
    if (!s)
        abort();
    CHECK_OK(crumb_session_rotate(s));
    CHECK_OK(crumb_session_set_user(s, user, strlen(user)));
    CHECK_OK(crumb_session_save(s, &lines, &n));
    jar_apply(j, lines, n);
    crumb_session_free(s);
    CHECK_OK(visit(ctx, j, &ul, sid));
    CHECK_INT(ul, strlen(user));
}

/* The thief holds a copy of the cookie; the operator revokes the session by
 * the name docs/STORE.md documents (computed here, not by the library).
 * A name of the other naming must not reach the session, the documented one
 * must end it: a library that named the session otherwise fails both. */
static void revoke_by_name(int suite, int mode, void *arg)
{
    env *e = arg;
    uint8_t sid[CRUMB_SID_BYTES], rec[CRUMB_STORE_DATA_MAX];
    crumb_store_key key, hmac;
    char u[64];
    size_t ul = 0, len = 0;
    jar j = {0};
    int f0 = check_failures;
    CHECK_INT(crumb_store_naming_get(e->st), want_naming);
    crumb_ctx *ctx = ctx_on(e->st, suite, mode);
    new_user(u, sizeof u, "named");
    login(ctx, &j, u, sid);
    CHECK(names_session_key(e->st, secret, sid, &key) == 0);
    CHECK(crumb__hmac_sha256(hmac.b, secret, 32, (const uint8_t *)"sid", 3, sid,
                             CRUMB_SID_BYTES) == 0);
    if (mode == CRUMB_MODE_SERVER) /* the record lives under that name */
        CHECK_OK(crumb_store_get(e->st, &key, rec, sizeof rec, &len, NULL, NULL, fake_now));
    if (memcmp(key.b, hmac.b, sizeof key.b) != 0) { /* ephemeral names */
        CHECK_OK(crumb_store_revoke_session(e->st, &hmac, fake_now + 3600, fake_now));
        CHECK_OK(visit(ctx, &j, &ul, NULL));
        CHECK_INT(ul, strlen(u));
    }
    CHECK_OK(crumb_store_revoke_session(e->st, &key, fake_now + 3600, fake_now));
    CHECK_INT(visit(ctx, &j, &ul, NULL), CRUMB_E_REVOKED);
    CHECK_INT(ul, 0);
    crumb_ctx_free(ctx);
    printf("  %s store, suite %d, %s: %s\n", e->store_name, suite,
           mode == CRUMB_MODE_SERVER ? "server" : "stateless+store",
           check_failures == f0 ? "ok" : "FAILED");
}

/* matrix_fn: the memory store's names are ephemeral, the others' persist. */
static void run_matrix_store(const matrix_store *ms, void *arg)
{
    want_naming = strcmp(ms->name, "memory") == 0 ? CRUMB_STORE_NAMING_EPHEMERAL
                                                  : CRUMB_STORE_NAMING_HMAC;
    run_store(ms, arg);
}

/* A cache answers with its inner store's naming: over the memory store
 * ephemeral names, over the file store the HMAC names that persist. */
static void cache_naming(env *e)
{
    char dir[64] = "/tmp/crumb-naming-cache-XXXXXX";
    crumb_store *inner = NULL;
    crumb_store_cache_config cc = {.own_inner = 1};
    matrix_store ms = {NULL, "cache over memory", 0};
    CHECK_OK(crumb_store_memory_open(&inner, NULL));
    CHECK_OK(crumb_store_cache_open(&ms.st, inner, &cc));
    want_naming = CRUMB_STORE_NAMING_EPHEMERAL;
    if (ms.st)
        run_store(&ms, e);
    crumb_store_close(ms.st);
    CHECK(mkdtemp(dir) != NULL);
    CHECK_OK(crumb_store_file_open(&inner, dir, NULL));
    CHECK_OK(crumb_store_cache_open(&ms.st, inner, &cc));
    ms.name = "cache over file";
    want_naming = CRUMB_STORE_NAMING_HMAC;
    if (ms.st)
        run_store(&ms, e);
    crumb_store_close(ms.st);
    CHECK_INT(matrix_rmrf(dir), 0);
}

/* The upgrade, over every suite and mode: a file store an earlier release
 * made (identity version 1, HMAC path names) serves this build, and a
 * session the operator revokes by its documented name stays refused. The
 * store keeps version 1 throughout. */
static void file_version1(env *e)
{
    static const uint8_t fsecret[32] = "naming test file store secret...";
    crumb_store_file_config fc = {.secret = fsecret, .no_fsync = 1};
    char dir[64] = "/tmp/crumb-naming-v1-XXXXXX";
    uint8_t id[64];
    matrix_store ms = {NULL, "file of version 1", 0};
    CHECK(mkdtemp(dir) != NULL);
    CHECK_OK(crumb_store_file_open(&ms.st, dir, &fc)); /* made by this build */
    crumb_store_close(ms.st);
    ms.st = NULL;
    CHECK_INT(names_file_set_version(dir, fsecret, 1), 0); /* as an earlier release made it */
    CHECK_OK(crumb_store_file_open(&ms.st, dir, &fc));
    want_naming = CRUMB_STORE_NAMING_HMAC;
    if (ms.st)
        run_store(&ms, e);
    crumb_store_close(ms.st);
    CHECK(names_file_identity(dir, id) && id[4] == 1);
    CHECK_INT(matrix_rmrf(dir), 0);
}

/* A memory store seen through a table written for version 1 or 2 (no
 * naming slot; its bytes past the old table are garbage, and poisoned under
 * ASan): the context must use the HMAC names and never read the slot. */
static void old_tables(env *e)
{
    static const size_t size[] = {CRUMB_STORE_METHODS_V1_SIZE, CRUMB_STORE_METHODS_V2_SIZE};
    for (int v = 1; v <= 2; v++) {
        crumb_store *st = NULL;
        CHECK_OK(crumb_store_memory_open(&st, NULL));
        if (!st)
            return;
        const crumb_store_methods *orig = st->methods;
        crumb_store_methods *t = sc_table(orig, v, size[v - 1]);
        if (!t)
            abort();
        st->methods = t;
        matrix_store ms = {st, v == 1 ? "memory as version 1" : "memory as version 2", 0};
        want_naming = CRUMB_STORE_NAMING_HMAC;
        run_store(&ms, e);
        st->methods = orig;
        crumb_store_close(st);
        sc_table_free(t);
    }
}

static int naming_two(crumb_store *s)
{
    (void)s;
    return 2;
}

static int naming_negative(crumb_store *s)
{
    (void)s;
    return -1;
}

/* A store that answers a naming this library does not know (a newer one,
 * or garbage): no context is made on it, in either store mode, since
 * sessions named otherwise than the store expects would escape its
 * revocations. */
static void unknown_naming_refused(void)
{
    int (*const answers[])(crumb_store *) = {naming_two, naming_negative};
    crumb_store *st = NULL;
    CHECK_OK(crumb_store_memory_open(&st, NULL));
    if (!st)
        return;
    const crumb_store_methods *orig = st->methods;
    crumb_store_methods t = *orig;
    st->methods = &t;
    for (size_t i = 0; i < 2; i++) {
        t.naming = answers[i];
        for (int mode = CRUMB_MODE_STATELESS_STORE; mode <= CRUMB_MODE_SERVER; mode++) {
            env e = {.st = st, .suite = CRUMB_SUITE_AES256GCM, .mode = mode};
            crumb_ctx_config c = {0};
            crumb_ctx *ctx = (crumb_ctx *)(void *)&sentinel; /* must become NULL */
            env_config(&c, &e, secret);
            CHECK_INT(crumb_ctx_new(&ctx, ring, &c), CRUMB_E_UNSUPPORTED);
            CHECK(ctx == NULL);
        }
    }
    st->methods = orig;
    crumb_store_close(st);
}

int main(void)
{
    env e = {.cell = revoke_by_name};
    uint8_t key[32];
    check_seed();
    env_keyring(&e, key);
    ring = e.kr;
    unknown_naming_refused();
    printf("unknown naming refused: %s\n", check_failures ? "FAILED" : "ok");
    old_tables(&e);
    cache_naming(&e);
    file_version1(&e);
    crumb_store_redis_config rcfg = {.command_timeout_ms = 300, .prefix = "naming:"};
    matrix_run(MATRIX_ALL, "naming", &rcfg, run_matrix_store, &e);
    crumb_keyring_free(e.kr);
    return check_done("test_store_naming");
}
