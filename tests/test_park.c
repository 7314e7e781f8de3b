/*
 * test_park.c - the per-thread kept block behind the session object
 * (alloc.c crumb__park_*): a block handed back is all zero whatever the
 * session held; a session loaded after a signed-in one shows nothing of
 * it; blocks of another size are never handed out; threads that exit free
 * their block (run under ASan/LSan and valgrind by make check); the fault
 * hook still counts a reused block as an allocation; and a session cookie
 * with a '.' past its chunk count is refused.
 */
#include "check.h"
#include "session.h"

#include <pthread.h>

static const uint8_t key[32] = {7, 7, 7};

static crumb_ctx *make_ctx(crumb_keyring **kr)
{
    crumb_ctx *ctx = NULL;
    crumb_ctx_config c = {.cookie_name = "sid", .insecure = 1};
    CHECK_OK(crumb_keyring_new(kr));
    CHECK_OK(crumb_keyring_add(*kr, 1, CRUMB_KEY_PRIMARY, key));
    CHECK_OK(crumb_ctx_new(&ctx, *kr, &c));
    return ctx;
}

/* 1 if n bytes at p are all zero. */
static int all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= b[i];
    return acc == 0;
}

/* A dirty block given back comes out all zero; another size is not reused. */
static void test_block(void)
{
    size_t n = 1944;
    uint8_t *a = crumb__park_calloc(n);
    CHECK(a && all_zero(a, n));
    memset(a, 0xA5, n); /* a session's secrets */
    crumb__park_free(a, n);
    uint8_t *b = crumb__park_calloc(n);
    CHECK(b == a);        /* the thread's kept block came back */
    CHECK(b && all_zero(b, n)); /* wiped, size word cleared too */
    memset(b, 0x5A, n);
    crumb__park_free(b, n);
    uint8_t *c = crumb__park_calloc(n + 16); /* another size: a fresh block */
    CHECK(c != b);
    CHECK(c && all_zero(c, n + 16));
    crumb__park_free(c, n + 16); /* the slot is taken: freed */
    uint8_t *d = crumb__park_calloc(n);
    CHECK(d == b && all_zero(d, n));
    crumb__park_free(d, n);
}

/* A signed-in session with data, a long id and a fingerprint, freed; the
 * next load of the same thread (no cookie) starts from nothing. */
static void test_no_residue(void)
{
    crumb_keyring *kr;
    crumb_ctx *ctx = make_ctx(&kr);
    crumb_session *s = NULL;
    char user[CRUMB_ID_MAX + 1];
    memset(user, 'u', CRUMB_ID_MAX);
    user[CRUMB_ID_MAX] = 0;
    CHECK_OK(crumb_session_load(&s, ctx, NULL));
    CHECK_OK(crumb_session_set_user(s, user, CRUMB_ID_MAX));
    CHECK_OK(crumb_session_set_tenant(s, "acme", 4));
    CHECK_OK(crumb_session_set(s, "cart", "3 items", 7));
    CHECK_OK(crumb_session_set_client(s, "Mozilla/5.0", "192.0.2.7"));
    crumb_session *old = s;
    crumb_session_free(s);
    CHECK_OK(crumb_session_load(&s, ctx, NULL));
    CHECK(s == old); /* the kept block, so this checks its wipe */
    const crumb_payload *p = crumb_session_payload(s);
    CHECK_INT(p->user_len, 0);
    CHECK(all_zero(p->user, sizeof p->user));
    CHECK(all_zero(p->tenant, sizeof p->tenant));
    CHECK_INT(p->data_len, 0);
    CHECK(all_zero(s->small, sizeof s->small));
    CHECK(all_zero(&s->client, sizeof s->client));
    CHECK(all_zero(&s->p.ext, sizeof s->p.ext));
    const uint8_t *val = NULL;
    size_t vl = 0;
    CHECK_INT(crumb_session_get(s, "cart", &val, &vl), CRUMB_E_NOTFOUND);
    crumb_session_free(s);
    crumb_ctx_free(ctx);
    crumb_keyring_free(kr);
}

