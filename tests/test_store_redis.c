/*
 * test_store_redis.c - the Redis store against a real redis-server that the
 * test starts on a random free loopback port in a temp dir (no persistence,
 * removed at the end): conformance suite, URL forms (TCP, unix socket,
 * password, database), atomic family advance across processes, two
 * processes seeing each other's revocations (directly, and through a
 * long-TTL cache invalidated by pub/sub), threads sharing one store,
 * allocation failures, bounded indexes, corrupt blobs, key names
 * without raw user ids, and failure handling (server stopped: BACKEND;
 * server frozen: TIMEOUT; fail-open; recovery after restart).
 * Skips (exit 0) when built without hiredis or when redis-server is absent.
 */
#include "check.h"
#include "crumb_store.h"
#include "internal.h"
#include "matrix.h"
#include "store_conformance.h"

#if !CRUMB_HAVE_REDIS

int main(void)
{
    crumb_store *s = (crumb_store *)&s;
    CHECK_INT(crumb_store_redis_open(&s, NULL), CRUMB_E_UNAVAILABLE);
    CHECK(s == NULL);
    int rc = check_done("test_store_redis");
    printf("SKIP: needs hiredis: built without hiredis\n");
    return rc ? rc : 77; /* tests/run.sh: a skip, a failure where hiredis is built in */
}

#else

#include <hiredis/hiredis.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* ==== redis-server start/stop =========================================== */

typedef struct srv {
    pid_t pid;
    int port;
    char dir[64];
    char sock[128];
    char log[128];
    const char *aof; /* --appendonly for the next start: "yes" or "no" (default) */
} srv;

static srv S;

/* 1 if prog is an executable somewhere on PATH. */
static int on_path(const char *prog)
{
    const char *path = getenv("PATH");
    char buf[512];
    while (path && *path) {
        size_t n = strcspn(path, ":");
        snprintf(buf, sizeof buf, "%.*s/%s", (int)n, path, prog);
        if (access(buf, X_OK) == 0)
            return 1;
        path += n + (path[n] == ':');
    }
    return 0;
}

