/*
 * redis_sub.c - pub/sub invalidation of caches: a background thread
 * SUBSCRIBEs to "<prefix>invalidate" and flushes the cache on every message
 * and after every reconnect (crumb_store_redis_subscribe).
 */
#include "crumb_store.h"
#include "internal.h"

#if CRUMB_HAVE_REDIS

#include "redis_store.h"

#include <stdio.h>
#include <sys/socket.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
void rd_sub_stop(rd_store *r)
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

#else
typedef int crumb__rd_sub_empty; /* ISO C: no empty translation unit */
#endif /* CRUMB_HAVE_REDIS */
