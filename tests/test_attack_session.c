/*
 * test_attack_session.c - the store modes' guarantees (docs/SECURITY.md,
 * "Threat model") written as attacks, each run over the memory, file and
 * Redis stores (a private redis-server on a random loopback port; skipped
 * when absent), seal suites 1, 2 and 3, and both store modes. One function
 * per attacker capability; the issue 12 finding each one guards is named.
 */
#include "check.h"
#include "crumb.h"
#include "crumb_store.h"
#include "internal.h"
#include "jar.h"
#include "matrix.h"
#include "names.h"
#include "session_env.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

static const uint8_t secret[32] = "attack test store secret.......";
static uint8_t attack_key1[32]; /* key 1 of the ring every attack starts with */
static crumb_keyring *attack_kr;

/* ==== Requests ========================================================== */

static crumb_ctx *make_ctx_with(const env *e, crumb_keyring *kr, int64_t lifetime)
{
    crumb_ctx_config c = {0};
    crumb_ctx *ctx = NULL;
    env_config(&c, e, secret);
    c.rotation_grace = 10;
    if (lifetime) {
        c.absolute_lifetime = lifetime;
        c.idle_timeout = -1;
    }
    CHECK_OK(crumb_ctx_new(&ctx, kr, &c));
    if (!ctx)
        abort();
    return ctx;
}

static crumb_ctx *make_ctx(const env *e)
{
    return make_ctx_with(e, e->kr, 0);
}

static crumb_session *begin_at(int line, crumb_ctx *ctx, const jar *j, crumb_err want)
{
    crumb_session *s = NULL;
    crumb_err rc = crumb_session_load(&s, ctx, jar_header(j));
    if (rc != want)
        fprintf(stderr, "  (request at line %d: got %s)\n", line, crumb_strerror(rc));
    CHECK_INT(rc, want);
    if (!s)
        abort();
    CHECK_OK(crumb_session_set_client(s, "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0",
                                      "198.51.100.7"));
    return s;
}
#define begin(c, j, w) begin_at(__LINE__, c, j, w)

/* Save into the jar; returns how many lines set the device cookie. */
static int end_at(int line, crumb_session *s, jar *j, crumb_err want)
{
    const char *const *lines;
    size_t n = 0;
    int dev = 0;
    crumb_err rc = crumb_session_save(s, &lines, &n);
    if (rc != want)
        fprintf(stderr, "  (save at line %d: got %s)\n", line, crumb_strerror(rc));
    CHECK_INT(rc, want);
    if (rc == CRUMB_OK) {
        for (size_t i = 0; i < n; i++)
            dev += !strncmp(lines[i], "__Host-sid.d=", 13) && !strstr(lines[i], "Max-Age=0");
        jar_apply(j, lines, n);
    } else {
        CHECK_INT(n, 0);
    }
    crumb_session_free(s);
    return dev;
}
#define end(s, j, w) end_at(__LINE__, s, j, w)

static void login(crumb_ctx *ctx, jar *j, const char *user)
{
    crumb_session *s = begin(ctx, j, CRUMB_OK);
    CHECK_OK(crumb_session_rotate(s));
    CHECK_OK(crumb_session_set_user(s, user, strlen(user)));
    end(s, j, CRUMB_OK);
}

/* The handle of the user's device other than the current one (not revoked). */
static int other_device(crumb_ctx *ctx, const jar *j, char handle[CRUMB_HANDLE_LEN + 1])
{
    crumb_device_entry de[16];
    size_t n = 0;
    int found = 0;
    crumb_session *s = begin(ctx, j, CRUMB_OK);
    CHECK_OK(crumb_session_devices(s, de, 16, &n));
    for (size_t i = 0; i < n && i < 16; i++)
        if (!de[i].current && de[i].trust != CRUMB_TRUST_REVOKED) {
            memcpy(handle, de[i].handle, CRUMB_HANDLE_LEN + 1);
            found = 1;
        }
    crumb_session_free(s);
    CHECK(found);
    return found;
}

static void revoke_device(crumb_ctx *ctx, jar *owner, const char *handle)
{
    crumb_session *s = begin(ctx, owner, CRUMB_OK);
    CHECK_OK(crumb_session_revoke_device(s, handle));
    end(s, owner, CRUMB_OK);
}

