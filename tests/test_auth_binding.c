/*
 * test_auth_binding.c - issue 16, session side, written as attacks and flows:
 * a stolen cookie replayed from another client is refused (CRUMB_FP_REFUSE)
 * or reported (CRUMB_FP_REPORT); the auth flow (identify, ordered factors,
 * failed attempts, workflow step) and the per-session lifetime survive a
 * save/load. Run in the three modes, over the memory, file and Redis
 * stores (private redis-server; skipped when absent), seal suites 1, 2, 3.
 */
#include "check.h"
#include "crumb.h"
#include "crumb_store.h"
#include "jar.h"
#include "matrix.h"
#include "session_env.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int fp_refused, fp_reported;
static const uint8_t secret[32] = "binding test store secret......";
static const uint8_t fpkey[32] = "binding test fingerprint key...";

static const char UA_A[] = "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0";
static const char UA_B[] = "Mozilla/5.0 (Windows NT 10.0) Chrome/119.0";

static void fp_log_cb(void *ctx, const crumb_event *ev)
{
    (void)ctx;
    if (ev->reason == CRUMB_R_FINGERPRINT) {
        fp_refused += ev->err == CRUMB_E_AUTH;
        fp_reported += ev->err == CRUMB_OK;
    }
}

/* ==== Environment and requests ========================================= */

static crumb_ctx *make_ctx(const env *e, int policy, unsigned inputs, int64_t abs,
                           int64_t session_lifetime, int browser)
{
    crumb_ctx_config c = {0};
    crumb_ctx *ctx = NULL;
    env_config(&c, e, e->mode == CRUMB_MODE_STATELESS ? NULL : secret);
    c.log = fp_log_cb;
    c.fingerprint = policy;
    c.fingerprint_inputs = inputs;
    c.fingerprint_key = e->mode == CRUMB_MODE_STATELESS ? fpkey : NULL; /* else store secret */
    c.absolute_lifetime = abs;
    c.session_lifetime = session_lifetime;
    c.browser_session = browser;
    if (abs)
        c.idle_timeout = -1;
    CHECK_OK(crumb_ctx_new(&ctx, e->kr, &c));
    if (!ctx)
        abort();
    return ctx;
}

static crumb_session *load_at(int line, crumb_ctx *ctx, const jar *j, crumb_err want)
{
    crumb_session *s = NULL;
    crumb_err rc = crumb_session_load(&s, ctx, jar_header(j));
    if (rc != want)
        fprintf(stderr, "  (load at line %d: got %s)\n", line, crumb_strerror(rc));
    CHECK_INT(rc, want);
    if (!s)
        abort();
    return s;
}
#define load(c, j, w) load_at(__LINE__, c, j, w)

/* Save into the jar; the session cookie's lines (not the device cookie's)
 * go to last for the Max-Age checks. */
static char last[8192];
static void save_at(int line, crumb_session *s, jar *j)
{
    const char *const *lines;
    size_t n = 0;
    crumb_err rc = crumb_session_save(s, &lines, &n);
    if (rc != CRUMB_OK)
        fprintf(stderr, "  (save at line %d: got %s)\n", line, crumb_strerror(rc));
    CHECK_OK(rc);
    last[0] = 0;
    for (size_t i = 0; rc == CRUMB_OK && i < n; i++)
        if (!strncmp(lines[i], "__Host-sid=", 11))
            strncat(last, lines[i], sizeof last - strlen(last) - 1);
    if (rc == CRUMB_OK)
        jar_apply(j, lines, n);
    crumb_session_free(s);
}
#define save(s, j) save_at(__LINE__, s, j)

