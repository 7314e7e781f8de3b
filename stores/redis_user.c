/*
 * redis_user.c - the Redis store's per-user methods (devices, session
 * index): the user's hashes are loaded, changed through the shared model
 * (model.c) and written back in a WATCH/MULTI transaction, retried on
 * conflict.
 */
#include "crumb_store.h"
#include "internal.h"

#if CRUMB_HAVE_REDIS

#include "redis_store.h"

#include "redis_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== WATCH/MULTI transactions =========================================== */

/* UNWATCH after a read-only pass (ignore errors: the next WATCH resets). */
void rd_unwatch(rd_conn *c)
{
    crumb_err e;
    redisReply *x = rd_cmd(c, &e, "UNWATCH");
    if (x)
        freeReplyObject(x);
}

/* Read the n replies of a pipelined MULTI ... EXEC; returns CRUMB_OK if
 * EXEC ran, CRUMB_E_CONFLICT if a watched key changed (retry). */
crumb_err rd_exec_replies(rd_conn *c, int n)
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
crumb_err rd_load_blobs(rd_conn *c, const char *key, int devices, stm_user *u)
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
crumb_err rd_watch(rd_conn *c, const char *k1, const char *k2)
{
    crumb_err e;
    redisReply *x = k2 ? rd_cmd(c, &e, "WATCH %s %s", k1, k2) : rd_cmd(c, &e, "WATCH %s", k1);
    if (x)
        freeReplyObject(x);
    return e;
}

/* Queue HSET of device d into the devices hash dk (inside MULTI). */
void rd_q_dev(rd_conn *c, const char *dk, const stm_dev *d)
{
    uint8_t blob[CRUMB__RD_DEV_MAX];
    char hx[33];
    crumb__hex(hx, d->d.device.b, 16);
    size_t n = crumb__rd_dev_encode(blob, d);
    redisAppendCommand(c->ctx, "HSET %s %s %b", dk, hx, blob, n);
}

/* Queue a raise of key k's TTL to at least ttl seconds (inside MULTI). */
void rd_q_extend(rd_conn *c, const char *k, long long ttl)
{
    redisAppendCommand(c->ctx, "EVAL %s 1 %s %lld", rd_script(RS_EXTEND), k, ttl);
}

/* ==== Methods: devices and the session index (WATCH + model.h) ============ */

/* What a user-record transaction does (see rd_user_txn). */
typedef enum rd_uop {
    UOP_SEEN, UOP_LIST, UOP_SELECT, UOP_FIND, UOP_TRUST, UOP_DELETE, /* devices */
    UOP_IPUT, UOP_ILIST, UOP_IDEL                         /* index */
} rd_uop;

typedef struct rd_uargs {
    rd_uop op;
    const crumb_store_sighting *sg;
    const crumb_store_session_info *info;
    const crumb_store_id *device;
    const crumb_store_key *session;
    const uint8_t *fp;
    const crumb_store_device_filter *filt;
    int trust;
    int64_t now;
    crumb_store_device *dout;
    crumb_store_session_info *iout;
    size_t cap, *n;
    int written;
} rd_uargs;

/* One attempt's state: the loaded user, the device touched, whether
 * anything changed, and index entries to delete from the hash. */
typedef struct rd_ustate {
    stm_user u;
    long i;
    int dirty;
    crumb_store_key gone[RD_EXP_BATCH + 1];
    size_t nexp;
} rd_ustate;

/* index_put on the loaded model: up to RD_EXP_BATCH expired entries go
 * first (so they never push out live ones), then the entry the per-user
 * bound drops; their keys land in st->gone for HDEL. */
static crumb_err uop_iput(const rd_store *r, const rd_uargs *a, rd_ustate *st)
{
    stm_user *u = &st->u;
    for (size_t j = 0; j < u->nidx;) {
        if (u->idx[j].expires_at <= a->now && st->nexp < RD_EXP_BATCH) {
            st->gone[st->nexp++] = u->idx[j].session;
            stm_idx_remove(u, j);
        } else {
            j++;
        }
    }
    if (stm_idx_find(u, &a->info->session) < 0 && u->nidx >= r->lim.max_index && u->nidx > 0)
        st->gone[st->nexp++] = u->idx[u->nidx - 1].session;
    st->dirty = 1;
    return stm_index_put(u, a->info, &r->lim);
}

