/*
 * test_session.c - the session API end to end in stateless mode: round
 * trip through Set-Cookie and Cookie (a tiny simulated browser jar), data
 * set/get/del/iterate and limits, rotate, logout, migrate hook and re-issue,
 * newer payload version, reseal under a decrypt-only key, tampering, every
 * size policy (error, compress, chunk with stale-chunk deletion, mixed and
 * partial chunk sets failing closed), compression and padding, the mode
 * slots, allocation failures, the CGI helpers through HTTP_COOKIE and a
 * FILE*, and sessions on either side of the load's and save's in-place
 * buffers.
 */
#include "check.h"
#include "session.h"

/* ---- a minimal browser cookie jar ---- */
#define JAR_MAX 40
static struct {
    char name[64];
    char value[CRUMB_COOKIE_LINE_MAX];
} jar[JAR_MAX];
static size_t jar_n;
static char header[JAR_MAX * (CRUMB_COOKIE_LINE_MAX + 70)];

static void jar_clear(void)
{
    jar_n = 0;
}

/* Apply Set-Cookie lines: store name=value, or delete on Max-Age=0. */
static void jar_apply(const char *const *lines, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(lines[i], '='), *semi = strchr(lines[i], ';');
        size_t nl = (size_t)(eq - lines[i]), vl = (size_t)(semi - eq - 1);
        int del = strstr(lines[i], "; Max-Age=0;") != NULL;
        size_t j;
        for (j = 0; j < jar_n; j++)
            if (strlen(jar[j].name) == nl && memcmp(jar[j].name, lines[i], nl) == 0)
                break;
        if (del) {
            if (j < jar_n)
                jar[j] = jar[--jar_n];
            continue;
        }
        if (j == jar_n)
            jar_n++;
        memcpy(jar[j].name, lines[i], nl);
        jar[j].name[nl] = '\0';
        memcpy(jar[j].value, eq + 1, vl);
        jar[j].value[vl] = '\0';
    }
}

/* The Cookie header the browser would send (unrelated cookies around ours). */
static const char *jar_header(void)
{
    size_t off = (size_t)sprintf(header, "theme=dark; ");
    for (size_t j = jar_n; j-- > 0;) /* reverse order: chunks before the head */
        off += (size_t)sprintf(header + off, "%s=%s; ", jar[j].name, jar[j].value);
    sprintf(header + off, "lang=en");
    return header;
}

/* Count jar entries whose name starts with prefix. */
static size_t jar_count(const char *prefix)
{
    size_t c = 0;
    for (size_t j = 0; j < jar_n; j++)
        c += strncmp(jar[j].name, prefix, strlen(prefix)) == 0;
    return c;
}

/* ---- fixtures ---- */
static int64_t fake_now = 1700000000;
static int64_t test_clock(void *ctx)
{
    (void)ctx;
    return fake_now;
}

static int log_reasons[64], log_n;
static void test_log(void *ctx, const crumb_event *ev)
{
    (void)ctx;
    if (log_n < 64)
        log_reasons[log_n++] = ev->reason;
}

/* 1 if reason r was logged since the last reset. */
static int logged(int r)
{
    for (int i = 0; i < log_n; i++)
        if (log_reasons[i] == r)
            return 1;
    return 0;
}

static crumb_keyring *make_ring(uint32_t primary, uint32_t decrypt_only)
{
    crumb_keyring *kr = NULL;
    uint8_t key[32];
    if (crumb_keyring_new(&kr))
        abort();
    memset(key, (int)primary, sizeof key);
    if (crumb_keyring_add(kr, primary, CRUMB_KEY_PRIMARY, key))
        abort();
    if (decrypt_only) {
        memset(key, (int)decrypt_only, sizeof key);
        if (crumb_keyring_add(kr, decrypt_only, CRUMB_KEY_DECRYPT_ONLY, key))
            abort();
    }
    return kr;
}

static crumb_ctx_config base_cfg(void)
{
    crumb_ctx_config c = {.cookie_name = "__Host-sid", .clock = test_clock, .log = test_log};
    return c;
}

static crumb_ctx *make_ctx(const crumb_keyring *kr, const crumb_ctx_config *c)
{
    crumb_ctx *ctx = NULL;
    crumb_err rc = crumb_ctx_new(&ctx, kr, c);
    if (rc) {
        fprintf(stderr, "crumb_ctx_new: %s\n", crumb_strerror(rc));
        abort();
    }
    return ctx;
}

/* load(jar) -> s, with the expected return code. */
static crumb_session *load(crumb_ctx *ctx, crumb_err want)
{
    crumb_session *s = NULL;
    log_n = 0;
    CHECK_INT(crumb_session_load(&s, ctx, jar_header()), want);
    CHECK(s != NULL);
    if (!s)
        abort();
    return s;
}

/* save s into the jar; returns the number of lines. */
static size_t save(crumb_session *s, crumb_err want)
{
    const char *const *lines = NULL;
    size_t n = 99;
    CHECK_INT(crumb_session_save(s, &lines, &n), want);
    if (want == CRUMB_OK)
        jar_apply(lines, n);
    else
        CHECK_INT(n, 0);
    return n;
}

/* ---- tests ---- */

