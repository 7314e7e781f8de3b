/*
 * redis.c - the Redis store (hiredis): every store method mapped onto Redis
 * keys under one prefix, atomic updates through Lua scripts or WATCH/MULTI,
 * expiry through Redis TTLs, a small pool of blocking connections with
 * timeouts and reconnect, and errors mapped to CRUMB_E_BACKEND/TIMEOUT.
 * Key layout and semantics: docs/REDIS.md. Without hiredis
 * (CRUMB_HAVE_REDIS 0) only stubs returning CRUMB_E_UNAVAILABLE are built.
 */
#include "crumb_store.h"
#include "internal.h"

#if !CRUMB_HAVE_REDIS

/* Built without hiredis (make REDIS=off): the API exists and says so. */

/* see crumb_store.h */
crumb_err crumb_store_redis_open(crumb_store **out, const crumb_store_redis_config *cfg)
{
    (void)cfg;
    if (out != NULL)
        *out = NULL;
    return out == NULL ? CRUMB_E_INVALID : CRUMB_E_UNAVAILABLE;
}

/* see crumb_store.h */
crumb_err crumb_store_redis_subscribe(crumb_store *redis, crumb_store *cache)
{
    (void)redis;
    (void)cache;
    return CRUMB_E_UNAVAILABLE;
}

#else

#include "model.h"
#include "redis_internal.h"

#include <hiredis/hiredis.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* ==== Types and constants =============================================== */

#define RD_PREFIX_MAX 64u
#define RD_KEY_MAX (RD_PREFIX_MAX + 80u)
#define RD_TXN_TRIES 64
#define RD_EXP_BATCH 32 /* expired index entries dropped per index_put */
#define RD_DEV_KEEP_DAYS                                                                   \
    (CRUMB_STORE_TRUSTED_DAYS + CRUMB_STORE_SEEN_DAYS + CRUMB_STORE_REVOKED_DAYS)

/* Lua scripts, loaded per connection (EVALSHA, falling back to EVAL). */
enum { RS_PUT, RS_TOUCH, RS_MAXSET, RS_FREVOKE, RS_FADVANCE, RS_UREVOKE, RS_EXTEND, RS_DELIF,
       RS_UPRUNE, RS_COUNT };

static const char *const rd_scripts[RS_COUNT] = {
    /* RS_PUT: KEYS rec, counter; ARGV data, expires_at, expected, now, ttl.
     * Returns {0, version} | {1} conflict | {2} not found. */
    "local e = redis.call('HGET', KEYS[1], 'e')\n"
    "local live = e and tonumber(e) > tonumber(ARGV[4])\n"
    "local x = ARGV[3]\n"
    "if x == 'new' then if live then return {1} end\n"
    "elseif x ~= 'any' then\n"
    "  if not live then return {2} end\n"
    "  if redis.call('HGET', KEYS[1], 'v') ~= x then return {1} end\n"
    "end\n"
    "local v = redis.call('INCR', KEYS[2])\n"
    "redis.call('HSET', KEYS[1], 'd', ARGV[1], 'v', v, 'e', ARGV[2])\n"
    "redis.call('EXPIRE', KEYS[1], ARGV[5])\n"
    "return {0, v}\n",
    /* RS_TOUCH: KEYS rec; ARGV expires_at, now, ttl. Returns 1 | 0 absent. */
    "local e = redis.call('HGET', KEYS[1], 'e')\n"
    "if not e or tonumber(e) <= tonumber(ARGV[2]) then return 0 end\n"
    "redis.call('HSET', KEYS[1], 'e', ARGV[1])\n"
    "redis.call('EXPIRE', KEYS[1], ARGV[3])\n"
    "return 1\n",
    /* RS_MAXSET: KEYS k; ARGV until, ttl. Keep the later until. */
    "local u = redis.call('GET', KEYS[1])\n"
    "if u and tonumber(u) >= tonumber(ARGV[1]) then return 0 end\n"
    "redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])\n"
    "return 1\n",
    /* RS_FREVOKE: KEYS fam; ARGV until, now, ttl. */
    "local f = redis.call('HMGET', KEYS[1], 'u', 'r')\n"
    "local u = tonumber(f[1] or '0'); local r = tonumber(f[2] or '0')\n"
    "local t = tonumber(ARGV[1])\n"
    "if u <= tonumber(ARGV[2]) then redis.call('HSET', KEYS[1], 'g', '0', 'a', '0'); u = 0 end\n"
    "if t > r then redis.call('HSET', KEYS[1], 'r', ARGV[1]) end\n"
    "if t > u then redis.call('HSET', KEYS[1], 'u', ARGV[1]) end\n"
    "local ttl = redis.call('TTL', KEYS[1])\n"
    "if ttl < tonumber(ARGV[3]) then redis.call('EXPIRE', KEYS[1], ARGV[3]) end\n"
    "return 1\n",
    /* RS_FADVANCE: KEYS fam; ARGV expected, new, until, now, ttl.
     * Returns {0|1 revoked|2 conflict, current generation}. */
    "local f = redis.call('HMGET', KEYS[1], 'g', 'u', 'r')\n"
    "local now = tonumber(ARGV[4])\n"
    "local g = f[1] or '0'; local u = tonumber(f[2] or '0'); local r = tonumber(f[3] or '0')\n"
    "if u <= now then g = '0' end\n"
    "if r > now then return {1, g} end\n"
    "if g ~= ARGV[1] then return {2, g} end\n"
    "redis.call('HSET', KEYS[1], 'g', ARGV[2], 'a', ARGV[4])\n"
    "if tonumber(ARGV[3]) > u then redis.call('HSET', KEYS[1], 'u', ARGV[3]) end\n"
    "local ttl = redis.call('TTL', KEYS[1])\n"
    "if ttl < tonumber(ARGV[5]) then redis.call('EXPIRE', KEYS[1], ARGV[5]) end\n"
    "return {0, ARGV[2]}\n",
    /* RS_UREVOKE: KEYS user; ARGV before, except ('' = none), until, ttl. */
    "local f = redis.call('HMGET', KEYS[1], 'nb', 'nbu')\n"
    "local nb = tonumber(f[1] or '0'); local nbu = tonumber(f[2] or '0')\n"
    "local b = tonumber(ARGV[1])\n"
    "if b < nb then b = nb end\n"
    "local t = tonumber(ARGV[3]); if nbu > t then t = nbu end\n"
    "redis.call('HSET', KEYS[1], 'nb', string.format('%d', b), 'nbu', string.format('%d', t), "
    "'ex', ARGV[2])\n"
    "local ttl = redis.call('TTL', KEYS[1])\n"
    "if ttl < tonumber(ARGV[4]) then redis.call('EXPIRE', KEYS[1], ARGV[4]) end\n"
    "return 1\n",
    /* RS_EXTEND: KEYS k; ARGV ttl. Raise the key's TTL to at least ttl. */
    "local ttl = redis.call('TTL', KEYS[1])\n"
    "if ttl == -1 or (ttl >= 0 and ttl < tonumber(ARGV[1])) then\n"
    "  redis.call('EXPIRE', KEYS[1], ARGV[1]) end\n"
    "return 1\n",
    /* RS_DELIF: KEYS k; ARGV now. Delete a record/revocation/family whose
     * expiry fields are all <= now. Returns 1 deleted, 2 deleted (family
     * with a revocation), 0 kept. */
    "local t = redis.call('TYPE', KEYS[1]).ok\n"
    "local now = tonumber(ARGV[1])\n"
    "if t == 'string' then\n"
    "  if tonumber(redis.call('GET', KEYS[1]) or '0') <= now then\n"
    "    redis.call('DEL', KEYS[1]); return 1 end\n"
    "elseif t == 'hash' then\n"
    "  local f = redis.call('HMGET', KEYS[1], 'e', 'u', 'r')\n"
    "  local m = math.max(tonumber(f[1] or '0'), tonumber(f[2] or '0'), tonumber(f[3] or '0'))\n"
    "  if m <= now then redis.call('DEL', KEYS[1]); if f[3] then return 2 end; return 1 end\n"
    "end\n"
    "return 0\n",
    /* RS_UPRUNE: KEYS user; ARGV now. Drop expired user/device revocations;
     * returns how many were dropped. */
    "local now = tonumber(ARGV[1]); local n = 0\n"
    "local h = redis.call('HGETALL', KEYS[1])\n"
    "for i = 1, #h, 2 do\n"
    "  local k = h[i]\n"
    "  if string.sub(k, 1, 2) == 'r:' and tonumber(h[i + 1]) <= now then\n"
    "    redis.call('HDEL', KEYS[1], k); n = n + 1 end\n"
    "end\n"
    "local nbu = redis.call('HGET', KEYS[1], 'nbu')\n"
    "if nbu and tonumber(nbu) <= now then\n"
    "  redis.call('HDEL', KEYS[1], 'nb', 'nbu', 'ex'); n = n + 1 end\n"
    "if redis.call('HLEN', KEYS[1]) == 0 then redis.call('DEL', KEYS[1]) end\n"
    "return n\n",
};

/* One pooled connection; lock held by whoever uses it. */
typedef struct rd_conn {
    pthread_mutex_t lock;
    redisContext *ctx;               /* NULL = not connected */
    char sha[RS_COUNT][41];          /* script SHA1s loaded on this connection */
    unsigned epoch;                  /* rd_store.epoch when it was connected */
} rd_conn;

/* Parsed connection URL. */
typedef struct rd_url {
    char host[256];
    int port;
    char path[256];  /* unix socket path; "" = TCP */
    char user[128];
    char pass[256];
    int db;
} rd_url;

typedef struct rd_store {
    crumb_store base;
    rd_url url;
    char prefix[RD_PREFIX_MAX + 1];
    struct timeval conn_tv, cmd_tv;
    int64_t retry_ms;
    int fail_open;
    uint8_t ukey[32];                /* HMAC key for user key names */
    stm_limits lim;
    unsigned npool;
    rd_conn *pool;
    atomic_uint rr;                  /* round-robin start for the pool */
    atomic_llong down_until;         /* monotonic ms: fail fast until then */
    atomic_uint epoch;               /* bumped when an open connection died: every
                                        connection opened before is reopened */
    int allow_volatile;              /* health() accepts a server without AOF */
    atomic_ullong checks;
    int publish;                     /* PUBLISH on the invalidation channel */
    char channel[RD_PREFIX_MAX + 16];
    /* subscriber thread (crumb_store_redis_subscribe) */
    pthread_t sub_thread;
    int sub_running;
    atomic_int sub_stop;
    pthread_mutex_t sub_lock;        /* guards sub_ctx against close() */
    redisContext *sub_ctx;
    crumb_store *sub_cache;
} rd_store;

/* Key kinds (one letter after the prefix). */
#define RK_SESSION "s:"
#define RK_SREV "rs:"
#define RK_FAMILY "f:"
#define RK_USER "u:"
#define RK_DEVICES "dv:"
#define RK_INDEX "ix:"
#define RK_GLOBAL "g"
#define RK_VERSION "ver"

