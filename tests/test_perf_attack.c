/*
 * test_perf_attack.c - attacks on the session-path speedups (78bb9aa,
 * 1bab3b3): the per-thread kept session block and the separately allocated
 * store state (residue between sessions and modes, after every kind of
 * failed load, at every allocation failure), stateless sessions through
 * every public session call, the one-pass Cookie scan and the 3-byte chunk
 * count search (differential against the former parser), the thread's
 * Expires cache, and threads that load, save and exit.
 * Store cells: memory, file, Redis x seal suites 1-3 x both store modes.
 */
#include "check.h"
#include "crumb.h"
#include "crumb_inspect.h"
#include "crumb_store.h"
#include "internal.h"
#include "jar.h"
#include "matrix.h"
#include "session.h"
#include "session_env.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static const uint8_t secret[32] = "perf attack test store secret..";
static const uint8_t fpkey[32] = "perf attack fingerprint key.....";
static const char UA1[] = "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0";
static const char UA2[] = "curl/8.0 (attacker)";

/* ==== Contexts and requests ============================================= */

typedef struct opts {
    int mode;               /* CRUMB_MODE_* */
    crumb_fp_policy fp;
    uint32_t schema;
    crumb_migrate_fn *mig;
    int chunk;              /* CRUMB_SIZE_CHUNK with small cookies */
} opts;

static crumb_ctx *mkctx(const env *e, opts o)
{
    crumb_ctx_config c = {0};
    crumb_ctx *ctx = NULL;
    env_config(&c, e, secret);
    c.mode = o.mode;
    c.store = o.mode == CRUMB_MODE_STATELESS ? NULL : e->st;
    c.fingerprint = o.fp;
    c.fingerprint_key = fpkey;
    c.app_schema = o.schema;
    c.migrate = o.mig;
    if (o.chunk) {
        c.size_policy = CRUMB_SIZE_CHUNK;
        c.max_cookie_bytes = 400;
        c.max_chunks = 12;
    }
    CHECK_OK(crumb_ctx_new(&ctx, e->kr, &c));
    if (!ctx)
        abort();
    return ctx;
}

static int is_store(const crumb_ctx *ctx)
{
    return ctx->cfg.mode != CRUMB_MODE_STATELESS;
}

/* Save s into j (want: the expected code); returns the line count. */
static size_t save_at(int line, crumb_session *s, jar *j, crumb_err want)
{
    const char *const *lines;
    size_t n = 0;
    crumb_err rc = crumb_session_save(s, &lines, &n);
    if (rc != want)
        fprintf(stderr, "  (save at line %d: %s)\n", line, crumb_strerror(rc));
    CHECK_INT(rc, want);
    if (rc == CRUMB_OK && j)
        jar_apply(j, lines, n);
    return n;
}
#define save(s, j, w) save_at(__LINE__, s, j, w)

/* A signed-in victim with everything the session can hold, in jar j. */
static void victim(crumb_ctx *ctx, jar *j, const char *tag)
{
    char user[64];
    crumb_session *s = NULL;
    new_user(user, sizeof user, tag);
    CHECK_OK(crumb_session_load(&s, ctx, jar_header(j)));
    CHECK_OK(crumb_session_check_client(s, UA1, "198.51.100.7", NULL, 0));
    CHECK_OK(crumb_session_identify(s, user, strlen(user), "acme", 4));
    uint32_t f[2] = {CRUMB_FACTOR_PASSWORD, CRUMB_FACTOR_TOTP};
    CHECK_OK(crumb_session_begin_auth(s, "password+totp", f, 2));
    CHECK_OK(crumb_session_factor_done(s, CRUMB_FACTOR_PASSWORD, NULL));
    CHECK_OK(crumb_session_factor_done(s, CRUMB_FACTOR_TOTP, NULL));
    CHECK_OK(crumb_session_set_lifetime(s, 3600, 600));
    CHECK_OK(crumb_session_set(s, "secret", "victim-s3cr3t", 13));
    char big[300];
    memset(big, 'B', sizeof big);
    CHECK_OK(crumb_session_set(s, "big", big, sizeof big)); /* data off the small buffer */
    save(s, j, CRUMB_OK);
    crumb_session_free(s);
}

/* Fill this thread's kept block: load the victim (devices, sessions listed
 * in store modes), free it. Returns the block's address. */
static const void *dirty(crumb_ctx *ctx, const jar *v)
{
    crumb_session *s = NULL;
    crumb_device_entry de[8];
    crumb_session_entry se[8];
    size_t n = 0;
    CHECK_OK(crumb_session_load(&s, ctx, jar_header(v)));
    CHECK(s && crumb_session_payload(s)->user_len > 0);
    CHECK_OK(crumb_session_check_client(s, UA1, "198.51.100.7", NULL, 0));
    if (is_store(ctx)) {
        CHECK_OK(crumb_session_devices(s, de, 8, &n));
        CHECK(n >= 1);
        CHECK_OK(crumb_session_list(s, se, 8, &n));
        CHECK(n >= 1);
    }
    CHECK_OK(crumb_session_set(s, "more", "x", 1));
    const void *blk = s;
    crumb_session_free(s);
    return blk;
}

/* ==== What a session shows ============================================== */

/* Byte offsets where a and b differ (for the failure message). */
static void diff_report(const char *what, const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (size_t i = 0, shown = 0; i < n && shown < 8; i++)
        if (x[i] != y[i]) {
            fprintf(stderr, "    %s differs at offset %zu: %02x != %02x\n", what, i, x[i], y[i]);
            shown++;
        }
}

/* The session shows nothing of anybody: anonymous, no data, no binding. */
static void blank_at(int line, crumb_session *s, int fp_status)
{
    int f0 = check_failures;
    const crumb_payload *p = crumb_session_payload(s);
    const char *k;
    const uint8_t *v;
    size_t kl, vl, pos = 0, n = 9;
    crumb_device_entry de[2];
    crumb_session_entry se[2];
    CHECK(crumb_session_is_new(s));
    CHECK_INT(p->user_len, 0);
    CHECK_INT(p->user[0], 0);
    CHECK_INT(p->tenant_len, 0);
    CHECK_INT(p->device_len, 0);
    CHECK_INT(p->data_len, 0);
    CHECK_INT(p->data_count, 0);
    CHECK_INT(p->generation, 0);
    CHECK_INT(p->auth.state, CRUMB_AUTH_ANONYMOUS);
    CHECK_INT(p->ext.has_fingerprint, 0);
    CHECK_INT(p->ext.method_len, 0);
    CHECK(!crumb_session_next(s, &pos, &k, &kl, &v, &vl));
    CHECK_INT(crumb_session_get(s, "secret", &v, &vl), CRUMB_E_NOTFOUND);
    CHECK_INT(crumb_session_fingerprint(s), fp_status);
    CHECK(!crumb_session_auth_fresh(s, 1000000));
    CHECK_INT(crumb_session_cookie_size(s), 0);
    crumb_err want = is_store(s->ctx) ? CRUMB_E_NOSESSION : CRUMB_E_UNSUPPORTED;
    CHECK_INT(crumb_session_devices(s, de, 2, &n), want);
    CHECK_INT(n, 0);
    CHECK_INT(crumb_session_list(s, se, 2, &n), want);
    CHECK_INT(n, 0);
    CHECK(!s->login && !s->new_family && !s->dirty && !s->migrated && !s->reseal);
    /* every payload field (v2 included) as in a request without a cookie */
    crumb_session *u = NULL;
    CHECK_OK(crumb_session_load(&u, s->ctx, NULL));
    if (u) {
        crumb_payload a = *p, b = *crumb_session_payload(u);
        memset(a.sid, 0, sizeof a.sid);
        memset(b.sid, 0, sizeof b.sid);
        memset(a.family, 0, sizeof a.family);
        memset(b.family, 0, sizeof b.family);
        a.data = b.data = NULL;
        CHECK(memcmp(&a, &b, sizeof a) == 0);
        if (memcmp(&a, &b, sizeof a) != 0)
            diff_report("payload", &a, &b, sizeof a);
        CHECK(s->data_cap == u->data_cap || s->data != s->small);
        for (size_t i = 0; i < s->data_cap; i++)
            if (s->data[i]) { /* data buffer wiped */
                CHECK(0);
                break;
            }
    }
    crumb_session_free(u);
    if (check_failures != f0)
        fprintf(stderr, "  (blank session checked at line %d)\n", line);
}
#define blank(s, fp) blank_at(__LINE__, s, fp)