static void test_round_trip(void)
{
    crumb_keyring *kr = make_ring(1, 0);
    crumb_ctx_config c = base_cfg();
    crumb_ctx *ctx = make_ctx(kr, &c);
    jar_clear();

    crumb_session *s = NULL;
    CHECK_OK(crumb_session_load(&s, ctx, NULL));
    CHECK(crumb_session_is_new(s));
    CHECK_INT(save(s, CRUMB_OK), 0); /* nothing to say for an untouched visitor */
    crumb_session_free(s);
    CHECK_OK(crumb_session_load(&s, ctx, ""));
    crumb_session_free(s);

    s = load(ctx, CRUMB_OK);
    CHECK(crumb_session_is_new(s));
    CHECK_OK(crumb_session_set_user(s, "alice", 5));
    CHECK_OK(crumb_session_set_tenant(s, "acme", 4));
    CHECK_OK(crumb_session_set_device(s, "laptop-7", 8));
    crumb_auth a = {.state = CRUMB_AUTH_AUTHENTICATED, .factors = CRUMB_FACTOR_PASSWORD | CRUMB_FACTOR_TOTP,
                    .remaining = 99, .time = fake_now - 300};
    CHECK_OK(crumb_session_set_auth(s, &a));
    CHECK_OK(crumb_session_set(s, "cart", "\x00\x01\x02", 3));
    CHECK_OK(crumb_session_set(s, "b", "", 0));
    CHECK_OK(crumb_session_set(s, "a", "first", 5));
    CHECK_OK(crumb_session_set(s, "a", "second", 6)); /* replace */
    uint8_t sid[16], fam[16];
    memcpy(sid, crumb_session_payload(s)->sid, 16);
    memcpy(fam, crumb_session_payload(s)->family, 16);
    CHECK_INT(save(s, CRUMB_OK), 1);
    CHECK(crumb_session_cookie_size(s) > 100 && crumb_session_cookie_size(s) < 600);
    printf("cookie line: %zu bytes\n", crumb_session_cookie_size(s));
    crumb_session_free(s);

    s = load(ctx, CRUMB_OK);
    const crumb_payload *p = crumb_session_payload(s);
    CHECK(!crumb_session_is_new(s));
    CHECK_MEM(p->sid, sid, 16);
    CHECK_MEM(p->family, fam, 16);
    CHECK(p->user_len == 5 && strcmp(p->user, "alice") == 0);
    CHECK(p->tenant_len == 4 && strcmp(p->tenant, "acme") == 0);
    CHECK(p->device_len == 8 && strcmp(p->device, "laptop-7") == 0);
    CHECK_INT(p->auth.state, CRUMB_AUTH_AUTHENTICATED);
    CHECK_INT(p->auth.factors, CRUMB_FACTOR_PASSWORD | CRUMB_FACTOR_TOTP);
    CHECK_INT(p->auth.remaining, 0); /* not a field of this state */
    CHECK_INT(p->auth.time, fake_now - 300);
    CHECK(crumb_session_auth_fresh(s, 600));
    CHECK(!crumb_session_auth_fresh(s, 60));
    const uint8_t *v;
    size_t vl;
    CHECK_OK(crumb_session_get(s, "a", &v, &vl));
    CHECK(vl == 6 && memcmp(v, "second", 6) == 0);
    CHECK_OK(crumb_session_get(s, "cart", &v, &vl));
    CHECK(vl == 3 && memcmp(v, "\x00\x01\x02", 3) == 0);
    CHECK_OK(crumb_session_get(s, "b", &v, &vl));
    CHECK_INT(vl, 0);
    CHECK_INT(crumb_session_get(s, "zz", &v, &vl), CRUMB_E_NOTFOUND);
    /* iteration in key order */
    const char *order[] = {"a", "b", "cart"};
    size_t pos = 0, i = 0, kl;
    const char *k;
    while (crumb_session_next(s, &pos, &k, &kl, &v, &vl)) {
        CHECK(i < 3 && kl == strlen(order[i]) && memcmp(k, order[i], kl) == 0);
        i++;
    }
    CHECK_INT(i, 3);
    CHECK_INT(save(s, CRUMB_OK), 0); /* unchanged and renewal not due: no re-seal */
    CHECK_OK(crumb_session_del(s, "b"));
    CHECK_INT(crumb_session_del(s, "b"), CRUMB_E_NOTFOUND);
    CHECK_INT(save(s, CRUMB_OK), 1);
    crumb_session_free(s);

    /* rotate: new id, generation + 1, same family (the login above started
     * the family at generation 1) */
    s = load(ctx, CRUMB_OK);
    CHECK_INT(crumb_session_payload(s)->generation, 1);
    CHECK_OK(crumb_session_rotate(s));
    CHECK(memcmp(crumb_session_payload(s)->sid, sid, 16) != 0);
    CHECK_INT(save(s, CRUMB_OK), 1);
    crumb_session_free(s);
    s = load(ctx, CRUMB_OK);
    CHECK_INT(crumb_session_payload(s)->generation, 2);
    CHECK_MEM(crumb_session_payload(s)->family, fam, 16);
    CHECK_INT(crumb_session_get(s, "b", &v, &vl), CRUMB_E_NOTFOUND);

    /* logout: deletion line, jar empty, next load is fresh */
    CHECK_OK(crumb_session_logout(s));
    CHECK_INT(save(s, CRUMB_OK), 1);
    CHECK_INT(jar_count("__Host-sid"), 0);
    crumb_session_free(s);
    s = load(ctx, CRUMB_OK);
    CHECK(crumb_session_is_new(s));
    CHECK_INT(crumb_session_payload(s)->user_len, 0);
    crumb_session_free(s);

    crumb_ctx_free(ctx);
    crumb_keyring_free(kr);
}

