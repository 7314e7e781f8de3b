/*
 * test_modes.c - the store modes of the session API, over the memory and
 * the file store: revocation on the next request, rotation replay with the
 * grace window, parallel rotations that must not fork a family, server
 * mode records behind reference tokens, spill, device tracking and "where
 * you are logged in", log out others / everywhere.
 */
#include "check.h"
#include "crumb.h"
#include "crumb_store.h"
#include "jar.h"
#include "matrix.h"

#include <stdlib.h>
#include <unistd.h>

static int64_t fake_now = 1800000000;
static int replays;

static int64_t clock_cb(void *ctx)
{
    (void)ctx;
    return fake_now;
}

static void log_cb(void *ctx, const crumb_event *ev)
{
    (void)ctx;
    replays += ev->reason == CRUMB_R_REPLAY;
}

/* one request: load from the jar, run fn, save into the jar */
static crumb_session *begin_at(int line, crumb_ctx *ctx, struct jar *j, crumb_err want)
{
    crumb_session *s = NULL;
    crumb_err rc = crumb_session_load(&s, ctx, jar_header(j));
    if (rc != want)
        fprintf(stderr, "  (request at line %d)\n", line);
    CHECK_INT(rc, want);
    if (!s)
        abort();
    CHECK_OK(crumb_session_set_client(s, "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0",
                                      "203.0.113.77"));
    return s;
}

#define begin(c, j, w) begin_at(__LINE__, c, j, w)

static void end(crumb_session *s, struct jar *j, crumb_err want)
{
    const char *const *lines;
    size_t n = 0;
    CHECK_INT(crumb_session_save(s, &lines, &n), want);
    if (want == CRUMB_OK)
        jar_apply(j, lines, n);
    crumb_session_free(s);
}

static void login(crumb_ctx *ctx, struct jar *j, const char *user)
{
    crumb_session *s = begin(ctx, j, CRUMB_OK);
    CHECK_OK(crumb_session_rotate(s));
    CHECK_OK(crumb_session_set_user(s, user, strlen(user)));
    end(s, j, CRUMB_OK);
}

static const uint8_t store_secret[32] = "test_modes store secret........";

static int seal_suite; /* 0 = the default; the attack matrix sets each suite */

static crumb_ctx *make_ctx(crumb_keyring *kr, crumb_store *st, int mode, int policy)
{
    crumb_ctx_config c = {0};
    c.seal_suite = seal_suite;
    c.store_secret = store_secret;
    crumb_ctx *ctx = NULL;
    c.cookie_name = "__Host-sid";
    c.clock = clock_cb;
    c.log = log_cb;
    c.mode = mode;
    c.store = st;
    c.size_policy = policy;
    c.rotation_grace = 10;
    CHECK_OK(crumb_ctx_new(&ctx, kr, &c));
    if (!ctx)
        abort();
    return ctx;
}