/* Apply a->op to the loaded model (the rules live in model.c). */
static crumb_err uop_apply(rd_store *r, rd_uargs *a, rd_ustate *st)
{
    stm_user *u = &st->u;
    crumb_err e = CRUMB_OK;
    switch (a->op) {
    case UOP_LIST:
        stm_device_list(u, a->dout, a->cap, a->n);
        break;
    case UOP_SELECT:
        stm_device_select(u, a->filt, a->dout, a->cap, a->n);
        break;
    case UOP_FIND:
        st->i = stm_device_find_fp(u, a->fp);
        if (st->i >= 0)
            *a->dout = u->dev[st->i].d;
        else
            e = CRUMB_E_NOTFOUND;
        break;
    case UOP_ILIST:
        stm_index_list(u, a->iout, a->cap, a->n, a->now);
        break;
    case UOP_SEEN:
        e = stm_device_seen(u, a->sg, a->now, &r->lim, &st->dirty);
        st->i = st->dirty ? stm_dev_find(u, &a->sg->device) : -1;
        break;
    case UOP_TRUST:
        e = stm_set_trust(u, a->device, a->trust, a->now);
        st->i = e == CRUMB_OK ? stm_dev_find(u, a->device) : -1;
        st->dirty = st->i >= 0;
        break;
    case UOP_DELETE:
    case UOP_IDEL:
        st->i = a->op == UOP_DELETE ? stm_dev_find(u, a->device) : stm_idx_find(u, a->session);
        e = st->i >= 0 ? CRUMB_OK : CRUMB_E_NOTFOUND;
        st->dirty = st->i >= 0;
        break;
    case UOP_IPUT:
        e = uop_iput(r, a, st);
        break;
    }
    return e;
}

/* Queue the writes of a->op after MULTI; returns how many replies EXEC's
 * pipeline yields (MULTI + queued commands + EXEC). */
static int uop_queue(rd_conn *c, const char *key, rd_uargs *a, rd_ustate *st)
{
    char hx[2 * CRUMB_STORE_KEYBYTES + 1];
    int n = 2;
    switch (a->op) {
    case UOP_SEEN:
    case UOP_TRUST:
        rd_q_dev(c, key, &st->u.dev[st->i]);
        rd_q_extend(c, key, (long long)RD_DEV_KEEP_SECS);
        a->written = 1;
        return 4;
    case UOP_DELETE:
        crumb__hex(hx, a->device->b, 16);
        redisAppendCommand(c->ctx, "HDEL %s %s", key, hx);
        return 3;
    case UOP_IPUT: {
        uint8_t blob[CRUMB__RD_IDX_BYTES];
        crumb__rd_idx_encode(blob, a->info);
        crumb__hex(hx, a->info->session.b, CRUMB_STORE_KEYBYTES);
        redisAppendCommand(c->ctx, "HSET %s %s %b", key, hx, blob, (size_t)CRUMB__RD_IDX_BYTES);
        rd_q_extend(c, key, rd_ttl(a->info->expires_at, a->now));
        n += 2;
        for (size_t j = 0; j < st->nexp; j++)
            if (memcmp(st->gone[j].b, a->info->session.b, CRUMB_STORE_KEYBYTES) != 0) {
                crumb__hex(hx, st->gone[j].b, CRUMB_STORE_KEYBYTES);
                redisAppendCommand(c->ctx, "HDEL %s %s", key, hx);
                n++;
            }
        return n;
    }
    case UOP_IDEL:
        crumb__hex(hx, a->session->b, CRUMB_STORE_KEYBYTES);
        redisAppendCommand(c->ctx, "HDEL %s %s", key, hx);
        return 3;
    default:
        return n;
    }
}

/* One optimistic transaction on a user's devices or index hash: WATCH,
 * load into the shared model (stores/model.c), apply, write back the
 * changed entries in MULTI/EXEC, retry if another writer won. */