static void test_data_limits(void)
{
    crumb_keyring *kr = make_ring(1, 0);
    crumb_ctx_config c = base_cfg();
    crumb_ctx *ctx = make_ctx(kr, &c);
    crumb_session *s = NULL;
    CHECK_OK(crumb_session_load(&s, ctx, NULL));
    char key[300];
    memset(key, 'k', sizeof key);
    key[CRUMB_DATA_KEY_MAX] = '\0';
    CHECK_OK(crumb_session_set(s, key, "v", 1));
    key[CRUMB_DATA_KEY_MAX] = 'k';
    key[CRUMB_DATA_KEY_MAX + 1] = '\0';
    CHECK_INT(crumb_session_set(s, key, "v", 1), CRUMB_E_LIMIT);
    CHECK_INT(crumb_session_set(s, "", "v", 1), CRUMB_E_INVALID);
    CHECK_INT(crumb_session_set(s, NULL, "v", 1), CRUMB_E_INVALID);
    static uint8_t big[CRUMB_DATA_VALUE_MAX + 1];
    CHECK_INT(crumb_session_set(s, "big", big, sizeof big), CRUMB_E_LIMIT);
    CHECK_OK(crumb_session_set(s, "big", big, CRUMB_DATA_VALUE_MAX - 2000));
    CHECK_INT(crumb_session_set(s, "big2", big, 10000), CRUMB_E_LIMIT); /* total payload */
    CHECK_OK(crumb_session_del(s, "big"));
    for (unsigned i = 0; i < CRUMB_DATA_ENTRIES_MAX - 1; i++) {
        snprintf(key, sizeof key, "e%u", i);
        CHECK_OK(crumb_session_set(s, key, NULL, 0));
    }
    CHECK_INT(crumb_session_set(s, "one-more", "", 0), CRUMB_E_LIMIT);
    CHECK_OK(crumb_session_set(s, "e7", "x", 1)); /* replacing is fine */
    CHECK_INT(crumb_session_payload(s)->data_count, CRUMB_DATA_ENTRIES_MAX);
    char id[CRUMB_ID_MAX + 1];
    memset(id, 'u', sizeof id);
    CHECK_INT(crumb_session_set_user(s, id, CRUMB_ID_MAX + 1), CRUMB_E_LIMIT);
    CHECK_OK(crumb_session_set_user(s, id, CRUMB_ID_MAX));
    CHECK_OK(crumb_session_set_user(s, NULL, 0));
    crumb_auth bad = {.state = 7};
    CHECK_INT(crumb_session_set_auth(s, &bad), CRUMB_E_INVALID);
    crumb_session_free(s);
    crumb_ctx_free(ctx);
    crumb_keyring_free(kr);
}

static uint32_t migrate_from, migrate_calls;
static crumb_err migrate(void *mctx, crumb_session *s, uint32_t from)
{
    (void)mctx;
    migrate_from = from;
    migrate_calls++;
    const uint8_t *v;
    size_t vl;
    if (crumb_session_get(s, "old", &v, &vl) == CRUMB_OK) {
        uint8_t copy[64];
        memcpy(copy, v, vl);
        if (crumb_session_set(s, "new", copy, vl) || crumb_session_del(s, "old"))
            return CRUMB_E_INTERNAL;
    }
    return CRUMB_OK;
}

static void test_migrate_and_versions(void)
{
    crumb_keyring *kr = make_ring(1, 0);
    crumb_ctx_config c = base_cfg();
    c.app_schema = 1;
    crumb_ctx *v1 = make_ctx(kr, &c);
    c.app_schema = 3;
    c.migrate = migrate;
    crumb_ctx *v3 = make_ctx(kr, &c);
    jar_clear();

    crumb_session *s = load(v1, CRUMB_OK);
    CHECK_OK(crumb_session_set(s, "old", "val", 3));
    CHECK_INT(save(s, CRUMB_OK), 1);
    crumb_session_free(s);

    s = load(v3, CRUMB_OK);
    CHECK_INT(migrate_calls, 1);
    CHECK_INT(migrate_from, 1);
    CHECK_INT(crumb_session_payload(s)->app_schema, 3);
    const uint8_t *v;
    size_t vl;
    CHECK_OK(crumb_session_get(s, "new", &v, &vl));
    s->dirty = 0; /* only the migration itself must force the re-issue */
    CHECK_INT(save(s, CRUMB_OK), 1);
    crumb_session_free(s);
    s = load(v3, CRUMB_OK);
    CHECK_INT(migrate_calls, 1); /* already current */
    CHECK_INT(save(s, CRUMB_OK), 0);
    crumb_session_free(s);

    /* a session from a newer application schema is refused */
    s = load(v1, CRUMB_E_VERSION);
    CHECK(crumb_session_is_new(s));
    CHECK(logged(CRUMB_R_PAYLOAD_VERSION));
    crumb_session_free(s);

    /* a payload from a newer payload format: CRUMB_E_VERSION, fresh session */
    uint8_t pt[100] = {CRUMB_PAYLOAD_VERSION_MAX + 1};
    char tok[400];
    size_t tl = 0;
    CHECK_OK(crumb_seal(crumb_ctx_codec(v3), tok, sizeof tok, &tl, pt, sizeof pt, 0));
    tok[tl] = '\0';
    jar_clear();
    const char *line = NULL;
    char buf[512];
    snprintf(buf, sizeof buf, "__Host-sid=%s; Path=/", tok);
    line = buf;
    jar_apply(&line, 1);
    s = load(v3, CRUMB_E_VERSION);
    CHECK(crumb_session_is_new(s));
    CHECK(logged(CRUMB_R_PAYLOAD_VERSION));
    /* saving an untouched fresh session after a refused cookie deletes it */
    CHECK_INT(save(s, CRUMB_OK), 1);
    CHECK_INT(jar_n, 0);
    crumb_session_free(s);

    /* garbage plaintext: CRUMB_E_PAYLOAD */
    pt[0] = 1;
    CHECK_OK(crumb_seal(crumb_ctx_codec(v3), tok, sizeof tok, &tl, pt, sizeof pt, 0));
    tok[tl] = '\0';
    snprintf(buf, sizeof buf, "__Host-sid=%s; Path=/", tok);
    jar_apply(&line, 1);
    s = load(v3, CRUMB_E_PAYLOAD);
    CHECK(logged(CRUMB_R_PAYLOAD));
    crumb_session_free(s);

    crumb_ctx_free(v1);
    crumb_ctx_free(v3);
    crumb_keyring_free(kr);
}