/* ==== Attacks ============================================================ */

/* Finding 1 - has the session cookie only / swaps the device cookie: the
 * owner revoked the device; the device in the authenticated payload is
 * checked whatever .d cookie comes along, and no save re-issues it. */
static void attack_stolen_session_cookie(const env *e)
{
    char u[64], m[64], h[CRUMB_HANDLE_LEN + 1];
    new_user(u, sizeof u, "victim");
    new_user(m, sizeof m, "mallory");
    crumb_ctx *ctx = make_ctx(e);
    jar victim = {0}, owner = {0}, thief = {0}, swap = {0}, mal = {0};
    login(ctx, &victim, u);
    jar_put(&thief, "__Host-sid", jar_value(&victim, "__Host-sid")); /* session cookie only */
    login(ctx, &mal, m);                                             /* the thief's own device */
    swap = thief;
    jar_put(&swap, "__Host-sid.d", jar_value(&mal, "__Host-sid.d"));
    fake_now += 5;
    login(ctx, &owner, u);
    if (other_device(ctx, &owner, h))
        revoke_device(ctx, &owner, h);
    fake_now += 5;
    jar *t[2] = {&thief, &swap};
    for (int i = 0; i < 2; i++) {
        crumb_session *s = begin(ctx, t[i], CRUMB_E_REVOKED);
        CHECK_INT(crumb_session_payload(s)->user_len, 0);
        CHECK_OK(crumb_session_set(s, "x", "1", 1)); /* the next save */
        CHECK_INT(end(s, t[i], CRUMB_OK), i == 0 ? 1 : 0); /* a NEW device cookie at most */
        CHECK(i == 1 || strcmp(jar_value(t[i], "__Host-sid.d"),
                               jar_value(&victim, "__Host-sid.d")) != 0);
    }
    crumb_session *s = begin(ctx, &owner, CRUMB_OK); /* the owner is untouched */
    CHECK(crumb_session_payload(s)->user_len == strlen(u));
    end(s, &owner, CRUMB_OK);
    crumb_ctx_free(ctx);
}

/* Finding 2 - the device cookie opens under every suite: a signed-in
 * browser keeps one device and is not handed a new device cookie on every
 * save. */
static void attack_device_cookie_opens(const env *e)
{
    char u[64];
    new_user(u, sizeof u, "dev");
    crumb_ctx *ctx = make_ctx(e);
    jar a = {0};
    login(ctx, &a, u);
    for (int i = 0; i < 3; i++) {
        fake_now += 61;
        crumb_session *s = begin(ctx, &a, CRUMB_OK);
        CHECK_OK(crumb_session_set(s, "i", &i, sizeof i));
        CHECK_INT(end(s, &a, CRUMB_OK), 0);
    }
    crumb_device_entry de[4];
    size_t n = 0;
    crumb_session *s = begin(ctx, &a, CRUMB_OK);
    CHECK_OK(crumb_session_devices(s, de, 4, &n));
    CHECK_INT(n, 1);
    CHECK_INT(de[0].current, 1);
    crumb_session_free(s);
    crumb_ctx_free(ctx);
}

/* Finding 3 - operator key rotation: the store keys do not move, so a
 * logged-out cookie stays revoked and a live server session is found. */