/* The victim signs in from client A; returns the user name used. */
static void victim_login(crumb_ctx *ctx, jar *j, char *user, size_t cap)
{
    new_user(user, cap, "victim");
    crumb_session *s = load(ctx, j, CRUMB_OK);
    CHECK_OK(crumb_session_check_client(s, UA_A, "198.51.100.7", NULL, 0));
    CHECK_INT(crumb_session_fingerprint(s), CRUMB_FP_UNBOUND);
    CHECK_OK(crumb_session_rotate(s));
    CHECK_OK(crumb_session_set_user(s, user, strlen(user)));
    crumb_auth a = {.state = CRUMB_AUTH_AUTHENTICATED, .factors = CRUMB_FACTOR_PASSWORD,
                    .time = fake_now};
    CHECK_OK(crumb_session_set_auth(s, &a));
    CHECK(crumb_session_payload(s)->ext.has_fingerprint);
    save(s, j);
}

/* ==== Attacks =========================================================== */

/* A thief copies the signed-in cookie and replays it from another browser
 * (other User-Agent, other network): refused, the session becomes a fresh
 * anonymous one, the reason is logged; the victim keeps working. */
static void attack_stolen_cookie_refused(const env *e)
{
    crumb_ctx *ctx = make_ctx(e, CRUMB_FP_REFUSE, 0, 0, 0, 0);
    jar victim = {0}, thief;
    char user[64];
    victim_login(ctx, &victim, user, sizeof user);
    thief = victim; /* the stolen cookie (and device cookie) */
    int before = fp_refused;
    crumb_session *s = load(ctx, &thief, CRUMB_OK);
    CHECK_MEM(crumb_session_payload(s)->user, user, strlen(user)); /* token itself is valid */
    CHECK_INT(crumb_session_check_client(s, UA_B, "203.0.113.9", NULL, 0), CRUMB_E_AUTH);
    CHECK_INT(crumb_session_fingerprint(s), CRUMB_FP_MISMATCH);
    CHECK_INT(fp_refused, before + 1);
    CHECK_INT(crumb_session_payload(s)->user_len, 0);
    CHECK_INT(crumb_session_payload(s)->auth.state, CRUMB_AUTH_ANONYMOUS);
    CHECK(crumb_session_is_new(s));
    save(s, &thief); /* the stolen cookie is deleted from the thief's jar */
    CHECK(!jar_has(&thief, "__Host-sid"));
    /* an application that forgets the check: save fails closed */
    thief = victim;
    s = load(ctx, &thief, CRUMB_OK);
    const char *const *lines;
    size_t n = 0;
    CHECK_INT(crumb_session_save(s, &lines, &n), CRUMB_E_AUTH);
    CHECK_INT(n, 0);
    crumb_session_free(s);
    /* the CGI helper checks from HTTP_USER_AGENT / REMOTE_ADDR */
    setenv("HTTP_COOKIE", jar_header(&victim), 1);
    setenv("HTTP_USER_AGENT", UA_B, 1);
    setenv("REMOTE_ADDR", "203.0.113.9", 1);
    s = NULL;
    CHECK_INT(crumb_cgi_load(&s, ctx), CRUMB_E_AUTH);
    CHECK(s && crumb_session_payload(s)->user_len == 0);
    crumb_session_free(s);
    setenv("HTTP_USER_AGENT", UA_A, 1);
    s = NULL;
    CHECK_OK(crumb_cgi_load(&s, ctx));
    CHECK(s && crumb_session_fingerprint(s) == CRUMB_FP_MATCH);
    crumb_session_free(s);
    /* the thief sending the same User-Agent from the same /24 is NOT caught:
     * the guard compares only the inputs configured (UA here) */
    thief = victim;
    s = load(ctx, &thief, CRUMB_OK);
    CHECK_OK(crumb_session_check_client(s, UA_A, "192.0.2.1", NULL, 0));
    CHECK_INT(crumb_session_fingerprint(s), CRUMB_FP_MATCH);
    crumb_session_free(s);
    /* the victim is unaffected */
    s = load(ctx, &victim, CRUMB_OK);
    CHECK_OK(crumb_session_check_client(s, UA_A, "198.51.100.7", NULL, 0));
    CHECK_INT(crumb_session_fingerprint(s), CRUMB_FP_MATCH);
    CHECK_MEM(crumb_session_payload(s)->user, user, strlen(user));
    CHECK_INT(crumb_session_payload(s)->version, 2);
    save(s, &victim);
    crumb_ctx_free(ctx);
}