static void test_reseal_and_tamper(void)
{
    crumb_keyring *k1 = make_ring(1, 0), *k2 = make_ring(2, 1);
    crumb_ctx_config c = base_cfg();
    crumb_ctx *old = make_ctx(k1, &c), *cur = make_ctx(k2, &c);
    jar_clear();
    crumb_session *s = load(old, CRUMB_OK);
    CHECK_OK(crumb_session_set(s, "x", "1", 1));
    save(s, CRUMB_OK);
    crumb_session_free(s);
    s = load(cur, CRUMB_OK);
    CHECK(!crumb_session_is_new(s));
    CHECK_INT(save(s, CRUMB_OK), 1); /* re-sealed under key 2 though unchanged */
    crumb_session_free(s);
    s = load(cur, CRUMB_OK);
    CHECK_INT(save(s, CRUMB_OK), 0);
    crumb_session_free(s);

    /* tamper with one character: CRUMB_E_AUTH, fresh session */
    char *val = jar[0].value;
    val[20] = val[20] == 'A' ? 'B' : 'A';
    s = load(cur, CRUMB_E_AUTH);
    CHECK(crumb_session_is_new(s));
    CHECK_INT(crumb_session_get(s, "x", &(const uint8_t *){0}, &(size_t){0}), CRUMB_E_NOTFOUND);
    crumb_session_free(s);
    /* a cookie minted under another cookie name does not open here */
    crumb_ctx_config c2 = base_cfg();
    c2.cookie_name = "__Host-other";
    crumb_ctx *other = make_ctx(k2, &c2);
    jar_clear();
    s = load(other, CRUMB_OK);
    CHECK_OK(crumb_session_set(s, "x", "1", 1));
    save(s, CRUMB_OK);
    crumb_session_free(s);
    memcpy(jar[0].name, "__Host-sid", 11);
    s = load(cur, CRUMB_E_AUTH);
    crumb_session_free(s);
    crumb_ctx_free(other);
    crumb_ctx_free(old);
    crumb_ctx_free(cur);
    crumb_keyring_free(k1);
    crumb_keyring_free(k2);
}

/* Fill s with n incompressible (compressible if text) bytes of data. */
static void fill(crumb_session *s, size_t n, int text)
{
    static uint8_t buf[CRUMB_DATA_VALUE_MAX];
    if (text)
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)"the quick brown fox "[i % 20];
    else
        check_fill(buf, n);
    CHECK_OK(crumb_session_set(s, "blob", buf, n));
}

