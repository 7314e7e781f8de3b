/*
 * test_store_writes.c - an ordinary signed-in request writes nothing to the
 * store but its data (issue 13, deliverable 3): a counting pass-through over
 * the memory, file and Redis stores (a private redis-server on a random
 * loopback port; skipped when absent), seal suites 1, 2 and 3 and both
 * store modes. Login, rotation and logout still write the session index.
 * Also: far expiries (INT64_MAX) are stored by every store.
 */
#include "check.h"
#include "crumb.h"
#include "crumb_store.h"
#include "jar.h"
#include "session_env.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

static const uint8_t secret[32] = "store writes test secret.......";

/* ==== The counting pass-through ========================================= */

/* Interposed on the store's own table: every slot is the store's, except
 * the writes of the per-user records, which count and forward. */
static const crumb_store_methods *inner;
static crumb_store_methods counting;
static struct {
    int index_put, index_del, dev_written, dev_other;
} cnt;

static crumb_err c_index_put(crumb_store *s, const char *t, const char *u,
                             const crumb_store_session_info *i, int64_t now)
{
    cnt.index_put++;
    return inner->index_put(s, t, u, i, now);
}

static crumb_err c_index_del(crumb_store *s, const char *t, const char *u,
                             const crumb_store_key *k)
{
    cnt.index_del++;
    return inner->index_del(s, t, u, k);
}

static crumb_err c_device_seen(crumb_store *s, const char *t, const char *u,
                               const crumb_store_sighting *sg, int64_t now, int *written)
{
    int w = 0;
    crumb_err rc = inner->device_seen(s, t, u, sg, now, &w);
    cnt.dev_written += w;
    if (written)
        *written = w;
    return rc;
}

static crumb_err c_set_trust(crumb_store *s, const char *t, const char *u,
                             const crumb_store_id *d, int trust, int64_t now)
{
    cnt.dev_other++;
    return inner->device_set_trust(s, t, u, d, trust, now);
}

static crumb_err c_device_delete(crumb_store *s, const char *t, const char *u,
                                 const crumb_store_id *d)
{
    cnt.dev_other++;
    return inner->device_delete(s, t, u, d);
}

static void counting_wrap(crumb_store *st)
{
    inner = st->methods;
    counting = *inner;
    counting.index_put = c_index_put;
    counting.index_del = c_index_del;
    counting.device_seen = c_device_seen;
    counting.device_set_trust = c_set_trust;
    counting.device_delete = c_device_delete;
    st->methods = &counting;
}

static void counting_unwrap(crumb_store *st)
{
    st->methods = inner;
}

static crumb_session *begin(crumb_ctx *ctx, const jar *j)
{
    crumb_session *s = NULL;
    CHECK_OK(crumb_session_load(&s, ctx, jar_header(j)));
    if (!s)
        abort();
    CHECK_OK(crumb_session_set_client(s, "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0",
                                      "198.51.100.7"));
    return s;
}

static void end(crumb_session *s, jar *j)
{
    const char *const *lines;
    size_t n = 0;
    CHECK_OK(crumb_session_save(s, &lines, &n));
    jar_apply(j, lines, n);
    crumb_session_free(s);
}

/* The last_seen of this request's session in "list my sessions". */
static int64_t listed_last_seen(crumb_ctx *ctx, const jar *j)
{
    crumb_session_entry e[16];
    size_t n = 0;
    int64_t seen = -1;
    crumb_session *s = begin(ctx, j);
    CHECK_OK(crumb_session_list(s, e, 16, &n));
    for (size_t i = 0; i < n && i < 16; i++)
        if (e[i].current)
            seen = e[i].last_seen;
    crumb_session_free(s);
    return seen;
}

/* ==== The test ========================================================== */

#define ORDINARY 12 /* requests, one second apart: within the 60 s throttle */

static void ordinary_requests(crumb_ctx *ctx, jar *j, const char *tag)
{
    cnt.index_put = cnt.index_del = cnt.dev_written = cnt.dev_other = 0;
    for (int i = 0; i < ORDINARY; i++) {
        char v[32];
        fake_now++;
        crumb_session *s = begin(ctx, j);
        snprintf(v, sizeof v, "%d", i);
        CHECK_OK(crumb_session_set(s, "n", v, strlen(v)));
        end(s, j);
    }
    if (cnt.index_put || cnt.dev_written || cnt.dev_other)
        printf("  %s: %d index_put, %d device writes in %d ordinary requests\n", tag,
               cnt.index_put, cnt.dev_written + cnt.dev_other, ORDINARY);
    CHECK_INT(cnt.index_put, 0);
    CHECK_INT(cnt.dev_written, 0);
    CHECK_INT(cnt.dev_other, 0);
    CHECK_INT(cnt.index_del, 0);
}