static void test_revocation(crumb_keyring *kr, crumb_store *st, int mode)
{
    const char *alice = mode == CRUMB_MODE_SERVER ? "alice-server" : "alice";
    crumb_ctx *ctx = make_ctx(kr, st, mode, CRUMB_SIZE_ERROR);
    struct jar a = {0}, b = {0};
    crumb_session *s;
    login(ctx, &a, alice);
    CHECK(jar_value(&a, "__Host-sid") != NULL);
    CHECK(jar_value(&a, "__Host-sid.d") != NULL); /* the device cookie */
    fake_now += 100;
    login(ctx, &b, alice);
    /* "where you are logged in": two sessions, two devices, one current */
    s = begin(ctx, &b, CRUMB_OK);
    crumb_session_entry se[8];
    crumb_device_entry de[8];
    size_t n = 0;
    CHECK_OK(crumb_session_list(s, se, 8, &n));
    CHECK_INT(n, 2);
    CHECK_INT(se[0].current + se[1].current, 1);
    CHECK_OK(crumb_session_devices(s, de, 8, &n));
    CHECK_INT(n, 2);
    CHECK(strcmp(de[0].label, "Firefox on Linux") == 0);
    CHECK(strcmp(de[0].ip_prefix, "203.0.113.0/24") == 0);
    /* log out others from b: a's next request is refused */
    CHECK_OK(crumb_session_logout_others(s));
    end(s, &b, CRUMB_OK);
    fake_now += 5;
    s = begin(ctx, &a, CRUMB_E_REVOKED);
    CHECK(crumb_session_is_new(s));
    end(s, &a, CRUMB_OK);
    s = begin(ctx, &b, CRUMB_OK);
    CHECK(crumb_session_payload(s)->user_len == strlen(alice));
    end(s, &b, CRUMB_OK);
    /* browsing before "log out others", logging in in the same second:
     * the login is a new session and survives */
    struct jar c = {0};
    s = begin(ctx, &c, CRUMB_OK);
    CHECK_OK(crumb_session_set(s, "cart", "1", 1));
    end(s, &c, CRUMB_OK);
    s = begin(ctx, &b, CRUMB_OK);
    CHECK_OK(crumb_session_logout_others(s));
    end(s, &b, CRUMB_OK);
    login(ctx, &c, alice);
    s = begin(ctx, &c, CRUMB_OK);
    CHECK(crumb_session_payload(s)->user_len == strlen(alice));
    end(s, &c, CRUMB_OK);
    /* a logs in again; b revokes a's device */
    login(ctx, &a, alice);
    fake_now += 5;
    s = begin(ctx, &b, CRUMB_OK);
    CHECK_OK(crumb_session_devices(s, de, 8, &n));
    const char *other = NULL;
    for (size_t i = 0; i < n && i < 8; i++)
        if (!de[i].current && de[i].trust != 3)
            other = de[i].handle;
    CHECK(other != NULL);
    if (other)
        CHECK_OK(crumb_session_revoke_device(s, other));
    CHECK_INT(crumb_session_revoke_device(s, "zz"), CRUMB_E_INVALID);
    end(s, &b, CRUMB_OK);
    s = begin(ctx, &a, CRUMB_E_REVOKED);
    end(s, &a, CRUMB_OK);
    /* log out everywhere: b's own session ends and its cookie is deleted */
    s = begin(ctx, &b, CRUMB_OK);
    CHECK_OK(crumb_session_logout_everywhere(s));
    end(s, &b, CRUMB_OK);
    CHECK(jar_value(&b, "__Host-sid") == NULL);
    crumb_ctx_free(ctx);
}

static void test_replay(crumb_keyring *kr, crumb_store *st, int mode)
{
    const char *bob = mode == CRUMB_MODE_SERVER ? "bob-server" : "bob";
    const char *carol = mode == CRUMB_MODE_SERVER ? "carol-server" : "carol";
    crumb_ctx *ctx = make_ctx(kr, st, mode, CRUMB_SIZE_ERROR);
    struct jar a = {0}, old;
    crumb_session *s;
    login(ctx, &a, bob);
    old = a;
    fake_now += 2;
    login(ctx, &a, bob); /* privilege change: rotate again */
    CHECK(strcmp(jar_value(&a, "__Host-sid"), jar_value(&old, "__Host-sid")) != 0);
    /* a request still carrying the previous generation, inside the grace
     * window, is served and never re-sealed; its changes are refused with
     * CRUMB_E_CONFLICT (not silently dropped) */
    s = begin(ctx, &old, CRUMB_OK);
    CHECK_OK(crumb_session_set(s, "k", "v", 1));
    const char *const *lines;
    size_t n = 9;
    CHECK_INT(crumb_session_save(s, &lines, &n), CRUMB_E_CONFLICT);
    CHECK_INT(n, 0);
    crumb_session_free(s);
    /* after the window it is a replay: the whole family is revoked */
    fake_now += 60;
    replays = 0;
    s = begin(ctx, &old, CRUMB_E_REPLAY);
    CHECK(crumb_session_is_new(s));
    end(s, &old, CRUMB_OK);
    CHECK_INT(replays, 1);
    s = begin(ctx, &a, CRUMB_E_REVOKED);
    end(s, &a, CRUMB_OK);
    /* two parallel requests both rotating: one wins, the other conflicts */
    struct jar p = {0}, q;
    login(ctx, &p, carol);
    q = p;
    fake_now += 1;
    crumb_session *s1 = begin(ctx, &p, CRUMB_OK), *s2 = begin(ctx, &q, CRUMB_OK);
    CHECK_OK(crumb_session_rotate(s1));
    CHECK_OK(crumb_session_rotate(s2));
    end(s1, &p, CRUMB_OK);
    end(s2, &q, CRUMB_E_CONFLICT);
    s = begin(ctx, &p, CRUMB_OK); /* the winner's family is intact */
    end(s, &p, CRUMB_OK);
    s = begin(ctx, &q, CRUMB_OK); /* the loser's cookie: previous gen, in grace */
    end(s, &q, CRUMB_OK);
    crumb_ctx_free(ctx);
}