static void test_size_policies(void)
{
    crumb_keyring *kr = make_ring(1, 0);
    crumb_ctx_config c = base_cfg();
    c.max_cookie_bytes = 1024;
    crumb_ctx *ctx = make_ctx(kr, &c);
    crumb_session *s;

    /* ERROR: clear code, size reported */
    jar_clear();
    s = load(ctx, CRUMB_OK);
    fill(s, 3000, 1);
    save(s, CRUMB_E_TOO_LARGE);
    CHECK(crumb_session_cookie_size(s) > 1024);
    printf("too large: %zu bytes needed\n", crumb_session_cookie_size(s));
    crumb_session_free(s);
    crumb_ctx_free(ctx);

    /* COMPRESS: text fits once deflated; random data does not */
    c.size_policy = CRUMB_SIZE_COMPRESS;
    ctx = make_ctx(kr, &c);
    s = load(ctx, CRUMB_OK);
    fill(s, 3000, 1);
    CHECK_INT(save(s, CRUMB_OK), 1);
    crumb_token_header h;
    CHECK_OK(crumb_token_inspect(jar[0].value, strlen(jar[0].value), &h));
    CHECK(h.flags & CRUMB_FLAG_DEFLATE);
    crumb_session_free(s);
    s = load(ctx, CRUMB_OK);
    const uint8_t *v;
    size_t vl;
    CHECK_OK(crumb_session_get(s, "blob", &v, &vl));
    CHECK_INT(vl, 3000);
    fill(s, 3000, 0);
    save(s, CRUMB_E_TOO_LARGE);
    crumb_session_free(s);
    crumb_ctx_free(ctx);

    /* CHUNK: split, reassembled, shrunk with stale chunks deleted */
    c.size_policy = CRUMB_SIZE_CHUNK;
    c.max_chunks = 6;
    ctx = make_ctx(kr, &c);
    jar_clear();
    s = load(ctx, CRUMB_OK);
    fill(s, 3500, 0);
    size_t n = save(s, CRUMB_OK);
    char head[32];
    snprintf(head, sizeof head, "__Host-sid=%zu.", n);
    CHECK(n >= 3 && n <= 6);
    for (size_t i = 0; i < n; i++)
        CHECK(strlen(s->lines[i]) <= 1024);
    CHECK(strncmp(s->lines[0], head, strlen(head)) == 0);
    snprintf(head, sizeof head, "__Host-sid.%zu=", n - 1);
    CHECK(strncmp(s->lines[n - 1], head, strlen(head)) == 0);
    CHECK_INT(jar_count("__Host-sid"), n);
    printf("3500 bytes of data: %zu chunks\n", n);
    crumb_session_free(s);
    s = load(ctx, CRUMB_OK);
    CHECK_OK(crumb_session_get(s, "blob", &v, &vl));
    CHECK_INT(vl, 3500);
    CHECK_INT(save(s, CRUMB_OK), 0);
    fill(s, 1200, 0); /* shrinks: the chunks past the new count are deleted */
    CHECK_INT(save(s, CRUMB_OK), n); /* m set lines + (n - m) deletions */
    size_t m = jar_count("__Host-sid");
    CHECK(m >= 2 && m < n);
    for (size_t i = m; i < n; i++)
        CHECK(strstr(s->lines[i], "=; Path=/; Max-Age=0;") != NULL);
    crumb_session_free(s);
    s = load(ctx, CRUMB_OK);
    CHECK_OK(crumb_session_get(s, "blob", &v, &vl));
    CHECK_INT(vl, 1200);
    CHECK_OK(crumb_session_del(s, "blob")); /* back to one cookie */
    CHECK_INT(save(s, CRUMB_OK), m);
    CHECK_INT(jar_count("__Host-sid"), 1);
    crumb_session_free(s);

    /* too big even for max_chunks */
    s = load(ctx, CRUMB_OK);
    fill(s, 9000, 0);
    save(s, CRUMB_E_TOO_LARGE);
    crumb_session_free(s);

    /* mixed sets (chunk 1 from another token) and partial sets fail closed */
    jar_clear();
    s = load(ctx, CRUMB_OK);
    fill(s, 2500, 0);
    size_t n3 = save(s, CRUMB_OK);
    CHECK(n3 >= 3);
    crumb_session_free(s);
    char saved[CRUMB_COOKIE_LINE_MAX];
    size_t j1 = 0;
    for (size_t j = 0; j < jar_n; j++)
        if (strcmp(jar[j].name, "__Host-sid.1") == 0)
            j1 = j;
    strcpy(saved, jar[j1].value);
    s = load(ctx, CRUMB_OK);
    fill(s, 2500, 0);
    CHECK_INT(save(s, CRUMB_OK), n3);
    crumb_session_free(s);
    char fresh1[CRUMB_COOKIE_LINE_MAX];
    strcpy(fresh1, jar[j1].value);
    strcpy(jar[j1].value, saved);
    s = load(ctx, CRUMB_E_AUTH);
    CHECK(crumb_session_is_new(s));
    crumb_session_free(s);
    strcpy(jar[j1].value, fresh1);
    s = load(ctx, CRUMB_OK);
    crumb_session_free(s);
    jar[j1] = jar[--jar_n]; /* drop chunk 1 */
    s = load(ctx, CRUMB_E_COOKIE);
    CHECK(logged(CRUMB_R_BAD_CHUNKS));
    CHECK(crumb_session_is_new(s));
    CHECK_INT(save(s, CRUMB_OK), n3 - 1); /* refused: head and the other chunks deleted */
    CHECK_INT(jar_count("__Host-sid"), 0);
    crumb_session_free(s);
    /* orphan chunks, bad announced counts */
    crumb_session *t = NULL;
    CHECK_INT(crumb_session_load(&t, ctx, "__Host-sid.1=abc"), CRUMB_E_COOKIE);
    crumb_session_free(t);
    CHECK_INT(crumb_session_load(&t, ctx, "__Host-sid=7.abc; __Host-sid.1=x"), CRUMB_E_COOKIE);
    crumb_session_free(t);
    CHECK_INT(crumb_session_load(&t, ctx, "__Host-sid=02.abc; __Host-sid.1=x"), CRUMB_E_COOKIE);
    crumb_session_free(t);
    CHECK_INT(crumb_session_load(&t, ctx, "__Host-sid=2.abc; __Host-sid.1=x"), CRUMB_E_AUTH);
    crumb_session_free(t);
    /* oversized values are refused before any work */
    static char huge[8000];
    memset(huge, 'A', sizeof huge - 1);
    memcpy(huge, "__Host-sid=", 11);
    CHECK_INT(crumb_session_load(&t, ctx, huge), CRUMB_E_TOO_LARGE);
    crumb_session_free(t);
    crumb_ctx_free(ctx);

    /* STORE: spilling needs a store mode (tests/test_modes.c covers it) */
    c.size_policy = CRUMB_SIZE_STORE;
    CHECK_INT(crumb_ctx_new(&ctx, kr, &c), CRUMB_E_INVALID);
    crumb_keyring_free(kr);
}

