/*
 * test_store_glue.c - the session layer's use of the issue-16 store
 * features, over the memory, file and Redis stores (a private redis-server;
 * skipped when absent), seal suites 1, 2 and 3 and both store modes: a
 * replay revokes the family's devices, device re-identification by keyed
 * fingerprint (never re-attaching a revoked device), active-device listing.
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

static const uint8_t secret[32] = "glue test store secret.........";

static crumb_ctx *make_ctx(const env *e, int keep_devices, int reidentify)
{
    crumb_ctx_config c = {0};
    crumb_ctx *ctx = NULL;
    env_config(&c, e, secret);
    c.rotation_grace = 10;
    c.absolute_lifetime = 1000;
    c.idle_timeout = -1;
    c.replay_keeps_devices = keep_devices;
    c.device_reidentify = reidentify;
    CHECK_OK(crumb_ctx_new(&ctx, e->kr, &c));
    if (!ctx)
        abort();
    return ctx;
}

static const char *UA = "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0";

static crumb_session *begin_ua(crumb_ctx *ctx, const jar *j, crumb_err want, const char *ua)
{
    crumb_session *s = NULL;
    CHECK_INT(crumb_session_load(&s, ctx, jar_header(j)), want);
    if (!s)
        abort();
    CHECK_OK(crumb_session_set_client(s, ua, "198.51.100.7"));
    return s;
}

static void end(crumb_session *s, jar *j, crumb_err want)
{
    const char *const *lines;
    size_t n = 0;
    CHECK_INT(crumb_session_save(s, &lines, &n), want);
    if (want == CRUMB_OK)
        jar_apply(j, lines, n);
    crumb_session_free(s);
}

static void login_want(crumb_ctx *ctx, jar *j, const char *user, const char *ua,
                       crumb_err want)
{
    crumb_session *s = begin_ua(ctx, j, want, ua);
    CHECK_OK(crumb_session_rotate(s));
    CHECK_OK(crumb_session_set_user(s, user, strlen(user)));
    end(s, j, CRUMB_OK);
}

static void login_ua(crumb_ctx *ctx, jar *j, const char *user, const char *ua)
{
    login_want(ctx, j, user, ua, CRUMB_OK);
}

/* The user's device rows as the store has them: count, and how many are
 * REVOKED. */
static size_t rows(const env *e, const char *u, size_t *revoked)
{
    crumb_store_device d[16];
    size_t n = 0;
    CHECK_OK(crumb_store_device_list(e->st, "", u, d, 16, &n));
    *revoked = 0;
    for (size_t i = 0; i < n && i < 16; i++)
        *revoked += d[i].trust == CRUMB_TRUST_REVOKED;
    return n;
}

/* A replayed (older-generation) cookie revokes the family and, unless
 * replay_keeps_devices, the device the family was used on: the thief's copy
 * of the device cookie is refused too. Before issue 16 only the family. */
static void t_replay_revokes_devices(const env *e)
{
    for (int keep = 0; keep <= 1; keep++) {
        char u[64];
        size_t rev = 9;
        new_user(u, sizeof u, "replay");
        crumb_ctx *ctx = make_ctx(e, keep, 0);
        jar a = {0}, old;
        login_ua(ctx, &a, u, UA);
        old = a;
        fake_now += 100;
        crumb_session *s = begin_ua(ctx, &a, CRUMB_OK, UA);
        CHECK_OK(crumb_session_rotate(s));
        end(s, &a, CRUMB_OK);
        fake_now += 100;
        replays = 0;
        s = begin_ua(ctx, &old, CRUMB_E_REPLAY, UA);
        crumb_session_free(s);
        CHECK_INT(replays, 1);
        CHECK_INT(rows(e, u, &rev), 1);
        CHECK_INT(rev, keep ? 0 : 1);
        /* the device is refused: the thief's login gets a new device */
        jar thief = old; /* its session cookie is refused; its device cookie... */
        login_want(ctx, &thief, u, UA, CRUMB_E_REVOKED);
        CHECK_INT(rows(e, u, &rev), keep ? 1 : 2);
        crumb_ctx_free(ctx);
    }
}

/* Seed 000's "lease lost": a request that raced a rotation (previous
 * generation, inside the grace window) is served, but a change or rotation
 * of that family it makes is refused with CRUMB_E_CONFLICT and no cookie;
 * a login starts a new family, so it takes effect and its cookie is sent.
 * Never CRUMB_OK with the change silently dropped. */