static void attack_key_rotation(const env *e)
{
    char u[64];
    uint8_t k2[32];
    new_user(u, sizeof u, "rot");
    crumb_ctx_config bad = {.cookie_name = "__Host-sid", .mode = e->mode, .store = e->st};
    crumb_ctx *ctx = NULL;
    CHECK_INT(crumb_ctx_new(&ctx, e->kr, &bad), CRUMB_E_INVALID); /* no store secret */
    ctx = make_ctx(e);
    jar live = {0}, ended = {0}, copy;
    login(ctx, &live, u);
    login(ctx, &ended, u);
    copy = ended;
    crumb_session *s = begin(ctx, &ended, CRUMB_OK);
    CHECK_OK(crumb_session_logout(s));
    end(s, &ended, CRUMB_OK);
    crumb_ctx_free(ctx);
    /* docs/CLI.md rotation: key add, key promote (old key decrypt-only) */
    crumb_keyring *kr2 = NULL;
    check_fill(k2, sizeof k2);
    CHECK_OK(crumb_keyring_new(&kr2));
    CHECK_OK(crumb_keyring_add(kr2, 1, CRUMB_KEY_DECRYPT_ONLY, attack_key1));
    CHECK_OK(crumb_keyring_add(kr2, 2, CRUMB_KEY_PRIMARY, k2));
    ctx = make_ctx_with(e, kr2, 0);
    fake_now += 5;
    s = begin(ctx, &copy, CRUMB_E_REVOKED); /* stays logged out */
    crumb_session_free(s);
    s = begin(ctx, &live, CRUMB_OK); /* and the live one still works */
    CHECK(crumb_session_payload(s)->user_len == strlen(u));
    crumb_session_free(s);
    crumb_ctx_free(ctx);
    crumb_keyring_free(kr2);
}

/* The store key of a session (as the store sees it). */
static void store_key_of(const env *e, crumb_ctx *ctx, const jar *j, crumb_store_key *key)
{
    crumb_session *s = begin(ctx, j, CRUMB_OK);
    CHECK(names_session_key(e->st, secret, crumb_session_payload(s)->sid, key) == 0);
    crumb_session_free(s);
}

static int contains(const uint8_t *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp(hay + i, needle, k))
            return 1;
    return 0;
}

/* Finding 4 - reads / writes the store (server mode): a record reveals no
 * user id or data, and a record edited to name another user, tampered
 * with, or moved under another session's key is refused. */
static void attack_store_access(const env *e)
{
    char u[64], v[64];
    static uint8_t rec[CRUMB_STORE_DATA_MAX], other[CRUMB_STORE_DATA_MAX];
    size_t len = 0, olen = 0;
    crumb_store_key mine, theirs;
    if (e->mode != CRUMB_MODE_SERVER)
        return;
    new_user(u, sizeof u, "eve");
    new_user(v, sizeof v, "vic");
    crumb_ctx *ctx = make_ctx(e);
    jar me = {0}, vic = {0};
    login(ctx, &me, u);
    login(ctx, &vic, v);
    crumb_session *s = begin(ctx, &vic, CRUMB_OK);
    CHECK_OK(crumb_session_set(s, "csrf", "SECRET-CSRF-TOKEN", 17));
    end(s, &vic, CRUMB_OK);
    store_key_of(e, ctx, &me, &mine);
    store_key_of(e, ctx, &vic, &theirs);
    CHECK_OK(crumb_store_get(e->st, &mine, rec, sizeof rec, &len, NULL, NULL, fake_now));
    CHECK_OK(crumb_store_get(e->st, &theirs, other, sizeof other, &olen, NULL, NULL, fake_now));
    CHECK(!contains(other, olen, v) && !contains(other, olen, "SECRET-CSRF-TOKEN"));
    crumb_payload p;
    if (crumb_payload_decode(&p, rec, len) == CRUMB_OK) { /* plaintext: make it the victim's */
        memcpy(p.user, v, strlen(v) + 1);
        p.user_len = strlen(v);
        CHECK_OK(crumb_payload_encode(&p, rec, sizeof rec, &len));
    } else {
        rec[len / 2] ^= 1; /* sealed: all a writer can do is damage it */
    }
    CHECK_OK(crumb_store_put(e->st, &mine, rec, len, fake_now + 3600, CRUMB_STORE_VERSION_ANY,
                             NULL, fake_now));
    s = begin(ctx, &me, CRUMB_E_CORRUPT);
    CHECK_INT(crumb_session_payload(s)->user_len, 0);
    crumb_session_free(s);
    /* the victim's intact record moved under my key */
    CHECK_OK(crumb_store_put(e->st, &mine, other, olen, fake_now + 3600,
                             CRUMB_STORE_VERSION_ANY, NULL, fake_now));
    s = begin(ctx, &me, CRUMB_E_CORRUPT);
    CHECK_INT(crumb_session_payload(s)->user_len, 0);
    crumb_session_free(s);
    crumb_ctx_free(ctx);
}