static void test_server_records(crumb_keyring *kr, crumb_store *st, int mode, int policy)
{
    crumb_ctx *ctx = make_ctx(kr, st, mode, policy);
    struct jar a = {0};
    static uint8_t big[6000];
    check_fill(big, sizeof big);
    login(ctx, &a, "dave");
    crumb_session *s = begin(ctx, &a, CRUMB_OK);
    CHECK_OK(crumb_session_set(s, "big", big, sizeof big));
    end(s, &a, CRUMB_OK);
    /* the cookie is a small reference; the data came back from the store */
    CHECK(strlen(jar_value(&a, "__Host-sid")) < 400);
    s = begin(ctx, &a, CRUMB_OK);
    const uint8_t *v = NULL;
    size_t vl = 0;
    CHECK_OK(crumb_session_get(s, "big", &v, &vl));
    CHECK_INT(vl, sizeof big);
    if (v && vl == sizeof big)
        CHECK_MEM(v, big, sizeof big);
    end(s, &a, CRUMB_OK);
    /* logout deletes the record: the old cookie no longer loads */
    struct jar old = a;
    s = begin(ctx, &a, CRUMB_OK);
    CHECK_OK(crumb_session_logout(s));
    end(s, &a, CRUMB_OK);
    s = begin(ctx, &old, CRUMB_E_REVOKED);
    end(s, &old, CRUMB_OK);
    crumb_ctx_free(ctx);
}

/* A client that drops the device cookie keeps one device (the session
 * remembers it) and its saves never fail on the store's device limit. */
static void test_no_device_cookie(crumb_keyring *kr, crumb_store *st)
{
    crumb_ctx *ctx = make_ctx(kr, st, CRUMB_MODE_STATELESS_STORE, CRUMB_SIZE_ERROR);
    struct jar a = {0};
    crumb_device_entry de[8];
    size_t n = 0;
    login(ctx, &a, "erin");
    for (int i = 0; i < 80; i++) {
        struct jar only = a;
        only.n = 1; /* the session cookie only */
        fake_now += 61; /* past the sighting throttle */
        crumb_session *s = begin(ctx, &only, CRUMB_OK);
        CHECK_OK(crumb_session_set(s, "i", &i, sizeof i));
        end(s, &only, CRUMB_OK);
        memcpy(a.values[0], only.values[0], sizeof a.values[0]);
    }
    crumb_session *s = begin(ctx, &a, CRUMB_OK);
    CHECK_OK(crumb_session_devices(s, de, 8, &n));
    CHECK_INT(n, 1);
    end(s, &a, CRUMB_OK);
    crumb_ctx_free(ctx);
}

/* A context whose Path (and Domain) are long: the save that issues the
 * device cookie must fit them (a fixed 512-byte line failed every such
 * save with CRUMB_E_BUFSIZE). */
static void test_long_path(crumb_keyring *kr, crumb_store *st, int mode)
{
    static char path[402], domain[200];
    crumb_ctx_config c = {0};
    crumb_ctx *ctx = NULL;
    path[0] = '/';
    memset(path + 1, 'p', sizeof path - 2);
    memset(domain, 'd', sizeof domain - 5);
    memcpy(domain + sizeof domain - 5, ".org", 5);
    c.store_secret = store_secret;
    c.seal_suite = seal_suite;
    c.cookie_name = "sid";
    c.path = path;
    c.domain = domain;
    c.clock = clock_cb;
    c.log = log_cb;
    c.mode = mode;
    c.store = st;
    CHECK_OK(crumb_ctx_new(&ctx, kr, &c));
    if (!ctx)
        return;
    crumb_session *s = NULL;
    CHECK_OK(crumb_session_load(&s, ctx, NULL));
    CHECK_OK(crumb_session_set_user(s, "longpath", 8));
    const char *const *lines;
    size_t n = 0, dev = 0;
    CHECK_OK(crumb_session_save(s, &lines, &n));
    for (size_t i = 0; i < n; i++)
        if (strncmp(lines[i], "sid.d=", 6) == 0) {
            dev++;
            CHECK(strstr(lines[i], path) != NULL && strstr(lines[i], domain) != NULL);
        }
    CHECK_INT(dev, 1);
    crumb_session_free(s);
    crumb_ctx_free(ctx);
}