/* s with what legitimately differs between two loads of one request
 * cleared: where the buffers are, a fresh session's random ids, the store
 * key cache. */
static void norm(crumb_session *c, struct crumb__glue *gc, const crumb_session *s)
{
    memcpy(c, s, sizeof *c);
    if (s->fresh) {
        memset(c->p.sid, 0, sizeof c->p.sid);
        memset(c->p.family, 0, sizeof c->p.family);
    }
    c->p.data = NULL;
    c->data = NULL;
    c->out = NULL;
    c->g = NULL;
    memset(c->lines, 0, sizeof c->lines);
    memset(gc, 0, sizeof *gc);
    if (s->g) {
        memcpy(gc, s->g, sizeof *gc);
        memset(gc->key_sid, 0, sizeof gc->key_sid);
        memset(&gc->key, 0, sizeof gc->key);
        gc->key_valid = 0;
        gc->dev_line = NULL;
    }
}

/* s (in the reused block) equals t (a fresh calloc) but for norm's fields. */
static void same_at(int line, const crumb_session *s, const crumb_session *t)
{
    static crumb_session a, b;
    static struct crumb__glue ga, gb;
    norm(&a, &ga, s);
    norm(&b, &gb, t);
    int f0 = check_failures;
    CHECK((s->data == s->small) == (t->data == t->small));
    CHECK((s->g == NULL) == (t->g == NULL));
    CHECK(memcmp(&a, &b, sizeof a) == 0);
    CHECK(memcmp(&ga, &gb, sizeof ga) == 0);
    CHECK_INT(s->data_cap, t->data_cap);
    if (s->data_cap == t->data_cap)
        CHECK(memcmp(s->data, t->data, s->data_cap) == 0);
    if (check_failures != f0) {
        fprintf(stderr, "  (reused block differs from a new one, line %d)\n", line);
        diff_report("session", &a, &b, sizeof a);
        diff_report("glue", &ga, &gb, sizeof ga);
    }
}
#define same(s, t) same_at(__LINE__, s, t)

/* line with the cookie value (between the first '=' and ';') replaced. */
static void mask(char *out, size_t cap, const char *line)
{
    const char *eq = strchr(line, '='), *semi = eq ? strchr(eq, ';') : NULL;
    if (!eq || !semi) {
        snprintf(out, cap, "%s", line);
        return;
    }
    snprintf(out, cap, "%.*s%s%s", (int)(eq - line + 1), line,
             semi - eq > 1 ? "<token>" : "", semi);
}

/* Saving s and t gives the same code and the same lines (tokens aside). */
static void same_save_at(int line, crumb_session *s, crumb_session *t)
{
    const char *const *ls, *const *lt;
    size_t ns = 0, nt = 0;
    char a[8192], b[8192];
    int f0 = check_failures;
    crumb_err rs = crumb_session_save(s, &ls, &ns);
    crumb_err rt = crumb_session_save(t, &lt, &nt);
    CHECK_INT(rs, rt);
    CHECK_INT(ns, nt);
    for (size_t i = 0; i < ns && i < nt; i++) {
        mask(a, sizeof a, ls[i]);
        mask(b, sizeof b, lt[i]);
        if (strcmp(a, b) != 0) {
            CHECK(0);
            fprintf(stderr, "    line %zu: %s\n         vs: %s\n", i, a, b);
        }
    }
    if (check_failures != f0)
        fprintf(stderr, "  (saves differ, line %d)\n", line);
}
#define same_save(s, t) same_save_at(__LINE__, s, t)

/* ==== Residue between sessions of one thread ============================ */

/* One request header run twice: into the block the victim's session left
 * (kept), and into a new one; both must be the same session, save the same
 * lines before and after a change, and (blank_expected) show nothing. */
static void residue_case(crumb_ctx *dctx, const jar *v, crumb_ctx *ctx, const char *hdr,
                         int blank_expected, const char *label)
{
    int f0 = check_failures;
    static char h[JAR_MAX * 4200];
    snprintf(h, sizeof h, "%s", hdr ? hdr : ""); /* before jar_header's next use */
    const void *kept = dirty(dctx, v);
    crumb_session *s = NULL, *t = NULL;
    crumb_err rs = crumb_session_load(&s, ctx, hdr ? h : NULL);
    crumb_err rt = crumb_session_load(&t, ctx, hdr ? h : NULL);
    CHECK(s && t);
    if (!s || !t)
        abort();
    CHECK(s == kept); /* the kept block was reused: its wipe is under test */
    CHECK_INT(rs, rt);
    same(s, t);
    if (blank_expected)
        blank(s, CRUMB_FP_UNCHECKED);
    CHECK_OK(crumb_session_set_client(s, UA2, "203.0.113.9"));
    CHECK_OK(crumb_session_set_client(t, UA2, "203.0.113.9"));
    same(s, t);
    same_save(s, t);
    if (!rs && crumb_session_is_new(s)) { /* (two saves of one record would conflict) */
        CHECK_OK(crumb_session_set(s, "k", "v", 1));
        CHECK_OK(crumb_session_set(t, "k", "v", 1));
        same_save(s, t);
    }
    crumb_session_free(t);
    crumb_session_free(s);
    if (check_failures != f0)
        fprintf(stderr, "  FAILED residue case %s (dirty %s, load %s)\n", label,
                is_store(dctx) ? "store" : "stateless", is_store(ctx) ? "store" : "stateless");
}

/* The victim's token with one character changed (a tamper). */
static void tampered(char *out, size_t cap, const jar *v)
{
    const char *val = jar_value(v, "__Host-sid");
    snprintf(out, cap, "__Host-sid=%s", val ? val : "");
    size_t at = 11 + strlen(out + 11) / 2;
    out[at] = out[at] == 'A' ? 'B' : 'A';
}

static void residue_cell(env *e)
{
    crumb_ctx *cs = mkctx(e, (opts){.mode = e->mode});
    crumb_ctx *cl = mkctx(e, (opts){.mode = CRUMB_MODE_STATELESS});
    jar vs = {0}, vl = {0}, as = {0}, al = {0};
    char h[8192];
    victim(cs, &vs, "perf-vs");
    victim(cl, &vl, "perf-vl");
    crumb_session *s = NULL; /* attackers' own anonymous sessions */
    CHECK_OK(crumb_session_load(&s, cs, NULL));
    CHECK_OK(crumb_session_set(s, "a", "1", 1));
    save(s, &as, CRUMB_OK);
    crumb_session_free(s);
    CHECK_OK(crumb_session_load(&s, cl, NULL));
    CHECK_OK(crumb_session_set(s, "a", "1", 1));
    save(s, &al, CRUMB_OK);
    crumb_session_free(s);
    crumb_ctx *dctx[2] = {cs, cl}, *lctx[2] = {cs, cl};
    const jar *dv[2] = {&vs, &vl};
    for (int d = 0; d < 2; d++) {
        for (int l = 0; l < 2; l++) {
            crumb_ctx *c = lctx[l];
            residue_case(dctx[d], dv[d], c, NULL, 1, "no header");
            residue_case(dctx[d], dv[d], c, "", 1, "empty header");
            residue_case(dctx[d], dv[d], c, "other=1; x", 1, "foreign cookies");
            residue_case(dctx[d], dv[d], c, jar_header(&as), 0, "attacker store cookie");
            residue_case(dctx[d], dv[d], c, jar_header(&al), 0, "attacker stateless cookie");
            tampered(h, sizeof h, &vs);
            residue_case(dctx[d], dv[d], c, h, 1, "tampered victim (store)");
            tampered(h, sizeof h, &vl);
            residue_case(dctx[d], dv[d], c, h, 1, "tampered victim (stateless)");
            residue_case(dctx[d], dv[d], c, "__Host-sid.1=AAAA; __Host-sid.3=BBBB", 1,
                         "stray chunks");
            snprintf(h, sizeof h, "__Host-sid=3.%s", jar_value(&vs, "__Host-sid"));
            residue_case(dctx[d], dv[d], c, h, 1, "partial chunk set");
            const char *dev = jar_value(&vs, "__Host-sid.d");
            CHECK(dev != NULL);
            snprintf(h, sizeof h, "__Host-sid.d=%s", dev ? dev : "");
            residue_case(dctx[d], dv[d], c, h, 1, "victim's device cookie only");
        }
    }
    crumb_ctx_free(cl);
    crumb_ctx_free(cs);
}

