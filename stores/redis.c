/*
 * redis.c - the Redis store's vtable and semantics: session records,
 * revocation, check, families (Lua scripts and single commands), close,
 * health (liveness + persistence) and the constructor. Connections:
 * redis_conn.c; URLs: redis_url.c; devices and index: redis_user.c; stats
 * and sweep: redis_admin.c; pub/sub: redis_sub.c; Lua: redis_scripts.h;
 * no-hiredis build: redis_stub.c. Key layout and semantics: docs/REDIS.md.
 */
#include "crumb_store.h"
#include "internal.h"

#if CRUMB_HAVE_REDIS

#include "redis_store.h"

#include "model.h"
#include "redis_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== Small helpers ====================================================== */

/* Build "<prefix><kind><hex of n bytes>" into out (RD_KEY_MAX). */
static void rd_key(const rd_store *r, char *out, const char *kind, const uint8_t *b, size_t n)
{
    char hx[2 * CRUMB_STORE_KEYBYTES + 1];
    crumb__hex(hx, b, n);
    snprintf(out, RD_KEY_MAX, "%s%s%s", r->prefix, kind, hx);
}

/* Key for a (tenant, user) pair: a keyed hash, so user ids never appear in
 * key names. */
void rd_user_key(const rd_store *r, char *out, const char *kind, const char *tenant,
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

/* Seconds for a Redis TTL ending at `at` (logical time now), at least 1
 * and at most RD_TTL_MAX: Redis refuses an EXPIRE whose deadline in ms
 * overflows, so a far expiry (a saturated `until`, an INT64_MAX lifetime)
 * keeps its key for 100 years instead of failing with CRUMB_E_BACKEND.
 * The stored value keeps the exact time; only Redis's deletion is capped. */
long long rd_ttl(int64_t at, int64_t now)
{
    int64_t t = crumb__sat_sub(at, now);
    return t < 1 ? 1 : t > RD_TTL_MAX ? RD_TTL_MAX : (long long)t;
}

/* Parse a decimal reply string (NULL/nil = 0) into an int64. */
static int64_t rd_i64(const redisReply *x)
{
    if (x == NULL || x->type != REDIS_REPLY_STRING)
        return x && x->type == REDIS_REPLY_INTEGER ? (int64_t)x->integer : 0;
    return (int64_t)strtoll(x->str, NULL, 10);
}

/* Parse a decimal reply (string or integer) into a uint64. */
uint64_t rd_u64(const redisReply *x)
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
int rd_user_args(const char **tenant, const char *user)
{
    if (*tenant == NULL)
        *tenant = "";
    return stm_user_args_ok(*tenant, user);
}

/* ==== Methods: lifecycle, health, stats ================================== */

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
crumb_err rd_publish(rd_store *r, crumb_err rc)
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
crumb_err rd_int_flag(rd_conn *c, crumb_err absent, const char *fmt, const char *a,
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
    char ttl[24];
    snprintf(ttl, sizeof ttl, "%lld", RD_TTL_MAX);
    const char *args[2] = {b, ttl};
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

/* Pipeline check()'s reads on c: global, session revocation, family, the
 * user's rule + device revocation field, the device record. Returns how
 * many replies to read. */
static int rd_check_send(rd_store *r, rd_conn *c, const crumb_store_check_req *q,
                         const char *tenant)
{
    char k[RD_KEY_MAX], dhx[33] = "", field[40] = "r:";
    int n = 0;
    snprintf(k, sizeof k, "%s%s", r->prefix, RK_GLOBAL);
    redisAppendCommand(c->ctx, "GET %s", k), n++;
    if (q->session) {
        rd_key(r, k, RK_SREV, q->session->b, CRUMB_STORE_KEYBYTES);
        redisAppendCommand(c->ctx, "GET %s", k), n++;
    }
    if (q->family) {
        rd_key(r, k, RK_FAMILY, q->family->b, CRUMB_STORE_IDBYTES);
        redisAppendCommand(c->ctx, "HMGET %s g a u r", k), n++;
    }
    if (q->user) {
        if (q->device) {
            crumb__hex(dhx, q->device->b, 16);
            snprintf(field, sizeof field, "r:%s", dhx);
        }
        rd_user_key(r, k, RK_USER, tenant, q->user);
        redisAppendCommand(c->ctx, "HMGET %s nb nbu ex %s", k, field), n++;
        if (q->device) {
            rd_user_key(r, k, RK_DEVICES, tenant, q->user);
            redisAppendCommand(c->ctx, "HGET %s %s", k, dhx), n++;
        }
    }
    return n;
}

/* The user and device rules from the user hash reply (nb, nbu, ex, r:dev)
 * and the device blob reply (may be NULL): the user rule is the model's
 * (stm_user_revoked in model.c) on a user rebuilt from the reply, so it is
 * written once; the device revocation is one `until` field. Sets *rule;
 * CRUMB_E_CORRUPT for a damaged device blob. */
static crumb_err rd_check_user(const crumb_store_check_req *q, const redisReply *u,
                               const redisReply *d, int *rule, crumb_store_check_res *res)
{
    if (u->type != REDIS_REPLY_ARRAY || u->elements != 4)
        return CRUMB_OK;
    stm_user m;
    memset(&m, 0, sizeof m);
    m.not_before = rd_i64(u->element[0]);
    m.nb_until = rd_i64(u->element[1]);
    const redisReply *ex = u->element[2];
    m.has_except = ex->type == REDIS_REPLY_STRING && ex->len == 2 * CRUMB_STORE_KEYBYTES &&
                   crumb__unhex(m.except.b, CRUMB_STORE_KEYBYTES, ex->str) == 0;
    if (stm_user_revoked(&m, q->session, q->issued_at, q->now)) {
        *rule = CRUMB_STORE_RULE_USER;
        res->revoked_at = m.not_before;
        return CRUMB_OK;
    }
    if (q->device && rd_i64(u->element[3]) > q->now) {
        *rule = CRUMB_STORE_RULE_DEVICE;
        return CRUMB_OK;
    }
    stm_dev dv;
    if (d != NULL && d->type == REDIS_REPLY_STRING) {
        if (crumb__rd_dev_decode(&dv, (const uint8_t *)d->str, d->len) != 0)
            return CRUMB_E_CORRUPT;
        if (dv.d.trust == CRUMB_TRUST_REVOKED)
            *rule = CRUMB_STORE_RULE_DEVICE;
    }
    return CRUMB_OK;
}

/* check()'s verdict from the replies in rep (order of rd_check_send). */
static crumb_err rd_check_eval(const crumb_store_check_req *q, redisReply **rep,
                               crumb_store_check_res *res, int *rule)
{
    int i = 0;
    if (rep[i] && rep[i]->type == REDIS_REPLY_STRING && q->issued_at < rd_i64(rep[i])) {
        *rule = CRUMB_STORE_RULE_GLOBAL;
        res->revoked_at = rd_i64(rep[i]); /* the not-before */
    }
    i++;
    if (q->session) {
        if (*rule == CRUMB_STORE_RULE_NONE && rd_i64(rep[i]) > q->now)
            *rule = CRUMB_STORE_RULE_SESSION;
        i++;
    }
    if (q->family) {
        const redisReply *f = rep[i++];
        if (f->type == REDIS_REPLY_ARRAY && f->elements == 4 && rd_i64(f->element[2]) > q->now) {
            res->family_gen = rd_u64(f->element[0]);
            res->family_advanced_at = rd_i64(f->element[1]);
            if (*rule == CRUMB_STORE_RULE_NONE && rd_i64(f->element[3]) > q->now)
                *rule = CRUMB_STORE_RULE_FAMILY;
        }
    }
    if (q->user && *rule == CRUMB_STORE_RULE_NONE)
        return rd_check_user(q, rep[i], q->device ? rep[i + 1] : NULL, rule, res);
    return CRUMB_OK;
}

/* check() on connection c: one pipelined round trip. */
static crumb_err rd_check_on(rd_store *r, rd_conn *c, const crumb_store_check_req *q,
                             const char *tenant, crumb_store_check_res *res)
{
    int n = rd_check_send(r, c, q, tenant);
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
    int rule = CRUMB_STORE_RULE_NONE;
    if (e == CRUMB_OK)
        e = rd_check_eval(q, rep, res, &rule);
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

/* ==== Method table and constructor ======================================= */

const crumb_store_methods rd_methods = {
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
    .device_select = rd_device_select,
    .last_error = stm_last_error,
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

#else
typedef int crumb__rd_core_empty; /* ISO C: no empty translation unit */
#endif /* CRUMB_HAVE_REDIS */
