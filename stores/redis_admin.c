/*
 * redis_admin.c - the Redis store's maintenance methods: SCAN over the
 * prefix for stats, and sweep (expired index entries and revocations, the
 * device ladder) per key.
 */
#include "crumb_store.h"
#include "internal.h"

#if CRUMB_HAVE_REDIS

#include "redis_store.h"

#include "redis_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

crumb_err rd_stats(crumb_store *s, crumb_store_stats *out)
{
    rd_store *r = (rd_store *)s;
    crumb_err rc;
    crumb_store_stats st;
    RD_RUN(r, rc, (st = (crumb_store_stats){0}, rd_stats_on(r, c, &st)));
    if (rc == CRUMB_OK)
        *out = st;
    return rc;
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

crumb_err rd_sweep(crumb_store *s, int64_t now, const crumb_store_retention *ret,
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

#else
typedef int crumb__rd_admin_empty; /* ISO C: no empty translation unit */
#endif /* CRUMB_HAVE_REDIS */