/* Policy report: the mismatch is logged and visible, the session is kept. */
static void attack_stolen_cookie_reported(const env *e)
{
    crumb_ctx *ctx = make_ctx(e, CRUMB_FP_REPORT, 0, 0, 0, 0);
    jar victim = {0}, thief;
    char user[64];
    victim_login(ctx, &victim, user, sizeof user);
    thief = victim;
    int before = fp_reported;
    crumb_session *s = load(ctx, &thief, CRUMB_OK);
    CHECK_OK(crumb_session_check_client(s, UA_B, "203.0.113.9", NULL, 0));
    CHECK_INT(crumb_session_fingerprint(s), CRUMB_FP_MISMATCH);
    CHECK_INT(fp_reported, before + 1);
    CHECK_MEM(crumb_session_payload(s)->user, user, strlen(user));
    crumb_session_free(s);
    crumb_ctx_free(ctx);
}

/* IP-prefix and application-value inputs: another /24 is a mismatch, the
 * same /24 is not; an application value is compared as given. */
static void attack_other_inputs(const env *e)
{
    crumb_ctx *ctx = make_ctx(e, CRUMB_FP_REFUSE, CRUMB_FP_USER_AGENT | CRUMB_FP_IP_PREFIX, 0,
                              0, 0);
    jar victim = {0}, thief;
    char user[64];
    victim_login(ctx, &victim, user, sizeof user);
    thief = victim;
    crumb_session *s = load(ctx, &thief, CRUMB_OK);
    CHECK_OK(crumb_session_check_client(s, UA_A, "198.51.100.200", NULL, 0));
    crumb_session_free(s);
    s = load(ctx, &thief, CRUMB_OK);
    CHECK_INT(crumb_session_check_client(s, UA_A, "198.51.101.7", NULL, 0), CRUMB_E_AUTH);
    crumb_session_free(s);
    crumb_ctx_free(ctx);

    ctx = make_ctx(e, CRUMB_FP_REFUSE, CRUMB_FP_APP, 0, 0, 0);
    jar j = {0};
    s = load(ctx, &j, CRUMB_OK);
    CHECK_INT(crumb_session_check_client(s, UA_A, NULL, NULL, 0), CRUMB_E_INVALID);
    CHECK_OK(crumb_session_check_client(s, UA_A, NULL, "tls-chan-1", 10));
    CHECK_OK(crumb_session_identify(s, "app-user", 8, NULL, 0));
    uint32_t f[1] = {CRUMB_FACTOR_PASSWORD};
    int done = 0;
    CHECK_OK(crumb_session_begin_auth(s, "password", f, 1));
    CHECK_OK(crumb_session_factor_done(s, CRUMB_FACTOR_PASSWORD, &done));
    CHECK_INT(done, 1);
    save(s, &j);
    thief = j;
    s = load(ctx, &thief, CRUMB_OK);
    CHECK_INT(crumb_session_check_client(s, UA_A, NULL, "tls-chan-2", 10), CRUMB_E_AUTH);
    crumb_session_free(s);
    s = load(ctx, &j, CRUMB_OK);
    CHECK_OK(crumb_session_check_client(s, UA_B, NULL, "tls-chan-1", 10));
    CHECK_INT(crumb_session_fingerprint(s), CRUMB_FP_MATCH);
    crumb_session_free(s);
    crumb_ctx_free(ctx);
}

/* ==== Flows ============================================================ */

/* Username first, two factors in the order given, a failed attempt, then
 * completion; the order, the method, the counter and the attempt time
 * survive every save/load; user and auth state stay consistent. */