static void t_lease_lost(const env *e)
{
    char u[64], v[64];
    new_user(u, sizeof u, "lease");
    new_user(v, sizeof v, "lease2");
    crumb_ctx *ctx = make_ctx(e, 0, 0);
    jar a = {0}, old;
    login_ua(ctx, &a, u, UA);
    old = a;
    fake_now += 2;
    crumb_session *s = begin_ua(ctx, &a, CRUMB_OK, UA);
    CHECK_OK(crumb_session_rotate(s));
    end(s, &a, CRUMB_OK);
    for (int what = 0; what < 3; what++) {
        s = begin_ua(ctx, &old, CRUMB_OK, UA); /* in the grace window: served */
        if (what == 0) { /* a login on the stale cookie */
            CHECK_OK(crumb_session_rotate(s));
            CHECK_OK(crumb_session_set_user(s, v, strlen(v)));
        } else if (what == 1) {
            CHECK_OK(crumb_session_set(s, "k", "v", 1));
        } else {
            CHECK_OK(crumb_session_rotate(s));
        }
        const char *const *lines;
        size_t n = 9;
        if (what == 0) {
            jar l = old;
            CHECK_OK(crumb_session_save(s, &lines, &n));
            CHECK(n >= 1);
            jar_apply(&l, lines, n);
            crumb_session_free(s);
            s = begin_ua(ctx, &l, CRUMB_OK, UA); /* the login is not lost */
            CHECK(crumb_session_payload(s)->user_len == strlen(v));
            crumb_session_free(s);
            continue;
        }
        CHECK_INT(crumb_session_save(s, &lines, &n), CRUMB_E_CONFLICT);
        CHECK_INT(n, 0);
        crumb_session_free(s);
    }
    s = begin_ua(ctx, &a, CRUMB_OK, UA); /* the winner is intact */
    CHECK(crumb_session_payload(s)->user_len == strlen(u));
    crumb_session_free(s);
    crumb_ctx_free(ctx);
}

/* The current device among the session's devices (-1 if none). */
static int current_of(crumb_ctx *ctx, const jar *j, int active, crumb_device_entry *de,
                      size_t *n)
{
    crumb_session *s = begin_ua(ctx, j, CRUMB_OK, UA);
    CHECK_OK(active ? crumb_session_devices_active(s, de, 8, n)
                    : crumb_session_devices(s, de, 8, n));
    int cur = -1;
    for (size_t i = 0; i < *n && i < 8; i++)
        if (de[i].current)
            cur = (int)i;
    crumb_session_free(s);
    return cur;
}

/* A browser that cleared its cookies signs in again: with
 * device_reidentify it keeps its device row (found by keyed fingerprint),
 * but never a REVOKED one; without it (the default) it is a new row. */
static void t_reidentify(const env *e)
{
    char u[64];
    size_t rev = 0, n = 0;
    crumb_device_entry de[8];
    new_user(u, sizeof u, "reid");
    crumb_ctx *ctx = make_ctx(e, 0, 1), *plain = make_ctx(e, 0, 0);
    jar a = {0}, b = {0}, c = {0}, d = {0}, other = {0};
    login_ua(ctx, &a, u, UA);
    int ca = current_of(ctx, &a, 0, de, &n);
    CHECK(ca >= 0);
    char dev_a[CRUMB_HANDLE_LEN + 1] = "";
    if (ca >= 0)
        snprintf(dev_a, sizeof dev_a, "%s", de[ca].handle);
    fake_now += 10;
    login_ua(ctx, &b, u, UA); /* cleared cookies: same browser, same network */
    CHECK_INT(rows(e, u, &rev), 1);
    int cb = current_of(ctx, &b, 0, de, &n);
    CHECK(cb >= 0 && strcmp(de[cb].handle, dev_a) == 0);
    login_ua(ctx, &other, u, "curl/8.0"); /* another client: its own row */
    CHECK_INT(rows(e, u, &rev), 2);
    /* not configured (the default): a new row every time cookies go */
    const char *ua2 = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0";
    jar c2 = {0};
    login_ua(plain, &c, u, ua2);
    login_ua(plain, &c2, u, ua2);
    CHECK_INT(rows(e, u, &rev), 4);
    /* the device is revoked (from c): never re-attached */
    crumb_session *s = begin_ua(plain, &c, CRUMB_OK, ua2);
    CHECK_OK(crumb_session_revoke_device(s, dev_a));
    end(s, &c, CRUMB_OK);
    fake_now += 10;
    login_ua(ctx, &d, u, UA);
    CHECK_INT(rows(e, u, &rev), 5);
    CHECK_INT(rev, 1);
    int cd = current_of(ctx, &d, 0, de, &n);
    CHECK(cd >= 0 && strcmp(de[cd].handle, dev_a) != 0);
    /* the active list leaves the revoked one out and marks this device */
    CHECK_INT(n, 5);
    cd = current_of(ctx, &d, 1, de, &n);
    CHECK_INT(n, 4);
    CHECK(cd >= 0);
    for (size_t i = 0; i < n && i < 8; i++)
        CHECK(strcmp(de[i].handle, dev_a) != 0 && de[i].trust != CRUMB_TRUST_REVOKED);
    crumb_ctx_free(ctx);
    crumb_ctx_free(plain);
}

/* The three checks on store e->st with one seal suite and store mode. */
static void run_cell(int suite, int mode, void *arg)
{
    env *e = arg;
    int before = check_failures;
    e->suite = suite;
    e->mode = mode;
    t_replay_revokes_devices(e);
    t_reidentify(e);
    t_lease_lost(e);
    printf("  %s store, suite %d, %s: %s\n", e->store_name, suite,
           mode == CRUMB_MODE_SERVER ? "server" : "stateless+store",
           check_failures == before ? "ok" : "FAILED");
}

int main(void)
{
    env e = {.cell = run_cell};
    uint8_t key[32];
    check_seed();
    env_keyring(&e, key);
    crumb_store_redis_config rcfg = {.command_timeout_ms = 300, .retry_interval_ms = 100,
                                     .prefix = "glue:"};
    matrix_run(MATRIX_ALL, "glue", &rcfg, run_store, &e);
    crumb_keyring_free(e.kr);
    return check_done("test_store_glue");
}