/* Finding 5 - replays an older cookie: the family stays revoked as long as
 * its newest generation could live, not only until the replayed one expires. */
static void attack_replay_outlives(const env *e)
{
    char u[64];
    new_user(u, sizeof u, "replay");
    crumb_ctx *ctx = make_ctx_with(e, e->kr, 1000);
    jar a = {0}, old;
    login(ctx, &a, u);
    old = a;
    fake_now += 500;
    crumb_session *s = begin(ctx, &a, CRUMB_OK);
    CHECK_OK(crumb_session_rotate(s)); /* privilege change: generation 2 */
    end(s, &a, CRUMB_OK);
    fake_now += 100;
    replays = 0;
    s = begin(ctx, &old, CRUMB_E_REPLAY);
    crumb_session_free(s);
    CHECK_INT(replays, 1);
    fake_now += 500; /* the replayed token has expired; generation 2 has not */
    s = begin(ctx, &a, CRUMB_E_REVOKED);
    crumb_session_free(s);
    crumb_ctx_free(ctx);
}

/* Finding 6 - a session ended by handle from a shorter-lived session stays
 * ended for its own whole life. */
static void attack_revoke_by_handle_outlives(const env *e)
{
    char u[64];
    new_user(u, sizeof u, "handle");
    crumb_ctx *ctx = make_ctx_with(e, e->kr, 1000);
    jar older = {0}, newer = {0};
    login(ctx, &older, u);
    fake_now += 500;
    login(ctx, &newer, u);
    fake_now += 100;
    crumb_session *s = begin(ctx, &older, CRUMB_OK);
    crumb_session_entry se[8];
    size_t n = 0;
    CHECK_OK(crumb_session_list(s, se, 8, &n));
    for (size_t i = 0; i < n && i < 8; i++)
        if (!se[i].current)
            CHECK_OK(crumb_session_revoke_session(s, se[i].handle));
    end(s, &older, CRUMB_OK);
    s = begin(ctx, &newer, CRUMB_E_REVOKED);
    crumb_session_free(s);
    fake_now += 500; /* the revoking session has expired; the ended one would not have */
    s = begin(ctx, &newer, CRUMB_E_REVOKED);
    crumb_session_free(s);
    crumb_ctx_free(ctx);
}

/* Finding 8 - races parallel requests: a request that loaded before a login
 * (or a rotation) is told CRUMB_E_CONFLICT and sends nothing, so the
 * browser keeps the newer cookie, which is never taken for a replay. */
static void attack_parallel_race(const env *e)
{
    char u[64];
    new_user(u, sizeof u, "race");
    crumb_ctx *ctx = make_ctx(e);
    for (int rotate_only = 0; rotate_only < 2; rotate_only++) {
        jar b = {0};
        crumb_session *s;
        if (rotate_only)
            login(ctx, &b, u);
        s = begin(ctx, &b, CRUMB_OK); /* anonymous visitor (or signed in) */
        CHECK_OK(crumb_session_set(s, "cart", "1", 1));
        end(s, &b, CRUMB_OK);
        fake_now += 1;
        crumb_session *slow = begin(ctx, &b, CRUMB_OK), *fast = begin(ctx, &b, CRUMB_OK);
        CHECK_OK(crumb_session_rotate(fast));
        if (!rotate_only)
            CHECK_OK(crumb_session_set_user(fast, u, strlen(u)));
        end(fast, &b, CRUMB_OK);
        CHECK_OK(crumb_session_set(slow, "cart", "2", 1));
        end(slow, &b, CRUMB_E_CONFLICT);
        fake_now += 60; /* past the grace window */
        replays = 0;
        s = begin(ctx, &b, CRUMB_OK);
        CHECK(crumb_session_payload(s)->user_len == strlen(u));
        end(s, &b, CRUMB_OK);
        CHECK_INT(replays, 0);
    }
    crumb_ctx_free(ctx);
}

/* Finding 9 - planted a cookie before login: the login starts a new family,
 * so replaying the planted cookie cannot log the victim out. */