/* ==== Small helpers ====================================================== */

/* Monotonic milliseconds (for reconnect back-off only, never for expiry). */
static int64_t rd_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Build "<prefix><kind><hex of n bytes>" into out (RD_KEY_MAX). */
static void rd_key(const rd_store *r, char *out, const char *kind, const uint8_t *b, size_t n)
{
    char hx[2 * CRUMB_STORE_KEYBYTES + 1];
    crumb__hex(hx, b, n);
    snprintf(out, RD_KEY_MAX, "%s%s%s", r->prefix, kind, hx);
}

/* Key for a (tenant, user) pair: a keyed hash, so user ids never appear in
 * key names. */
static void rd_user_key(const rd_store *r, char *out, const char *kind, const char *tenant,
                        const char *user)
{
    uint8_t h[32];
    size_t tl = strlen(tenant);
    uint8_t buf[2 * CRUMB_STORE_NAME_MAX + 2];
    memcpy(buf, tenant, tl);
    buf[tl] = 0;
    size_t ul = strlen(user);
    memcpy(buf + tl + 1, user, ul);
    crumb__hmac_sha256(h, r->ukey, sizeof r->ukey, buf, tl + 1 + ul, NULL, 0);
    rd_key(r, out, kind, h, 16);
}

/* Seconds for a Redis TTL ending at `at` (logical time now), at least 1. */
static long long rd_ttl(int64_t at, int64_t now)
{
    int64_t t = at - now;
    return t < 1 ? 1 : (long long)t;
}

/* Parse a decimal reply string (NULL/nil = 0) into an int64. */
static int64_t rd_i64(const redisReply *x)
{
    if (x == NULL || x->type != REDIS_REPLY_STRING)
        return x && x->type == REDIS_REPLY_INTEGER ? (int64_t)x->integer : 0;
    return (int64_t)strtoll(x->str, NULL, 10);
}

/* Parse a decimal reply (string or integer) into a uint64. */
static uint64_t rd_u64(const redisReply *x)
{
    if (x == NULL)
        return 0;
    if (x->type == REDIS_REPLY_INTEGER)
        return (uint64_t)x->integer;
    if (x->type == REDIS_REPLY_STRING)
        return (uint64_t)strtoull(x->str, NULL, 10);
    return 0;
}

/* 1 if tenant/user are valid for a user-scoped call; maps NULL tenant to "". */
static int rd_user_args(const char **tenant, const char *user)
{
    if (*tenant == NULL)
        *tenant = "";
    return stm_user_args_ok(*tenant, user);
}

/* ==== URL parsing ======================================================== */

/* Percent-decode src[0..n) into dst (cap bytes incl. NUL); -1 if bad/too long. */
static int rd_pct(char *dst, size_t cap, const char *src, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)src[i];
        if (c == '%') {
            int hi = i + 1 < n ? crumb__hexval(src[i + 1]) : -1;
            int lo = i + 2 < n ? crumb__hexval(src[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return -1;
            c = hi * 16 + lo;
            i += 2;
        }
        if (o + 1 >= cap || c == 0)
            return -1;
        dst[o++] = (char)c;
    }
    dst[o] = '\0';
    return 0;
}

/* Parse a decimal in [lo, hi] from s[0..n); -1 if not. */
static long rd_num(const char *s, size_t n, long lo, long hi)
{
    long v = 0;
    if (n == 0 || n > 9)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v < lo || v > hi ? -1 : v;
}

/* Parse "user:pass" userinfo; 0 on success. */
static int rd_userinfo(rd_url *u, const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    if (colon == NULL)
        return rd_pct(u->pass, sizeof u->pass, s, n); /* bare password */
    if (rd_pct(u->user, sizeof u->user, s, (size_t)(colon - s)) != 0)
        return -1;
    return rd_pct(u->pass, sizeof u->pass, colon + 1, n - (size_t)(colon - s) - 1);
}

/* Parse "db=N&password=P&user=U" query parameters; 0 on success. */
static int rd_query(rd_url *u, const char *q)
{
    while (*q) {
        const char *amp = strchr(q, '&');
        size_t n = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', n);
        if (eq == NULL)
            return -1;
        size_t kl = (size_t)(eq - q), vl = n - kl - 1;
        if (kl == 2 && memcmp(q, "db", 2) == 0) {
            long v = rd_num(eq + 1, vl, 0, 1000000);
            if (v < 0)
                return -1;
            u->db = (int)v;
        } else if (kl == 8 && memcmp(q, "password", 8) == 0) {
            if (rd_pct(u->pass, sizeof u->pass, eq + 1, vl) != 0)
                return -1;
        } else if (kl == 4 && memcmp(q, "user", 4) == 0) {
            if (rd_pct(u->user, sizeof u->user, eq + 1, vl) != 0)
                return -1;
        } else {
            return -1;
        }
        q += n + (amp ? 1 : 0);
    }
    return 0;
}

/* Parse a redis:// or unix:// URL (docs/REDIS.md); 0 on success. */
static int rd_parse_url(rd_url *u, const char *url)
{
    memset(u, 0, sizeof *u);
    u->port = 6379;
    snprintf(u->host, sizeof u->host, "127.0.0.1");
    if (strncmp(url, "unix://", 7) == 0) {
        const char *p = url + 7;
        const char *slash = strchr(p, '/');
        if (slash == NULL)
            return -1;
        if (slash != p) { /* userinfo@ before the path */
            if (slash[-1] != '@' || rd_userinfo(u, p, (size_t)(slash - p - 1)) != 0)
                return -1;
        }
        const char *q = strchr(slash, '?');
        size_t pl = q ? (size_t)(q - slash) : strlen(slash);
        if (rd_pct(u->path, sizeof u->path, slash, pl) != 0)
            return -1;
        return q ? rd_query(u, q + 1) : 0;
    }
    if (strncmp(url, "redis://", 8) != 0)
        return -1; /* rediss:// (TLS) is not supported */
    const char *p = url + 8;
    const char *end = p + strcspn(p, "/?");
    const char *at = NULL;
    for (const char *x = p; x < end; x++)
        if (*x == '@')
            at = x;
    if (at != NULL) {
        if (rd_userinfo(u, p, (size_t)(at - p)) != 0)
            return -1;
        p = at + 1;
    }
    const char *hend;
    if (*p == '[') { /* [ipv6]:port */
        const char *rb = memchr(p, ']', (size_t)(end - p));
        if (rb == NULL || (size_t)(rb - p - 1) >= sizeof u->host)
            return -1;
        memcpy(u->host, p + 1, (size_t)(rb - p - 1));
        u->host[rb - p - 1] = '\0';
        hend = rb + 1;
    } else {
        hend = memchr(p, ':', (size_t)(end - p));
        if (hend == NULL)
            hend = end;
        if (hend != p) {
            if ((size_t)(hend - p) >= sizeof u->host)
                return -1;
            memcpy(u->host, p, (size_t)(hend - p));
            u->host[hend - p] = '\0';
        }
    }
    if (hend < end) {
        if (*hend != ':')
            return -1;
        long port = rd_num(hend + 1, (size_t)(end - hend - 1), 1, 65535);
        if (port < 0)
            return -1;
        u->port = (int)port;
    }
    p = end;
    if (*p == '/') {
        p++;
        size_t n = strcspn(p, "?");
        if (n > 0) {
            long db = rd_num(p, n, 0, 1000000);
            if (db < 0)
                return -1;
            u->db = (int)db;
        }
        p += n;
    }
    if (*p == '?')
        return rd_query(u, p + 1);
    return *p == '\0' ? 0 : -1;
}

/* ==== Connections ======================================================== */

/* Drop c's connection (after an I/O error or timeout). */
static void rd_drop(rd_conn *c)
{
    if (c->ctx != NULL)
        redisFree(c->ctx);
    c->ctx = NULL;
}

/* Map the connection error of c->ctx to a crumb_err and drop the
 * connection (a hiredis context is unusable after an error). */
static crumb_err rd_conn_fail(rd_conn *c)
{
    int saved = errno;
    crumb_err e = CRUMB_E_BACKEND;
    if (c->ctx != NULL && c->ctx->err == REDIS_ERR_IO &&
        (saved == EAGAIN || saved == EWOULDBLOCK || saved == ETIMEDOUT ||
         strstr(c->ctx->errstr, "temporarily unavailable") != NULL ||
         strstr(c->ctx->errstr, "timed out") != NULL))
        e = CRUMB_E_TIMEOUT;
    if (c->ctx != NULL && c->ctx->err == REDIS_ERR_OOM)
        e = CRUMB_E_NOMEM;
    rd_drop(c);
    return e;
}

/* Map an error reply to a crumb_err. */
static crumb_err rd_reply_err(const redisReply *x)
{
    if (strncmp(x->str, "WRONGTYPE", 9) == 0)
        return CRUMB_E_CORRUPT;
    if (strncmp(x->str, "OOM", 3) == 0)
        return CRUMB_E_NOSPC;
    if (strncmp(x->str, "BUSY", 4) == 0)
        return CRUMB_E_TIMEOUT;
    return CRUMB_E_BACKEND; /* LOADING, NOAUTH, READONLY, MASTERDOWN, ... */
}

/* printf-style command (hiredis format: %s strings, %b binary + length). */
static redisReply *rd_cmd(rd_conn *c, crumb_err *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *x = redisvCommand(c->ctx, fmt, ap);
    va_end(ap);
    if (x == NULL) {
        *e = rd_conn_fail(c);
        return NULL;
    }
    if (x->type == REDIS_REPLY_ERROR) {
        *e = rd_reply_err(x);
        freeReplyObject(x);
        return NULL;
    }
    *e = CRUMB_OK;
    return x;
}

/* Run script idx with nk keys then na args (all NUL-terminated except the
 * args listed with explicit lengths in alens, which may be NULL). Uses
 * EVALSHA; on NOSCRIPT (server restarted or flushed) falls back to EVAL. */
static redisReply *rd_eval(rd_conn *c, crumb_err *e, int idx, int nk, const char **keys, int na,
                           const char **args, const size_t *alens)
{
    const char *argv[16];
    size_t lens[16];
    char nkbuf[8];
    snprintf(nkbuf, sizeof nkbuf, "%d", nk);
    argv[0] = "EVALSHA";
    argv[1] = c->sha[idx];
    argv[2] = nkbuf;
    int n = 3;
    for (int i = 0; i < nk; i++)
        argv[n++] = keys[i];
    for (int i = 0; i < na; i++)
        argv[n++] = args[i];
    for (int i = 0; i < n; i++) /* binary args are never read as strings */
        lens[i] = alens != NULL && i >= 3 + nk ? alens[i - 3 - nk] : strlen(argv[i]);
    redisReply *x = redisCommandArgv(c->ctx, n, argv, lens);
    if (x != NULL && x->type == REDIS_REPLY_ERROR && strncmp(x->str, "NOSCRIPT", 8) == 0) {
        freeReplyObject(x);
        argv[0] = "EVAL";
        argv[1] = rd_scripts[idx];
        lens[0] = 4;
        lens[1] = strlen(rd_scripts[idx]);
        x = redisCommandArgv(c->ctx, n, argv, lens);
    }
    if (x == NULL) {
        *e = rd_conn_fail(c);
        return NULL;
    }
    if (x->type == REDIS_REPLY_ERROR) {
        *e = rd_reply_err(x);
        freeReplyObject(x);
        return NULL;
    }
    *e = CRUMB_OK;
    return x;
}