static void test_compression_and_padding(void)
{
    crumb_keyring *kr = make_ring(1, 0);
    crumb_ctx_config c = base_cfg();
    c.compress = CRUMB_COMPRESS_ON;
    c.compress_threshold = 200;
    crumb_ctx *ctx = make_ctx(kr, &c);
    crumb_token_header h;
    jar_clear();
    crumb_session *s = load(ctx, CRUMB_OK);
    fill(s, 50, 1); /* below the threshold: plain */
    save(s, CRUMB_OK);
    CHECK_OK(crumb_token_inspect(jar[0].value, strlen(jar[0].value), &h));
    CHECK(!(h.flags & CRUMB_FLAG_DEFLATE));
    fill(s, 600, 1);
    save(s, CRUMB_OK);
    CHECK_OK(crumb_token_inspect(jar[0].value, strlen(jar[0].value), &h));
    CHECK(h.flags & CRUMB_FLAG_DEFLATE);
    crumb_session_free(s);
    s = load(ctx, CRUMB_OK);
    const uint8_t *v;
    size_t vl;
    CHECK_OK(crumb_session_get(s, "blob", &v, &vl));
    CHECK(vl == 600 && memcmp(v, "the quick brown fox the", 23) == 0);
    crumb_session_free(s);

    /* a deflate bomb inside an authentic token: CRUMB_E_INFLATE, quickly */
    static uint8_t zeros[1u << 20], bomb[4096];
    size_t bl = 0;
    CHECK_OK(crumb__deflate(bomb, sizeof bomb, &bl, zeros, sizeof zeros));
    static char tok[8192], line[8300];
    size_t tl = 0;
    CHECK_OK(crumb_seal(crumb_ctx_codec(ctx), tok, sizeof tok, &tl, bomb, bl, CRUMB_FLAG_DEFLATE));
    snprintf(line, sizeof line, "__Host-sid=%.*s; Path=/", (int)tl, tok);
    const char *lp = line;
    jar_clear();
    jar_apply(&lp, 1);
    clock_t t0 = clock();
    s = load(ctx, CRUMB_E_INFLATE);
    double dt = (double)(clock() - t0) / CLOCKS_PER_SEC;
    printf("bomb token (%zu chars) rejected in %.6f s\n", tl, dt);
    CHECK(dt < 0.5);
    CHECK(logged(CRUMB_R_INFLATE_LIMIT));
    CHECK(crumb_session_is_new(s));
    crumb_session_free(s);
    crumb_ctx_free(ctx);

    /* padding: every payload size within a bucket gives the same length */
    c = base_cfg();
    c.pad_block = 128;
    ctx = make_ctx(kr, &c);
    size_t lens[3] = {0};
    size_t sizes[3] = {5, 20, 40};
    for (int i = 0; i < 3; i++) {
        jar_clear();
        s = load(ctx, CRUMB_OK);
        fill(s, sizes[i], 0);
        save(s, CRUMB_OK);
        lens[i] = strlen(jar[0].value);
        CHECK_OK(crumb_token_inspect(jar[0].value, lens[i], &h));
        CHECK(h.flags & CRUMB_FLAG_PADDED);
        crumb_session_free(s);
        s = load(ctx, CRUMB_OK);
        CHECK_OK(crumb_session_get(s, "blob", &v, &vl));
        CHECK_INT(vl, sizes[i]);
        crumb_session_free(s);
    }
    CHECK_INT(lens[0], lens[1]);
    CHECK_INT(lens[1], lens[2]);
    jar_clear();
    s = load(ctx, CRUMB_OK);
    fill(s, 200, 0); /* next bucket */
    save(s, CRUMB_OK);
    CHECK(strlen(jar[0].value) > lens[0]);
    crumb_session_free(s);
    crumb_ctx_free(ctx);
    crumb_keyring_free(kr);
}

static void test_modes_and_config(void)
{
    crumb_keyring *kr = make_ring(1, 0);
    crumb_ctx_config c = base_cfg();
    crumb_ctx *ctx = NULL;
    crumb_session *s = (crumb_session *)&c;
    static int dummy_store;
    c.mode = CRUMB_MODE_SERVER;
    CHECK_INT(crumb_ctx_new(&ctx, kr, &c), CRUMB_E_INVALID); /* needs a store */
    (void)dummy_store; /* the store modes are covered by tests/test_modes.c */
    c.mode = 7;
    CHECK_INT(crumb_ctx_new(&ctx, kr, &c), CRUMB_E_INVALID);
    c = base_cfg();
    c.idle_timeout = 100, c.renew_throttle = 100;
    CHECK_INT(crumb_ctx_new(&ctx, kr, &c), CRUMB_E_INVALID);
    c = base_cfg();
    c.max_chunks = CRUMB_CHUNKS_MAX + 1;
    CHECK_INT(crumb_ctx_new(&ctx, kr, &c), CRUMB_E_INVALID);
    c = base_cfg();
    c.cookie_name = NULL;
    CHECK_INT(crumb_ctx_new(&ctx, kr, &c), CRUMB_E_INVALID);
    CHECK_INT(crumb_session_load(&s, NULL, NULL), CRUMB_E_INVALID);
    crumb_keyring_free(kr);
}