/* A user with more devices than the old fixed 16-entry read: every entry
 * below the reported count must be one the library wrote (the old code
 * reported n = 20 with only 16 entries written). */
static void test_many_devices(crumb_keyring *kr, crumb_store *st, int mode)
{
    crumb_ctx *ctx = make_ctx(kr, st, mode, CRUMB_SIZE_ERROR);
    static struct jar jars[20];
    static crumb_device_entry de[32];
    char user[32];
    size_t n = 0;
    snprintf(user, sizeof user, "many%d-%d", mode, seal_suite);
    for (int i = 0; i < 20; i++) {
        memset(&jars[i], 0, sizeof jars[i]);
        login(ctx, &jars[i], user);
    }
    memset(de, 0, sizeof de);
    crumb_session *s = begin(ctx, &jars[0], CRUMB_OK);
    CHECK_OK(crumb_session_devices(s, de, 32, &n));
    CHECK_INT(n, 20);
    for (size_t i = 0; i < n && i < 32; i++) {
        CHECK(de[i].handle[0] != '\0');
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(de[i].handle, de[j].handle) != 0);
    }
    CHECK_INT(crumb_session_devices(s, de, 32, NULL), CRUMB_E_INVALID);
    end(s, &jars[0], CRUMB_OK);
    crumb_ctx_free(ctx);
}

/* The attacks above, over every store (Redis too), seal suite and store
 * mode. */
struct attack_arg {
    crumb_keyring *kr;
    crumb_store *st;
};

static void attack_cell(int suite, int mode, void *arg)
{
    struct attack_arg *a = arg;
    seal_suite = suite;
    test_long_path(a->kr, a->st, mode);
    test_many_devices(a->kr, a->st, mode);
    seal_suite = 0;
}

static void run_attacks(const matrix_store *ms, void *arg)
{
    struct attack_arg a = {arg, ms->st};
    printf("attacks, store: %s\n", ms->name);
    matrix_suites(CRUMB_MODE_STATELESS_STORE, CRUMB_MODE_SERVER, attack_cell, &a);
}

static void run_all(const matrix_store *ms, void *arg)
{
    crumb_keyring *kr = arg;
    crumb_store *st = ms->st;
    const char *name = ms->name;
    test_no_device_cookie(kr, st);
    printf("store: %s\n", name);
    for (int mode = CRUMB_MODE_STATELESS_STORE; mode <= CRUMB_MODE_SERVER; mode++) {
        test_revocation(kr, st, mode);
        test_replay(kr, st, mode);
    }
    test_server_records(kr, st, CRUMB_MODE_SERVER, CRUMB_SIZE_ERROR);
    test_server_records(kr, st, CRUMB_MODE_STATELESS_STORE, CRUMB_SIZE_STORE);
}

int main(void)
{
    uint8_t key[32];
    crumb_keyring *kr;
    check_seed();
    check_fill(key, sizeof key);
    CHECK_OK(crumb_keyring_new(&kr));
    CHECK_OK(crumb_keyring_add(kr, 1, CRUMB_KEY_PRIMARY, key));

    /* stateless mode has no store operations */
    crumb_ctx_config c = {.cookie_name = "sid", .insecure = 1};
    crumb_ctx *ctx;
    crumb_session *s;
    CHECK_OK(crumb_ctx_new(&ctx, kr, &c));
    CHECK_OK(crumb_session_load(&s, ctx, NULL));
    size_t n;
    CHECK_INT(crumb_session_list(s, NULL, 0, &n), CRUMB_E_UNSUPPORTED);
    CHECK_INT(crumb_session_logout_others(s), CRUMB_E_UNSUPPORTED);
    crumb_session_free(s);
    crumb_ctx_free(ctx);

    matrix_run(MATRIX_MEMORY | MATRIX_FILE, "modes", NULL, run_all, kr);
    crumb_store_redis_config redis = {0};
    matrix_run(MATRIX_ALL, "modes-attack", &redis, run_attacks, kr);
    crumb_keyring_free(kr);
    return check_done("test_modes");
}