static void test_writes(const env *e)
{
    crumb_ctx_config c = {0};
    crumb_ctx *ctx = NULL;
    char user[64];
    jar j = {0};
    c.cookie_name = "__Host-sid";
    c.clock = clock_cb;
    c.mode = e->mode;
    c.store = e->st;
    c.store_secret = secret;
    c.seal_suite = e->suite;
    c.accept_suites = 1u << e->suite;
    CHECK_OK(crumb_ctx_new(&ctx, e->kr, &c));
    if (!ctx)
        abort();
    new_user(user, sizeof user, "w");
    int64_t t0 = fake_now;

    cnt.index_put = 0; /* login writes the index and the device */
    crumb_session *s = begin(ctx, &j);
    CHECK_OK(crumb_session_rotate(s));
    CHECK_OK(crumb_session_set_user(s, user, strlen(user)));
    end(s, &j);
    CHECK(cnt.index_put >= 1);
    CHECK(cnt.dev_written >= 1);
    ordinary_requests(ctx, &j, "after login");
    CHECK_INT(listed_last_seen(ctx, &j), t0); /* within the throttle: login's */

    fake_now += 60; /* past the sighting throttle: one write refreshes last_seen */
    cnt.index_put = cnt.dev_written = 0;
    end(begin(ctx, &j), &j);
    CHECK_INT(cnt.index_put, 1);
    CHECK_INT(cnt.dev_written, 1);
    CHECK_INT(listed_last_seen(ctx, &j), fake_now);
    ordinary_requests(ctx, &j, "after the throttle");

    cnt.index_put = 0; /* rotation: a new id, a new entry */
    s = begin(ctx, &j);
    CHECK_OK(crumb_session_rotate(s));
    end(s, &j);
    CHECK(cnt.index_put >= 1);
    ordinary_requests(ctx, &j, "after rotation");
    CHECK(listed_last_seen(ctx, &j) >= 0); /* the rotated session is listed */

    cnt.index_del = 0; /* logout drops the entry */
    s = begin(ctx, &j);
    CHECK_OK(crumb_session_logout(s));
    end(s, &j);
    CHECK(cnt.index_del >= 1);
    crumb_ctx_free(ctx);
}

/* Far expiries (issue 12 finding 13 at the store): revocations whose
 * `until` saturated at INT64_MAX are stored and refuse, and a record that
 * never expires is kept (Redis caps its TTL instead of failing). */
static void test_far_expiries(crumb_store *st)
{
    int64_t now = fake_now, end = INT64_MAX;
    crumb_store_key k1, k2, k3;
    crumb_store_id fam, dev;
    crumb_store_check_res res;
    char user[64];
    uint64_t nv = 0;
    check_fill(k1.b, sizeof k1.b);
    check_fill(k2.b, sizeof k2.b);
    check_fill(k3.b, sizeof k3.b);
    check_fill(fam.b, sizeof fam.b);
    check_fill(dev.b, sizeof dev.b);
    new_user(user, sizeof user, "far");
    CHECK_OK(crumb_store_put(st, &k1, (const uint8_t *)"x", 1, end, CRUMB_STORE_VERSION_NEW, &nv,
                             now));
    CHECK_OK(crumb_store_revoke_session(st, &k1, end, now));
    CHECK_OK(crumb_store_revoke_family(st, &fam, end, now));
    CHECK_OK(crumb_store_revoke_user(st, NULL, user, now, NULL, end, now));
    crumb_store_check_req q = {.session = &k1, .family = &fam, .issued_at = now - 5, .now = now};
    CHECK_INT(crumb_store_check(st, &q, &res), CRUMB_E_REVOKED); /* the session */
    q.session = &k2;
    CHECK_INT(crumb_store_check(st, &q, &res), CRUMB_E_REVOKED); /* the family */
    check_fill(fam.b, sizeof fam.b);
    q.user = user;
    CHECK_INT(crumb_store_check(st, &q, &res), CRUMB_E_REVOKED); /* the user */
    q.issued_at = now + 1; /* after the user's not-before: only the device */
    CHECK_OK(crumb_store_check(st, &q, &res));
    CHECK_OK(crumb_store_revoke_device(st, NULL, user, &dev, end, now));
    q.device = &dev;
    CHECK_INT(crumb_store_check(st, &q, &res), CRUMB_E_REVOKED);
    q.now = now + 100 * 86400; /* a hundred days on, all still hold */
    q.device = NULL;
    q.issued_at = now - 5;
    CHECK_INT(crumb_store_check(st, &q, &res), CRUMB_E_REVOKED);
    q.session = &k3;
    q.user = NULL;
    CHECK_OK(crumb_store_check(st, &q, &res));
}