/* Connect c: AUTH, SELECT, SCRIPT LOAD (pipelined). CRUMB_E_BACKEND,
 * CRUMB_E_TIMEOUT; while the back-off after a failed attempt runs, fails
 * fast with CRUMB_E_BACKEND. */
static crumb_err rd_connect(rd_store *r, rd_conn *c)
{
    if (rd_mono_ms() < atomic_load(&r->down_until))
        return CRUMB_E_BACKEND;
    redisContext *ctx = r->url.path[0]
                            ? redisConnectUnixWithTimeout(r->url.path, r->conn_tv)
                            : redisConnectWithTimeout(r->url.host, r->url.port, r->conn_tv);
    crumb_err e = CRUMB_OK;
    if (ctx == NULL)
        return CRUMB_E_NOMEM;
    c->ctx = ctx;
    if (ctx->err) {
        e = rd_conn_fail(c);
        goto fail;
    }
    if (redisSetTimeout(ctx, r->cmd_tv) != REDIS_OK) {
        e = rd_conn_fail(c);
        goto fail;
    }
    int n = 0;
    if (r->url.pass[0]) {
        if (r->url.user[0])
            redisAppendCommand(ctx, "AUTH %s %s", r->url.user, r->url.pass);
        else
            redisAppendCommand(ctx, "AUTH %s", r->url.pass);
        n++;
    }
    if (r->url.db != 0) {
        redisAppendCommand(ctx, "SELECT %d", r->url.db);
        n++;
    }
    for (int i = 0; i < RS_COUNT; i++)
        redisAppendCommand(ctx, "SCRIPT LOAD %s", rd_scripts[i]);
    for (int i = 0; i < n + RS_COUNT; i++) {
        void *v = NULL;
        if (redisGetReply(ctx, &v) != REDIS_OK) {
            e = rd_conn_fail(c);
            goto fail;
        }
        redisReply *x = v;
        if (x->type == REDIS_REPLY_ERROR) {
            e = CRUMB_E_BACKEND; /* bad password, bad db, scripting disabled */
        } else if (i >= n) {
            if (x->type != REDIS_REPLY_STRING || x->len != 40)
                e = CRUMB_E_BACKEND;
            else
                memcpy(c->sha[i - n], x->str, 41);
        }
        freeReplyObject(x);
    }
    if (e != CRUMB_OK) {
        rd_drop(c);
        goto fail;
    }
    c->epoch = atomic_load(&r->epoch);
    return CRUMB_OK;
fail:
    atomic_store(&r->down_until, rd_mono_ms() + r->retry_ms);
    return e;
}

/* Take a pooled connection (locked on return). */
static rd_conn *rd_acquire(rd_store *r)
{
    unsigned start = atomic_fetch_add(&r->rr, 1u) % r->npool;
    for (unsigned i = 0; i < r->npool; i++) {
        rd_conn *c = &r->pool[(start + i) % r->npool];
        if (pthread_mutex_trylock(&c->lock) == 0)
            return c;
    }
    rd_conn *c = &r->pool[start];
    pthread_mutex_lock(&c->lock);
    return c;
}

/* Take a pooled connection (locked on return) and make sure it is open and
 * of the current epoch: one opened before the last "connection died" event
 * is closed and reopened, since the server it talked to may have restarted.
 * Returns CRUMB_OK or rd_connect's error; *reused = 1 if it was already open. */
static crumb_err rd_ready(rd_store *r, rd_conn **out, int *reused)
{
    rd_conn *c = rd_acquire(r);
    *out = c;
    if (c->ctx != NULL && c->epoch != atomic_load(&r->epoch))
        rd_drop(c);
    *reused = c->ctx != NULL;
    return *reused ? CRUMB_OK : rd_connect(r, c);
}

/* 1 if a call that failed with rc on connection c (reused: it was open
 * before the call) should be retried: the connection broke (hiredis
 * dropped it), so the server probably restarted. Bumps the epoch so the
 * retry and every later call use fresh connections, never another pooled
 * one to the old server. */
static int rd_retry(rd_store *r, const rd_conn *c, int reused, crumb_err rc)
{
    if (!reused || c->ctx != NULL || rc != CRUMB_E_BACKEND)
        return 0;
    atomic_fetch_add(&r->epoch, 1u);
    return 1;
}

/* Run `expr` (which uses rd_conn *c) on a connected pooled connection. A
 * failure on a connection that was already open (it may have gone stale
 * while the server restarted) is retried once on a fresh connection. */
#define RD_RUN(r, rc, expr)                                                          \
    do {                                                                             \
        for (int rd_try_ = 0;; rd_try_++) {                                          \
            rd_conn *c;                                                              \
            int rd_reused_;                                                          \
            rc = rd_ready((r), &c, &rd_reused_);                                     \
            if (rc == CRUMB_OK)                                                      \
                rc = (expr);                                                         \
            int rd_again_ = rd_try_ == 0 && rd_retry((r), c, rd_reused_, rc);       \
            pthread_mutex_unlock(&c->lock);                                          \
            if (!rd_again_)                                                          \
                break;                                                               \
        }                                                                            \
    } while (0)

/* ==== WATCH/MULTI transactions =========================================== */

/* UNWATCH after a read-only pass (ignore errors: the next WATCH resets). */
static void rd_unwatch(rd_conn *c)
{
    crumb_err e;
    redisReply *x = rd_cmd(c, &e, "UNWATCH");
    if (x)
        freeReplyObject(x);
}

/* Read the n replies of a pipelined MULTI ... EXEC; returns CRUMB_OK if
 * EXEC ran, CRUMB_E_CONFLICT if a watched key changed (retry). */
static crumb_err rd_exec_replies(rd_conn *c, int n)
{
    crumb_err e = CRUMB_OK;
    for (int i = 0; i < n; i++) {
        void *v = NULL;
        if (redisGetReply(c->ctx, &v) != REDIS_OK)
            return rd_conn_fail(c);
        redisReply *x = v;
        if (i == n - 1) {
            if (x->type == REDIS_REPLY_NIL)
                e = CRUMB_E_CONFLICT;
            else if (x->type != REDIS_REPLY_ARRAY)
                e = x->type == REDIS_REPLY_ERROR ? rd_reply_err(x) : CRUMB_E_BACKEND;
            else
                for (size_t k = 0; k < x->elements; k++)
                    if (x->element[k]->type == REDIS_REPLY_ERROR && e == CRUMB_OK)
                        e = rd_reply_err(x->element[k]);
        } else if (x->type == REDIS_REPLY_ERROR && e == CRUMB_OK) {
            e = rd_reply_err(x);
        }
        freeReplyObject(x);
    }
    return e;
}

/* Load the blob hash `key` (devices or index) into u, sorted newest first.
 * Malformed blobs: CRUMB_E_CORRUPT. */
static crumb_err rd_load_blobs(rd_conn *c, const char *key, int devices, stm_user *u)
{
    crumb_err e;
    memset(u, 0, sizeof *u);
    redisReply *x = rd_cmd(c, &e, "HGETALL %s", key);
    if (x == NULL)
        return e;
    size_t n = x->type == REDIS_REPLY_ARRAY ? x->elements / 2 : 0;
    e = CRUMB_OK;
    if (n > 0) {
        if (devices)
            e = stm_reserve((void **)&u->dev, &u->capdev, n, sizeof *u->dev);
        else
            e = stm_reserve((void **)&u->idx, &u->capidx, n, sizeof *u->idx);
    }
    for (size_t i = 0; e == CRUMB_OK && i < n; i++) {
        const redisReply *v = x->element[2 * i + 1];
        if (v->type != REDIS_REPLY_STRING) {
            e = CRUMB_E_CORRUPT;
        } else if (devices) {
            if (crumb__rd_dev_decode(&u->dev[u->ndev], (const uint8_t *)v->str, v->len) != 0)
                e = CRUMB_E_CORRUPT;
            else
                stm_dev_resort(u, u->ndev++);
        } else {
            crumb_store_session_info in;
            if (crumb__rd_idx_decode(&in, (const uint8_t *)v->str, v->len) != 0)
                e = CRUMB_E_CORRUPT;
            else {
                size_t j = u->nidx++;
                while (j > 0 && u->idx[j - 1].last_seen < in.last_seen) {
                    u->idx[j] = u->idx[j - 1];
                    j--;
                }
                u->idx[j] = in;
            }
        }
    }
    freeReplyObject(x);
    if (e != CRUMB_OK)
        stm_user_free(u);
    return e;
}

/* WATCH one or two keys (k2 may be NULL). */
static crumb_err rd_watch(rd_conn *c, const char *k1, const char *k2)
{
    crumb_err e;
    redisReply *x = k2 ? rd_cmd(c, &e, "WATCH %s %s", k1, k2) : rd_cmd(c, &e, "WATCH %s", k1);
    if (x)
        freeReplyObject(x);
    return e;
}

/* Queue HSET of device d into the devices hash dk (inside MULTI). */
static void rd_q_dev(rd_conn *c, const char *dk, const stm_dev *d)
{
    uint8_t blob[CRUMB__RD_DEV_MAX];
    char hx[33];
    crumb__hex(hx, d->d.device.b, 16);
    size_t n = crumb__rd_dev_encode(blob, d);
    redisAppendCommand(c->ctx, "HSET %s %s %b", dk, hx, blob, n);
}

/* Queue a raise of key k's TTL to at least ttl seconds (inside MULTI). */
static void rd_q_extend(rd_conn *c, const char *k, long long ttl)
{
    redisAppendCommand(c->ctx, "EVAL %s 1 %s %lld", rd_scripts[RS_EXTEND], k, ttl);
}

/* ==== Methods: lifecycle, health, stats ================================== */

static void rd_sub_stop(rd_store *r);

static void rd_close(crumb_store *s)
{
    rd_store *r = (rd_store *)s;
    rd_sub_stop(r);
    pthread_mutex_destroy(&r->sub_lock);
    for (unsigned i = 0; i < r->npool; i++) {
        rd_drop(&r->pool[i]);
        pthread_mutex_destroy(&r->pool[i].lock);
    }
    crumb__free(r->pool);
    crumb_wipe(r->url.pass, sizeof r->url.pass);
    crumb_wipe(r->ukey, sizeof r->ukey);
    crumb__free(r);
}

/* PING on c. */
static crumb_err rd_ping(rd_conn *c)
{
    crumb_err e;
    redisReply *x = rd_cmd(c, &e, "PING");
    if (x)
        freeReplyObject(x);
    return e;
}