static void attack_fixation(const env *e)
{
    char u[64];
    new_user(u, sizeof u, "fix");
    crumb_ctx *ctx = make_ctx(e);
    jar att = {0}, victim;
    crumb_session *s = begin(ctx, &att, CRUMB_OK);
    CHECK_OK(crumb_session_set(s, "lang", "en", 2));
    end(s, &att, CRUMB_OK);
    victim = att; /* planted */
    s = begin(ctx, &att, CRUMB_OK);
    uint8_t fam[16];
    memcpy(fam, crumb_session_payload(s)->family, 16);
    crumb_session_free(s);
    fake_now += 1;
    login(ctx, &victim, u);
    fake_now += 60;
    s = NULL; /* the attacker replays the planted cookie (refused or not) */
    crumb_err rc = crumb_session_load(&s, ctx, jar_header(&att));
    CHECK(rc == CRUMB_OK || rc == CRUMB_E_REPLAY);
    crumb_session_free(s);
    s = begin(ctx, &victim, CRUMB_OK);
    CHECK(crumb_session_payload(s)->user_len == strlen(u));
    CHECK(memcmp(crumb_session_payload(s)->family, fam, 16) != 0);
    crumb_session_free(s);
    crumb_ctx_free(ctx);
}

/* Finding 11 - a browser whose device was revoked (by the owner, or by the
 * retention sweep) signs in again as a new device; a login promotes its
 * device out of UNKNOWN. */
static void attack_revoked_device_relogin(const env *e)
{
    char u[64], h[CRUMB_HANDLE_LEN + 1];
    new_user(u, sizeof u, "relogin");
    crumb_ctx *ctx = make_ctx(e);
    jar b = {0}, owner = {0};
    login(ctx, &b, u);
    const char *d0 = jar_value(&b, "__Host-sid.d");
    char first[4096];
    snprintf(first, sizeof first, "%s", d0 ? d0 : "");
    crumb_device_entry de[4];
    size_t n = 0;
    crumb_session *s = begin(ctx, &b, CRUMB_OK);
    CHECK_OK(crumb_session_devices(s, de, 4, &n));
    CHECK(n == 1 && de[0].trust == CRUMB_TRUST_SEEN);
    crumb_session_free(s);
    fake_now += 5;
    login(ctx, &owner, u);
    if (other_device(ctx, &owner, h))
        revoke_device(ctx, &owner, h);
    s = begin(ctx, &b, CRUMB_E_REVOKED);
    end(s, &b, CRUMB_OK);
    login(ctx, &b, u); /* the password is accepted ... */
    s = begin(ctx, &b, CRUMB_OK); /* ... and the next request is signed in */
    CHECK(crumb_session_payload(s)->user_len == strlen(u));
    crumb_session_free(s);
    CHECK(strcmp(jar_value(&b, "__Host-sid.d"), first) != 0);
    /* the retention sweep revokes a device idle for 30 days */
    crumb_store_sweep_counts sc;
    fake_now += 31 * 86400;
    crumb_err rc = crumb_store_sweep(e->st, fake_now, NULL, &sc);
    CHECK(rc == CRUMB_OK || rc == CRUMB_E_UNSUPPORTED);
    s = begin(ctx, &b, CRUMB_E_EXPIRED); /* the session is long gone; the device cookie stays */
    end(s, &b, CRUMB_OK);
    login(ctx, &b, u);
    s = begin(ctx, &b, CRUMB_OK);
    CHECK(crumb_session_payload(s)->user_len == strlen(u));
    crumb_session_free(s);
    crumb_ctx_free(ctx);
}

/* Finding 11, switching users: the browser of a device the owner revoked
 * signs in to another account (the device is fine for that user, and is
 * checked for it on every load), then, in one request, to the owner's
 * account again. The device must be checked for the new user at that
 * login: the owner's session gets a new device, and the next request is
 * signed in (not refused as the revoked device). */