/* ==== Loads that fail after decoding =================================== */

/* s came from a refused request: it shows nothing, saving it only deletes
 * our cookies, and after a change it seals a new anonymous session that
 * carries only that change. */
static void refused_at(int line, crumb_session *s, int fp_status, int had_main)
{
    int f0 = check_failures;
    const char *const *lines;
    size_t n = 0;
    blank_at(line, s, fp_status);
    CHECK_OK(crumb_session_save(s, &lines, &n));
    CHECK(n >= (size_t)had_main);
    for (size_t i = 0; i < n; i++)
        CHECK(strstr(lines[i], "Max-Age=0") != NULL);
    CHECK_OK(crumb_session_set(s, "k", "v", 1));
    jar j = {0};
    save(s, &j, CRUMB_OK);
    crumb_session *t = NULL;
    const uint8_t *v = NULL;
    size_t vl = 0;
    CHECK_OK(crumb_session_load(&t, s->ctx, jar_header(&j)));
    CHECK(t && !crumb_session_is_new(t));
    CHECK_INT(crumb_session_payload(t)->user_len, 0);
    CHECK_INT(crumb_session_payload(t)->data_count, 1);
    CHECK_OK(crumb_session_get(t, "k", &v, &vl));
    CHECK_INT(crumb_session_get(t, "secret", &v, &vl), CRUMB_E_NOTFOUND);
    crumb_session_free(t);
    if (check_failures != f0)
        fprintf(stderr, "  (refused session checked at line %d)\n", line);
}
#define refused(s, fp, had) refused_at(__LINE__, s, fp, had)

/* Load hdr into ctx: must fail with want and leave a refused session. */
static void fail_load_at(int line, crumb_ctx *ctx, const char *hdr, crumb_err want, int had_main)
{
    crumb_session *s = NULL;
    crumb_err rc = crumb_session_load(&s, ctx, hdr);
    if (rc != want)
        fprintf(stderr, "  (load at line %d: %s)\n", line, crumb_strerror(rc));
    CHECK_INT(rc, want);
    if (!s)
        abort();
    refused_at(line, s, CRUMB_FP_UNCHECKED, had_main);
    crumb_session_free(s);
}
#define fail_load(c, h, w, m) fail_load_at(__LINE__, c, h, w, m)

/* A migrate hook that writes into the session, then fails. */
static crumb_err bad_migrate(void *ctx, crumb_session *s, uint32_t from)
{
    (void)ctx;
    (void)from;
    CHECK_OK(crumb_session_set(s, "hook", "wrote this", 10));
    CHECK_OK(crumb_session_set_tenant(s, "evil", 4));
    CHECK_OK(crumb_session_set_device(s, "hook-device", 11));
    return CRUMB_E_INVALID;
}

/* Every kind of failed load of a victim's cookie, in ctx's mode. */
static void failure_cell(env *e, int mode)
{
    char h[JAR_MAX * 4200];
    crumb_ctx *c = mkctx(e, (opts){.mode = mode});
    jar v = {0};
    victim(c, &v, "perf-fail");
    snprintf(h, sizeof h, "%s", jar_header(&v));
    /* tampered */
    tampered(h, sizeof h, &v);
    fail_load(c, h, CRUMB_E_AUTH, 1);
    /* expired (the victim's lifetime is 3600 s) */
    snprintf(h, sizeof h, "%s", jar_header(&v));
    fake_now += 7200;
    fail_load(c, h, CRUMB_E_EXPIRED, 1);
    fake_now -= 7200;
    /* chunk errors */
    snprintf(h, sizeof h, "__Host-sid=3.%s; __Host-sid.1=AAAA", jar_value(&v, "__Host-sid"));
    fail_load(c, h, CRUMB_E_COOKIE, 1);
    fail_load(c, "__Host-sid.2=AAAA", CRUMB_E_COOKIE, 0);
    /* app schema newer than the context's; a migrate hook that fails */
    crumb_ctx *c5 = mkctx(e, (opts){.mode = mode, .schema = 5});
    crumb_ctx *c2 = mkctx(e, (opts){.mode = mode, .schema = 2, .mig = bad_migrate});
    jar v5 = {0}, v1 = {0};
    victim(c5, &v5, "perf-schema5");
    victim(c, &v1, "perf-schema1"); /* schema 0 */
    snprintf(h, sizeof h, "%s", jar_header(&v5));
    fail_load(c2, h, CRUMB_E_VERSION, 1);
    snprintf(h, sizeof h, "%s", jar_header(&v1));
    fail_load(c2, h, CRUMB_E_INVALID, 1);
    /* fingerprint refusal */
    crumb_ctx *cf = mkctx(e, (opts){.mode = mode, .fp = CRUMB_FP_REFUSE});
    jar vf = {0};
    victim(cf, &vf, "perf-fp");
    crumb_session *s = NULL;
    CHECK_OK(crumb_session_load(&s, cf, jar_header(&vf)));
    CHECK(s && crumb_session_payload(s)->ext.has_fingerprint);
    CHECK_INT(crumb_session_check_client(s, UA2, "203.0.113.9", NULL, 0), CRUMB_E_AUTH);
    refused(s, CRUMB_FP_MISMATCH, 1);
    crumb_session_free(s);
    /* revoked (store modes): the victim logged out on a copy of its jar */
    if (mode != CRUMB_MODE_STATELESS) {
        jar copy = v;
        CHECK_OK(crumb_session_load(&s, c, jar_header(&copy)));
        CHECK_OK(crumb_session_logout(s));
        save(s, &copy, CRUMB_OK);
        crumb_session_free(s);
        snprintf(h, sizeof h, "%s", jar_header(&v));
        fail_load(c, h, CRUMB_E_REVOKED, 1);
    }
    crumb_ctx_free(cf);
    crumb_ctx_free(c2);
    crumb_ctx_free(c5);
    crumb_ctx_free(c);
}

/* A chunked victim: a missing part, a '.' after the count, a count that
 * does not match. */
static void chunk_failure_cell(env *e, int mode)
{
    char h[JAR_MAX * 4200];
    crumb_ctx *c = mkctx(e, (opts){.mode = mode, .chunk = 1});
    jar v = {0};
    victim(c, &v, "perf-chunk");
    crumb_session *s = NULL;
    for (int k = 0; k < 3; k++) {
        char big[32], val[400];
        snprintf(big, sizeof big, "big%d", k);
        memset(val, 'a' + k, sizeof val);
        CHECK_OK(crumb_session_load(&s, c, jar_header(&v)));
        CHECK_OK(crumb_session_set(s, big, val, sizeof val));
        save(s, &v, CRUMB_OK);
        crumb_session_free(s);
    }
    CHECK(jar_has(&v, "__Host-sid.1")); /* (not run in server mode: a reference) */
    snprintf(h, sizeof h, "%s", jar_header(&v));
    CHECK_OK(crumb_session_load(&s, c, h)); /* the intact set opens */
    CHECK(s && crumb_session_payload(s)->user_len > 0);
    crumb_session_free(s);
    jar w = v;
    jar_put(&w, "__Host-sid.1", NULL);
    snprintf(h, sizeof h, "%s", jar_header(&w));
    fail_load(c, h, CRUMB_E_COOKIE, 1);
    w = v;
    const char *head = jar_value(&v, "__Host-sid");
    char nh[4200];
    snprintf(nh, sizeof nh, "%.2s.%s", head, head + 2); /* "N." then a '.' */
    jar_put(&w, "__Host-sid", nh);
    snprintf(h, sizeof h, "%s", jar_header(&w));
    crumb_err rc = crumb_session_load(&s, c, h);
    CHECK(rc != CRUMB_OK);
    if (s)
        refused(s, CRUMB_FP_UNCHECKED, 1);
    crumb_session_free(s);
    crumb_ctx_free(c);
}