/* CRUMB_OK if the server keeps writes across a crash (AOF on, appendfsync
 * always or everysec), CRUMB_E_LIMIT if not (AOF off, or appendfsync no),
 * or the command's error. A server that refuses CONFIG (managed Redis) is
 * judged by INFO's aof_enabled alone. */
static crumb_err rd_persistence(rd_conn *c)
{
    crumb_err e;
    redisReply *x = rd_cmd(c, &e, "INFO persistence");
    if (x == NULL)
        return e;
    int aof = x->type == REDIS_REPLY_STRING &&
              strstr(x->str, "aof_enabled:1") != NULL;
    freeReplyObject(x);
    if (!aof)
        return CRUMB_E_LIMIT;
    x = rd_cmd(c, &e, "CONFIG GET appendfsync");
    if (x == NULL)
        return c->ctx != NULL ? CRUMB_OK : e; /* error reply: CONFIG disabled */
    int weak = x->type == REDIS_REPLY_ARRAY && x->elements == 2 &&
               x->element[1]->type == REDIS_REPLY_STRING &&
               strcmp(x->element[1]->str, "no") == 0;
    freeReplyObject(x);
    return weak ? CRUMB_E_LIMIT : CRUMB_OK;
}

/* Liveness (PING), then unless allow_volatile the persistence check. */
static crumb_err rd_health(crumb_store *s, int64_t now)
{
    rd_store *r = (rd_store *)s;
    crumb_err rc;
    (void)now;
    RD_RUN(r, rc, rd_ping(c));
    if (rc == CRUMB_OK && !r->allow_volatile)
        RD_RUN(r, rc, rd_persistence(c));
    return rc;
}

/* SCAN every key under the prefix and call fn(c, key, kind, arg) for each. */
typedef crumb_err rd_scan_fn(rd_store *r, rd_conn *c, const char *key, const char *kind,
                             void *arg);

static crumb_err rd_scan(rd_store *r, rd_conn *c, rd_scan_fn *fn, void *arg)
{
    char cursor[32] = "0", pat[RD_PREFIX_MAX + 2];
    size_t pl = strlen(r->prefix);
    snprintf(pat, sizeof pat, "%s*", r->prefix);
    do {
        crumb_err e;
        redisReply *x = rd_cmd(c, &e, "SCAN %s MATCH %s COUNT 500", cursor, pat);
        if (x == NULL)
            return e;
        if (x->type != REDIS_REPLY_ARRAY || x->elements != 2 ||
            x->element[0]->type != REDIS_REPLY_STRING ||
            x->element[1]->type != REDIS_REPLY_ARRAY) {
            freeReplyObject(x);
            return CRUMB_E_BACKEND;
        }
        snprintf(cursor, sizeof cursor, "%s", x->element[0]->str);
        /* copy the keys: fn issues commands on the same connection */
        const redisReply *ks = x->element[1];
        for (size_t i = 0; i < ks->elements; i++) {
            const redisReply *k = ks->element[i];
            if (k->type != REDIS_REPLY_STRING || k->len <= pl || k->len >= RD_KEY_MAX)
                continue;
            char key[RD_KEY_MAX];
            memcpy(key, k->str, k->len);
            key[k->len] = '\0';
            e = fn(r, c, key, key + pl, arg);
            if (e != CRUMB_OK) {
                freeReplyObject(x);
                return e;
            }
        }
        freeReplyObject(x);
    } while (strcmp(cursor, "0") != 0);
    return CRUMB_OK;
}

/* rd_scan callback for stats. */
static crumb_err rd_stats_key(rd_store *r, rd_conn *c, const char *key, const char *kind,
                              void *arg)
{
    crumb_store_stats *st = arg;
    crumb_err e = CRUMB_OK;
    redisReply *x = NULL;
    (void)r;
    if (strncmp(kind, RK_SESSION, 2) == 0) {
        st->sessions++;
        x = rd_cmd(c, &e, "HSTRLEN %s d", key);
        if (x)
            st->session_bytes += rd_u64(x);
    } else if (strncmp(kind, RK_SREV, 3) == 0) {
        st->revocations++;
    } else if (strncmp(kind, RK_FAMILY, 2) == 0) {
        st->families++;
        x = rd_cmd(c, &e, "HEXISTS %s r", key);
        if (x)
            st->revocations += rd_u64(x);
    } else if (strncmp(kind, RK_DEVICES, 3) == 0) {
        x = rd_cmd(c, &e, "HLEN %s", key);
        if (x)
            st->devices += rd_u64(x);
    } else if (strncmp(kind, RK_USER, 2) == 0) {
        x = rd_cmd(c, &e, "HLEN %s", key);
        if (x) /* r:<dev> fields, plus nb/nbu/ex counting as one rule */
            st->revocations += rd_u64(x) >= 3 ? rd_u64(x) - 2 : rd_u64(x);
    }
    if (x)
        freeReplyObject(x);
    return e;
}

/* stats on c: one SCAN pass (O(keys): an admin call, not a hot path). */
static crumb_err rd_stats_on(rd_store *r, rd_conn *c, crumb_store_stats *out)
{
    crumb_err e = rd_scan(r, c, rd_stats_key, out);
    out->checks = atomic_load(&r->checks);
    return e;
}

static crumb_err rd_stats(crumb_store *s, crumb_store_stats *out)
{
    rd_store *r = (rd_store *)s;
    crumb_err rc;
    crumb_store_stats st;
    RD_RUN(r, rc, (st = (crumb_store_stats){0}, rd_stats_on(r, c, &st)));
    if (rc == CRUMB_OK)
        *out = st;
    return rc;
}

/* ==== Methods: session records =========================================== */

/* put on c. */
static crumb_err rd_put_on(rd_store *r, rd_conn *c, const crumb_store_key *key,
                           const uint8_t *data, size_t len, int64_t expires_at, uint64_t expected,
                           uint64_t *new_version, int64_t now)
{
    char k[RD_KEY_MAX], kv[RD_KEY_MAX], exp[24], xv[24], nw[24], ttl[24];
    rd_key(r, k, RK_SESSION, key->b, CRUMB_STORE_KEYBYTES);
    snprintf(kv, sizeof kv, "%s%s", r->prefix, RK_VERSION);
    snprintf(exp, sizeof exp, "%" PRId64, expires_at);
    if (expected == CRUMB_STORE_VERSION_NEW)
        snprintf(xv, sizeof xv, "new");
    else if (expected == CRUMB_STORE_VERSION_ANY)
        snprintf(xv, sizeof xv, "any");
    else
        snprintf(xv, sizeof xv, "%" PRIu64, expected);
    snprintf(nw, sizeof nw, "%" PRId64, now);
    snprintf(ttl, sizeof ttl, "%lld", rd_ttl(expires_at, now));
    const char *keys[2] = {k, kv};
    const char *args[5] = {len ? (const char *)data : "", exp, xv, nw, ttl};
    size_t alens[5] = {len, strlen(exp), strlen(xv), strlen(nw), strlen(ttl)};
    crumb_err e;
    redisReply *x = rd_eval(c, &e, RS_PUT, 2, keys, 5, args, alens);
    if (x == NULL)
        return e;
    e = CRUMB_E_BACKEND;
    if (x->type == REDIS_REPLY_ARRAY && x->elements >= 1 &&
        x->element[0]->type == REDIS_REPLY_INTEGER) {
        long long code = x->element[0]->integer;
        if (code == 0 && x->elements == 2) {
            if (new_version)
                *new_version = rd_u64(x->element[1]);
            e = CRUMB_OK;
        } else if (code == 1) {
            e = CRUMB_E_CONFLICT;
        } else if (code == 2) {
            e = CRUMB_E_NOTFOUND;
        }
    }
    freeReplyObject(x);
    return e;
}

static crumb_err rd_put(crumb_store *s, const crumb_store_key *key, const uint8_t *data,
                        size_t len, int64_t expires_at, uint64_t expected, uint64_t *new_version,
                        int64_t now)
{
    rd_store *r = (rd_store *)s;
    if (key == NULL || (data == NULL && len > 0) || expires_at <= now)
        return CRUMB_E_INVALID;
    if (len > CRUMB_STORE_DATA_MAX)
        return CRUMB_E_TOO_LARGE;
    crumb_err rc;
    RD_RUN(r, rc, rd_put_on(r, c, key, data, len, expires_at, expected, new_version, now));
    return rc;
}

/* get on c. */
static crumb_err rd_get_on(rd_store *r, rd_conn *c, const crumb_store_key *key, uint8_t *buf,
                           size_t cap, size_t *len, uint64_t *version, int64_t *expires_at,
                           int64_t now)
{
    char k[RD_KEY_MAX];
    crumb_err e;
    rd_key(r, k, RK_SESSION, key->b, CRUMB_STORE_KEYBYTES);
    redisReply *x = rd_cmd(c, &e, "HMGET %s d v e", k);
    if (x == NULL)
        return e;
    if (x->type != REDIS_REPLY_ARRAY || x->elements != 3) {
        freeReplyObject(x);
        return CRUMB_E_BACKEND;
    }
    const redisReply *d = x->element[0], *v = x->element[1], *ex = x->element[2];
    int64_t at = rd_i64(ex);
    if (ex->type != REDIS_REPLY_STRING || at <= now) {
        freeReplyObject(x);
        return CRUMB_E_NOTFOUND;
    }
    if (d->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING ||
        d->len > CRUMB_STORE_DATA_MAX) {
        freeReplyObject(x);
        return CRUMB_E_CORRUPT;
    }
    *len = d->len;
    if (version)
        *version = rd_u64(v);
    if (expires_at)
        *expires_at = at;
    e = CRUMB_E_BUFSIZE;
    if (d->len <= cap) {
        if (d->len)
            memcpy(buf, d->str, d->len);
        e = CRUMB_OK;
    }
    freeReplyObject(x);
    return e;
}

static crumb_err rd_get(crumb_store *s, const crumb_store_key *key, uint8_t *buf, size_t cap,
                        size_t *len, uint64_t *version, int64_t *expires_at, int64_t now)
{
    rd_store *r = (rd_store *)s;
    if (key == NULL || len == NULL || (buf == NULL && cap > 0))
        return CRUMB_E_INVALID;
    crumb_err rc;
    RD_RUN(r, rc, rd_get_on(r, c, key, buf, cap, len, version, expires_at, now));
    return rc;
}

/* Run a script whose integer reply 1 means done and 0 means absent. */
static crumb_err rd_eval_flag(rd_conn *c, int idx, int nk, const char **keys, int na,
                              const char **args, crumb_err absent)
{
    crumb_err e;
    redisReply *x = rd_eval(c, &e, idx, nk, keys, na, args, NULL);
    if (x == NULL)
        return e;
    e = x->type != REDIS_REPLY_INTEGER ? CRUMB_E_BACKEND : x->integer ? CRUMB_OK : absent;
    freeReplyObject(x);
    return e;
}