static void attack_revoked_device_switch_user(const env *e)
{
    char u[64], other[64], h[CRUMB_HANDLE_LEN + 1];
    new_user(u, sizeof u, "switch");
    new_user(other, sizeof other, "switch-other");
    crumb_ctx *ctx = make_ctx(e);
    jar b = {0}, owner = {0};
    login(ctx, &b, u);
    char first[4096];
    snprintf(first, sizeof first, "%s", jar_value(&b, "__Host-sid.d"));
    fake_now += 5;
    login(ctx, &owner, u);
    if (other_device(ctx, &owner, h))
        revoke_device(ctx, &owner, h);
    crumb_session *s = begin(ctx, &b, CRUMB_E_REVOKED);
    end(s, &b, CRUMB_OK);
    login(ctx, &b, other); /* the device is not revoked for this user */
    CHECK(strcmp(jar_value(&b, "__Host-sid.d"), first) == 0); /* same device */
    s = begin(ctx, &b, CRUMB_OK); /* its device checked for `other` */
    CHECK_OK(crumb_session_rotate(s));
    CHECK_OK(crumb_session_set_user(s, u, strlen(u))); /* back to the owner */
    end(s, &b, CRUMB_OK);
    CHECK(strcmp(jar_value(&b, "__Host-sid.d"), first) != 0); /* a new device */
    s = begin(ctx, &b, CRUMB_OK);
    CHECK(crumb_session_payload(s)->user_len == strlen(u));
    crumb_session_free(s);
    crumb_ctx_free(ctx);
}

/* Finding 12 - ids with a NUL inside are refused, not truncated. */
static void attack_nul_ids(const env *e)
{
    crumb_ctx *ctx = make_ctx(e);
    jar a = {0};
    crumb_session *s = begin(ctx, &a, CRUMB_OK);
    CHECK_INT(crumb_session_set_user(s, "alice\0x", 7), CRUMB_E_INVALID);
    CHECK_INT(crumb_session_set_tenant(s, "acme\0x", 6), CRUMB_E_INVALID);
    CHECK_INT(crumb_session_set_device(s, "d\0", 2), CRUMB_E_INVALID);
    CHECK_INT(crumb_session_payload(s)->user_len, 0);
    crumb_session_free(s);
    crumb_ctx_free(ctx);
}

/* Finding 13 - clock and lifetime extremes: a lifetime of INT64_MAX and a
 * revocation "until the longest lifetime" saturate instead of overflowing
 * (UBSan aborts on the overflow in the sanitizer build). */
static void attack_time_saturation(const env *e)
{
    char u[64], h[CRUMB_HANDLE_LEN + 1];
    new_user(u, sizeof u, "sat");
    crumb_ctx *ctx = make_ctx_with(e, e->kr, INT64_MAX);
    jar a = {0}, b = {0}, copy;
    login(ctx, &a, u);
    login(ctx, &b, u);
    copy = b;
    if (other_device(ctx, &a, h))
        revoke_device(ctx, &a, h);
    crumb_session *s = begin(ctx, &copy, CRUMB_E_REVOKED);
    crumb_session_free(s);
    s = begin(ctx, &a, CRUMB_OK);
    CHECK_OK(crumb_session_logout(s));
    end(s, &a, CRUMB_OK);
    crumb_ctx_free(ctx);
}

/* ==== Store outage (Redis only: a frozen server) ======================== */

static pid_t redis_pid;

/* Findings 7 and 10 - store outage: load refuses, save refuses (the valid
 * cookie is never overwritten), logout reports that it could not revoke. */
static void attack_outage(const env *e)
{
    char u[64];
    new_user(u, sizeof u, "outage");
    crumb_ctx *ctx = make_ctx(e);
    jar a = {0}, copy;
    login(ctx, &a, u);
    copy = a;
    kill(redis_pid, SIGSTOP);
    crumb_session *s = NULL;
    crumb_err rc = crumb_session_load(&s, ctx, jar_header(&a));
    CHECK(rc == CRUMB_E_TIMEOUT || rc == CRUMB_E_BACKEND);
    CHECK(s != NULL && crumb_session_is_new(s));
    if (s) {
        CHECK_OK(crumb_session_set(s, "x", "1", 1)); /* an app that saves anyway */
        end(s, &a, rc);
    }
    s = NULL;
    rc = crumb_session_load(&s, ctx, jar_header(&a));
    if (s) {
        crumb_err lrc = crumb_session_logout(s);
        if (lrc != CRUMB_E_TIMEOUT && lrc != CRUMB_E_BACKEND)
            fprintf(stderr, "load %s, logout %s\n", crumb_strerror(rc), crumb_strerror(lrc));
        CHECK(lrc == CRUMB_E_TIMEOUT || lrc == CRUMB_E_BACKEND);
        crumb_session_free(s);
    }
    kill(redis_pid, SIGCONT);
    for (int i = 0; i < 100 && crumb_store_health(e->st, fake_now) != CRUMB_OK; i++)
        usleep(50000);
    s = begin(ctx, &a, CRUMB_OK); /* the cookie survived the outage */
    CHECK(crumb_session_payload(s)->user_len == strlen(u));
    /* a logout whose revocation was stored reports OK */
    CHECK_OK(crumb_session_logout(s));
    end(s, &a, CRUMB_OK);
    s = begin(ctx, &copy, CRUMB_E_REVOKED);
    crumb_session_free(s);
    crumb_ctx_free(ctx);
}