static void flow_auth(const env *e)
{
    crumb_ctx *ctx = make_ctx(e, CRUMB_FP_OFF, 0, 0, 0, 0);
    jar j = {0};
    crumb_session *s = load(ctx, &j, CRUMB_OK);
    CHECK_INT(crumb_session_begin_auth(s, "x", (uint32_t[]){CRUMB_FACTOR_TOTP}, 1),
              CRUMB_E_NOSESSION);
    CHECK_OK(crumb_session_identify(s, "alice", 5, "acme", 4));
    save(s, &j);
    s = load(ctx, &j, CRUMB_OK);
    const crumb_payload *p = crumb_session_payload(s);
    CHECK_INT(p->auth.state, CRUMB_AUTH_IDENTIFYING);
    CHECK_INT(p->version, 2);
    CHECK_MEM(p->tenant, "acme", 5);
    uint32_t order[2] = {CRUMB_FACTOR_TOTP, CRUMB_FACTOR_PASSWORD};
    CHECK_INT(crumb_session_begin_auth(s, "totp+password", (uint32_t[]){3}, 1), CRUMB_E_INVALID);
    CHECK_OK(crumb_session_begin_auth(s, "totp+password", order, 2));
    fake_now += 5;
    CHECK_OK(crumb_session_factor_failed(s));
    save(s, &j);
    s = load(ctx, &j, CRUMB_OK);
    p = crumb_session_payload(s);
    CHECK_INT(p->auth.state, CRUMB_AUTH_IN_PROGRESS);
    CHECK_INT(p->auth.attempts, 1);
    CHECK_INT(p->ext.last_attempt, fake_now);
    CHECK_INT(p->ext.left_count, 2);
    CHECK_INT(p->ext.left[0], 1); /* TOTP first, as given */
    CHECK_INT(p->ext.left[1], 0);
    CHECK_MEM(p->ext.method, "totp+password", 14);
    CHECK_INT(crumb_session_factor_done(s, CRUMB_FACTOR_EMAIL, NULL), CRUMB_E_INVALID);
    int done = 1;
    CHECK_OK(crumb_session_factor_done(s, CRUMB_FACTOR_PASSWORD, &done));
    CHECK_INT(done, 0);
    save(s, &j);
    s = load(ctx, &j, CRUMB_OK);
    uint8_t sid[16];
    memcpy(sid, crumb_session_payload(s)->sid, 16);
    CHECK_OK(crumb_session_factor_done(s, CRUMB_FACTOR_TOTP, &done));
    CHECK_INT(done, 1);
    CHECK(memcmp(sid, crumb_session_payload(s)->sid, 16) != 0); /* rotated */
    save(s, &j);
    s = load(ctx, &j, CRUMB_OK);
    p = crumb_session_payload(s);
    CHECK_INT(p->auth.state, CRUMB_AUTH_AUTHENTICATED);
    CHECK_INT(p->auth.factors, CRUMB_FACTOR_PASSWORD | CRUMB_FACTOR_TOTP);
    CHECK_INT(p->ext.done_count, 2);
    CHECK_INT(p->ext.done[0], 0); /* completion order: password, then TOTP */
    CHECK_INT(p->ext.done[1], 1);
    CHECK_INT(p->auth.time, fake_now);
    CHECK(crumb_session_auth_fresh(s, 60));
    /* a workflow step after sign-in */
    CHECK_INT(crumb_session_set_workflow(s, CRUMB_WORKFLOW_SIGNUP, 3, 3), CRUMB_E_INVALID);
    CHECK_OK(crumb_session_set_workflow(s, CRUMB_WORKFLOW_SIGNUP, 1, 3));
    save(s, &j);
    s = load(ctx, &j, CRUMB_OK);
    p = crumb_session_payload(s);
    CHECK_INT(p->auth.state, CRUMB_AUTH_PENDING);
    CHECK_INT(p->ext.step, 1);
    CHECK_INT(p->ext.steps, 3);
    CHECK_INT(p->ext.done_count, 0);
    /* another user: factors reset, IDENTIFYING; no user: ANONYMOUS, no tenant */
    CHECK_OK(crumb_session_set_user(s, "mallory", 7));
    CHECK_INT(p->auth.state, CRUMB_AUTH_IDENTIFYING);
    CHECK_INT(p->ext.steps, 0);
    CHECK_OK(crumb_session_set_user(s, NULL, 0));
    CHECK_INT(p->auth.state, CRUMB_AUTH_ANONYMOUS);
    CHECK_INT(p->tenant_len, 0);
    save(s, &j);
    s = load(ctx, &j, CRUMB_OK);
    CHECK_INT(crumb_session_payload(s)->version, 1); /* nothing v2 left: v1 again */
    crumb_session_free(s);
    crumb_ctx_free(ctx);
}

