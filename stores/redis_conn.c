/*
 * redis_conn.c - the Redis store's connection pool: connect (AUTH, SELECT,
 * SCRIPT LOAD), commands and EVALSHA with error mapping, the connect
 * back-off, and the pool epoch that makes a retry after a broken
 * connection use a freshly opened one (docs/REDIS.md, "Failure policy").
 */
#include "crumb_store.h"
#include "internal.h"

#if CRUMB_HAVE_REDIS

#include "redis_store.h"

#include "redis_scripts.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* ==== Connections ======================================================== */

/* Monotonic milliseconds (for reconnect back-off only, never for expiry). */
static int64_t rd_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The source of Lua script idx (for EVAL inside MULTI). */
const char *rd_script(int idx)
{
    return rd_scripts[idx];
}

/* Drop c's connection (after an I/O error or timeout). */
void rd_drop(rd_conn *c)
{
    if (c->ctx != NULL)
        redisFree(c->ctx);
    c->ctx = NULL;
}

/* Map the connection error of c->ctx to a crumb_err and drop the
 * connection (a hiredis context is unusable after an error). */
crumb_err rd_conn_fail(rd_conn *c)
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
    /* fixed strings only: hiredis' errstr may name the host or socket path */
    stm_set_error("redis", e == CRUMB_E_TIMEOUT ? "timed out"
                           : e == CRUMB_E_NOMEM ? "client out of memory"
                           : c->ctx == NULL     ? "not connected"
                                                : "connection refused or lost");
    rd_drop(c);
    return e;
}

/* Map an error reply to a crumb_err; the last error names the reply's
 * code word only (e.g. "LOADING"), never its text (which may quote keys). */
crumb_err rd_reply_err(const redisReply *x)
{
    char word[17];
    size_t n = 0;
    while (x->str != NULL && n < sizeof word - 1 && x->str[n] >= 'A' && x->str[n] <= 'Z') {
        word[n] = x->str[n];
        n++;
    }
    word[n] = '\0';
    stm_set_error("redis: server error reply", n ? word : NULL);
    if (strncmp(x->str, "WRONGTYPE", 9) == 0)
        return CRUMB_E_CORRUPT;
    if (strncmp(x->str, "OOM", 3) == 0)
        return CRUMB_E_NOSPC;
    if (strncmp(x->str, "BUSY", 4) == 0)
        return CRUMB_E_TIMEOUT;
    return CRUMB_E_BACKEND; /* LOADING, NOAUTH, READONLY, MASTERDOWN, ... */
}

/* A reply as rd_cmd and rd_eval hand it back: NULL with *e set for a
 * broken connection or an error reply (freed), else the reply. */
static redisReply *rd_checked(rd_conn *c, redisReply *x, crumb_err *e)
{
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

/* printf-style command (hiredis format: %s strings, %b binary + length). */
redisReply *rd_cmd(rd_conn *c, crumb_err *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *x = redisvCommand(c->ctx, fmt, ap);
    va_end(ap);
    return rd_checked(c, x, e);
}

/* Run script idx with nk keys then na args (all NUL-terminated except the
 * args listed with explicit lengths in alens, which may be NULL). Uses
 * EVALSHA; on NOSCRIPT (server restarted or flushed) falls back to EVAL. */
redisReply *rd_eval(rd_conn *c, crumb_err *e, int idx, int nk, const char **keys, int na,
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
    return rd_checked(c, x, e);
}

/* Connect c: AUTH, SELECT, SCRIPT LOAD (pipelined). CRUMB_E_BACKEND,
 * CRUMB_E_TIMEOUT; while the back-off after a failed attempt runs, fails
 * fast with CRUMB_E_BACKEND. */
crumb_err rd_connect(rd_store *r, rd_conn *c)
{
    if (rd_mono_ms() < atomic_load(&r->down_until)) {
        stm_set_error("redis", "unreachable (waiting before reconnecting)");
        return CRUMB_E_BACKEND;
    }
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
            stm_set_error("redis: connect refused by server",
                          i < n ? "AUTH or SELECT failed" : "SCRIPT LOAD failed");
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
rd_conn *rd_acquire(rd_store *r)
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
crumb_err rd_ready(rd_store *r, rd_conn **out, int *reused)
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
int rd_retry(rd_store *r, const rd_conn *c, int reused, crumb_err rc)
{
    if (!reused || c->ctx != NULL || rc != CRUMB_E_BACKEND)
        return 0;
    atomic_fetch_add(&r->epoch, 1u);
    return 1;
}

#else
typedef int crumb__rd_conn_empty; /* ISO C: no empty translation unit */
#endif /* CRUMB_HAVE_REDIS */