/* A direct hiredis connection to the test server (NULL if down). */
static redisContext *raw_conn(void)
{
    struct timeval tv = {0, 200000};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", S.port, tv);
    if (c == NULL || c->err) {
        if (c)
            redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    return c;
}

/* Run one command on a fresh raw connection; returns the integer reply or
 * -1 (status/string replies count as 0). */
static long long raw_cmd(const char *fmt, const char *arg)
{
    redisContext *c = raw_conn();
    if (c == NULL)
        return -1;
    redisReply *x = redisCommand(c, fmt, arg);
    long long v = -1;
    if (x != NULL) {
        v = x->type == REDIS_REPLY_INTEGER ? x->integer : x->type == REDIS_REPLY_ERROR ? -1 : 0;
        freeReplyObject(x);
    }
    redisFree(c);
    return v;
}

/* Start redis-server on port (0 = pick a random high port, retrying on
 * collisions). Returns 0 when it answers PING, -1 on failure. */
static int srv_start(int port)
{
    matrix_redis_opts o = {.dir = S.dir, .port = port, .aof = S.aof, .sock = S.sock,
                           .log = S.log, .rnd = check_rand};
    S.pid = matrix_redis_start(&o, &S.port);
    return S.pid ? 0 : -1;
}

/* Stop the server (SIGTERM, wait). */
static void srv_stop(void)
{
    matrix_redis_stop(S.pid);
    S.pid = 0;
}

/* Stop the server and remove the temp dir with whatever is in it. */
static void srv_cleanup(void)
{
    srv_stop();
    if (matrix_rmrf(S.dir) != 0)
        fprintf(stderr, "%s:%d: could not remove %s\n", __FILE__, __LINE__, S.dir);
}

/* ==== helpers ============================================================ */

static char url[128];
static unsigned prefix_n;

/* Open a store on the test server with a unique prefix (a fresh, empty
 * namespace) and the given config (NULL = defaults). */
static crumb_store *open_redis(const crumb_store_redis_config *base)
{
    crumb_store_redis_config cfg = base ? *base : (crumb_store_redis_config){0};
    char prefix[32];
    snprintf(prefix, sizeof prefix, "t%u-%ld:", prefix_n++, (long)getpid());
    if (cfg.url == NULL)
        cfg.url = url;
    if (cfg.prefix == NULL)
        cfg.prefix = prefix;
    cfg.allow_volatile = 1; /* the test servers run without AOF */
    crumb_store *s = NULL;
    crumb_err e = crumb_store_redis_open(&s, &cfg);
    if (e != CRUMB_OK)
        fprintf(stderr, "crumb_store_redis_open(%s): %s\n", cfg.url, crumb_strerror(e));
    return s;
}

/* open_fresh for the conformance suite. */
static crumb_store *open_fresh(void *ctx)
{
    (void)ctx;
    return open_redis(NULL);
}

static crumb_store_key key_n(unsigned n)
{
    crumb_store_key k;
    memset(&k, 0x33, sizeof k);
    memcpy(k.b, &n, sizeof n);
    return k;
}

static crumb_store_id id_n(unsigned n)
{
    crumb_store_id k;
    memset(&k, 0x44, sizeof k);
    memcpy(k.b, &n, sizeof n);
    return k;
}

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

/* ==== tests ============================================================== */

static void test_conformance(void)
{
    CHECK_INT(crumb_store_conformance(open_fresh, NULL), 0);
}

/* URL forms: unix socket, database, password; malformed URLs. */
static void test_urls(void)
{
    crumb_store *s = NULL;
    char u[256];
    /* unix socket, database 3 */
    snprintf(u, sizeof u, "unix://%s?db=3", S.sock);
    crumb_store_redis_config cfg = {.url = u, .prefix = "unixdb:", .allow_volatile = 1};
    CHECK_OK(crumb_store_redis_open(&s, &cfg));
    crumb_store_key k = key_n(1);
    int64_t now = now_s();
    CHECK_OK(crumb_store_put(s, &k, (const uint8_t *)"x", 1, now + 100, CRUMB_STORE_VERSION_ANY,
                             NULL, now));
    crumb_store_close(s);
    /* the same record through TCP with /3 */
    snprintf(u, sizeof u, "redis://127.0.0.1:%d/3", S.port);
    CHECK_OK(crumb_store_redis_open(&s, &cfg));
    size_t len = 0;
    uint8_t buf[4];
    CHECK_OK(crumb_store_get(s, &k, buf, sizeof buf, &len, NULL, NULL, now));
    CHECK_INT(len, 1);
    crumb_store_close(s);
    /* database 0 does not see it */
    snprintf(u, sizeof u, "redis://127.0.0.1:%d", S.port);
    CHECK_OK(crumb_store_redis_open(&s, &cfg));
    CHECK_INT(crumb_store_get(s, &k, buf, sizeof buf, &len, NULL, NULL, now), CRUMB_E_NOTFOUND);
    crumb_store_close(s);

    /* password */
    CHECK_INT(raw_cmd("CONFIG SET requirepass %s", "s3cr%t"), 0);
    snprintf(u, sizeof u, "redis://:wrong@127.0.0.1:%d/0", S.port);
    CHECK_INT(crumb_store_redis_open(&s, &cfg), CRUMB_E_BACKEND);
    CHECK(s == NULL);
    usleep(250000); /* past the connect back-off of that failed store */
    snprintf(u, sizeof u, "redis://:s3cr%%25t@127.0.0.1:%d/0", S.port);
    CHECK_OK(crumb_store_redis_open(&s, &cfg));
    CHECK_OK(crumb_store_health(s, now));
    {
        /* reset the password through the authenticated store's server */
        redisContext *c = raw_conn();
        CHECK(c != NULL);
        if (c) {
            redisReply *x = redisCommand(c, "AUTH %s", "s3cr%t");
            if (x)
                freeReplyObject(x);
            x = redisCommand(c, "CONFIG SET requirepass %s", "");
            CHECK(x != NULL && x->type == REDIS_REPLY_STATUS);
            if (x)
                freeReplyObject(x);
            redisFree(c);
        }
    }
    crumb_store_close(s);

    /* malformed URLs and configs */
    const char *bad[] = {"http://x", "redis://host:0", "redis://host:70000", "redis://h/x",
                         "unix://nopath", "rediss://h", "redis://h:12x", "unix:///s?db=z",
                         "redis://[::1", "redis://:%zz@h"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        crumb_store_redis_config b = {.url = bad[i]};
        s = (crumb_store *)1;
        CHECK_INT(crumb_store_redis_open(&s, &b), CRUMB_E_INVALID);
        CHECK(s == NULL);
    }
    crumb_store_redis_config bp = {.url = url, .prefix = "bad*"};
    CHECK_INT(crumb_store_redis_open(&s, &bp), CRUMB_E_INVALID);
    /* unreachable: a port nobody listens on (the server's port + 1 is not
     * guaranteed free, so use a closed unix socket path instead) */
    crumb_store_redis_config un = {.url = "unix:///nonexistent/crumb-test.sock"};
    CHECK_INT(crumb_store_redis_open(&s, &un), CRUMB_E_BACKEND);
}

/* Key names carry neither user ids nor raw tenant names; TTLs are set. */
static void test_keys_and_ttl(void)
{
    crumb_store_redis_config cfg = {.prefix = "keys:"};
    crumb_store *s = open_redis(&cfg);
    CHECK(s != NULL);
    if (s == NULL)
        return;
    int64_t now = now_s();
    crumb_store_key k = key_n(7);
    crumb_store_id d = id_n(7);
    CHECK_OK(crumb_store_put(s, &k, (const uint8_t *)"abc", 3, now + 100,
                             CRUMB_STORE_VERSION_NEW, NULL, now));
    CHECK_OK(crumb_store_revoke_user(s, "acme", "alice@example.com", now, NULL, now + 50, now));
    crumb_store_sighting sg = {d, {9}, "laptop", NULL, NULL};
    CHECK_OK(crumb_store_device_seen(s, "acme", "alice@example.com", &sg, now, NULL));
    redisContext *c = raw_conn();
    CHECK(c != NULL);
    if (c) {
        redisReply *x = redisCommand(c, "KEYS keys:*");
        /* s:, u:, dv: and the version counter ver */
        CHECK(x != NULL && x->type == REDIS_REPLY_ARRAY && x->elements == 4);
        for (size_t i = 0; x && i < x->elements; i++) {
            const char *kn = x->element[i]->str;
            if (strcmp(kn, "keys:ver") == 0)
                continue;
            CHECK(strstr(kn, "alice") == NULL && strstr(kn, "acme") == NULL);
            redisReply *t = redisCommand(c, "TTL %s", kn);
            CHECK(t != NULL && t->type == REDIS_REPLY_INTEGER && t->integer > 0);
            if (strncmp(kn, "keys:s:", 7) == 0)
                CHECK(t && t->integer <= 100);
            if (t)
                freeReplyObject(t);
        }
        if (x)
            freeReplyObject(x);
        redisFree(c);
    }
    crumb_store_close(s);
}

/* The per-user session index and device list stay bounded. */
static void test_bounds(void)
{
    crumb_store_redis_config cfg = {.max_index = 4, .max_devices = 3};
    crumb_store *s = open_redis(&cfg);
    CHECK(s != NULL);
    if (s == NULL)
        return;
    int64_t now = now_s();
    for (unsigned i = 0; i < 20; i++) {
        crumb_store_session_info in;
        memset(&in, 0, sizeof in);
        in.session = key_n(100 + i);
        in.last_seen = now + i;
        in.expires_at = now + i + (i < 10 ? 3 : 1000); /* the first ten expire early */
        CHECK_OK(crumb_store_index_put(s, "", "bob", &in, now + i));
    }
    crumb_store_session_info out[8];
    size_t n = 0;
    CHECK_OK(crumb_store_index_list(s, "", "bob", out, 8, &n, now + 20));
    CHECK_INT(n, 4);
    CHECK(memcmp(out[0].session.b, key_n(119).b, 32) == 0);
    redisContext *c = raw_conn();
    if (c) { /* the hash itself holds at most max_index entries */
        redisReply *x = redisCommand(c, "KEYS %s", "t*:ix:*");
        for (size_t i = 0; x && i < x->elements; i++) {
            redisReply *h = redisCommand(c, "HLEN %s", x->element[i]->str);
            CHECK(h != NULL && h->integer <= 4);
            if (h)
                freeReplyObject(h);
        }
        if (x)
            freeReplyObject(x);
        redisFree(c);
    }
    for (unsigned i = 0; i < 3; i++) {
        crumb_store_sighting sg = {id_n(i), {1}, NULL, NULL, NULL};
        CHECK_OK(crumb_store_device_seen(s, "", "bob", &sg, now, NULL));
    }
    crumb_store_sighting sg = {id_n(9), {1}, NULL, NULL, NULL};
    CHECK_INT(crumb_store_device_seen(s, "", "bob", &sg, now, NULL), CRUMB_E_LIMIT);
    crumb_store_close(s);
}

/* The single key named "<prefix><kind>*" (kind "ix:" or "dv:"), into out. */
static int find_key(redisContext *c, const char *pattern, char *out, size_t cap)
{
    redisReply *x = redisCommand(c, "KEYS %s", pattern);
    int ok = x != NULL && x->type == REDIS_REPLY_ARRAY && x->elements == 1;
    if (ok)
        snprintf(out, cap, "%s", x->element[0]->str);
    if (x)
        freeReplyObject(x);
    return ok ? 0 : -1;
}

/* Blobs in a user's index and device hashes that someone else wrote wrong
 * (truncated, unknown version, length fields out of range, another Redis
 * type at the key) read back as CRUMB_E_CORRUPT, never a crash or an
 * over-read, and the good entries are still there once the bad one goes. */
static void test_corrupt_blobs(void)
{
    crumb_store_redis_config cfg = {.prefix = "bad:"};
    crumb_store *s = open_redis(&cfg);
    redisContext *c = raw_conn();
    CHECK(s != NULL && c != NULL);
    if (s == NULL || c == NULL) {
        crumb_store_close(s);
        if (c)
            redisFree(c);
        return;
    }
    int64_t now = now_s();
    crumb_store_session_info in, out[4];
    memset(&in, 0, sizeof in);
    in.session = key_n(300);
    in.last_seen = now;
    in.expires_at = now + 1000;
    memset(in.label, 'z', CRUMB_STORE_LABEL_MAX);
    CHECK_OK(crumb_store_index_put(s, "", "carol", &in, now));
    crumb_store_sighting sg = {id_n(300), {3}, "phone", "192.0.2.0/24", NULL};
    CHECK_OK(crumb_store_device_seen(s, "", "carol", &sg, now, NULL));
    char ix[256], dv[256];
    CHECK(find_key(c, "bad:ix:*", ix, sizeof ix) == 0);
    CHECK(find_key(c, "bad:dv:*", dv, sizeof dv) == 0);

    /* the good blobs, as the store wrote them */
    uint8_t good_ix[512], good_dv[512];
    size_t nix = 0, ndv = 0;
    redisReply *x = redisCommand(c, "HGETALL %s", ix);
    if (x && x->type == REDIS_REPLY_ARRAY && x->elements == 2 && x->element[1]->len <= 512)
        memcpy(good_ix, x->element[1]->str, nix = x->element[1]->len);
    if (x)
        freeReplyObject(x);
    x = redisCommand(c, "HGETALL %s", dv);
    if (x && x->type == REDIS_REPLY_ARRAY && x->elements == 2 && x->element[1]->len <= 512)
        memcpy(good_dv, x->element[1]->str, ndv = x->element[1]->len);
    if (x)
        freeReplyObject(x);
    CHECK(nix > 90 && ndv > 80);
    if (nix <= 90 || ndv <= 80)
        goto out;

    for (int dev = 0; dev < 2; dev++) {
        const uint8_t *g = dev ? good_dv : good_ix;
        size_t gn = dev ? ndv : nix;
        const char *key = dev ? dv : ix;
        for (int kind = 0; kind < 6; kind++) {
            uint8_t b[600];
            size_t n = gn;
            memcpy(b, g, gn);
            switch (kind) {
            case 0: n = 0; break;                /* empty */
            case 1: n = gn - 1; break;           /* truncated */
            case 2: b[0] ^= 0x80; break;         /* unknown version */
            case 3: b[n++] = 'x'; break;         /* trailing byte */
            case 4: /* a length field at its maximum: label (index) / trust (device) */
                b[dev ? 49 : 89] = 0xff;
                break;
            case 5: /* device: label length past the end; index: label length 64 */
                b[dev ? 82 : 89] = dev ? 0xfe : CRUMB_STORE_LABEL_MAX + 1;
                break;
            }
            redisReply *h = redisCommand(c, "HSET %s %s %b", key, "00ff", b, n);
            CHECK(h != NULL && h->type == REDIS_REPLY_INTEGER);
            if (h)
                freeReplyObject(h);
            size_t got = 99;
            crumb_store_device dout[4];
            crumb_err e = dev ? crumb_store_device_list(s, "", "carol", dout, 4, &got)
                              : crumb_store_index_list(s, "", "carol", out, 4, &got, now);
            if (e != CRUMB_E_CORRUPT)
                fprintf(stderr, "  %s blob kind %d: %s\n", dev ? "device" : "index", kind,
                        crumb_strerror(e));
            CHECK_INT(e, CRUMB_E_CORRUPT);
        }
        redisReply *h = redisCommand(c, "HDEL %s %s", key, "00ff");
        if (h)
            freeReplyObject(h);
    }
    /* the good entries survived */
    size_t got = 0;
    crumb_store_device dout[4];
    CHECK_OK(crumb_store_index_list(s, "", "carol", out, 4, &got, now));
    CHECK_INT(got, 1);
    CHECK(got == 1 && memcmp(&out[0], &in, sizeof in) == 0);
    CHECK_OK(crumb_store_device_list(s, "", "carol", dout, 4, &got));
    CHECK_INT(got, 1);
    CHECK(got == 1 && strcmp(dout[0].label, "phone") == 0);
    /* another type at the key: WRONGTYPE maps to CRUMB_E_CORRUPT */
    x = redisCommand(c, "SET %s %s", ix, "not-a-hash");
    if (x)
        freeReplyObject(x);
    CHECK_INT(crumb_store_index_list(s, "", "carol", out, 4, &got, now), CRUMB_E_CORRUPT);
    CHECK_INT(crumb_store_index_put(s, "", "carol", &in, now), CRUMB_E_CORRUPT);
out:
    x = redisCommand(c, "DEL %s %s", ix, dv);
    if (x)
        freeReplyObject(x);
    redisFree(c);
    crumb_store_close(s);
}

/* Several processes race to advance one family: every generation is won
 * exactly once (the compare-and-set is atomic in Redis). Likewise the
 * session CAS: concurrent increments of a counter record lose nothing. */
static void test_atomic_across_processes(void)
{
    enum { PROCS = 4, ROUNDS = 60 };
    crumb_store_redis_config cfg = {.url = url, .prefix = "race:"};
    int64_t now = now_s();
    crumb_store_id fam = id_n(77);
    crumb_store_key ctr = key_n(77);
    crumb_store *s = open_redis(&cfg);
    CHECK(s != NULL);
    if (s == NULL)
        return;
    uint8_t zero[8] = {0};
    CHECK_OK(crumb_store_put(s, &ctr, zero, 8, now + 600, CRUMB_STORE_VERSION_NEW, NULL, now));
    int pfd[2];
    CHECK_INT(pipe(pfd), 0);
    pid_t kids[PROCS];
    for (int p = 0; p < PROCS; p++) {
        kids[p] = fork();
        if (kids[p] == 0) {
            close(pfd[0]);
            crumb_store *cs = NULL;
            if (crumb_store_redis_open(&cs, &cfg) != CRUMB_OK)
                _exit(2);
            unsigned wins = 0;
            for (int i = 0; i < ROUNDS; i++) {
                uint64_t g = 0;
                if (crumb_store_family_get(cs, &fam, &g, NULL, now) != CRUMB_OK)
                    _exit(3);
                crumb_err e = crumb_store_family_advance(cs, &fam, g, g + 1, now + 600, now, NULL);
                if (e == CRUMB_OK)
                    wins++;
                else if (e != CRUMB_E_CONFLICT)
                    _exit(4);
                /* read-modify-write the counter record with CAS, retrying */
                for (;;) {
                    uint8_t b[8];
                    size_t len;
                    uint64_t v, x;
                    if (crumb_store_get(cs, &ctr, b, 8, &len, &v, NULL, now) != CRUMB_OK)
                        _exit(5);
                    memcpy(&x, b, 8);
                    x++;
                    memcpy(b, &x, 8);
                    e = crumb_store_put(cs, &ctr, b, 8, now + 600, v, NULL, now);
                    if (e == CRUMB_OK)
                        break;
                    if (e != CRUMB_E_CONFLICT)
                        _exit(6);
                }
            }
            crumb_store_close(cs);
            if (write(pfd[1], &wins, sizeof wins) != sizeof wins)
                _exit(7);
            _exit(0);
        }
    }
    close(pfd[1]);
    unsigned total = 0;
    for (int p = 0; p < PROCS; p++) {
        int st = -1;
        waitpid(kids[p], &st, 0);
        CHECK(WIFEXITED(st));
        CHECK_INT(WEXITSTATUS(st), 0);
        unsigned w = 0;
        if (read(pfd[0], &w, sizeof w) == sizeof w)
            total += w;
    }
    close(pfd[0]);
    uint64_t g = 0;
    CHECK_OK(crumb_store_family_get(s, &fam, &g, NULL, now));
    CHECK_INT(g, total);
    CHECK(total >= ROUNDS); /* at least one winner per round */
    uint8_t b[8];
    size_t len;
    uint64_t x = 0;
    CHECK_OK(crumb_store_get(s, &ctr, b, 8, &len, NULL, NULL, now));
    memcpy(&x, b, 8);
    CHECK_INT(x, PROCS * ROUNDS);
    crumb_store_close(s);
}

/* Two processes share one Redis: a revocation made by one is seen by the
 * other on its next check (no cache in between). */
static void test_two_processes(void)
{
    crumb_store_redis_config cfg = {.url = url, .prefix = "two:"};
    int64_t now = now_s();
    int go[2], done[2];
    CHECK_INT(pipe(go), 0);
    CHECK_INT(pipe(done), 0);
    pid_t kid = fork();
    if (kid == 0) {
        crumb_store *cs = NULL;
        char c;
        close(go[1]);
        close(done[0]);
        if (crumb_store_redis_open(&cs, &cfg) != CRUMB_OK)
            _exit(2);
        crumb_store_key k = key_n(5);
        crumb_store_id d = id_n(5);
        crumb_store_check_req q = {&k, NULL, 1, "t", "erin", &d, now - 10, now};
        crumb_store_check_res r;
        int rc = crumb_store_check(cs, &q, &r) == CRUMB_OK ? 0 : 3; /* before: fine */
        if (write(done[1], "r", 1) != 1 || read(go[0], &c, 1) != 1) /* parent revokes */
            _exit(4);
        if (rc == 0 && (crumb_store_check(cs, &q, &r) != CRUMB_E_REVOKED ||
                        r.rule != CRUMB_STORE_RULE_USER))
            rc = 5;
        if (write(done[1], "r", 1) != 1 || read(go[0], &c, 1) != 1) /* parent revokes device */
            _exit(4);
        q.issued_at = now + 5; /* a fresh login after the user rule... */
        if (rc == 0 && (crumb_store_check(cs, &q, &r) != CRUMB_E_REVOKED ||
                        r.rule != CRUMB_STORE_RULE_DEVICE)) /* ...on the revoked device */
            rc = 6;
        crumb_store_close(cs);
        _exit(rc);
    }
    close(go[0]);
    close(done[1]); /* so a dead child reads as EOF, not a hang */
    crumb_store *s = open_redis(&cfg);
    CHECK(s != NULL);
    char c;
    CHECK_INT(read(done[0], &c, 1), 1);
    if (s)
        CHECK_OK(crumb_store_revoke_user(s, "t", "erin", now + 1, NULL, now + 600, now));
    CHECK_INT(write(go[1], "g", 1), 1);
    CHECK_INT(read(done[0], &c, 1), 1);
    crumb_store_id d = id_n(5);
    if (s)
        CHECK_OK(crumb_store_revoke_device(s, "t", "erin", &d, now + 600, now));
    CHECK_INT(write(go[1], "g", 1), 1);
    int st = -1;
    waitpid(kid, &st, 0);
    CHECK(WIFEXITED(st));
    CHECK_INT(WEXITSTATUS(st), 0);
    close(go[1]);
    close(done[0]);
    crumb_store_close(s);
}

/* Threads share one store (the connection pool; run under TSan too):
 * devices, index and records stay consistent. */
static crumb_store *tshared;
static int terrors;

static void *worker(void *arg)
{
    unsigned t = (unsigned)(size_t)arg;
    int64_t now = now_s();
    for (unsigned i = 0; i < 100; i++) {
        crumb_store_key k = key_n(1000 * t + i);
        crumb_store_sighting sg = {id_n(t), {1}, "dev", NULL, NULL};
        crumb_store_check_req q = {&k, NULL, 0, "t", "tina", &sg.device, now, now};
        crumb_store_check_res r;
        crumb_store_session_info in;
        memset(&in, 0, sizeof in);
        in.session = k;
        in.last_seen = now + i;
        in.expires_at = now + 600;
        if (crumb_store_put(tshared, &k, (const uint8_t *)"v", 1, now + 60,
                            CRUMB_STORE_VERSION_NEW, NULL, now) != CRUMB_OK ||
            crumb_store_check(tshared, &q, &r) != CRUMB_OK ||
            crumb_store_device_seen(tshared, "t", "tina", &sg, now + i, NULL) != CRUMB_OK ||
            crumb_store_index_put(tshared, "t", "tina", &in, now) != CRUMB_OK)
            __atomic_add_fetch(&terrors, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void test_threads(void)
{
    crumb_store_redis_config cfg = {.prefix = "thr:", .pool_size = 3, .max_index = 50};
    tshared = open_redis(&cfg);
    CHECK(tshared != NULL);
    if (tshared == NULL)
        return;
    pthread_t th[4];
    for (size_t i = 0; i < 4; i++)
        CHECK_INT(pthread_create(&th[i], NULL, worker, (void *)i), 0);
    for (size_t i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    CHECK_INT(terrors, 0);
    crumb_store_device dv[8];
    crumb_store_session_info ix[64];
    size_t n = 0;
    CHECK_OK(crumb_store_device_list(tshared, "t", "tina", dv, 8, &n));
    CHECK_INT(n, 4); /* no lost device under concurrent WATCH/MULTI */
    CHECK_OK(crumb_store_index_list(tshared, "t", "tina", ix, 64, &n, now_s()));
    CHECK_INT(n, 50); /* bounded by max_index */
    crumb_store_close(tshared);
}

/* Allocation failures inside the store: a clear CRUMB_E_NOMEM, never a
 * crash or a leak (ASan), and the store works again afterwards. */
static void test_alloc_failures(void)
{
    int64_t now = now_s();
    for (long n = 1; n < 6; n++) {
        crumb_store_redis_config cfg = {.url = url, .prefix = "nomem:"};
        crumb_store *s = NULL;
        crumb__alloc_fail_at(n, 0);
        crumb_err e = crumb_store_redis_open(&s, &cfg);
        crumb__alloc_fail_at(0, 0);
        if (e != CRUMB_OK) {
            CHECK_INT(e, CRUMB_E_NOMEM);
            CHECK(s == NULL);
        }
        crumb_store_close(s);
    }
    crumb_store_redis_config cfg = {.prefix = "nomem2:"};
    crumb_store *s = open_redis(&cfg);
    CHECK(s != NULL);
    if (s == NULL)
        return;
    crumb_store_sighting sg = {id_n(1), {1}, "x", NULL, NULL};
    CHECK_OK(crumb_store_device_seen(s, "t", "u", &sg, now, NULL));
    crumb__alloc_fail_at(1, 1);
    sg.device = id_n(2);
    crumb_err e1 = crumb_store_device_seen(s, "t", "u", &sg, now, NULL);
    crumb_store_device d[4];
    size_t n = 0;
    crumb_err e2 = crumb_store_device_list(s, "t", "u", d, 4, &n);
    crumb_store_sweep_counts c;
    long m2 = crumb__alloc_fail_at(1, 1); /* allocations made so far; re-armed */
    crumb_err e3 = crumb_store_sweep(s, now, NULL, &c);
    long m3 = crumb__alloc_fail_at(0, 0); /* the sweep's allocation attempts */
    CHECK(m2 > 0);
    CHECK_INT(e1, CRUMB_E_NOMEM);
    CHECK_INT(e2, CRUMB_E_NOMEM);
    CHECK_INT(e3, m3 > 0 ? CRUMB_E_NOMEM : CRUMB_OK);
    CHECK_OK(crumb_store_device_list(s, "t", "u", d, 4, &n));
    CHECK_INT(n, 1); /* the failed sighting wrote nothing */
    CHECK_OK(crumb_store_device_seen(s, "t", "u", &sg, now, NULL));
    crumb_store_close(s);
}

/* Number of subscribers of channel on the test server (-1 on error). */
static long long numsub(const char *channel)
{
    redisContext *c = raw_conn();
    if (c == NULL)
        return -1;
    redisReply *x = redisCommand(c, "PUBSUB NUMSUB %s", channel);
    long long n = -1;
    if (x && x->type == REDIS_REPLY_ARRAY && x->elements == 2 &&
        x->element[1]->type == REDIS_REPLY_INTEGER)
        n = x->element[1]->integer;
    if (x)
        freeReplyObject(x);
    redisFree(c);
    return n;
}

/* A server with a long-lived cache in front of Redis sees another server's
 * revocation at once through pub/sub, not after the cache TTL. */
static void test_cache_pubsub(void)
{
    crumb_store_redis_config cfg = {.url = url, .prefix = "ps:"};
    int64_t now = now_s();
    int go[2], done[2];
    CHECK_INT(pipe(go), 0);
    CHECK_INT(pipe(done), 0);
    pid_t kid = fork();
    if (kid == 0) {
        close(go[1]);
        close(done[0]);
        crumb_store *rs = NULL, *cs = NULL;
        crumb_store_cache_config cc = {.ttl = 3600, .own_inner = 1};
        if (crumb_store_redis_open(&rs, &cfg) != CRUMB_OK ||
            crumb_store_cache_open(&cs, rs, &cc) != CRUMB_OK ||
            crumb_store_redis_subscribe(rs, cs) != CRUMB_OK)
            _exit(2);
        crumb_store_key k = key_n(9);
        crumb_store_check_req q = {&k, NULL, 1, NULL, NULL, NULL, now - 10, now};
        crumb_store_check_res r;
        int rc = 0;
        char c;
        for (int i = 0; i < 300 && numsub("ps:invalidate") < 1; i++)
            usleep(10000); /* subscribed (the subscriber flushes once on connect) */
        usleep(50000);
        for (int i = 0; i < 3; i++) /* cached from now on */
            if (crumb_store_check(cs, &q, &r) != CRUMB_OK)
                rc = 3;
        if (write(done[1], "r", 1) != 1 || read(go[0], &c, 1) != 1) /* parent revokes */
            _exit(4);
        crumb_err e = CRUMB_OK;
        for (int i = 0; i < 300 && e == CRUMB_OK; i++) { /* up to 3 s */
            e = crumb_store_check(cs, &q, &r);
            if (e == CRUMB_OK)
                usleep(10000);
        }
        if (rc == 0 && e != CRUMB_E_REVOKED)
            rc = 5;
        crumb_store_stats st;
        if (rc == 0 && (crumb_store_stats_get(cs, &st) != CRUMB_OK || st.checks < 4))
            rc = 6;
        crumb_store_close(cs); /* also closes rs and stops its subscriber */
        _exit(rc);
    }
    close(go[0]);
    close(done[1]);
    crumb_store *s = open_redis(&cfg);
    CHECK(s != NULL);
    char c;
    CHECK_INT(read(done[0], &c, 1), 1);
    for (int i = 0; i < 300 && numsub("ps:invalidate") < 1; i++)
        usleep(10000);
    CHECK_INT(numsub("ps:invalidate"), 1);
    crumb_store_key k = key_n(9);
    struct timeval t0, t1;
    gettimeofday(&t0, NULL);
    if (s)
        CHECK_OK(crumb_store_revoke_session(s, &k, now + 600, now));
    CHECK_INT(write(go[1], "g", 1), 1);
    int st = -1;
    waitpid(kid, &st, 0);
    gettimeofday(&t1, NULL);
    CHECK(WIFEXITED(st));
    CHECK_INT(WEXITSTATUS(st), 0);
    printf("pub/sub: other process's cache saw the revocation within %ld ms\n",
           (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_usec - t0.tv_usec) / 1000));
    /* misuse */
    crumb_store *m = NULL;
    CHECK_OK(crumb_store_memory_open(&m, NULL));
    CHECK_INT(crumb_store_redis_subscribe(m, m), CRUMB_E_INVALID);
    CHECK_INT(crumb_store_redis_subscribe(s, NULL), CRUMB_E_INVALID);
    crumb_store_close(m);
    close(go[1]);
    close(done[0]);
    crumb_store_close(s);
}

/* Poll health until OK or ~5 s pass; returns the last code. */
static crumb_err wait_healthy(crumb_store *s)
{
    crumb_err e = CRUMB_E_BACKEND;
    for (int i = 0; i < 100 && e != CRUMB_OK; i++) {
        e = crumb_store_health(s, now_s());
        if (e != CRUMB_OK)
            usleep(50000);
    }
    return e;
}

/* The server goes away mid-run: clear BACKEND errors (fail closed by
 * default, OK in fail-open mode), then recovery when it is back. A frozen
 * server (SIGSTOP) gives CRUMB_E_TIMEOUT within the command timeout. */
static void test_failure(void)
{
    crumb_store_redis_config cfg = {.prefix = "fail:", .command_timeout_ms = 300,
                                    .retry_interval_ms = 100, .pool_size = 2};
    crumb_store_redis_config open_cfg = cfg;
    open_cfg.fail_open = 1;
    crumb_store *s = open_redis(&cfg), *so = open_redis(&open_cfg);
    CHECK(s != NULL && so != NULL);
    if (s == NULL || so == NULL) {
        crumb_store_close(s);
        crumb_store_close(so);
        return;
    }
    int64_t now = now_s();
    crumb_store_key k = key_n(3);
    crumb_store_check_req q = {&k, NULL, 1, NULL, NULL, NULL, now, now};
    crumb_store_check_res r;
    CHECK_OK(crumb_store_put(s, &k, (const uint8_t *)"a", 1, now + 600, CRUMB_STORE_VERSION_NEW,
                             NULL, now));
    CHECK_OK(crumb_store_check(s, &q, &r));
    CHECK_OK(crumb_store_check(so, &q, &r));

    /* frozen server: timeout */
    kill(S.pid, SIGSTOP);
    struct timeval t0, t1;
    gettimeofday(&t0, NULL);
    crumb_err e = crumb_store_check(s, &q, &r);
    gettimeofday(&t1, NULL);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_usec - t0.tv_usec) / 1000;
    CHECK_INT(e, CRUMB_E_TIMEOUT);
    CHECK(ms < 2000);
    printf("frozen server: check -> %s after %ld ms\n", crumb_strerror(e), ms);
    kill(S.pid, SIGCONT);
    CHECK_INT(wait_healthy(s), CRUMB_OK);
    CHECK_OK(crumb_store_check(s, &q, &r));

    /* stopped server */
    int port = S.port;
    srv_stop();
    e = crumb_store_check(s, &q, &r);
    CHECK(e == CRUMB_E_BACKEND || e == CRUMB_E_TIMEOUT);
    printf("stopped server: check -> %s\n", crumb_strerror(e));
    CHECK_INT(crumb_store_check(s, &q, &r), CRUMB_E_BACKEND); /* fails fast */
    /* the error carries a short, safe message (issue 16): no host or port */
    char msg[CRUMB_STORE_ERRMSG_MAX + 1], portstr[16];
    size_t ml = crumb_store_last_error(s, msg, sizeof msg);
    printf("stopped server: last_error \"%s\"\n", msg);
    snprintf(portstr, sizeof portstr, "%d", port);
    CHECK(ml > 0 && ml == strlen(msg) && strncmp(msg, "redis", 5) == 0);
    CHECK(strstr(msg, "127.0.0.1") == NULL && strstr(msg, portstr) == NULL);
    CHECK_INT(crumb_store_last_error(s, msg, 4), 3); /* truncated, terminated */
    CHECK_INT(strlen(msg), 3);
    size_t len;
    uint8_t b[4];
    e = crumb_store_get(s, &k, b, sizeof b, &len, NULL, NULL, now);
    CHECK(e == CRUMB_E_BACKEND || e == CRUMB_E_TIMEOUT);
    e = crumb_store_revoke_session(s, &k, now + 60, now);
    CHECK(e == CRUMB_E_BACKEND || e == CRUMB_E_TIMEOUT);
    CHECK_INT(crumb_store_health(s, now), CRUMB_E_BACKEND);
    CHECK_OK(crumb_store_check(so, &q, &r)); /* fail-open: answers "not revoked" */
    CHECK_INT(r.rule, CRUMB_STORE_RULE_NONE);

    /* back (empty: no persistence), and the same store objects recover */
    CHECK_INT(srv_start(port), 0);
    CHECK_INT(wait_healthy(s), CRUMB_OK);
    CHECK_INT(wait_healthy(so), CRUMB_OK);
    CHECK_INT(crumb_store_get(s, &k, b, sizeof b, &len, NULL, NULL, now), CRUMB_E_NOTFOUND);
    CHECK_OK(crumb_store_revoke_session(s, &k, now + 60, now));
    CHECK_INT(crumb_store_check(s, &q, &r), CRUMB_E_REVOKED);
    CHECK_INT(crumb_store_check(so, &q, &r), CRUMB_E_REVOKED);
    crumb_store_close(s);
    crumb_store_close(so);
}

/* Redis restarts (same port) while every pooled connection is open: the
 * very first call afterwards succeeds, and so do the next ones (each stale
 * pooled connection is reopened, not tried). Failed before: the retry took
 * another stale pooled connection. */
static void test_restart(void)
{
    crumb_store_redis_config cfg = {.pool_size = 4, .retry_interval_ms = 100};
    crumb_store *s = open_redis(&cfg);
    CHECK(s != NULL);
    if (s == NULL)
        return;
    int64_t now = now_s();
    crumb_store_key k = key_n(77);
    crumb_store_check_req q = {&k, NULL, 1, NULL, NULL, NULL, now, now};
    crumb_store_check_res r;
    for (int i = 0; i < 8; i++) /* round robin: all four connections open */
        CHECK_OK(crumb_store_check(s, &q, &r));
    for (int round = 0; round < 2; round++) {
        int port = S.port;
        srv_stop();
        CHECK_INT(srv_start(port), 0);
        CHECK_OK(crumb_store_check(s, &q, &r)); /* the first call after the restart */
        for (int i = 0; i < 8; i++)
            CHECK_OK(crumb_store_check(s, &q, &r));
        CHECK_OK(crumb_store_revoke_session(s, &k, now + 60, now));
        CHECK_INT(crumb_store_check(s, &q, &r), CRUMB_E_REVOKED);
    }
    crumb_store_close(s);
}

/* Open a store without allow_volatile (health checks persistence). */
static crumb_store *open_strict(void)
{
    crumb_store_redis_config cfg = {.url = url, .prefix = "strict:"};
    crumb_store *s = NULL;
    return crumb_store_redis_open(&s, &cfg) == CRUMB_OK ? s : NULL;
}

/* health() reports a server whose persistence loses revocations in a crash
 * (no AOF, or appendfsync no) with CRUMB_E_LIMIT; OK with AOF on; and with
 * AOF a revocation survives kill -9 of the server. */
static void test_persistence(void)
{
    crumb_store *s = open_strict();
    CHECK(s != NULL);
    CHECK_INT(crumb_store_health(s, now_s()), CRUMB_E_LIMIT); /* appendonly no */
    crumb_store_close(s);
    crumb_store *v = open_redis(NULL);                        /* allow_volatile */
    CHECK_OK(crumb_store_health(v, now_s()));
    crumb_store_close(v);

    int port = S.port;
    srv_stop();
    S.aof = "yes";
    CHECK_INT(srv_start(port), 0);
    s = open_strict();
    CHECK(s != NULL);
    CHECK_OK(crumb_store_health(s, now_s())); /* appendonly yes, appendfsync everysec */
    CHECK_INT(raw_cmd("CONFIG SET appendfsync %s", "no"), 0);
    CHECK_INT(crumb_store_health(s, now_s()), CRUMB_E_LIMIT);
    CHECK_INT(raw_cmd("CONFIG SET appendfsync %s", "always"), 0);
    CHECK_OK(crumb_store_health(s, now_s()));
    int64_t now = now_s();
    crumb_store_key k = key_n(78);
    crumb_store_check_req q = {&k, NULL, 1, NULL, NULL, NULL, now, now};
    crumb_store_check_res r;
    CHECK_OK(crumb_store_revoke_session(s, &k, now + 600, now));
    kill(S.pid, SIGKILL);
    waitpid(S.pid, NULL, 0);
    S.pid = 0;
    CHECK_INT(srv_start(port), 0);
    CHECK_INT(crumb_store_check(s, &q, &r), CRUMB_E_REVOKED);
    crumb_store_close(s);
    srv_stop();
    S.aof = NULL;
    CHECK_INT(srv_start(port), 0);
}

int main(void)
{
    check_seed();
    signal(SIGPIPE, SIG_IGN); /* hiredis writes to sockets the server may close */
    alarm(300);               /* a hang fails the test instead of stalling CI */
    if (!on_path("redis-server")) {
        printf("SKIP: needs redis-server: not installed\n");
        return 77; /* tests/run.sh: a skip, a failure where redis-server exists */
    }
    snprintf(S.dir, sizeof S.dir, "/tmp/crumb-redis-XXXXXX");
    if (mkdtemp(S.dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(S.sock, sizeof S.sock, "%s/redis.sock", S.dir);
    snprintf(S.log, sizeof S.log, "%s/redis.log", S.dir);
    if (srv_start(0) != 0) {
        fprintf(stderr, "%s:%d: could not start redis-server (log: %s)\n", __FILE__, __LINE__,
                S.log);
        srv_cleanup();
        return 1;
    }
    snprintf(url, sizeof url, "redis://127.0.0.1:%d/0", S.port);
    printf("redis-server pid %ld on port %d\n", (long)S.pid, S.port);
    test_conformance();
    test_urls();
    test_keys_and_ttl();
    test_bounds();
    test_corrupt_blobs();
    test_atomic_across_processes();
    test_two_processes();
    test_threads();
    test_alloc_failures();
    test_cache_pubsub();
    test_failure();
    test_restart();
    test_persistence();
    srv_cleanup();
    return check_done("test_store_redis");
}

#endif