/* Misuse: every session entry point given a NULL session answers
 * CRUMB_E_INVALID (or its neutral value) instead of crashing. */
static void test_null_session(void)
{
    crumb_auth a = {0};
    const uint8_t *v = NULL;
    size_t n = 0, pos = 0, kl = 0;
    const char *k = NULL;
    const char *const *lines;
    CHECK_INT(crumb_session_rotate(NULL), CRUMB_E_INVALID);
    CHECK_INT(crumb_session_set_user(NULL, "u", 1), CRUMB_E_INVALID);
    CHECK_INT(crumb_session_set_tenant(NULL, "t", 1), CRUMB_E_INVALID);
    CHECK_INT(crumb_session_set_device(NULL, "d", 1), CRUMB_E_INVALID);
    CHECK_INT(crumb_session_set_auth(NULL, &a), CRUMB_E_INVALID);
    CHECK_INT(crumb_session_set(NULL, "k", "v", 1), CRUMB_E_INVALID);
    CHECK_INT(crumb_session_get(NULL, "k", &v, &n), CRUMB_E_INVALID);
    CHECK_INT(crumb_session_del(NULL, "k"), CRUMB_E_INVALID);
    CHECK_INT(crumb_session_save(NULL, &lines, &n), CRUMB_E_INVALID);
    CHECK_INT(crumb_session_logout(NULL), CRUMB_E_INVALID);
    CHECK_INT((long)crumb_session_cookie_size(NULL), 0);
    CHECK_INT(crumb_session_auth_fresh(NULL, 60), 0);
    CHECK_INT(crumb_session_is_new(NULL), 1);
    CHECK_INT(crumb_session_next(NULL, &pos, &k, &kl, &v, &n), 0);
    CHECK(crumb_session_payload(NULL) == NULL);
    crumb_session_free(NULL);
}

/* Every allocation failure in load and save is a clean CRUMB_E_NOMEM. */
static void test_alloc_failures(int suite)
{
    crumb_keyring *kr = make_ring(1, 0);
    crumb_ctx_config c = base_cfg();
    c.compress = CRUMB_COMPRESS_ON;
    c.seal_suite = suite;
    crumb_ctx *ctx = make_ctx(kr, &c);
    jar_clear();
    crumb_session *s = load(ctx, CRUMB_OK);
    fill(s, 1000, 1);
    save(s, CRUMB_OK);
    crumb_session_free(s);
    int nomem = 0, kept = 0;
    for (long n = 1; n < 40; n++) {
        crumb__alloc_fail_at(n, 0);
        s = NULL;
        crumb_err rc = crumb_session_load(&s, ctx, jar_header());
        if (rc == CRUMB_OK) {
            crumb_err r2 = crumb_session_set(s, "k", "v", 1);
            const char *const *lines;
            size_t cnt;
            if (r2 == CRUMB_OK)
                r2 = crumb_session_save(s, &lines, &cnt);
            /* the n-th allocation was made (and failed) iff made >= n */
            long made = crumb__alloc_fail_at(0, 0);
            CHECK_INT(r2, made >= n ? CRUMB_E_NOMEM : CRUMB_OK);
            nomem += r2 == CRUMB_E_NOMEM;
        } else {
            CHECK_INT(rc, CRUMB_E_NOMEM);
            nomem++;
            if (s != NULL) {
                /* the request's valid cookie could not be judged: saving
                 * the fresh session handed back must not replace it (it
                 * would log the user out) */
                const char *const *lines;
                size_t cnt;
                crumb__alloc_fail_at(0, 0);
                CHECK_INT(crumb_session_save(s, &lines, &cnt), CRUMB_E_NOMEM);
                kept++;
            }
        }
        crumb__alloc_fail_at(0, 0);
        crumb_session_free(s);
    }
    crumb__alloc_fail_at(0, 0);
    CHECK(nomem > 3);
    CHECK(kept > 0); /* the case above was reached */
    crumb_ctx_free(ctx);
    crumb_keyring_free(kr);
}