/* "Remember me": a session-level lifetime beyond the context's default
 * session_lifetime but never beyond absolute_lifetime. */
static void flow_lifetime(const env *e)
{
    const int64_t day = 86400;
    crumb_ctx *ctx = make_ctx(e, CRUMB_FP_OFF, 0, 30 * day, 3600, 1);
    jar plain = {0}, remember = {0};
    crumb_session *s = load(ctx, &plain, CRUMB_OK);
    CHECK_OK(crumb_session_set_user(s, "bob", 3));
    save(s, &plain);
    CHECK(strstr(last, "Max-Age") == NULL); /* browser session */
    s = load(ctx, &remember, CRUMB_OK);
    CHECK_OK(crumb_session_set_user(s, "bob", 3));
    CHECK_INT(crumb_session_set_lifetime(s, 0, 0), CRUMB_E_INVALID);
    CHECK_OK(crumb_session_set_lifetime(s, 1000 * day, 0)); /* capped at 30 days */
    CHECK_INT(crumb_session_payload(s)->expires_at, fake_now + 30 * day);
    save(s, &remember);
    CHECK(strstr(last, "Max-Age=2592000") != NULL); /* persists despite browser_session */
    fake_now += 2 * 3600;
    s = load(ctx, &plain, CRUMB_E_EXPIRED); /* the default hour is over */
    crumb_session_free(s);
    s = load(ctx, &remember, CRUMB_OK);
    CHECK_INT(crumb_session_payload(s)->ext.lifetime, 30 * day);
    CHECK_OK(crumb_session_rotate(s)); /* a rotation keeps the override */
    CHECK_INT(crumb_session_payload(s)->expires_at, fake_now + 30 * day);
    save(s, &remember);
    fake_now += 30 * day + 60;
    s = load(ctx, &remember, CRUMB_E_EXPIRED);
    crumb_session_free(s);
    crumb_ctx_free(ctx);
}

static const struct {
    const char *name;
    void (*fn)(const env *);
} cases[] = {
    {"stolen cookie refused", attack_stolen_cookie_refused},
    {"stolen cookie reported", attack_stolen_cookie_reported},
    {"ip prefix and app value", attack_other_inputs},
    {"auth flow", flow_auth},
    {"remember me", flow_lifetime},
};

/* Every case on store e->st (or none) with one seal suite and mode. */
static void run_cell(int suite, int mode, void *arg)
{
    env *e = arg;
    int64_t t0 = fake_now;
    e->suite = suite;
    e->mode = mode;
    int before = check_failures;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        int f0 = check_failures;
        cases[k].fn(e);
        if (check_failures != f0)
            printf("  FAILED: %s\n", cases[k].name);
    }
    printf("  %s, suite %d, mode %d: %s\n", e->store_name, suite, mode,
           check_failures == before ? "ok" : "FAILED");
    fake_now = t0 + 400 * 86400; /* past everything the last run wrote */
}

int main(void)
{
    env e = {.cell = run_cell};
    uint8_t key[32];
    check_seed();
    env_keyring(&e, key);
    e.store_name = "no store";
    matrix_suites(CRUMB_MODE_STATELESS, CRUMB_MODE_STATELESS, run_cell, &e);

    crumb_store_redis_config rcfg = {.command_timeout_ms = 1000, .prefix = "binding:"};
    matrix_run(MATRIX_ALL, "binding", &rcfg, run_store, &e);
    crumb_keyring_free(e.kr);
    return check_done("test_auth_binding");
}