/* ==== Driver ============================================================= */

static const struct {
    const char *name;
    void (*fn)(const env *);
    int outage_only;
} attacks[] = {
    {"attack_stolen_session_cookie (finding 1)", attack_stolen_session_cookie, 0},
    {"attack_device_cookie_opens (finding 2)", attack_device_cookie_opens, 0},
    {"attack_key_rotation (finding 3)", attack_key_rotation, 0},
    {"attack_store_access (finding 4)", attack_store_access, 0},
    {"attack_replay_outlives (finding 5)", attack_replay_outlives, 0},
    {"attack_revoke_by_handle_outlives (finding 6)", attack_revoke_by_handle_outlives, 0},
    {"attack_outage (findings 7, 10)", attack_outage, 1},
    {"attack_parallel_race (finding 8)", attack_parallel_race, 0},
    {"attack_fixation (finding 9)", attack_fixation, 0},
    {"attack_revoked_device_relogin (finding 11)", attack_revoked_device_relogin, 0},
    {"attack_revoked_device_switch_user (finding 11)", attack_revoked_device_switch_user, 0},
    {"attack_nul_ids (finding 12)", attack_nul_ids, 0},
    {"attack_time_saturation (finding 13)", attack_time_saturation, 0},
};

/* Finding 13 - a negative clock (a 32-bit time_t after 2038 reads as
 * 1901) must not make every Set-Cookie fail, or overflow. */
static void attack_negative_clock(void)
{
    static const crumb_cookie_attrs at = {.name = "sid", .secure = 1, .http_only = 1};
    char line[256];
    size_t n = 0;
    CHECK_OK(crumb_set_cookie(line, sizeof line, &n, &at, NULL, "v", 1, 3600, -100));
    CHECK_OK(crumb_set_cookie(line, sizeof line, &n, &at, NULL, "v", 1, 3600, INT32_MIN + 1000));
    CHECK_INT(crumb_set_cookie(line, sizeof line, &n, &at, NULL, "v", 1, INT64_MAX, 5),
              CRUMB_E_INVALID); /* beyond year 9999: refused, not wrapped */
    int64_t saved = fake_now;
    fake_now = (int64_t)INT32_MIN + 1000;
    crumb_ctx_config c = {.cookie_name = "sid", .insecure = 1, .clock = clock_cb};
    crumb_ctx *ctx = NULL;
    crumb_session *s = NULL;
    CHECK_OK(crumb_ctx_new(&ctx, attack_kr, &c));
    CHECK_OK(crumb_session_load(&s, ctx, NULL));
    jar j = {0};
    CHECK_OK(crumb_session_set(s, "k", "v", 1));
    end(s, &j, CRUMB_OK);
    s = begin(ctx, &j, CRUMB_OK);
    CHECK(!crumb_session_is_new(s));
    crumb_session_free(s);
    crumb_ctx_free(ctx);
    fake_now = saved;
}

/* Finding 9 (stateless mode) - planted a cookie before login: the login
 * draws a new session id and family; the planted cookie stays anonymous. */