static void run_env(env *e)
{
    test_far_expiries(e->st);
    static const int suites[] = {CRUMB_SUITE_XCHACHA20POLY1305, CRUMB_SUITE_AES256GCM,
                                 CRUMB_SUITE_HMACSHA256};
    counting_wrap(e->st);
    for (size_t i = 0; i < 3; i++) {
        crumb_codec *c = NULL;
        crumb_codec_config cc = {.cookie_name = "x", .purpose = "p", .seal_suite = suites[i],
                                 .accept_suites = 1u << suites[i]};
        if (crumb_codec_new(&c, e->kr, &cc) != CRUMB_OK) {
            printf("  suite %d not compiled in: skipped\n", suites[i]);
            continue;
        }
        crumb_codec_free(c);
        for (int mode = CRUMB_MODE_STATELESS_STORE; mode <= CRUMB_MODE_SERVER; mode++) {
            int before = check_failures;
            e->suite = suites[i];
            e->mode = mode;
            test_writes(e);
            printf("  %s store, suite %d, %s: %s\n", e->store_name, suites[i],
                   mode == CRUMB_MODE_SERVER ? "server" : "stateless+store",
                   check_failures == before ? "ok" : "FAILED");
        }
    }
    counting_unwrap(e->st);
}

#if CRUMB_HAVE_REDIS
static char redis_dir[] = "/tmp/crumb-writes-redis-XXXXXX";
static pid_t redis_pid;

/* Start a private redis-server on a random loopback port; its port or -1. */
static int redis_start(void)
{
    for (int attempt = 0; attempt < 20; attempt++) {
        int port = 20000 + (int)(check_rand() % 40000u);
        char portarg[16], logf[128], url[64];
        snprintf(portarg, sizeof portarg, "%d", port);
        snprintf(logf, sizeof logf, "%s/log", redis_dir);
        pid_t pid = fork();
        if (pid < 0)
            return -1;
        if (pid == 0) {
#ifdef __linux__
            prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
            int fd = open("/dev/null", O_RDWR);
            if (fd >= 0) {
                dup2(fd, 0);
                dup2(fd, 1);
            }
            execlp("redis-server", "redis-server", "--port", portarg, "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", "--dir", redis_dir, "--logfile", logf,
                   (char *)NULL);
            _exit(127);
        }
        redis_pid = pid;
        snprintf(url, sizeof url, "redis://127.0.0.1:%d/0", port);
        crumb_store_redis_config cfg = {.url = url, .connect_timeout_ms = 200};
        for (int i = 0; i < 300; i++) {
            int st;
            crumb_store *s = NULL;
            if (waitpid(pid, &st, WNOHANG) == pid)
                break;
            if (crumb_store_redis_open(&s, &cfg) == CRUMB_OK) {
                crumb_store_close(s);
                return port;
            }
            usleep(10000);
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        redis_pid = 0;
    }
    return -1;
}

static void run_redis(env *e)
{
    char cmd[128];
    if (!mkdtemp(redis_dir)) {
        CHECK(0);
        return;
    }
    int port = redis_start();
    if (port < 0) {
        printf("SKIP redis: redis-server could not be started\n");
    } else {
        char url[64];
        snprintf(url, sizeof url, "redis://127.0.0.1:%d/0", port);
        crumb_store_redis_config cfg = {.url = url, .prefix = "writes:"};
        CHECK_OK(crumb_store_redis_open(&e->st, &cfg));
        e->store_name = "redis";
        if (e->st) {
            run_env(e);
            crumb_store_close(e->st);
        }
        kill(redis_pid, SIGTERM);
        waitpid(redis_pid, NULL, 0);
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", redis_dir);
    CHECK_INT(system(cmd), 0);
}
#endif

int main(void)
{
    env e = {0};
    uint8_t key[32];
    char dir[] = "/tmp/crumb-writes-XXXXXX", cmd[128];
    check_seed();
    check_fill(key, sizeof key);
    CHECK_OK(crumb_keyring_new(&e.kr));
    CHECK_OK(crumb_keyring_add(e.kr, 1, CRUMB_KEY_PRIMARY, key));

    CHECK_OK(crumb_store_memory_open(&e.st, NULL));
    e.store_name = "memory";
    run_env(&e);
    crumb_store_close(e.st);

    CHECK(mkdtemp(dir) != NULL);
    CHECK_OK(crumb_store_file_open(&e.st, dir, NULL));
    e.store_name = "file";
    run_env(&e);
    crumb_store_close(e.st);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_INT(system(cmd), 0);
#if CRUMB_HAVE_REDIS
    run_redis(&e);
#else
    printf("SKIP redis: built without hiredis\n");
#endif
    crumb_keyring_free(e.kr);
    return check_done("test_store_writes");
}