/* The CGI helpers: HTTP_COOKIE in, "Set-Cookie: ...\r\n" lines out. */
static void test_cgi(void)
{
    crumb_keyring *kr = make_ring(1, 0);
    crumb_ctx_config c = base_cfg();
    crumb_ctx *ctx = make_ctx(kr, &c);
    unsetenv("HTTP_COOKIE");

    /* request 1: no cookie; the program stores a counter */
    crumb_session *s = NULL;
    CHECK_OK(crumb_cgi_load(&s, ctx));
    CHECK(crumb_session_is_new(s));
    CHECK_OK(crumb_session_set(s, "count", "1", 1));
    FILE *f = tmpfile();
    CHECK_OK(crumb_cgi_save(s, f));
    crumb_session_free(s);
    char out[2048] = "";
    rewind(f);
    size_t got = fread(out, 1, sizeof out - 1, f);
    out[got] = '\0';
    fclose(f);
    CHECK(strncmp(out, "Set-Cookie: __Host-sid=", 23) == 0);
    CHECK(got > 2 && strcmp(out + got - 2, "\r\n") == 0 && strchr(out, '\n') == out + got - 1);

    /* request 2: the browser sends it back */
    char cookie[2048];
    char *semi = strchr(out + 12, ';');
    snprintf(cookie, sizeof cookie, "other=1; %.*s", (int)(semi - out - 12), out + 12);
    setenv("HTTP_COOKIE", cookie, 1);
    CHECK_OK(crumb_cgi_load(&s, ctx));
    CHECK(!crumb_session_is_new(s));
    const uint8_t *v;
    size_t vl;
    CHECK_OK(crumb_session_get(s, "count", &v, &vl));
    CHECK(vl == 1 && v[0] == '1');
    f = tmpfile();
    CHECK_OK(crumb_cgi_save(s, f)); /* unchanged: writes nothing */
    CHECK_INT(ftell(f), 0);
    fclose(f);
    CHECK_OK(crumb_session_logout(s));
    f = tmpfile();
    CHECK_OK(crumb_cgi_save(s, f));
    rewind(f);
    got = fread(out, 1, sizeof out - 1, f);
    out[got] = '\0';
    fclose(f);
    CHECK(strstr(out, "Set-Cookie: __Host-sid=; Path=/; Max-Age=0;") == out);
    crumb_session_free(s);
    unsetenv("HTTP_COOKIE");
    crumb_ctx_free(ctx);
    crumb_keyring_free(kr);
}

/* Save s and return its one Set-Cookie line as a request header
 * ("name=value") in hdr. */
static size_t one_line_header(crumb_session *s, char *hdr, size_t cap)
{
    const char *const *lines = NULL;
    size_t n = 0;
    CHECK_OK(crumb_session_save(s, &lines, &n));
    CHECK_INT(n, 1);
    if (n != 1)
        return 0;
    const char *semi = strchr(lines[0], ';');
    size_t len = (size_t)(semi - lines[0]);
    CHECK(len < cap);
    if (len >= cap)
        return 0;
    memcpy(hdr, lines[0], len);
    hdr[len] = '\0';
    return len;
}

/* Sessions of every size around the load's and save's in-place buffers
 * (4 KiB plaintext on the stack when loading; 1 KiB payload block and
 * 2 KiB token when saving): one cookie of up to 16 KB round-trips with its
 * data intact, on either side of each threshold (ASan build: no overrun).
 * The Cookie header's one parse keeps the first of repeated names. */
static void test_buffer_thresholds(void)
{
    crumb_keyring *kr = make_ring(1, 0);
    crumb_ctx_config c = base_cfg();
    c.max_cookie_bytes = 16384;
    crumb_ctx *ctx = make_ctx(kr, &c);
    static char hdr[20000], two[40000];
    static uint8_t val[9000];
    for (size_t i = 0; i < sizeof val; i++)
        val[i] = (uint8_t)(i * 7 + 1);
    /* every length across each threshold (payload = data + ~75 bytes):
     * save's block near 440, its token near 1410, load's plaintext near
     * 3975; then a few up to 8 KiB */
    static const size_t from[] = {380, 1370, 3930, 5000, 8180};
    static const size_t upto[] = {500, 1450, 4020, 5002, 8192};
    for (size_t i = 0; i < sizeof from / sizeof from[0]; i++) {
        for (size_t vl = from[i]; vl <= upto[i]; vl++) {
            crumb_session *s = NULL, *t = NULL;
            const uint8_t *got = NULL;
            size_t got_len = 0;
            CHECK_OK(crumb_session_load(&s, ctx, NULL));
            CHECK_OK(crumb_session_set(s, "v", val, vl));
            if (!one_line_header(s, hdr, sizeof hdr)) {
                crumb_session_free(s);
                continue;
            }
            CHECK_OK(crumb_session_load(&t, ctx, hdr));
            CHECK(t && !crumb_session_is_new(t));
            CHECK(t && crumb_session_get(t, "v", &got, &got_len) == CRUMB_OK &&
                  got_len == vl && memcmp(got, val, got_len) == 0);
            crumb_session_free(t);
            /* repeated names: the first occurrence is the cookie */
            snprintf(two, sizeof two, "%s; __Host-sid=AAAA", hdr);
            CHECK_OK(crumb_session_load(&t, ctx, two));
            CHECK(t && !crumb_session_is_new(t));
            crumb_session_free(t);
            snprintf(two, sizeof two, "__Host-sid=AAAA; %s", hdr);
            CHECK(crumb_session_load(&t, ctx, two) != CRUMB_OK);
            CHECK(t && crumb_session_is_new(t));
            crumb_session_free(t);
            crumb_session_free(s);
        }
    }
    crumb_ctx_free(ctx);
    crumb_keyring_free(kr);
}

int main(void)
{
    check_seed();
    test_round_trip();
    test_data_limits();
    test_migrate_and_versions();
    test_reseal_and_tamper();
    test_size_policies();
    test_compression_and_padding();
    test_modes_and_config();
    test_null_session();
    for (int suite = 1; suite <= 3; suite++) /* every seal suite compiled in */
        if (crumb_suite_available(suite))
            test_alloc_failures(suite);
    test_cgi();
    test_buffer_thresholds();
    return check_done("test_session");
}