static void attack_stateless_fixation(void)
{
    crumb_ctx_config c = {.cookie_name = "__Host-sid", .clock = clock_cb};
    crumb_ctx *ctx = NULL;
    jar att = {0}, victim;
    CHECK_OK(crumb_ctx_new(&ctx, attack_kr, &c));
    crumb_session *s = begin(ctx, &att, CRUMB_OK);
    CHECK_OK(crumb_session_set(s, "lang", "en", 2));
    end(s, &att, CRUMB_OK);
    victim = att;
    s = begin(ctx, &att, CRUMB_OK);
    uint8_t sid[16], fam[16];
    memcpy(sid, crumb_session_payload(s)->sid, 16);
    memcpy(fam, crumb_session_payload(s)->family, 16);
    crumb_session_free(s);
    s = begin(ctx, &victim, CRUMB_OK);
    CHECK_OK(crumb_session_set_user(s, "alice", 5)); /* no rotate call: still a new id */
    end(s, &victim, CRUMB_OK);
    s = begin(ctx, &victim, CRUMB_OK);
    CHECK(memcmp(crumb_session_payload(s)->sid, sid, 16) != 0);
    CHECK(memcmp(crumb_session_payload(s)->family, fam, 16) != 0);
    crumb_session_free(s);
    s = begin(ctx, &att, CRUMB_OK);
    CHECK_INT(crumb_session_payload(s)->user_len, 0);
    crumb_session_free(s);
    crumb_ctx_free(ctx);
}

/* Finding 14 - stray chunk cookies (name.1 .. name.15, no head): refused,
 * and the answer deletes every one of them, so the next request is clean. */
static void attack_stray_chunks(void)
{
    crumb_ctx_config c = {.cookie_name = "__Host-sid", .clock = clock_cb};
    crumb_ctx *ctx = NULL;
    jar j = {0};
    CHECK_OK(crumb_ctx_new(&ctx, attack_kr, &c));
    for (int k = 1; k < (int)CRUMB_CHUNKS_MAX; k++) {
        char name[32];
        snprintf(name, sizeof name, "__Host-sid.%d", k);
        jar_put(&j, name, "AAAA");
    }
    crumb_session *s = begin(ctx, &j, CRUMB_E_COOKIE);
    end(s, &j, CRUMB_OK);
    CHECK_INT(j.n, 0);
    s = begin(ctx, &j, CRUMB_OK);
    crumb_session_free(s);
    crumb_ctx_free(ctx);
}

static int outage_run; /* the store is Redis: the outage attacks run too */

/* Every attack on store e->st with one seal suite and store mode. */
static void run_cell(int suite, int mode, void *arg)
{
    env *e = arg;
    e->suite = suite;
    e->mode = mode;
    int before = check_failures;
    for (size_t k = 0; k < sizeof attacks / sizeof attacks[0]; k++) {
        int f0 = check_failures;
        if (attacks[k].outage_only && !outage_run)
            continue;
        attacks[k].fn(e);
        if (check_failures != f0)
            printf("  FAILED: %s (%s store, suite %d, mode %d)\n", attacks[k].name,
                   e->store_name, suite, mode);
    }
    printf("  %s store, suite %d, %s: %s\n", e->store_name, suite,
           mode == CRUMB_MODE_SERVER ? "server" : "stateless+store",
           check_failures == before ? "ok" : "FAILED");
}

/* One store of the matrix: the outage attacks need the redis-server's pid. */
static void run_attack_store(const matrix_store *ms, void *arg)
{
    redis_pid = ms->redis_pid;
    outage_run = ms->redis_pid != 0;
    run_store(ms, arg);
}

int main(void)
{
    env e = {.cell = run_cell};
    check_seed();
    env_keyring(&e, attack_key1);
    attack_kr = e.kr;
    attack_negative_clock();
    attack_stray_chunks();
    attack_stateless_fixation();
    printf("stateless: negative clock, stray chunks, fixation: %s\n",
           check_failures ? "FAILED" : "ok");

    crumb_store_redis_config rcfg = {.command_timeout_ms = 300, .retry_interval_ms = 100,
                                     .prefix = "attack:"};
    matrix_run(MATRIX_ALL, "attack", &rcfg, run_attack_store, &e);
    crumb_keyring_free(e.kr);
    return check_done("test_attack_session");
}