/* After a change other servers' caches must see: PUBLISH on the
 * invalidation channel (best effort: a lost message is bounded by the
 * caches' TTL). Returns rc unchanged. */
static crumb_err rd_publish(rd_store *r, crumb_err rc)
{
    if (rc != CRUMB_OK || !r->publish)
        return rc;
    rd_conn *c = rd_acquire(r);
    if (c->ctx != NULL || rd_connect(r, c) == CRUMB_OK) {
        crumb_err e;
        redisReply *x = rd_cmd(c, &e, "PUBLISH %s x", r->channel);
        if (x)
            freeReplyObject(x);
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

static crumb_err rd_touch(crumb_store *s, const crumb_store_key *key, int64_t expires_at,
                          int64_t now)
{
    rd_store *r = (rd_store *)s;
    if (key == NULL || expires_at <= now)
        return CRUMB_E_INVALID;
    char k[RD_KEY_MAX], exp[24], nw[24], ttl[24];
    rd_key(r, k, RK_SESSION, key->b, CRUMB_STORE_KEYBYTES);
    snprintf(exp, sizeof exp, "%" PRId64, expires_at);
    snprintf(nw, sizeof nw, "%" PRId64, now);
    snprintf(ttl, sizeof ttl, "%lld", rd_ttl(expires_at, now));
    const char *keys[1] = {k};
    const char *args[3] = {exp, nw, ttl};
    crumb_err rc;
    RD_RUN(r, rc, rd_eval_flag(c, RS_TOUCH, 1, keys, 3, args, CRUMB_E_NOTFOUND));
    return rc;
}

/* Run a command with an integer reply; nonzero = CRUMB_OK, 0 = absent. */
static crumb_err rd_int_flag(rd_conn *c, crumb_err absent, const char *fmt, const char *a,
                             const char *b)
{
    crumb_err e;
    redisReply *x = b ? rd_cmd(c, &e, fmt, a, b) : rd_cmd(c, &e, fmt, a);
    if (x == NULL)
        return e;
    e = x->type != REDIS_REPLY_INTEGER ? CRUMB_E_BACKEND : x->integer ? CRUMB_OK : absent;
    freeReplyObject(x);
    return e;
}

static crumb_err rd_del(crumb_store *s, const crumb_store_key *key)
{
    rd_store *r = (rd_store *)s;
    if (key == NULL)
        return CRUMB_E_INVALID;
    char k[RD_KEY_MAX];
    rd_key(r, k, RK_SESSION, key->b, CRUMB_STORE_KEYBYTES);
    crumb_err rc;
    RD_RUN(r, rc, rd_int_flag(c, CRUMB_E_NOTFOUND, "DEL %s", k, NULL));
    return rc;
}

/* ==== Methods: revocation ================================================ */

static crumb_err rd_revoke_session(crumb_store *s, const crumb_store_key *key, int64_t until,
                                   int64_t now)
{
    rd_store *r = (rd_store *)s;
    if (key == NULL || until <= now)
        return CRUMB_E_INVALID;
    char k[RD_KEY_MAX], u[24], ttl[24];
    rd_key(r, k, RK_SREV, key->b, CRUMB_STORE_KEYBYTES);
    snprintf(u, sizeof u, "%" PRId64, until);
    snprintf(ttl, sizeof ttl, "%lld", rd_ttl(until, now));
    const char *keys[1] = {k};
    const char *args[2] = {u, ttl};
    crumb_err rc;
    RD_RUN(r, rc, rd_eval_flag(c, RS_MAXSET, 1, keys, 2, args, CRUMB_OK));
    return rd_publish(r, rc);
}

static crumb_err rd_revoke_family(crumb_store *s, const crumb_store_id *family, int64_t until,
                                  int64_t now)
{
    rd_store *r = (rd_store *)s;
    if (family == NULL || until <= now)
        return CRUMB_E_INVALID;
    char k[RD_KEY_MAX], u[24], nw[24], ttl[24];
    rd_key(r, k, RK_FAMILY, family->b, CRUMB_STORE_IDBYTES);
    snprintf(u, sizeof u, "%" PRId64, until);
    snprintf(nw, sizeof nw, "%" PRId64, now);
    snprintf(ttl, sizeof ttl, "%lld", rd_ttl(until, now));
    const char *keys[1] = {k};
    const char *args[3] = {u, nw, ttl};
    crumb_err rc;
    RD_RUN(r, rc, rd_eval_flag(c, RS_FREVOKE, 1, keys, 3, args, CRUMB_OK));
    return rd_publish(r, rc);
}

/* revoke_device on c: WATCH the user and devices keys, keep the later
 * until, mark the device record REVOKED, MULTI/EXEC. */
static crumb_err rd_revoke_device_on(rd_conn *c, const char *uk, const char *dk,
                                     const crumb_store_id *device, int64_t until, int64_t now)
{
    char field[40], hx[33];
    crumb__hex(hx, device->b, 16);
    snprintf(field, sizeof field, "r:%s", hx);
    for (int t = 0; t < RD_TXN_TRIES; t++) {
        crumb_err e = rd_watch(c, uk, dk);
        if (e != CRUMB_OK)
            return e;
        redisReply *x = rd_cmd(c, &e, "HMGET %s %s", uk, field);
        if (x == NULL)
            return e;
        int64_t old = x->type == REDIS_REPLY_ARRAY && x->elements == 1 ? rd_i64(x->element[0]) : 0;
        int exists = x->type == REDIS_REPLY_ARRAY && x->elements == 1 &&
                     x->element[0]->type == REDIS_REPLY_STRING;
        freeReplyObject(x);
        if (!exists) {
            x = rd_cmd(c, &e, "HLEN %s", uk);
            if (x == NULL)
                return e;
            uint64_t nf = rd_u64(x);
            freeReplyObject(x);
            if (nf >= STM_HARD_MAX_DREV + 3) {
                rd_unwatch(c);
                return CRUMB_E_LIMIT;
            }
        }
        stm_user u;
        e = rd_load_blobs(c, dk, 1, &u);
        if (e != CRUMB_OK) {
            rd_unwatch(c);
            return e;
        }
        long i = stm_dev_find(&u, device);
        int mark = i >= 0 && u.dev[i].d.trust != CRUMB_TRUST_REVOKED;
        if (mark) {
            u.dev[i].d.trust = CRUMB_TRUST_REVOKED;
            u.dev[i].d.trust_changed_at = now;
        }
        int n = 2;
        redisAppendCommand(c->ctx, "MULTI");
        if (until > old) {
            char uv[24];
            snprintf(uv, sizeof uv, "%" PRId64, until);
            redisAppendCommand(c->ctx, "HSET %s %s %s", uk, field, uv);
            rd_q_extend(c, uk, rd_ttl(until, now));
            n += 2;
        }
        if (mark) {
            rd_q_dev(c, dk, &u.dev[i]);
            n++;
        }
        redisAppendCommand(c->ctx, "EXEC");
        stm_user_free(&u);
        e = rd_exec_replies(c, n);
        if (e != CRUMB_E_CONFLICT)
            return e;
    }
    return CRUMB_E_TIMEOUT;
}

static crumb_err rd_revoke_device(crumb_store *s, const char *tenant, const char *user,
                                  const crumb_store_id *device, int64_t until, int64_t now)
{
    rd_store *r = (rd_store *)s;
    if (!rd_user_args(&tenant, user) || device == NULL || until <= now)
        return CRUMB_E_INVALID;
    char uk[RD_KEY_MAX], dk[RD_KEY_MAX];
    rd_user_key(r, uk, RK_USER, tenant, user);
    rd_user_key(r, dk, RK_DEVICES, tenant, user);
    crumb_err rc;
    RD_RUN(r, rc, rd_revoke_device_on(c, uk, dk, device, until, now));
    return rd_publish(r, rc);
}

static crumb_err rd_revoke_user(crumb_store *s, const char *tenant, const char *user,
                                int64_t before, const crumb_store_key *except, int64_t until,
                                int64_t now)
{
    rd_store *r = (rd_store *)s;
    if (!rd_user_args(&tenant, user) || until <= now)
        return CRUMB_E_INVALID;
    char uk[RD_KEY_MAX], b[24], u[24], ttl[24], ex[2 * CRUMB_STORE_KEYBYTES + 1] = "";
    rd_user_key(r, uk, RK_USER, tenant, user);
    snprintf(b, sizeof b, "%" PRId64, before);
    snprintf(u, sizeof u, "%" PRId64, until);
    snprintf(ttl, sizeof ttl, "%lld", rd_ttl(until, now));
    if (except != NULL)
        crumb__hex(ex, except->b, CRUMB_STORE_KEYBYTES);
    const char *keys[1] = {uk};
    const char *args[4] = {b, ex, u, ttl};
    crumb_err rc;
    RD_RUN(r, rc, rd_eval_flag(c, RS_UREVOKE, 1, keys, 4, args, CRUMB_OK));
    return rd_publish(r, rc);
}

/* revoke_all on c: raise the global not-before (never lowers it). */
static crumb_err rd_revoke_all_on(rd_store *r, rd_conn *c, int64_t before)
{
    char k[RD_KEY_MAX], b[24];
    snprintf(k, sizeof k, "%s%s", r->prefix, RK_GLOBAL);
    snprintf(b, sizeof b, "%" PRId64, before);
    /* MAXSET with a TTL of ~forever: kept until an operator deletes it */
    const char *keys[1] = {k};
    const char *args[2] = {b, "3153600000"};
    return rd_eval_flag(c, RS_MAXSET, 1, keys, 2, args, CRUMB_OK);
}

static crumb_err rd_revoke_all(crumb_store *s, int64_t before, int64_t now)
{
    rd_store *r = (rd_store *)s;
    (void)now;
    crumb_err rc;
    RD_RUN(r, rc, rd_revoke_all_on(r, c, before));
    return rd_publish(r, rc);
}

/* check on c: one pipelined round trip (GET/HMGET of the global, session,
 * family, user and device keys), evaluated in the contract's order. */
static crumb_err rd_check_on(rd_store *r, rd_conn *c, const crumb_store_check_req *q,
                             const char *tenant, crumb_store_check_res *res)
{
    char kg[RD_KEY_MAX], ks[RD_KEY_MAX], kf[RD_KEY_MAX], ku[RD_KEY_MAX], kd[RD_KEY_MAX];
    char dhx[33] = "", field[40] = "r:";
    int n = 0;
    snprintf(kg, sizeof kg, "%s%s", r->prefix, RK_GLOBAL);
    redisAppendCommand(c->ctx, "GET %s", kg), n++;
    if (q->session) {
        rd_key(r, ks, RK_SREV, q->session->b, CRUMB_STORE_KEYBYTES);
        redisAppendCommand(c->ctx, "GET %s", ks), n++;
    }
    if (q->family) {
        rd_key(r, kf, RK_FAMILY, q->family->b, CRUMB_STORE_IDBYTES);
        redisAppendCommand(c->ctx, "HMGET %s g a u r", kf), n++;
    }
    if (q->user) {
        if (q->device) {
            crumb__hex(dhx, q->device->b, 16);
            snprintf(field, sizeof field, "r:%s", dhx);
        }
        rd_user_key(r, ku, RK_USER, tenant, q->user);
        redisAppendCommand(c->ctx, "HMGET %s nb nbu ex %s", ku, field), n++;
        if (q->device) {
            rd_user_key(r, kd, RK_DEVICES, tenant, q->user);
            redisAppendCommand(c->ctx, "HGET %s %s", kd, dhx), n++;
        }
    }
    redisReply *rep[5] = {0};
    crumb_err e = CRUMB_OK;
    for (int i = 0; i < n; i++) {
        void *v = NULL;
        if (redisGetReply(c->ctx, &v) != REDIS_OK) {
            e = rd_conn_fail(c);
            break;
        }
        rep[i] = v;
        if (rep[i]->type == REDIS_REPLY_ERROR && e == CRUMB_OK)
            e = rd_reply_err(rep[i]);
    }
    int rule = CRUMB_STORE_RULE_NONE, i = 0;
    if (e == CRUMB_OK) {
        if (rep[i] && rep[i]->type == REDIS_REPLY_STRING && q->issued_at < rd_i64(rep[i]))
            rule = CRUMB_STORE_RULE_GLOBAL;
        i++;
        if (q->session) {
            if (rule == CRUMB_STORE_RULE_NONE && rd_i64(rep[i]) > q->now)
                rule = CRUMB_STORE_RULE_SESSION;
            i++;
        }
        if (q->family) {
            const redisReply *f = rep[i++];
            if (f->type == REDIS_REPLY_ARRAY && f->elements == 4 &&
                rd_i64(f->element[2]) > q->now) {
                res->family_gen = rd_u64(f->element[0]);
                res->family_advanced_at = rd_i64(f->element[1]);
                if (rule == CRUMB_STORE_RULE_NONE && rd_i64(f->element[3]) > q->now)
                    rule = CRUMB_STORE_RULE_FAMILY;
            }
        }
        if (q->user) {
            const redisReply *u = rep[i++];
            if (rule == CRUMB_STORE_RULE_NONE && u->type == REDIS_REPLY_ARRAY &&
                u->elements == 4) {
                int64_t nb = rd_i64(u->element[0]), nbu = rd_i64(u->element[1]);
                const redisReply *ex = u->element[2];
                char khx[2 * CRUMB_STORE_KEYBYTES + 1] = "";
                if (q->session)
                    crumb__hex(khx, q->session->b, CRUMB_STORE_KEYBYTES);
                int excepted = q->session && ex->type == REDIS_REPLY_STRING &&
                               ex->len == 2 * CRUMB_STORE_KEYBYTES &&
                               crumb_ct_equal(ex->str, khx, ex->len);
                if (nbu > q->now && q->issued_at < nb && !excepted)
                    rule = CRUMB_STORE_RULE_USER;
                else if (q->device && rd_i64(u->element[3]) > q->now)
                    rule = CRUMB_STORE_RULE_DEVICE;
            }
            if (q->device) {
                const redisReply *d = rep[i++];
                stm_dev dv;
                if (rule == CRUMB_STORE_RULE_NONE && d->type == REDIS_REPLY_STRING) {
                    if (crumb__rd_dev_decode(&dv, (const uint8_t *)d->str, d->len) != 0)
                        e = CRUMB_E_CORRUPT;
                    else if (dv.d.trust == CRUMB_TRUST_REVOKED)
                        rule = CRUMB_STORE_RULE_DEVICE;
                }
            }
        }
    }
    for (int j = 0; j < n; j++)
        if (rep[j])
            freeReplyObject(rep[j]);
    res->rule = rule;
    if (e != CRUMB_OK)
        return e;
    return rule == CRUMB_STORE_RULE_NONE ? CRUMB_OK : CRUMB_E_REVOKED;
}

static crumb_err rd_check(crumb_store *s, const crumb_store_check_req *q,
                          crumb_store_check_res *res)
{
    rd_store *r = (rd_store *)s;
    const char *tenant = q->tenant ? q->tenant : "";
    if ((q->user && !stm_user_args_ok(tenant, q->user)) || (q->device && !q->user))
        return CRUMB_E_INVALID;
    atomic_fetch_add(&r->checks, 1u);
    crumb_err rc;
    RD_RUN(r, rc, (*res = (crumb_store_check_res){0}, rd_check_on(r, c, q, tenant, res)));
    if ((rc == CRUMB_E_BACKEND || rc == CRUMB_E_TIMEOUT) && r->fail_open) {
        *res = (crumb_store_check_res){0};
        return CRUMB_OK; /* documented fail-open mode */
    }
    return rc;
}

/* ==== Methods: families ================================================== */

/* family_get on c. */
static crumb_err rd_family_get_on(rd_store *r, rd_conn *c, const crumb_store_id *family,
                                  uint64_t *gen, int64_t *advanced_at, int64_t now)
{
    char k[RD_KEY_MAX];
    crumb_err e;
    rd_key(r, k, RK_FAMILY, family->b, CRUMB_STORE_IDBYTES);
    redisReply *x = rd_cmd(c, &e, "HMGET %s g a u", k);
    if (x == NULL)
        return e;
    int live = x->type == REDIS_REPLY_ARRAY && x->elements == 3 && rd_i64(x->element[2]) > now;
    *gen = live ? rd_u64(x->element[0]) : 0;
    if (advanced_at)
        *advanced_at = live ? rd_i64(x->element[1]) : 0;
    freeReplyObject(x);
    return CRUMB_OK;
}

static crumb_err rd_family_get(crumb_store *s, const crumb_store_id *family, uint64_t *gen,
                               int64_t *advanced_at, int64_t now)
{
    rd_store *r = (rd_store *)s;
    if (family == NULL || gen == NULL)
        return CRUMB_E_INVALID;
    crumb_err rc;
    RD_RUN(r, rc, rd_family_get_on(r, c, family, gen, advanced_at, now));
    return rc;
}

/* family_advance on c (one Lua script: compare and set). */
static crumb_err rd_family_advance_on(rd_store *r, rd_conn *c, const crumb_store_id *family,
                                      uint64_t expected, uint64_t new_gen, int64_t until,
                                      int64_t now, uint64_t *current)
{
    char k[RD_KEY_MAX], xg[24], ng[24], u[24], nw[24], ttl[24];
    rd_key(r, k, RK_FAMILY, family->b, CRUMB_STORE_IDBYTES);
    snprintf(xg, sizeof xg, "%" PRIu64, expected);
    snprintf(ng, sizeof ng, "%" PRIu64, new_gen);
    snprintf(u, sizeof u, "%" PRId64, until);
    snprintf(nw, sizeof nw, "%" PRId64, now);
    snprintf(ttl, sizeof ttl, "%lld", rd_ttl(until, now));
    const char *keys[1] = {k};
    const char *args[5] = {xg, ng, u, nw, ttl};
    crumb_err e;
    redisReply *x = rd_eval(c, &e, RS_FADVANCE, 1, keys, 5, args, NULL);
    if (x == NULL)
        return e;
    e = CRUMB_E_BACKEND;
    if (x->type == REDIS_REPLY_ARRAY && x->elements == 2 &&
        x->element[0]->type == REDIS_REPLY_INTEGER) {
        long long code = x->element[0]->integer;
        e = code == 0 ? CRUMB_OK : code == 1 ? CRUMB_E_REVOKED : CRUMB_E_CONFLICT;
        if (current)
            *current = rd_u64(x->element[1]);
    }
    freeReplyObject(x);
    return e;
}

static crumb_err rd_family_advance(crumb_store *s, const crumb_store_id *family,
                                   uint64_t expected, uint64_t new_gen, int64_t until,
                                   int64_t now, uint64_t *current)
{
    rd_store *r = (rd_store *)s;
    if (family == NULL || new_gen <= expected || until <= now)
        return CRUMB_E_INVALID;
    crumb_err rc;
    RD_RUN(r, rc, rd_family_advance_on(r, c, family, expected, new_gen, until, now, current));
    return rd_publish(r, rc);
}

/* ==== Methods: devices and the session index (WATCH + model.h) ============ */

/* What a user-record transaction does (see rd_user_txn). */
typedef enum rd_uop {
    UOP_SEEN, UOP_LIST, UOP_FIND, UOP_TRUST, UOP_DELETE, /* devices */
    UOP_IPUT, UOP_ILIST, UOP_IDEL                         /* index */
} rd_uop;

typedef struct rd_uargs {
    rd_uop op;
    const crumb_store_sighting *sg;
    const crumb_store_session_info *info;
    const crumb_store_id *device;
    const crumb_store_key *session;
    const uint8_t *fp;
    int trust;
    int64_t now;
    crumb_store_device *dout;
    crumb_store_session_info *iout;
    size_t cap, *n;
    int written;
} rd_uargs;

/* One optimistic transaction on a user's devices or index hash: WATCH,
 * load into the shared model (stores/model.h), apply, write back the
 * changed entries in MULTI/EXEC, retry if another writer won. */
static crumb_err rd_user_txn(rd_store *r, rd_conn *c, const char *key, rd_uargs *a)
{
    int devices = a->op <= UOP_DELETE;
    int ro = a->op == UOP_LIST || a->op == UOP_FIND || a->op == UOP_ILIST;
    for (int t = 0; t < RD_TXN_TRIES; t++) {
        crumb_err e = ro ? CRUMB_OK : rd_watch(c, key, NULL);
        if (e != CRUMB_OK)
            return e;
        stm_user u;
        e = rd_load_blobs(c, key, devices, &u);
        if (e != CRUMB_OK) {
            if (!ro)
                rd_unwatch(c);
            return e;
        }
        long i = -1;
        int dirty = 0;
        char hx[2 * CRUMB_STORE_KEYBYTES + 1];
        crumb_store_key gone[RD_EXP_BATCH + 1];
        size_t nexp = 0;
        switch (a->op) {
        case UOP_LIST:
            stm_device_list(&u, a->dout, a->cap, a->n);
            break;
        case UOP_FIND:
            i = stm_device_find_fp(&u, a->fp);
            if (i >= 0)
                *a->dout = u.dev[i].d;
            else
                e = CRUMB_E_NOTFOUND;
            break;
        case UOP_ILIST:
            stm_index_list(&u, a->iout, a->cap, a->n, a->now);
            break;
        case UOP_SEEN:
            e = stm_device_seen(&u, a->sg, a->now, &r->lim, &dirty);
            i = dirty ? stm_dev_find(&u, &a->sg->device) : -1;
            break;
        case UOP_TRUST:
            e = stm_set_trust(&u, a->device, a->trust, a->now);
            i = e == CRUMB_OK ? stm_dev_find(&u, a->device) : -1;
            dirty = i >= 0;
            break;
        case UOP_DELETE:
            i = stm_dev_find(&u, a->device);
            e = i >= 0 ? CRUMB_OK : CRUMB_E_NOTFOUND;
            dirty = i >= 0;
            break;
        case UOP_IPUT:
            /* expired entries go first so they never push out live ones */
            for (size_t j = 0; j < u.nidx;) {
                if (u.idx[j].expires_at <= a->now && nexp < RD_EXP_BATCH) {
                    gone[nexp++] = u.idx[j].session;
                    stm_idx_remove(&u, j);
                } else {
                    j++;
                }
            }
            if (stm_idx_find(&u, &a->info->session) < 0 && u.nidx >= r->lim.max_index &&
                u.nidx > 0)
                gone[nexp++] = u.idx[u.nidx - 1].session;
            e = stm_index_put(&u, a->info, &r->lim);
            dirty = 1;
            break;
        case UOP_IDEL:
            i = stm_idx_find(&u, a->session);
            e = i >= 0 ? CRUMB_OK : CRUMB_E_NOTFOUND;
            dirty = i >= 0;
            break;
        }
        if (ro) {
            stm_user_free(&u);
            return e;
        }
        if (e != CRUMB_OK || !dirty) {
            stm_user_free(&u);
            rd_unwatch(c);
            return e;
        }
        int n = 2; /* MULTI, queued..., EXEC */
        redisAppendCommand(c->ctx, "MULTI");
        switch (a->op) {
        case UOP_SEEN:
        case UOP_TRUST:
            rd_q_dev(c, key, &u.dev[i]);
            rd_q_extend(c, key, (long long)RD_DEV_KEEP_DAYS * STM_DAY);
            n = 4;
            a->written = 1;
            break;
        case UOP_DELETE:
            crumb__hex(hx, a->device->b, 16);
            redisAppendCommand(c->ctx, "HDEL %s %s", key, hx);
            n = 3;
            break;
        case UOP_IPUT: {
            uint8_t blob[CRUMB__RD_IDX_BYTES];
            crumb__rd_idx_encode(blob, a->info);
            crumb__hex(hx, a->info->session.b, CRUMB_STORE_KEYBYTES);
            redisAppendCommand(c->ctx, "HSET %s %s %b", key, hx, blob, (size_t)CRUMB__RD_IDX_BYTES);
            rd_q_extend(c, key, rd_ttl(a->info->expires_at, a->now));
            n += 2;
            for (size_t j = 0; j < nexp; j++)
                if (memcmp(gone[j].b, a->info->session.b, CRUMB_STORE_KEYBYTES) != 0) {
                    crumb__hex(hx, gone[j].b, CRUMB_STORE_KEYBYTES);
                    redisAppendCommand(c->ctx, "HDEL %s %s", key, hx);
                    n++;
                }
            break;
        }
        case UOP_IDEL:
            crumb__hex(hx, a->session->b, CRUMB_STORE_KEYBYTES);
            redisAppendCommand(c->ctx, "HDEL %s %s", key, hx);
            n = 3;
            break;
        default:
            break;
        }
        redisAppendCommand(c->ctx, "EXEC");
        stm_user_free(&u);
        e = rd_exec_replies(c, n);
        if (e != CRUMB_E_CONFLICT)
            return e;
        a->written = 0;
    }
    return CRUMB_E_TIMEOUT;
}

/* Run a user-record transaction on the devices (dev=1) or index hash. */
static crumb_err rd_user_run(rd_store *r, const char *tenant, const char *user, int dev,
                             rd_uargs *a)
{
    char key[RD_KEY_MAX];
    rd_user_key(r, key, dev ? RK_DEVICES : RK_INDEX, tenant, user);
    crumb_err rc;
    RD_RUN(r, rc, rd_user_txn(r, c, key, a));
    return rc;
}

static crumb_err rd_device_seen(crumb_store *s, const char *tenant, const char *user,
                                const crumb_store_sighting *sg, int64_t now, int *written)
{
    if (written)
        *written = 0;
    if (!rd_user_args(&tenant, user) || sg == NULL || !stm_name_ok(sg->label) ||
        !stm_name_ok(sg->ip_prefix))
        return CRUMB_E_INVALID;
    rd_uargs a = {.op = UOP_SEEN, .sg = sg, .now = now};
    crumb_err rc = rd_user_run((rd_store *)s, tenant, user, 1, &a);
    if (written && rc == CRUMB_OK)
        *written = a.written;
    return rc;
}

static crumb_err rd_device_list(crumb_store *s, const char *tenant, const char *user,
                                crumb_store_device *out, size_t cap, size_t *n)
{
    if (!rd_user_args(&tenant, user) || n == NULL || (out == NULL && cap > 0))
        return CRUMB_E_INVALID;
    *n = 0;
    rd_uargs a = {.op = UOP_LIST, .dout = out, .cap = cap, .n = n};
    return rd_user_run((rd_store *)s, tenant, user, 1, &a);
}

static crumb_err rd_device_find(crumb_store *s, const char *tenant, const char *user,
                                const uint8_t fp[CRUMB_STORE_FPBYTES], crumb_store_device *out)
{
    if (!rd_user_args(&tenant, user) || fp == NULL || out == NULL)
        return CRUMB_E_INVALID;
    rd_uargs a = {.op = UOP_FIND, .fp = fp, .dout = out};
    return rd_user_run((rd_store *)s, tenant, user, 1, &a);
}

static crumb_err rd_device_set_trust(crumb_store *s, const char *tenant, const char *user,
                                     const crumb_store_id *device, int trust, int64_t now)
{
    if (!rd_user_args(&tenant, user) || device == NULL || trust < CRUMB_TRUST_UNKNOWN ||
        trust > CRUMB_TRUST_REVOKED)
        return CRUMB_E_INVALID;
    rd_uargs a = {.op = UOP_TRUST, .device = device, .trust = trust, .now = now};
    return rd_publish((rd_store *)s, rd_user_run((rd_store *)s, tenant, user, 1, &a));
}

static crumb_err rd_device_delete(crumb_store *s, const char *tenant, const char *user,
                                  const crumb_store_id *device)
{
    if (!rd_user_args(&tenant, user) || device == NULL)
        return CRUMB_E_INVALID;
    rd_uargs a = {.op = UOP_DELETE, .device = device};
    return rd_publish((rd_store *)s, rd_user_run((rd_store *)s, tenant, user, 1, &a));
}

static crumb_err rd_index_put(crumb_store *s, const char *tenant, const char *user,
                              const crumb_store_session_info *info, int64_t now)
{
    if (!rd_user_args(&tenant, user) || info == NULL || info->expires_at <= now)
        return CRUMB_E_INVALID;
    rd_uargs a = {.op = UOP_IPUT, .info = info, .now = now};
    return rd_user_run((rd_store *)s, tenant, user, 0, &a);
}

static crumb_err rd_index_list(crumb_store *s, const char *tenant, const char *user,
                               crumb_store_session_info *out, size_t cap, size_t *n, int64_t now)
{
    if (!rd_user_args(&tenant, user) || n == NULL || (out == NULL && cap > 0))
        return CRUMB_E_INVALID;
    *n = 0;
    rd_uargs a = {.op = UOP_ILIST, .iout = out, .cap = cap, .n = n, .now = now};
    return rd_user_run((rd_store *)s, tenant, user, 0, &a);
}

static crumb_err rd_index_del(crumb_store *s, const char *tenant, const char *user,
                              const crumb_store_key *session)
{
    if (!rd_user_args(&tenant, user) || session == NULL)
        return CRUMB_E_INVALID;
    rd_uargs a = {.op = UOP_IDEL, .session = session};
    return rd_user_run((rd_store *)s, tenant, user, 0, &a);
}

/* ==== Methods: sweep ===================================================== */

typedef struct rd_sweep_arg {
    int64_t now;
    crumb_store_retention ret;
    crumb_store_sweep_counts c;
} rd_sweep_arg;

/* Sweep one device hash: walk the retention ladder under WATCH. */
static crumb_err rd_sweep_devices(rd_conn *c, const char *key, rd_sweep_arg *sa)
{
    for (int t = 0; t < RD_TXN_TRIES; t++) {
        crumb_err e = rd_watch(c, key, NULL);
        if (e != CRUMB_OK)
            return e;
        stm_user u;
        e = rd_load_blobs(c, key, 1, &u);
        if (e == CRUMB_E_CORRUPT) {
            sa->c.corrupt++;
            rd_unwatch(c);
            return CRUMB_OK; /* kept, reported */
        }
        if (e != CRUMB_OK) {
            rd_unwatch(c);
            return e;
        }
        crumb_store_sweep_counts cc = {0};
        /* remember which ids existed to delete purged ones */
        size_t n0 = u.ndev;
        crumb_store_id *ids = n0 ? crumb__malloc(n0 * sizeof *ids) : NULL;
        if (n0 && ids == NULL) {
            stm_user_free(&u);
            rd_unwatch(c);
            return CRUMB_E_NOMEM;
        }
        for (size_t i = 0; i < n0; i++)
            ids[i] = u.dev[i].d.device;
        if (!stm_user_sweep(&u, sa->now, &sa->ret, &cc)) {
            crumb__free(ids);
            stm_user_free(&u);
            rd_unwatch(c);
            return CRUMB_OK;
        }
        int n = 2;
        redisAppendCommand(c->ctx, "MULTI");
        for (size_t i = 0; i < n0; i++)
            if (stm_dev_find(&u, &ids[i]) < 0) {
                char hx[33];
                crumb__hex(hx, ids[i].b, 16);
                redisAppendCommand(c->ctx, "HDEL %s %s", key, hx);
                n++;
            }
        for (size_t i = 0; i < u.ndev; i++)
            rd_q_dev(c, key, &u.dev[i]), n++;
        redisAppendCommand(c->ctx, "EXEC");
        crumb__free(ids);
        stm_user_free(&u);
        e = rd_exec_replies(c, n);
        if (e == CRUMB_OK) {
            sa->c.devices_demoted += cc.devices_demoted;
            sa->c.devices_revoked += cc.devices_revoked;
            sa->c.devices_purged += cc.devices_purged;
        }
        if (e != CRUMB_E_CONFLICT)
            return e;
    }
    return CRUMB_E_TIMEOUT;
}

/* Sweep one index hash: drop expired entries. */
static crumb_err rd_sweep_index(rd_conn *c, const char *key, rd_sweep_arg *sa)
{
    stm_user u;
    crumb_err e = rd_load_blobs(c, key, 0, &u);
    if (e == CRUMB_E_CORRUPT) {
        sa->c.corrupt++;
        return CRUMB_OK;
    }
    for (size_t i = 0; e == CRUMB_OK && i < u.nidx; i++)
        if (u.idx[i].expires_at <= sa->now) {
            char hx[2 * CRUMB_STORE_KEYBYTES + 1];
            crumb__hex(hx, u.idx[i].session.b, CRUMB_STORE_KEYBYTES);
            /* HDEL only if unchanged would need WATCH; an index entry with
             * the same key re-put meanwhile is re-put by its next request */
            e = rd_int_flag(c, CRUMB_OK, "HDEL %s %s", key, hx);
            sa->c.index_entries++;
        }
    stm_user_free(&u);
    return e;
}

/* rd_scan callback for sweep. */
static crumb_err rd_sweep_key(rd_store *r, rd_conn *c, const char *key, const char *kind,
                              void *arg)
{
    rd_sweep_arg *sa = arg;
    char nw[24];
    snprintf(nw, sizeof nw, "%" PRId64, sa->now);
    const char *keys[1] = {key};
    const char *args[1] = {nw};
    (void)r;
    crumb_err e;
    if (strncmp(kind, RK_SESSION, 2) == 0 || strncmp(kind, RK_SREV, 3) == 0 ||
        strncmp(kind, RK_FAMILY, 2) == 0) {
        redisReply *x = rd_eval(c, &e, RS_DELIF, 1, keys, 1, args, NULL);
        if (x == NULL)
            return e;
        long long v = x->type == REDIS_REPLY_INTEGER ? x->integer : 0;
        freeReplyObject(x);
        if (v == 0)
            return CRUMB_OK;
        if (kind[0] == 's')
            sa->c.sessions++;
        else if (kind[0] == 'r' || v == 2)
            sa->c.revocations++;
        else
            sa->c.families++;
        return CRUMB_OK;
    }
    if (strncmp(kind, RK_USER, 2) == 0) {
        redisReply *x = rd_eval(c, &e, RS_UPRUNE, 1, keys, 1, args, NULL);
        if (x == NULL)
            return e;
        sa->c.revocations += x->type == REDIS_REPLY_INTEGER ? (uint64_t)x->integer : 0;
        freeReplyObject(x);
        return CRUMB_OK;
    }
    if (strncmp(kind, RK_DEVICES, 3) == 0)
        return rd_sweep_devices(c, key, sa);
    if (strncmp(kind, RK_INDEX, 3) == 0)
        return rd_sweep_index(c, key, sa);
    return CRUMB_OK;
}

static crumb_err rd_sweep(crumb_store *s, int64_t now, const crumb_store_retention *ret,
                          crumb_store_sweep_counts *counts)
{
    rd_store *r = (rd_store *)s;
    rd_sweep_arg sa;
    crumb_err rc;
    memset(&sa, 0, sizeof sa);
    sa.now = now;
    stm_retention(&sa.ret, ret);
    RD_RUN(r, rc, (memset(&sa.c, 0, sizeof sa.c), rd_scan(r, c, rd_sweep_key, &sa)));
    if (counts)
        *counts = sa.c;
    return rd_publish(r, rc);
}

static const crumb_store_methods rd_methods;

/* ==== Pub/sub invalidation of caches ===================================== */

/* Sleep ms milliseconds in small steps, returning early if asked to stop. */
static void rd_sub_nap(rd_store *r, int64_t ms)
{
    for (int64_t t = 0; t < ms && !atomic_load(&r->sub_stop); t += 20) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* Subscriber thread: (re)connect, SUBSCRIBE, flush the cache (messages may
 * have been missed while disconnected), then flush on every message. */
static void *rd_sub_main(void *arg)
{
    rd_store *r = arg;
    while (!atomic_load(&r->sub_stop)) {
        redisContext *ctx = r->url.path[0]
                                ? redisConnectUnixWithTimeout(r->url.path, r->conn_tv)
                                : redisConnectWithTimeout(r->url.host, r->url.port, r->conn_tv);
        int ok = ctx != NULL && ctx->err == 0;
        if (ok && !r->url.path[0])
            redisEnableKeepAlive(ctx);
        redisReply *x = NULL;
        if (ok && r->url.pass[0]) {
            x = r->url.user[0] ? redisCommand(ctx, "AUTH %s %s", r->url.user, r->url.pass)
                               : redisCommand(ctx, "AUTH %s", r->url.pass);
            ok = x != NULL && x->type != REDIS_REPLY_ERROR;
            if (x)
                freeReplyObject(x);
        }
        if (ok) {
            x = redisCommand(ctx, "SUBSCRIBE %s", r->channel);
            ok = x != NULL && x->type == REDIS_REPLY_ARRAY;
            if (x)
                freeReplyObject(x);
        }
        pthread_mutex_lock(&r->sub_lock);
        if (ok && !atomic_load(&r->sub_stop))
            r->sub_ctx = ctx;
        else
            ok = 0;
        pthread_mutex_unlock(&r->sub_lock);
        crumb_store_cache_invalidate(r->sub_cache);
        while (ok) {
            void *v = NULL;
            if (redisGetReply(ctx, &v) != REDIS_OK)
                break;
            freeReplyObject(v);
            crumb_store_cache_invalidate(r->sub_cache);
        }
        pthread_mutex_lock(&r->sub_lock);
        r->sub_ctx = NULL;
        pthread_mutex_unlock(&r->sub_lock);
        if (ctx)
            redisFree(ctx);
        crumb_store_cache_invalidate(r->sub_cache);
        rd_sub_nap(r, r->retry_ms);
    }
    return NULL;
}

/* Stop and join the subscriber thread, if any. */
static void rd_sub_stop(rd_store *r)
{
    if (!r->sub_running)
        return;
    atomic_store(&r->sub_stop, 1);
    pthread_mutex_lock(&r->sub_lock);
    if (r->sub_ctx != NULL)
        shutdown(r->sub_ctx->fd, SHUT_RDWR); /* wakes the blocking read */
    pthread_mutex_unlock(&r->sub_lock);
    pthread_join(r->sub_thread, NULL);
    r->sub_running = 0;
}

/* see crumb_store.h */
crumb_err crumb_store_redis_subscribe(crumb_store *redis, crumb_store *cache)
{
    if (redis == NULL || cache == NULL || redis->methods != &rd_methods)
        return CRUMB_E_INVALID;
    rd_store *r = (rd_store *)redis;
    if (r->sub_running)
        return CRUMB_E_INVALID;
    r->sub_cache = cache;
    atomic_store(&r->sub_stop, 0);
    if (pthread_create(&r->sub_thread, NULL, rd_sub_main, r) != 0)
        return CRUMB_E_NOMEM;
    r->sub_running = 1;
    return CRUMB_OK;
}

/* ==== Method table and constructor ======================================= */

static const crumb_store_methods rd_methods = {
    .version = CRUMB_STORE_METHODS_VERSION,
    .name = "redis",
    .close = rd_close,
    .health = rd_health,
    .stats = rd_stats,
    .put = rd_put,
    .get = rd_get,
    .touch = rd_touch,
    .del = rd_del,
    .revoke_session = rd_revoke_session,
    .revoke_family = rd_revoke_family,
    .revoke_device = rd_revoke_device,
    .revoke_user = rd_revoke_user,
    .revoke_all = rd_revoke_all,
    .check = rd_check,
    .family_get = rd_family_get,
    .family_advance = rd_family_advance,
    .device_seen = rd_device_seen,
    .device_list = rd_device_list,
    .device_find = rd_device_find,
    .device_set_trust = rd_device_set_trust,
    .device_delete = rd_device_delete,
    .index_put = rd_index_put,
    .index_list = rd_index_list,
    .index_del = rd_index_del,
    .sweep = rd_sweep,
};

/* Milliseconds to a timeval. */
static struct timeval rd_tv(unsigned ms)
{
    struct timeval tv;
    tv.tv_sec = (time_t)(ms / 1000u);
    tv.tv_usec = (suseconds_t)((ms % 1000u) * 1000u);
    return tv;
}

/* see crumb_store.h */
crumb_err crumb_store_redis_open(crumb_store **out, const crumb_store_redis_config *cfg)
{
    if (out == NULL)
        return CRUMB_E_INVALID;
    *out = NULL;
    crumb_store_redis_config c = cfg ? *cfg : (crumb_store_redis_config){0};
    const char *prefix = c.prefix ? c.prefix : "crumb:";
    if (c.max_devices > STM_HARD_MAX_DEVICES || c.max_index > STM_HARD_MAX_INDEX ||
        strlen(prefix) > RD_PREFIX_MAX || strpbrk(prefix, "*?[]\\ ") != NULL ||
        c.pool_size > 256)
        return CRUMB_E_INVALID;
    rd_store *r = crumb__calloc(1, sizeof *r);
    if (r == NULL)
        return CRUMB_E_NOMEM;
    r->base.methods = &rd_methods;
    if (rd_parse_url(&r->url, c.url ? c.url : "redis://127.0.0.1:6379/0") != 0) {
        crumb__free(r);
        return CRUMB_E_INVALID;
    }
    snprintf(r->prefix, sizeof r->prefix, "%s", prefix);
    r->conn_tv = rd_tv(c.connect_timeout_ms ? c.connect_timeout_ms : 1000u);
    r->cmd_tv = rd_tv(c.command_timeout_ms ? c.command_timeout_ms : 1000u);
    r->retry_ms = c.retry_interval_ms ? (int64_t)c.retry_interval_ms : 200;
    r->fail_open = c.fail_open != 0;
    r->allow_volatile = c.allow_volatile != 0;
    r->lim.throttle = c.throttle ? c.throttle : STM_DEFAULT_THROTTLE;
    r->lim.max_devices = c.max_devices ? c.max_devices : STM_DEFAULT_MAX_DEVICES;
    r->lim.max_index = c.max_index ? c.max_index : STM_DEFAULT_MAX_INDEX;
    if (c.secret != NULL)
        memcpy(r->ukey, c.secret, sizeof r->ukey);
    else
        memcpy(r->ukey, "libcrumb redis user key name v1", 32);
    atomic_init(&r->rr, 0u);
    atomic_init(&r->down_until, 0);
    atomic_init(&r->epoch, 0u);
    atomic_init(&r->checks, 0u);
    atomic_init(&r->sub_stop, 0);
    pthread_mutex_init(&r->sub_lock, NULL);
    r->publish = !c.no_publish;
    snprintf(r->channel, sizeof r->channel, "%sinvalidate", r->prefix);
    r->npool = c.pool_size ? c.pool_size : 4u;
    r->pool = crumb__calloc(r->npool, sizeof *r->pool);
    if (r->pool == NULL) {
        pthread_mutex_destroy(&r->sub_lock);
        crumb__free(r);
        return CRUMB_E_NOMEM;
    }
    for (unsigned i = 0; i < r->npool; i++)
        pthread_mutex_init(&r->pool[i].lock, NULL);
    /* connect one connection now so a bad URL or password shows at once */
    rd_conn *c0 = &r->pool[0];
    pthread_mutex_lock(&c0->lock);
    crumb_err e = rd_connect(r, c0);
    pthread_mutex_unlock(&c0->lock);
    if (e != CRUMB_OK) {
        rd_close(&r->base);
        return e;
    }
    *out = &r->base;
    return CRUMB_OK;
}

#endif /* CRUMB_HAVE_REDIS */
