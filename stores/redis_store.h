/*
 * redis_store.h - private to stores/redis*.c (hiredis builds): the Redis
 * store's instance, connection and URL types, key kinds, the Lua script
 * indices, RD_RUN (a call on a pooled connection with one retry on a fresh
 * one) and the functions the redis*.c files share (crumb__rd_* symbols
 * under their rd_* names).
 */
#ifndef CRUMB_STORE_REDIS_STORE_H
#define CRUMB_STORE_REDIS_STORE_H

#include "crumb_store.h"
#include "internal.h"
#include "model.h"

#include <hiredis/hiredis.h>

#include <pthread.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/time.h>

#define rd_user_key crumb__rd_user_key
#define rd_ttl crumb__rd_ttl
#define rd_u64 crumb__rd_u64
#define rd_user_args crumb__rd_user_args
#define rd_publish crumb__rd_publish
#define rd_int_flag crumb__rd_int_flag
#define rd_drop crumb__rd_drop
#define rd_conn_fail crumb__rd_conn_fail
#define rd_reply_err crumb__rd_reply_err
#define rd_cmd crumb__rd_cmd
#define rd_eval crumb__rd_eval
#define rd_connect crumb__rd_connect
#define rd_acquire crumb__rd_acquire
#define rd_ready crumb__rd_ready
#define rd_retry crumb__rd_retry
#define rd_parse_url crumb__rd_parse_url
#define rd_unwatch crumb__rd_unwatch
#define rd_exec_replies crumb__rd_exec_replies
#define rd_load_blobs crumb__rd_load_blobs
#define rd_watch crumb__rd_watch
#define rd_q_dev crumb__rd_q_dev
#define rd_q_extend crumb__rd_q_extend
#define rd_device_seen crumb__rd_device_seen
#define rd_device_list crumb__rd_device_list
#define rd_device_find crumb__rd_device_find
#define rd_device_select crumb__rd_device_select
#define rd_device_set_trust crumb__rd_device_set_trust
#define rd_device_delete crumb__rd_device_delete
#define rd_index_put crumb__rd_index_put
#define rd_index_list crumb__rd_index_list
#define rd_index_del crumb__rd_index_del
#define rd_stats crumb__rd_stats
#define rd_sweep crumb__rd_sweep
#define rd_sub_stop crumb__rd_sub_stop
#define rd_methods crumb__rd_methods
#define rd_script crumb__rd_script

/* ==== Types and constants =============================================== */

#define RD_PREFIX_MAX 64u
#define RD_KEY_MAX (RD_PREFIX_MAX + 80u)
#define RD_TXN_TRIES 64
#define RD_EXP_BATCH 32 /* expired index entries dropped per index_put */
#define RD_DEV_KEEP_SECS                                                                   \
    (CRUMB_STORE_TRUSTED_IDLE + CRUMB_STORE_SEEN_IDLE + CRUMB_STORE_REVOKED_GRACE)

/* Lua scripts, loaded per connection (EVALSHA, falling back to EVAL). */
enum { RS_PUT, RS_TOUCH, RS_MAXSET, RS_FREVOKE, RS_FADVANCE, RS_UREVOKE, RS_EXTEND, RS_DELIF,
       RS_UPRUNE, RS_COUNT };

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

/* The method table (identity of a Redis store). */
extern const crumb_store_methods rd_methods;

/* ==== Shared functions (each contract is over its definition) ========== */

/* ---- redis.c ---- */
void rd_user_key(const rd_store *r, char *out, const char *kind, const char *tenant,
                 const char *user);
#define RD_TTL_MAX 3153600000LL /* 100 years: the longest TTL the store asks of Redis */
long long rd_ttl(int64_t at, int64_t now);
uint64_t rd_u64(const redisReply *x);
int rd_user_args(const char **tenant, const char *user);
crumb_err rd_publish(rd_store *r, crumb_err rc);
crumb_err rd_int_flag(rd_conn *c, crumb_err absent, const char *fmt, const char *a,
                      const char *b);

/* ---- redis_conn.c ---- */
const char *rd_script(int idx);
void rd_drop(rd_conn *c);
crumb_err rd_conn_fail(rd_conn *c);
crumb_err rd_reply_err(const redisReply *x);
redisReply *rd_cmd(rd_conn *c, crumb_err *e, const char *fmt, ...);
redisReply *rd_eval(rd_conn *c, crumb_err *e, int idx, int nk, const char **keys, int na,
                    const char **args, const size_t *alens);
crumb_err rd_connect(rd_store *r, rd_conn *c);
rd_conn *rd_acquire(rd_store *r);
crumb_err rd_ready(rd_store *r, rd_conn **out, int *reused);
int rd_retry(rd_store *r, const rd_conn *c, int reused, crumb_err rc);

/* ---- redis_url.c ---- */
int rd_parse_url(rd_url *u, const char *url);

/* ---- redis_user.c ---- */
void rd_unwatch(rd_conn *c);
crumb_err rd_exec_replies(rd_conn *c, int n);
crumb_err rd_load_blobs(rd_conn *c, const char *key, int devices, stm_user *u);
crumb_err rd_watch(rd_conn *c, const char *k1, const char *k2);
void rd_q_dev(rd_conn *c, const char *dk, const stm_dev *d);
void rd_q_extend(rd_conn *c, const char *k, long long ttl);
crumb_err rd_device_seen(crumb_store *s, const char *tenant, const char *user,
                         const crumb_store_sighting *sg, int64_t now, int *written);
crumb_err rd_device_list(crumb_store *s, const char *tenant, const char *user,
                         crumb_store_device *out, size_t cap, size_t *n);
crumb_err rd_device_select(crumb_store *s, const char *tenant, const char *user,
                           const crumb_store_device_filter *f, crumb_store_device *out,
                           size_t cap, size_t *n);
crumb_err rd_device_find(crumb_store *s, const char *tenant, const char *user,
                         const uint8_t fp[CRUMB_STORE_FPBYTES], crumb_store_device *out);
crumb_err rd_device_set_trust(crumb_store *s, const char *tenant, const char *user,
                              const crumb_store_id *device, int trust, int64_t now);
crumb_err rd_device_delete(crumb_store *s, const char *tenant, const char *user,
                           const crumb_store_id *device);
crumb_err rd_index_put(crumb_store *s, const char *tenant, const char *user,
                       const crumb_store_session_info *info, int64_t now);
crumb_err rd_index_list(crumb_store *s, const char *tenant, const char *user,
                        crumb_store_session_info *out, size_t cap, size_t *n, int64_t now);
crumb_err rd_index_del(crumb_store *s, const char *tenant, const char *user,
                       const crumb_store_key *session);

/* ---- redis_admin.c ---- */
crumb_err rd_stats(crumb_store *s, crumb_store_stats *out);
crumb_err rd_sweep(crumb_store *s, int64_t now, const crumb_store_retention *ret,
                   crumb_store_sweep_counts *counts);

/* ---- redis_sub.c ---- */
void rd_sub_stop(rd_store *r);

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

#endif /* CRUMB_STORE_REDIS_STORE_H */