/* Every allocation of a victim's load failing in turn: a refused, blank
 * session whose save refuses (the cookie was not judged), or no session;
 * the thread's next session shows nothing. */
static void nomem_cell(env *e, int mode)
{
    crumb_ctx *c = mkctx(e, (opts){.mode = mode});
    crumb_ctx *o = mkctx(e, (opts){.mode = CRUMB_MODE_STATELESS}); /* the other mode */
    jar v = {0};
    char h[JAR_MAX * 4200];
    victim(c, &v, "perf-nomem");
    snprintf(h, sizeof h, "%s", jar_header(&v));
    int hit = 0;
    for (long k = 1; k < 200; k++) {
        crumb_session *s = NULL, *t = NULL;
        const char *const *lines;
        size_t n = 7;
        (void)crumb__alloc_fail_at(k, 0);
        crumb_err rc = crumb_session_load(&s, c, h);
        long made = crumb__alloc_fail_at(0, 0);
        if (made < k) { /* no allocation failed: the victim's session */
            CHECK_OK(rc);
            CHECK(s && crumb_session_payload(s)->user_len > 0);
            crumb_session_free(s);
            break;
        }
        hit++;
        if (!s) {
            CHECK_INT(rc, CRUMB_E_NOMEM);
        } else if (rc == CRUMB_OK) { /* a failure the load may survive */
            CHECK(crumb_session_payload(s)->user_len > 0);
        } else {
            blank(s, CRUMB_FP_UNCHECKED);
            CHECK_INT(crumb_session_save(s, &lines, &n), rc); /* unjudged */
            CHECK_INT(n, 0);
        }
        /* blank() kept a block of its own: hold it, so s's block is kept */
        void *held = crumb__park_calloc(sizeof(crumb_session));
        const void *blk = s;
        crumb_session_free(s);
        crumb_ctx *next = k % 2 ? o : c; /* the next request, either mode */
        crumb_session *u = NULL;
        CHECK_OK(crumb_session_load(&t, next, NULL));
        CHECK_OK(crumb_session_load(&u, next, NULL)); /* into a new block */
        CHECK(!blk || t == blk);
        if (t && u) {
            blank(t, CRUMB_FP_UNCHECKED);
            same(t, u);
        }
        crumb_session_free(u);
        crumb_session_free(t);
        crumb__park_free(held, sizeof(crumb_session));
    }
    CHECK(hit >= 2);
    crumb_ctx_free(o);
    crumb_ctx_free(c);
}

/* ==== Stateless sessions through every public call ====================== */

/* Every public session call on s; a stateless session must never need the
 * store state (NULL): run under ASan this is the check. */
static void every_call(crumb_session *s)
{
    const char *const *lines;
    size_t n = 0;
    const uint8_t *v;
    size_t vl, pos = 0, kl;
    const char *k;
    crumb_device_entry de[2];
    crumb_session_entry se[2];
    char handle[CRUMB_HANDLE_LEN + 1];
    memset(handle, 'a', CRUMB_HANDLE_LEN);
    handle[CRUMB_HANDLE_LEN] = 0;
    crumb_err u = is_store(s->ctx) ? CRUMB_E_NOSESSION : CRUMB_E_UNSUPPORTED;
    (void)crumb_session_payload(s);
    (void)crumb_session_is_new(s);
    (void)crumb_session_cookie_size(s);
    (void)crumb_session_fingerprint(s);
    (void)crumb_session_auth_fresh(s, 60);
    (void)crumb_session_next(s, &pos, &k, &kl, &v, &vl);
    CHECK_OK(crumb_session_set_client(s, UA1, "2001:db8::1"));
    CHECK_OK(crumb_session_check_client(s, UA1, "2001:db8::1", NULL, 0));
    CHECK_OK(crumb_session_set(s, "x", "1", 1));
    CHECK_OK(crumb_session_get(s, "x", &v, &vl));
    CHECK_OK(crumb_session_del(s, "x"));
    CHECK_OK(crumb_session_set_tenant(s, "t", 1));
    CHECK_OK(crumb_session_set_device(s, "d", 1));
    CHECK_OK(crumb_session_set_lifetime(s, 600, -1));
    CHECK_OK(crumb_session_rotate(s));
    CHECK_OK(crumb_session_save(s, &lines, &n));
    CHECK_OK(crumb_session_identify(s, "sweep-user", 10, "t", 1));
    uint32_t f = CRUMB_FACTOR_PASSWORD;
    CHECK_OK(crumb_session_begin_auth(s, "pw", &f, 1));
    CHECK_OK(crumb_session_factor_failed(s));
    CHECK_OK(crumb_session_factor_done(s, f, NULL));
    CHECK(crumb_session_auth_fresh(s, 60));
    CHECK_OK(crumb_session_set_workflow(s, 7, 0, 2));
    crumb_auth a = {.state = CRUMB_AUTH_AUTHENTICATED, .factors = f, .time = fake_now};
    CHECK_OK(crumb_session_set_auth(s, &a));
    CHECK_OK(crumb_session_set_user(s, "sweep-user-2", 12));
    CHECK_OK(crumb_session_save(s, &lines, &n));
    if (!is_store(s->ctx)) {
        CHECK_INT(crumb_session_list(s, se, 2, &n), CRUMB_E_UNSUPPORTED);
        CHECK_INT(crumb_session_devices(s, de, 2, &n), CRUMB_E_UNSUPPORTED);
        CHECK_INT(crumb_session_devices_active(s, de, 2, &n), CRUMB_E_UNSUPPORTED);
        CHECK_INT(crumb_session_revoke_session(s, handle), CRUMB_E_UNSUPPORTED);
        CHECK_INT(crumb_session_revoke_device(s, handle), CRUMB_E_UNSUPPORTED);
        CHECK_INT(crumb_session_logout_others(s), CRUMB_E_UNSUPPORTED);
        CHECK_INT(crumb_session_logout_everywhere(s), CRUMB_E_UNSUPPORTED);
    }
    CHECK_OK(crumb_session_logout(s));
    CHECK_OK(crumb_session_save(s, &lines, &n));
    CHECK_INT(crumb_session_devices(s, de, 2, &n), u);
    CHECK_OK(crumb_session_rotate(s));
    CHECK_OK(crumb_session_set(s, "y", "2", 1));
    CHECK_OK(crumb_session_save(s, &lines, &n));
    CHECK_OK(crumb_session_save(s, &lines, &n));
}

/* A stateless session fresh, loaded, refused (fingerprint), after a failed
 * load, and through the CGI and inspect entry points. */