static crumb_err rd_user_txn(rd_store *r, rd_conn *c, const char *key, rd_uargs *a)
{
    int devices = a->op <= UOP_DELETE;
    int ro = a->op == UOP_LIST || a->op == UOP_SELECT || a->op == UOP_FIND || a->op == UOP_ILIST;
    for (int t = 0; t < RD_TXN_TRIES; t++) {
        crumb_err e = ro ? CRUMB_OK : rd_watch(c, key, NULL);
        if (e != CRUMB_OK)
            return e;
        rd_ustate st;
        st.i = -1;
        st.dirty = 0;
        st.nexp = 0;
        e = rd_load_blobs(c, key, devices, &st.u);
        if (e != CRUMB_OK) {
            if (!ro)
                rd_unwatch(c);
            return e;
        }
        e = uop_apply(r, a, &st);
        if (ro || e != CRUMB_OK || !st.dirty) {
            stm_user_free(&st.u);
            if (!ro)
                rd_unwatch(c);
            return e;
        }
        redisAppendCommand(c->ctx, "MULTI");
        int n = uop_queue(c, key, a, &st);
        redisAppendCommand(c->ctx, "EXEC");
        stm_user_free(&st.u);
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

crumb_err rd_device_seen(crumb_store *s, const char *tenant, const char *user,
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

crumb_err rd_device_list(crumb_store *s, const char *tenant, const char *user,
                         crumb_store_device *out, size_t cap, size_t *n)
{
    if (!rd_user_args(&tenant, user) || n == NULL || (out == NULL && cap > 0))
        return CRUMB_E_INVALID;
    *n = 0;
    rd_uargs a = {.op = UOP_LIST, .dout = out, .cap = cap, .n = n};
    return rd_user_run((rd_store *)s, tenant, user, 1, &a);
}

crumb_err rd_device_select(crumb_store *s, const char *tenant, const char *user,
                           const crumb_store_device_filter *f, crumb_store_device *out,
                           size_t cap, size_t *n)
{
    if (!rd_user_args(&tenant, user) || f == NULL || n == NULL || (out == NULL && cap > 0))
        return CRUMB_E_INVALID;
    *n = 0;
    rd_uargs a = {.op = UOP_SELECT, .filt = f, .dout = out, .cap = cap, .n = n};
    return rd_user_run((rd_store *)s, tenant, user, 1, &a);
}

crumb_err rd_device_find(crumb_store *s, const char *tenant, const char *user,
                         const uint8_t fp[CRUMB_STORE_FPBYTES], crumb_store_device *out)
{
    if (!rd_user_args(&tenant, user) || fp == NULL || out == NULL)
        return CRUMB_E_INVALID;
    rd_uargs a = {.op = UOP_FIND, .fp = fp, .dout = out};
    return rd_user_run((rd_store *)s, tenant, user, 1, &a);
}

crumb_err rd_device_set_trust(crumb_store *s, const char *tenant, const char *user,
                              const crumb_store_id *device, int trust, int64_t now)
{
    if (!rd_user_args(&tenant, user) || device == NULL || trust < CRUMB_TRUST_UNKNOWN ||
        trust > CRUMB_TRUST_REVOKED)
        return CRUMB_E_INVALID;
    rd_uargs a = {.op = UOP_TRUST, .device = device, .trust = trust, .now = now};
    return rd_publish((rd_store *)s, rd_user_run((rd_store *)s, tenant, user, 1, &a));
}

crumb_err rd_device_delete(crumb_store *s, const char *tenant, const char *user,
                           const crumb_store_id *device)
{
    if (!rd_user_args(&tenant, user) || device == NULL)
        return CRUMB_E_INVALID;
    rd_uargs a = {.op = UOP_DELETE, .device = device};
    return rd_publish((rd_store *)s, rd_user_run((rd_store *)s, tenant, user, 1, &a));
}

crumb_err rd_index_put(crumb_store *s, const char *tenant, const char *user,
                       const crumb_store_session_info *info, int64_t now)
{
    if (!rd_user_args(&tenant, user) || info == NULL || info->expires_at <= now)
        return CRUMB_E_INVALID;
    rd_uargs a = {.op = UOP_IPUT, .info = info, .now = now};
    return rd_user_run((rd_store *)s, tenant, user, 0, &a);
}

crumb_err rd_index_list(crumb_store *s, const char *tenant, const char *user,
                        crumb_store_session_info *out, size_t cap, size_t *n, int64_t now)
{
    if (!rd_user_args(&tenant, user) || n == NULL || (out == NULL && cap > 0))
        return CRUMB_E_INVALID;
    *n = 0;
    rd_uargs a = {.op = UOP_ILIST, .iout = out, .cap = cap, .n = n, .now = now};
    return rd_user_run((rd_store *)s, tenant, user, 0, &a);
}

crumb_err rd_index_del(crumb_store *s, const char *tenant, const char *user,
                       const crumb_store_key *session)
{
    if (!rd_user_args(&tenant, user) || session == NULL)
        return CRUMB_E_INVALID;
    rd_uargs a = {.op = UOP_IDEL, .session = session};
    return rd_user_run((rd_store *)s, tenant, user, 0, &a);
}

#else
typedef int crumb__rd_user_empty; /* ISO C: no empty translation unit */
#endif /* CRUMB_HAVE_REDIS */