/* Threads that load and free sessions and exit: their kept blocks are
 * freed by the key destructor (a leak otherwise, which LSan and valgrind
 * report); one thread also frees a second session while one is kept. */
static void *worker(void *arg)
{
    crumb_ctx *ctx = arg;
    for (int i = 0; i < 50; i++) {
        crumb_session *a = NULL, *b = NULL;
        if (crumb_session_load(&a, ctx, NULL) != CRUMB_OK ||
            crumb_session_load(&b, ctx, NULL) != CRUMB_OK)
            return (void *)1;
        crumb_session_free(a);
        crumb_session_free(b);
    }
    return NULL;
}

static void test_threads(void)
{
    crumb_keyring *kr;
    crumb_ctx *ctx = make_ctx(&kr);
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        CHECK_INT(pthread_create(&t[i], NULL, worker, ctx), 0);
    for (int i = 0; i < 8; i++) {
        void *r = (void *)1;
        CHECK_INT(pthread_join(t[i], &r), 0);
        CHECK(r == NULL);
    }
    crumb_ctx_free(ctx);
    crumb_keyring_free(kr);
}

/* The fault hook sees a reused block as an allocation: failing the first
 * allocation of a load fails it even when a block is kept. */
static void test_fault_hook(void)
{
    crumb_keyring *kr;
    crumb_ctx *ctx = make_ctx(&kr);
    crumb_session *s = NULL;
    CHECK_OK(crumb_session_load(&s, ctx, NULL));
    crumb_session_free(s); /* now kept */
    (void)crumb__alloc_fail_at(1, 0);
    CHECK_INT(crumb_session_load(&s, ctx, NULL), CRUMB_E_NOMEM);
    CHECK(s == NULL);
    (void)crumb__alloc_fail_at(0, 0);
    CHECK_OK(crumb_session_load(&s, ctx, NULL));
    crumb_session_free(s);
    crumb_ctx_free(ctx);
    crumb_keyring_free(kr);
}

/* The chunk count is looked for in the first 3 bytes only: a '.' further
 * into the value must still be refused (by the strict base64url decoder). */
static void test_late_dot(void)
{
    crumb_keyring *kr;
    crumb_ctx *ctx = make_ctx(&kr);
    crumb_session *s = NULL;
    const char *const *lines;
    size_t n = 0;
    char hdr[1024], v[900];
    CHECK_OK(crumb_session_load(&s, ctx, NULL));
    CHECK_OK(crumb_session_set(s, "k", "v", 1));
    CHECK_OK(crumb_session_save(s, &lines, &n));
    CHECK_INT(n, 1);
    const char *v0 = strchr(lines[0], '=') + 1, *end = strchr(v0, ';');
    int vl = (int)(end - v0);
    CHECK(vl > 0 && vl < (int)sizeof v);
    snprintf(v, sizeof v, "%.*s", vl, v0); /* the lines go with the session */
    crumb_session_free(s);
    for (int at = 0; at < vl; at += 7) { /* '.' replacing byte at, or inserted */
        snprintf(hdr, sizeof hdr, "sid=%.*s.%s", at, v, v + at + 1);
        hdr[4 + vl] = 0;
        CHECK(crumb_session_load(&s, ctx, hdr) != CRUMB_OK);
        CHECK(s && crumb_session_is_new(s));
        crumb_session_free(s);
    }
    snprintf(hdr, sizeof hdr, "sid=%.*s", vl, v); /* the intact cookie opens */
    CHECK_OK(crumb_session_load(&s, ctx, hdr));
    CHECK(s && !crumb_session_is_new(s));
    crumb_session_free(s);
    crumb_ctx_free(ctx);
    crumb_keyring_free(kr);
}

int main(void)
{
    test_block();
    test_no_residue();
    test_threads();
    test_fault_hook();
    test_late_dot();
    return check_done("test_park");
}