static void stateless_sweep(env *e)
{
    int fps[3] = {CRUMB_FP_OFF, CRUMB_FP_REFUSE, CRUMB_FP_REPORT};
    for (int i = 0; i < 3; i++) {
        crumb_ctx *c = mkctx(e, (opts){.mode = CRUMB_MODE_STATELESS, .fp = fps[i]});
        jar v = {0};
        char h[JAR_MAX * 4200];
        crumb_session *s = NULL;
        victim(c, &v, "perf-sweep");
        snprintf(h, sizeof h, "%s", jar_header(&v));
        CHECK_OK(crumb_session_load(&s, c, NULL));
        every_call(s);
        crumb_session_free(s);
        CHECK_OK(crumb_session_load(&s, c, h));
        every_call(s);
        crumb_session_free(s);
        CHECK_OK(crumb_session_load(&s, c, h));
        crumb_err rc = crumb_session_check_client(s, UA2, NULL, NULL, 0);
        CHECK_INT(rc, fps[i] == CRUMB_FP_REFUSE ? CRUMB_E_AUTH : CRUMB_OK);
        every_call(s);
        crumb_session_free(s);
        tampered(h, sizeof h, &v);
        CHECK_INT(crumb_session_load(&s, c, h), CRUMB_E_AUTH);
        every_call(s);
        crumb_session_free(s);
        /* CGI */
        snprintf(h, sizeof h, "%s", jar_header(&v));
        setenv("HTTP_COOKIE", h, 1);
        setenv("HTTP_USER_AGENT", UA1, 1);
        setenv("REMOTE_ADDR", "198.51.100.7", 1);
        rc = crumb_cgi_load(&s, c);
        CHECK_OK(rc);
        if (s) {
            FILE *f = tmpfile();
            CHECK_OK(crumb_session_set(s, "cgi", "1", 1));
            CHECK(f != NULL);
            if (f) {
                CHECK_OK(crumb_cgi_save(s, f));
                fclose(f);
            }
            crumb_session_free(s);
        }
        unsetenv("HTTP_COOKIE");
        /* inspect (a stateless context of its own) */
        crumb_inspect_result r;
        crumb_ctx_config cfg = {0};
        env sl = *e;
        sl.mode = CRUMB_MODE_STATELESS;
        env_config(&cfg, &sl, secret);
        cfg.store = NULL;
        CHECK_OK(crumb_inspect_cookie_header(&r, e->kr, &cfg, jar_header(&v), 0));
        CHECK_OK(r.err);
        crumb_inspect_clear(&r);
        crumb_ctx_free(c);
    }
}

/* ==== The Cookie header, against the parser before 78bb9aa ============== */

/* crumb_cookie_next as it was (memchr over a strlen'd header), verbatim. */
static int old_ws(char c)
{
    return c == ' ' || c == '\t';
}

static void old_split(const char *hdr, size_t start, size_t end, crumb_cookie_pair *out)
{
    const char *eq = memchr(hdr + start, '=', end - start);
    out->name = hdr + start;
    if (!eq) {
        out->name_len = 0;
        out->value = hdr + start;
        out->value_len = end - start;
        return;
    }
    size_t ne = (size_t)(eq - hdr), vs = ne + 1;
    while (ne > start && old_ws(hdr[ne - 1]))
        ne--;
    while (vs < end && old_ws(hdr[vs]))
        vs++;
    out->name_len = ne - start;
    out->value = hdr + vs;
    out->value_len = end - vs;
}

static int old_next(const char *hdr, size_t len, size_t *pos, crumb_cookie_pair *out)
{
    size_t i = *pos;
    while (hdr && i < len) {
        size_t start = i;
        const char *semi = memchr(hdr + i, ';', len - i);
        size_t end = semi ? (size_t)(semi - hdr) : len;
        i = semi ? end + 1 : len;
        while (start < end && old_ws(hdr[start]))
            start++;
        while (end > start && old_ws(hdr[end - 1]))
            end--;
        if (start == end)
            continue;
        old_split(hdr, start, end, out);
        *pos = i;
        return 1;
    }
    *pos = len;
    return 0;
}

static int old_small(const char *s, size_t n, int lo, int hi)
{
    int v = 0;
    if (n == 0 || n > 2 || (n > 1 && s[0] == '0'))
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v >= lo && v <= hi ? v : -1;
}

static int old_slot(const char *name, size_t len)
{
    static const char nm[] = "__Host-sid";
    size_t nl = sizeof nm - 1;
    if (len < nl || memcmp(name, nm, nl) != 0)
        return -1;
    if (len == nl)
        return 0;
    if (name[nl] != '.')
        return -1;
    if (len == nl + 2 && name[nl + 1] == 'd')
        return CRUMB__SLOT_DEVICE;
    return old_small(name + nl + 1, len - nl - 1, 1, CRUMB_CHUNKS_MAX - 1);
}

/* The former chunk_scan + chunk_find: 0 and the joined token in tok, or
 * the code it refused with. */
static crumb_err old_verdict(const crumb_ctx *ctx, const char *hdr, crumb__req_cookies *rq,
                             char *tok, size_t cap)
{
    size_t len = hdr ? strlen(hdr) : 0, pos = 0, total;
    crumb_cookie_pair cp;
    rq->seen = 0;
    while (old_next(hdr, len, &pos, &cp)) {
        int k = old_slot(cp.name, cp.name_len);
        if (k < 0 || (rq->seen & (1u << k)))
            continue;
        rq->seen |= 1u << k;
        rq->val[k] = cp.value;
        rq->vlen[k] = cp.value_len;
    }
    tok[0] = 0;
    if (!(rq->seen & 1u))
        return rq->seen & ((1u << CRUMB_CHUNKS_MAX) - 2u) ? CRUMB_E_COOKIE : CRUMB_OK;
    size_t n = 1, skip = 0;
    const char *dot = memchr(rq->val[0], '.', rq->vlen[0]);
    if (dot) {
        int cnt = old_small(rq->val[0], (size_t)(dot - rq->val[0]), 2, (int)ctx->cfg.max_chunks);
        if (cnt < 0)
            return CRUMB_E_COOKIE;
        n = (size_t)cnt;
        skip = (size_t)(dot - rq->val[0]) + 1;
    }
    for (size_t k = 1; k < n; k++)
        if (!(rq->seen & (1u << k)))
            return CRUMB_E_COOKIE;
    total = rq->vlen[0] - skip;
    for (size_t k = 0; k < n; k++) {
        if (rq->vlen[k] > ctx->cfg.max_cookie_bytes)
            return CRUMB_E_TOO_LARGE;
        total += k ? rq->vlen[k] : 0;
    }
    if (total > ctx->max_token || total >= cap)
        return CRUMB_E_TOO_LARGE;
    snprintf(tok, cap, "%.*s", (int)(rq->vlen[0] - skip), rq->val[0] + skip);
    for (size_t k = 1; k < n; k++)
        snprintf(tok + strlen(tok), cap - strlen(tok), "%.*s", (int)rq->vlen[k], rq->val[k]);
    return CRUMB_OK;
}

#define POOL_MAX 96
typedef struct pool {
    char *p[POOL_MAX];
    int n;
} pool;

static void pool_add(pool *pl, const char *fmt, const char *a, const char *b)
{
    char buf[4400];
    if (pl->n >= POOL_MAX)
        return;
    snprintf(buf, sizeof buf, fmt, a, b);
    pl->p[pl->n++] = strdup(buf);
}

/* A random decoration: nothing, spaces or tabs. */
static const char *ws(void)
{
    static const char *const w[] = {"", "", "", " ", "\t", "  ", " \t"};
    return w[check_rand() % 7];
}

/* A random Cookie header from the pool's pairs (some mangled on the fly). */
static void random_header(char *h, size_t cap, const pool *pl, const pool *genuine)
{
    static const char *const sep[] = {";", "; ", ";;", " ; ", ";\t", "; ;"};
    size_t at = 0;
    int n = (int)(check_rand() % 7), with_set = check_rand() % 3 == 0;
    h[0] = 0;
    for (int i = 0; i < n + (with_set ? genuine->n : 0); i++) {
        const char *pair = i < n ? pl->p[check_rand() % (uint64_t)pl->n]
                                 : genuine->p[(i - n + (int)(check_rand() % 2)) % genuine->n];
        char piece[4400];
        const char *eq = strchr(pair, '=');
        if (eq && check_rand() % 3 == 0) /* whitespace around '=' and the value */
            snprintf(piece, sizeof piece, "%s%.*s%s=%s%s%s", ws(), (int)(eq - pair), pair, ws(),
                     ws(), eq + 1, ws());
        else
            snprintf(piece, sizeof piece, "%s", pair);
        if (eq && check_rand() % 8 == 0) { /* a '.' somewhere in the value */
            size_t vl = strlen(eq + 1), off = (size_t)(eq - pair) + 1;
            size_t k = off + (vl ? check_rand() % vl : 0);
            if (k < strlen(piece))
                piece[k] = '.';
        }
        int w = snprintf(h + at, cap - at, "%s%s", at ? sep[check_rand() % 6] : "", piece);
        if (w < 0 || (size_t)w >= cap - at)
            break;
        at += (size_t)w;
    }
    if (check_rand() % 5 == 0 && at + 2 < cap) /* a trailing separator */
        strcat(h, ";");
}

/* Token values a load may accept: the victim's (chunked) and the attacker's. */
typedef struct valid {
    const char *tok[2];
    const char *user[2];
} valid;

/* crumb_cookie_next against the former one over a random prefix of h. */
static void next_diff(const char *h)
{
    size_t hl = strlen(h), cut = hl ? (size_t)(check_rand() % (hl + 1)) : 0;
    size_t p1 = 0, p2 = 0;
    crumb_cookie_pair x, y;
    for (int more = 1; more;) {
        int m1 = old_next(h, cut, &p1, &x), m2 = crumb_cookie_next(h, cut, &p2, &y);
        CHECK_INT(m1, m2);
        CHECK_INT(p1, p2);
        if (m1 && m2)
            CHECK(x.name == y.name && x.name_len == y.name_len && x.value == y.value &&
                  x.value_len == y.value_len);
        more = m1 && m2;
    }
}

static int code_pairs[64][64]; /* [former code][code now]: refusals that changed code */

static void scan_load_diff(crumb_ctx *c, const pool *pl, const pool *gen, const valid *ok,
                           int rounds, int *accepted, int *codes_differ)
{
    static char h[POOL_MAX * 4400], tok[CRUMB_PAYLOAD_MAX * 2];
    for (int r = 0; r < rounds; r++) {
        crumb__req_cookies a, b;
        random_header(h, sizeof h, pl, gen);
        crumb_err want = old_verdict(c, h, &a, tok, sizeof tok);
        crumb__chunk_scan(c, h, &b);
        int f0 = check_failures;
        next_diff(h);
        CHECK_INT(b.seen, a.seen);
        for (int k = 0; k <= (int)CRUMB__SLOT_DEVICE; k++)
            if (a.seen & b.seen & (1u << k)) {
                CHECK(a.val[k] == b.val[k]);
                CHECK_INT(a.vlen[k], b.vlen[k]);
            }
        crumb_session *s = NULL;
        crumb_err rc = crumb_session_load(&s, c, h);
        CHECK(s != NULL);
        if (!s)
            abort();
        int which = -1;
        for (int i = 0; i < 2; i++)
            which = want == CRUMB_OK && (a.seen & 1u) && !strcmp(tok, ok->tok[i]) ? i : which;
        if (which >= 0) { /* the former parser found a genuine token */
            CHECK_OK(rc);
            CHECK(!crumb_session_is_new(s));
            CHECK(!strcmp(crumb_session_payload(s)->user, ok->user[which]));
            ++*accepted;
        } else if (want != CRUMB_OK || (a.seen & 1u)) { /* refused before: refused now */
            CHECK(rc != CRUMB_OK);
            blank(s, CRUMB_FP_UNCHECKED);
            if (want != CRUMB_OK && rc != want) {
                ++*codes_differ;
                if (want >= 0 && want < 64 && rc >= 0 && rc < 64)
                    code_pairs[want][rc]++;
            }
        } else { /* no cookie of ours */
            CHECK_OK(rc);
            blank(s, CRUMB_FP_UNCHECKED);
        }
        crumb_session_free(s);
        if (check_failures != f0) {
            fprintf(stderr, "  header (round %d, old verdict %d, now %d): ", r, want, rc);
            for (const char *q = h; *q; q++)
                fputc(*q == '\t' ? '~' : *q, stderr);
            fputc('\n', stderr);
            return;
        }
    }
}

/* Pairs around our cookie: the head and the attacker's token, counts that
 * are not ours, names that are almost ours, foreign and empty pairs. */
static void mangled_pairs(pool *pl, const char *head, const char *atok)
{
    pool_add(pl, "__Host-sid=%s%s", head, "");
    pool_add(pl, "__Host-sid=%s%s", atok, "");
    pool_add(pl, "__Host-sid=%s%s", atok, "");
    pool_add(pl, "__Host-sid=0%s%s", head, "");
    pool_add(pl, "__Host-sid=1%s%s", head + 1, "");
    pool_add(pl, "__Host-sid=9%s%s", head + 1, "");
    pool_add(pl, "__Host-sid=1%s%s", head, ""); /* "1N." */
    pool_add(pl, "__Host-sid=.%s%s", atok, "");
    pool_add(pl, "__Host-sid=%s.%s", "12", atok);
    pool_add(pl, "__Host-sid=%s.%s", "123", atok);
    pool_add(pl, "__Host-sid=%s.%s", "1234", atok);
    pool_add(pl, "__Host-sid=%s%s", "", "");
    pool_add(pl, "__Host-sid%s%s", "", "");
    pool_add(pl, "__Host-sid.d=%s%s", atok, "");
    pool_add(pl, "__Host-sid.0=%s%s", "AAAA", "");
    pool_add(pl, "__Host-sid.01=%s%s", "AAAA", "");
    pool_add(pl, "__Host-sid.16=%s%s", "AAAA", "");
    pool_add(pl, "__Host-sid.=%s%s", "AAAA", "");
    pool_add(pl, "__Host-sid.x=%s%s", "AAAA", "");
    pool_add(pl, "__host-sid=%s%s", atok, "");
    pool_add(pl, "x__Host-sid=%s%s", atok, "");
    pool_add(pl, "=%s%s", atok, "");
    pool_add(pl, "a=b=c%s%s", "", "");
    pool_add(pl, "theme=dark%s%s", "", "");
    pool_add(pl, "%s%s", "", "");
    pool_add(pl, "__Host-sid=\"%s\"%s", atok, "");
}

/* The victim's cookie chunked over a stateless context with small cookies;
 * random headers from its parts, the attacker's token, and mangled and
 * foreign pairs. */
static void cookie_diff(env *e, int rounds)
{
    env sl = *e;
    sl.mode = CRUMB_MODE_STATELESS;
    crumb_ctx *c = mkctx(&sl, (opts){.mode = CRUMB_MODE_STATELESS, .chunk = 1});
    jar v = {0}, at = {0};
    victim(c, &v, "perf-diff");
    crumb_session *s = NULL;
    char val[900], user[CRUMB_ID_MAX + 1];
    memset(val, 'z', sizeof val);
    CHECK_OK(crumb_session_load(&s, c, jar_header(&v)));
    CHECK_OK(crumb_session_set(s, "pad", val, sizeof val));
    snprintf(user, sizeof user, "%s", crumb_session_payload(s)->user);
    save(s, &v, CRUMB_OK);
    crumb_session_free(s);
    CHECK_OK(crumb_session_load(&s, c, NULL));
    CHECK_OK(crumb_session_set_user(s, "attacker", 8));
    save(s, &at, CRUMB_OK);
    crumb_session_free(s);
    CHECK(jar_has(&v, "__Host-sid.2"));
    CHECK(!jar_has(&at, "__Host-sid.1"));
    pool pl = {0}, gen = {0};
    static char joined[8192];
    const char *head = jar_value(&v, "__Host-sid");
    const char *dot = strchr(head, '.');
    snprintf(joined, sizeof joined, "%s", dot + 1);
    pool_add(&gen, "__Host-sid=%s%s", head, "");
    for (int k = 1; k < 12; k++) {
        char nm[32];
        snprintf(nm, sizeof nm, "__Host-sid.%d", k);
        const char *pv = jar_value(&v, nm);
        if (!pv)
            break;
        strcat(joined, pv);
        pool_add(&gen, "%s=%s", nm, pv);
        pool_add(&pl, "%s=%s", nm, pv);
        pool_add(&pl, "%s=x%s", nm, pv);
    }
    const char *atok = jar_value(&at, "__Host-sid");
    mangled_pairs(&pl, head, atok);
    valid ok = {{joined, atok}, {user, "attacker"}};
    int accepted = 0, differ = 0;
    scan_load_diff(c, &pl, &gen, &ok, rounds, &accepted, &differ);
    CHECK(accepted > rounds / 20); /* the accept path was exercised */
    printf("cookie header differential: %d headers, %d accepted, %d refused with another code\n",
           rounds, accepted, differ);
    for (int a = 0; a < 64; a++)
        for (int b = 0; b < 64; b++)
            if (code_pairs[a][b]) {
                printf("  refused with %s before, %s now: %d\n", crumb_strerror(a),
                       crumb_strerror(b), code_pairs[a][b]);
                code_pairs[a][b] = 0;
            }
    for (int i = 0; i < pl.n; i++)
        free(pl.p[i]);
    for (int i = 0; i < gen.n; i++)
        free(gen.p[i]);
    crumb_ctx_free(c);
}

/* ==== The thread's Expires cache ======================================== */

/* IMF-fixdate from the C library (years 0000..9999). */
static void ref_date(char out[30], int64_t t)
{
    static const char *const wd[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    char buf[96];
    snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", wd[tm.tm_wday], tm.tm_mday,
             mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    memcpy(out, buf, 30);
}

static uint64_t mix(uint64_t *st)
{
    uint64_t z = (*st += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* One time of a walk that repeats, steps back and forth by a second, a
 * day, a leap day, jumps anywhere in range and hits the range ends. */
static int64_t next_time(uint64_t *st, int64_t t)
{
    static const int64_t lo = -62167219200LL, hi = 253402300799LL;
    switch (mix(st) % 10) {
    case 0: return t;
    case 1: return t + 1;
    case 2: return t - 1;
    case 3: return t - 86400;
    case 4: return t + 86400 * 366;
    case 5: return lo + (int64_t)(mix(st) % 100000);
    case 6: return hi - (int64_t)(mix(st) % 100000);
    case 7: return (int64_t)(mix(st) % 4102444800ull); /* 1970..2100 */
    case 8: return t - 3600 * 24 * 365 * 30;
    default: return lo + (int64_t)(mix(st) % (uint64_t)(hi - lo + 1));
    }
}

/* n dates of a walk against the reference; out-of-range times refused
 * without disturbing the cache. Returns the mismatches. */
static int date_walk(uint64_t seed, int n)
{
    uint64_t st = seed;
    int64_t t = 1800000000;
    int bad = 0;
    for (int i = 0; i < n; i++) {
        char got[30], want[30];
        t = next_time(&st, t);
        if (!crumb__imf_in_range(t)) {
            bad += crumb__imf_fixdate(got, t) != CRUMB_E_INVALID;
            t = 1800000000;
            continue;
        }
        if (crumb__imf_fixdate(got, t) != CRUMB_OK) {
            bad++;
            continue;
        }
        ref_date(want, t);
        bad += memcmp(got, want, 30) != 0;
        if (i % 7 == 0) { /* an out-of-range time between two equal ones */
            bad += crumb__imf_fixdate(got, 253402300800LL) != CRUMB_E_INVALID;
            bad += crumb__imf_fixdate(got, -62167219201LL) != CRUMB_E_INVALID;
            bad += crumb__imf_fixdate(got, t) != CRUMB_OK || memcmp(got, want, 30) != 0;
        }
    }
    return bad;
}

/* The Expires of every Set-Cookie line (save with the clock going back
 * and forth): the reference date of now + Max-Age. */
static int64_t thread_now_fallback = 1800000000;
static _Thread_local int64_t thread_now;
static int64_t thread_clock(void *ctx)
{
    (void)ctx;
    return thread_now ? thread_now : thread_now_fallback;
}

static int expires_ok(const char *line, int64_t now)
{
    const char *e = strstr(line, "Expires="), *m = strstr(line, "Max-Age=");
    char want[30];
    if (!e || !m)
        return e == NULL && m == NULL;
    long long age = strtoll(m + 8, NULL, 10);
    ref_date(want, age == 0 ? 0 : now + age);
    return strncmp(e + 8, want, 29) == 0;
}

/* A header from a jar into buf (jar_header's buffer is shared). */
static const char *header_of(const jar *j, char *buf, size_t cap)
{
    size_t at = 0;
    buf[0] = 0;
    for (int i = 0; i < j->n; i++) {
        int w = snprintf(buf + at, cap - at, "%s%s=%s", i ? "; " : "", j->names[i], j->values[i]);
        if (w > 0 && (size_t)w < cap - at)
            at += (size_t)w;
    }
    return buf;
}

/* ==== Threads =========================================================== */

typedef struct worker_arg {
    crumb_ctx *ctx;
    int id, iters;
    uint64_t seed;
    int fails;  /* counted here: check.h's counters are not thread-safe */
    int dates_bad;
} worker_arg;

/* Requests of one browser in one thread: the user stays its own, every
 * Expires is right for the thread's clock (which others' do not touch),
 * a tampered cookie gives a blank session. */
static void *worker(void *p)
{
    worker_arg *w = p;
    static _Thread_local jar j; /* 80 KB: not on the thread's stack */
    static _Thread_local char h[JAR_MAX * 4200];
    char user[32];
    uint64_t st = w->seed;
    memset(&j, 0, sizeof j);
    snprintf(user, sizeof user, "thr-%d-%ld", w->id, (long)getpid());
    thread_now = 1800000000 + w->id * 977;
    for (int i = 0; i < w->iters; i++) {
        crumb_session *s = NULL;
        const char *const *lines;
        size_t n = 0;
        thread_now += (int64_t)(mix(&st) % 3); /* same second often: the cache */
        crumb_err rc = crumb_session_load(&s, w->ctx, header_of(&j, h, sizeof h));
        if (!s || rc != CRUMB_OK) {
            w->fails++;
            crumb_session_free(s);
            continue;
        }
        const crumb_payload *pl = crumb_session_payload(s);
        if (i > 0 && strcmp(pl->user, user) != 0)
            w->fails++;
        if (i == 0 && crumb_session_set_user(s, user, strlen(user)) != CRUMB_OK)
            w->fails++;
        char cnt[16];
        snprintf(cnt, sizeof cnt, "%d", i);
        if (crumb_session_set(s, "n", cnt, strlen(cnt)) != CRUMB_OK ||
            crumb_session_save(s, &lines, &n) != CRUMB_OK || n == 0)
            w->fails++;
        for (size_t k = 0; k < n; k++)
            w->fails += !expires_ok(lines[k], thread_now);
        jar_apply(&j, lines, n);
        crumb_session_free(s);
        if (i % 8 == 0) { /* someone else's (tampered) cookie */
            char bad[8192];
            const char *v = jar_value(&j, "__Host-sid");
            snprintf(bad, sizeof bad, "__Host-sid=%s", v ? v : "");
            bad[20] = bad[20] == 'A' ? 'B' : 'A';
            rc = crumb_session_load(&s, w->ctx, bad);
            if (!s || rc != CRUMB_E_AUTH || crumb_session_payload(s)->user_len ||
                crumb_session_payload(s)->data_len || !crumb_session_is_new(s))
                w->fails++;
            crumb_session_free(s);
        }
        w->dates_bad += date_walk(mix(&st), 20);
    }
    return NULL;
}

/* Frees the sessions another thread loaded, loads one itself, exits. */
static void *freer(void *p)
{
    crumb_session **ss = p;
    for (int i = 0; i < 3; i++)
        crumb_session_free(ss[i]);
    crumb_session *s = NULL;
    if (crumb_session_load(&s, ss[3]->ctx, NULL) == CRUMB_OK)
        crumb_session_free(s);
    crumb_session_free(ss[3]);
    return NULL;
}

/* A session the application keeps in its own thread-specific slot, freed
 * by that key's destructor at thread exit: after the library's own
 * destructor has run (keys run in creation order), so the block is kept
 * and registered again, and must still be freed. */
static pthread_key_t app_key;

static void app_drop(void *p)
{
    crumb_session_free(p);
}

static void *app_tls_thread(void *p)
{
    crumb_ctx *ctx = p;
    crumb_session *a = NULL, *b = NULL;
    if (crumb_session_load(&a, ctx, NULL) == CRUMB_OK)
        crumb_session_free(a); /* kept: the library's key is set */
    if (crumb_session_load(&b, ctx, NULL) == CRUMB_OK)
        (void)pthread_setspecific(app_key, b);
    return NULL;
}

/* threads x (stateless, memory store) contexts with per-thread clocks. */
static void threads_run(crumb_keyring *kr, int nthreads, int iters)
{
    crumb_store *st = NULL;
    CHECK_OK(crumb_store_memory_open(&st, NULL));
    crumb_ctx *ctx[2] = {NULL, NULL};
    for (int m = 0; m < 2; m++) {
        crumb_ctx_config c = {.cookie_name = "__Host-sid", .clock = thread_clock};
        c.mode = m ? CRUMB_MODE_STATELESS_STORE : CRUMB_MODE_STATELESS;
        c.store = m ? st : NULL;
        c.store_secret = secret;
        CHECK_OK(crumb_ctx_new(&ctx[m], kr, &c));
    }
    pthread_t t[16];
    worker_arg a[16];
    int fails = 0, dates_bad = 0;
    for (int i = 0; i < nthreads && i < 16; i++) {
        a[i] = (worker_arg){.ctx = ctx[i % 2], .id = i, .iters = iters, .seed = check_rand()};
        CHECK_INT(pthread_create(&t[i], NULL, worker, &a[i]), 0);
    }
    for (int i = 0; i < nthreads && i < 16; i++) {
        CHECK_INT(pthread_join(t[i], NULL), 0);
        fails += a[i].fails;
        dates_bad += a[i].dates_bad;
    }
    CHECK_INT(fails, 0);
    CHECK_INT(dates_bad, 0);
    /* sessions loaded here, freed (and kept) by a thread that then exits */
    for (int m = 0; m < 2; m++) {
        crumb_session *ss[4] = {NULL};
        for (int i = 0; i < 4; i++)
            CHECK_OK(crumb_session_load(&ss[i], ctx[m], NULL));
        pthread_t f;
        CHECK_INT(pthread_create(&f, NULL, freer, ss), 0);
        CHECK_INT(pthread_join(f, NULL), 0);
    }
    CHECK_INT(pthread_key_create(&app_key, app_drop), 0);
    for (int m = 0; m < 2; m++) {
        pthread_t f;
        CHECK_INT(pthread_create(&f, NULL, app_tls_thread, ctx[m]), 0);
        CHECK_INT(pthread_join(f, NULL), 0);
    }
    crumb_ctx_free(ctx[0]);
    crumb_ctx_free(ctx[1]);
    crumb_store_close(st);
    printf("threads: %d x %d requests, %d failures, %d wrong dates\n", nthreads, iters, fails,
           dates_bad);
}

/* Expires through save on one thread, the clock going back and forth. */
static void expires_walk(crumb_keyring *kr)
{
    crumb_ctx_config c = {.cookie_name = "__Host-sid", .clock = thread_clock};
    crumb_ctx *ctx = NULL;
    CHECK_OK(crumb_ctx_new(&ctx, kr, &c));
    uint64_t st = check_rand();
    int64_t base = 1800000000;
    for (int i = 0; i < 300; i++) {
        crumb_session *s = NULL;
        const char *const *lines;
        size_t n = 0;
        int64_t steps[] = {0, 1, -1, 86400, -86400, 31 * 86400, -400 * 86400LL};
        thread_now = base + steps[mix(&st) % 7] + (int64_t)(mix(&st) % 5);
        if (i % 50 == 0) { /* the cache holds exactly the next line's date */
            char d[30];
            CHECK_OK(crumb__imf_fixdate(d, thread_now + 86400));
        }
        CHECK_OK(crumb_session_load(&s, ctx, NULL));
        CHECK_OK(crumb_session_set(s, "k", "v", 1));
        CHECK_OK(crumb_session_save(s, &lines, &n));
        CHECK_INT(n, 1);
        for (size_t k = 0; k < n; k++)
            if (!expires_ok(lines[k], thread_now)) {
                CHECK(0);
                fprintf(stderr, "  now %lld: %s\n", (long long)thread_now, lines[k]);
            }
        crumb_session_free(s);
    }
    thread_now = 0;
    CHECK_INT(date_walk(check_rand(), 200000), 0);
    crumb_ctx_free(ctx);
}

/* ==== A freed session under ASan ======================================= */

#if defined(__SANITIZE_ADDRESS__)
#define PERF_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PERF_ASAN 1
#endif
#endif

#ifdef PERF_ASAN
#include <fcntl.h>
#include <sys/wait.h>

/* A session used after crumb_session_free: in an ASan build the kept block
 * must still be reported (as the freed heap block was before 78bb9aa), so
 * the sanitizer runs of the tests and fuzzers keep catching such bugs. */
static void freed_session_reported(crumb_keyring *kr)
{
    crumb_ctx_config c = {.cookie_name = "__Host-sid", .clock = clock_cb};
    crumb_ctx *ctx = NULL;
    CHECK_OK(crumb_ctx_new(&ctx, kr, &c));
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0)
            dup2(fd, 2); /* the child's ASan report is expected */
        crumb_session *s = NULL;
        if (crumb_session_load(&s, ctx, NULL) != CRUMB_OK)
            _exit(3);
        crumb_session_free(s);
        volatile int fresh = crumb_session_is_new(s); /* use after free */
        (void)fresh;
        _exit(0); /* not reported */
    }
    int st = 0;
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
    CHECK(!(WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 3)));
    printf("ASan: a freed session's use is %s\n",
           WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "NOT reported" : "reported");
    crumb_ctx_free(ctx);
}
#endif

/* ==== Driver ============================================================ */

static void run_cell(int suite, int mode, void *arg)
{
    env *e = arg;
    int f0 = check_failures;
    e->suite = suite;
    e->mode = mode;
    residue_cell(e);
    failure_cell(e, mode);
    if (mode == CRUMB_MODE_STATELESS_STORE)
        chunk_failure_cell(e, mode);
    nomem_cell(e, mode);
    printf("  %s store, suite %d, %s: %s\n", e->store_name, suite,
           mode == CRUMB_MODE_SERVER ? "server" : "stateless+store",
           check_failures == f0 ? "ok" : "FAILED");
}

/* The stateless-only parts, per suite (no store). */
static void run_stateless(int suite, int mode, void *arg)
{
    env *e = arg;
    int f0 = check_failures;
    (void)mode;
    e->suite = suite;
    e->mode = CRUMB_MODE_STATELESS;
    e->st = NULL;
    failure_cell(e, CRUMB_MODE_STATELESS);
    chunk_failure_cell(e, CRUMB_MODE_STATELESS);
    nomem_cell(e, CRUMB_MODE_STATELESS);
    stateless_sweep(e);
    cookie_diff(e, suite == CRUMB_SUITE_XCHACHA20POLY1305 ? 4000 : 1000);
    printf("  stateless, suite %d: %s\n", suite, check_failures == f0 ? "ok" : "FAILED");
}

int main(int argc, char **argv)
{
    static uint8_t key1[32];
    env e = {.cell = run_cell};
    check_seed();
    env_keyring(&e, key1);
    int only_threads = argc > 1 && !strcmp(argv[1], "threads"); /* for valgrind */
#ifdef PERF_ASAN
    freed_session_reported(e.kr);
#endif
    expires_walk(e.kr);
    threads_run(e.kr, only_threads ? 4 : 8, only_threads ? 40 : 150);
    if (!only_threads) {
        matrix_suites(CRUMB_MODE_STATELESS, CRUMB_MODE_STATELESS, run_stateless, &e);
        crumb_store_redis_config rcfg = {.command_timeout_ms = 500, .retry_interval_ms = 100,
                                         .prefix = "perfattack:"};
        matrix_run(MATRIX_ALL, "perfattack", &rcfg, run_store, &e);
    }
    crumb_keyring_free(e.kr);
    return check_done("test_perf_attack");
}
