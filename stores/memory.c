/*
 * memory.c - the in-memory store for single-process embedded servers: its
 * methods over sharded hash tables (memory_tab.c). check() and the other
 * readers take no exclusive lock and write only per-thread counters; LRU
 * eviction of session records only, anonymous ones first (a signed-in
 * record is never evicted for an anonymous one); revocations of signed-in
 * sessions are kept until they expire, those of anonymous ones are bounded.
 */
#include "memory_internal.h"

#include <string.h>

static const crumb_store_methods mem_methods;

#define key_hash crumb__mem_key_hash
#define fam_hash crumb__mem_fam_hash
#define user_hash crumb__mem_user_hash
#define shard_of crumb__mem_shard
#define ht_insert crumb__mem_ht_insert
#define ht_remove crumb__mem_ht_remove
#define sess_find crumb__mem_sess_find
#define rev_find crumb__mem_rev_find
#define fam_find crumb__mem_fam_find
#define lru_unlink crumb__mem_lru_unlink
#define lru_push crumb__mem_lru_push
#define sess_drop crumb__mem_sess_drop
#define WLOCK(sh) crumb__mem_wlock(m, (sh))
#define WUNLOCK(sh) crumb__mem_wunlock(sh)

/* ==== Small helpers ===================================================== */

/* Argument checks shared by user-scoped methods; sets *tenant to "" if NULL. */
static int user_args(const char **tenant, const char *user)
{
    if (!stm_user_args_ok(*tenant, user))
        return 0;
    if (*tenant == NULL)
        *tenant = "";
    return 1;
}

/* Hash (tenant, user), write-lock its shard into *sh and return the user
 * (created if create; NULL if absent or out of memory). Caller: WUNLOCK. */
static muser *user_wlock(mem_store *m, const char *tenant, const char *user, int create,
                         shard **sh)
{
    uint64_t h = user_hash(m, tenant, user);
    *sh = shard_of(m, h);
    WLOCK(*sh);
    muser *u = crumb__mem_user_find(*sh, h, tenant, user);
    if (u == NULL && create)
        u = crumb__mem_user_new(*sh, h, tenant, user);
    return u;
}

/* The same with a read lock on stripe st (never creates). Caller:
 * crumb__mem_runlock(m, *sh, st). */
static muser *user_rlock(mem_store *m, const char *tenant, const char *user, shard **sh,
                         unsigned st)
{
    uint64_t h = user_hash(m, tenant, user);
    *sh = shard_of(m, h);
    crumb__mem_rlock(m, *sh, st);
    return crumb__mem_user_find(*sh, h, tenant, user);
}

/* Drop user u if it holds nothing live. */
static void user_maybe_free(shard *sh, muser *u, int64_t now)
{
    if (stm_user_empty(&u->u, now)) {
        ht_remove(&sh->users, &u->hn);
        stm_user_free(&u->u);
        crumb__free(u);
    }
}

/* 1 if key was named by index_put and that entry is live (lock held). */
static int key_signed_in(shard *sh, uint64_t h, const crumb_store_key *key, int64_t now)
{
    makey *a = crumb__mem_authk_find(sh, h, key);
    return a != NULL && a->until > now;
}

/* index_put named key: remember it until `until` (in spare, a zeroed
 * allocation this takes over or frees), move its record (if any) to the
 * signed-in class and keep its revocation (if any) until it expires. */
static void mark_signed_in(mem_store *m, const crumb_store_key *key, int64_t until, makey *spare)
{
    uint64_t h = key_hash(m, key);
    shard *sh = shard_of(m, h);
    WLOCK(sh);
    makey *a = crumb__mem_authk_find(sh, h, key);
    if (a == NULL) {
        a = spare;
        spare = NULL;
        a->key = *key;
        a->hn.h = h;
        ht_insert(&sh->authk, &a->hn);
    }
    if (until > a->until)
        a->until = until;
    msess *s = sess_find(sh, h, key);
    if (s != NULL && s->cls == MEM_ANON) {
        lru_unlink(sh, s);
        s->cls = MEM_AUTH;
        lru_push(sh, s);
        crumb__mem_evict(m, sh, s); /* signed-in records count against the budget */
    }
    mrev *r = rev_find(sh, h, key);
    if (r != NULL && r->anon)
        crumb__mem_arev_unlink(sh, r);
    WUNLOCK(sh);
    crumb__free(spare);
}

/* index_del removed key: forget that it was signed in. */
static void unmark_signed_in(mem_store *m, const crumb_store_key *key)
{
    uint64_t h = key_hash(m, key);
    shard *sh = shard_of(m, h);
    WLOCK(sh);
    makey *a = crumb__mem_authk_find(sh, h, key);
    if (a != NULL) {
        ht_remove(&sh->authk, &a->hn);
        crumb__free(a);
    }
    WUNLOCK(sh);
}

/* ==== Methods ========================================================== */

/* Initialise shard sh (tables, mutex). CRUMB_E_NOMEM leaves nothing to
 * free in sh but a usable mutex. */
static crumb_err shard_init(shard *sh)
{
    htab *tabs[5] = {&sh->sess, &sh->rev, &sh->fam, &sh->users, &sh->authk};
    atomic_init(&sh->writer, 0);
    crumb_err rc = pthread_mutex_init(&sh->lock, NULL) == 0 ? CRUMB_OK : CRUMB_E_NOMEM;
    for (int t = 0; t < 5 && rc == CRUMB_OK; t++)
        rc = crumb__mem_ht_init(tabs[t]);
    if (rc != CRUMB_OK) {
        for (int t = 0; t < 5; t++) {
            crumb__free(tabs[t]->b);
            tabs[t]->b = NULL;
        }
        pthread_mutex_init(&sh->lock, NULL);
    }
    return rc;
}

/* Limits of m from config c with ns shards. */
static void mem_limits(mem_store *m, const crumb_store_memory_config *c, unsigned ns)
{
    size_t maxs = c->max_sessions ? c->max_sessions : 100000u;
    size_t maxb = c->max_session_bytes ? c->max_session_bytes : (size_t)64 << 20;
    m->max_sess_per_shard = maxs / ns ? maxs / ns : 1;
    m->max_bytes_per_shard = maxb / ns ? maxb / ns : 1;
    m->max_arev_per_shard = m->max_sess_per_shard; /* anonymous revocations */
    m->lim.throttle = c->throttle ? c->throttle : STM_DEFAULT_THROTTLE;
    m->lim.max_devices = c->max_devices ? c->max_devices : STM_DEFAULT_MAX_DEVICES;
    m->lim.max_index = c->max_index ? c->max_index : STM_DEFAULT_MAX_INDEX;
}

/* see crumb_store.h */
crumb_err crumb_store_memory_open(crumb_store **out, const crumb_store_memory_config *cfg)
{
    if (out == NULL)
        return CRUMB_E_INVALID;
    *out = NULL;
    crumb_store_memory_config c = cfg ? *cfg : (crumb_store_memory_config){0};
    if (c.max_devices > STM_HARD_MAX_DEVICES || c.max_index > STM_HARD_MAX_INDEX ||
        c.shards > 4096)
        return CRUMB_E_INVALID;
    mem_store *m = crumb__calloc(1, sizeof *m);
    if (m == NULL)
        return CRUMB_E_NOMEM;
    m->base.methods = &mem_methods;
    unsigned ns = 1;
    while (ns < (c.shards ? c.shards : 64u))
        ns <<= 1;
    mem_limits(m, &c, ns);
    atomic_init(&m->global_nb, 0);
    if (crumb__random_os(NULL, (uint8_t *)&m->seed, sizeof m->seed) != 0) {
        crumb__free(m);
        return CRUMB_E_RANDOM;
    }
    m->shards = crumb__calloc(ns, sizeof *m->shards);
    if (m->shards == NULL) {
        crumb__free(m);
        return CRUMB_E_NOMEM;
    }
    for (unsigned i = 0; i < ns; i++) {
        if (shard_init(&m->shards[i]) != CRUMB_OK) {
            m->nshards = i + 1; /* close frees tables of shards 0..i */
            mem_methods.close(&m->base);
            return CRUMB_E_NOMEM;
        }
    }
    m->nshards = ns;
    if (crumb__mem_stripes_init(m) != CRUMB_OK) {
        mem_methods.close(&m->base);
        return CRUMB_E_NOMEM;
    }
    *out = &m->base;
    return CRUMB_OK;
}

/* Free everything. */
static void mem_close(crumb_store *s)
{
    mem_store *m = (mem_store *)s;
    for (unsigned i = 0; i < m->nshards; i++) {
        shard *sh = &m->shards[i];
        htab *tabs[5] = {&sh->sess, &sh->rev, &sh->fam, &sh->users, &sh->authk};
        for (int t = 0; t < 5; t++) {
            if (tabs[t]->b == NULL)
                continue;
            for (size_t b = 0; b <= tabs[t]->mask; b++)
                for (hnode *n = tabs[t]->b[b], *nx; n; n = nx) {
                    nx = n->next;
                    if (t == 0)
                        crumb_wipe(((msess *)n)->data, ((msess *)n)->len);
                    if (t == 3)
                        stm_user_free(&((muser *)n)->u);
                    crumb__free(n);
                }
            crumb__free(tabs[t]->b);
        }
        pthread_mutex_destroy(&sh->lock);
    }
    crumb__free(m->stripe_block);
    crumb__free(m->shards);
    crumb__free(m);
}

static crumb_err mem_health(crumb_store *s, int64_t now)
{
    (void)s;
    (void)now;
    return CRUMB_OK;
}

static crumb_err mem_stats(crumb_store *s, crumb_store_stats *out)
{
    mem_store *m = (mem_store *)s;
    unsigned st = crumb__mem_stripe();
    for (unsigned i = 0; i < MEM_STRIPES; i++)
        out->checks += atomic_load_explicit(&m->checks[i * 8u], memory_order_relaxed);
    for (unsigned i = 0; i < m->nshards; i++) {
        shard *sh = &m->shards[i];
        crumb__mem_rlock(m, sh, st);
        out->sessions += sh->nsess;
        out->session_bytes += sh->bytes;
        out->revocations += sh->rev.n;
        out->families += sh->fam.n;
        for (size_t b = 0; b <= sh->users.mask; b++)
            for (hnode *n = sh->users.b[b]; n; n = n->next) {
                muser *u = (muser *)n;
                out->devices += u->u.ndev;
                out->revocations += u->u.ndrev + (u->u.nb_until != 0);
            }
        for (size_t b = 0; b <= sh->fam.mask; b++)
            for (hnode *n = sh->fam.b[b]; n; n = n->next)
                out->revocations += ((mfam *)n)->revoked_until != 0;
        out->evictions += sh->evictions;
        crumb__mem_runlock(m, sh, st);
    }
    return CRUMB_OK;
}

static crumb_err mem_put(crumb_store *s, const crumb_store_key *key, const uint8_t *data,
                         size_t len, int64_t expires_at, uint64_t expected, uint64_t *new_version,
                         int64_t now)
{
    mem_store *m = (mem_store *)s;
    if (key == NULL || (data == NULL && len > 0) || expires_at <= now)
        return CRUMB_E_INVALID;
    if (len > CRUMB_STORE_DATA_MAX)
        return CRUMB_E_TOO_LARGE;
    uint64_t h = key_hash(m, key);
    shard *sh = shard_of(m, h);
    msess *ns = crumb__malloc(sizeof *ns + len);
    if (ns == NULL)
        return CRUMB_E_NOMEM;
    WLOCK(sh);
    msess *old = sess_find(sh, h, key);
    if (old != NULL && old->expires_at <= now) {
        sess_drop(sh, old);
        old = NULL;
    }
    crumb_err rc = CRUMB_OK;
    if (expected == CRUMB_STORE_VERSION_NEW && old != NULL)
        rc = CRUMB_E_CONFLICT;
    else if (expected != CRUMB_STORE_VERSION_NEW && expected != CRUMB_STORE_VERSION_ANY &&
             old == NULL)
        rc = CRUMB_E_NOTFOUND;
    else if (expected != CRUMB_STORE_VERSION_NEW && expected != CRUMB_STORE_VERSION_ANY &&
             old->version != expected)
        rc = CRUMB_E_CONFLICT;
    if (rc != CRUMB_OK) {
        WUNLOCK(sh);
        crumb__free(ns);
        return rc;
    }
    memset(ns, 0, sizeof *ns);
    ns->key = *key;
    ns->version = old ? old->version + 1 : 1;
    ns->expires_at = expires_at;
    ns->len = len;
    if (len)
        memcpy(ns->data, data, len);
    ns->hn.h = h;
    ns->cls = (old ? old->cls == MEM_AUTH : key_signed_in(sh, h, key, now)) ? MEM_AUTH : MEM_ANON;
    if (old)
        sess_drop(sh, old);
    ht_insert(&sh->sess, &ns->hn);
    lru_push(sh, ns);
    sh->nsess++;
    sh->bytes += len;
    crumb__mem_evict(m, sh, ns);
    if (new_version)
        *new_version = ns->version;
    WUNLOCK(sh);
    return CRUMB_OK;
}

static crumb_err mem_get(crumb_store *s, const crumb_store_key *key, uint8_t *buf, size_t cap,
                         size_t *len, uint64_t *version, int64_t *expires_at, int64_t now)
{
    mem_store *m = (mem_store *)s;
    if (key == NULL || len == NULL || (buf == NULL && cap > 0))
        return CRUMB_E_INVALID;
    uint64_t h = key_hash(m, key);
    shard *sh = shard_of(m, h);
    WLOCK(sh);
    msess *r = sess_find(sh, h, key);
    if (r != NULL && r->expires_at <= now) {
        sess_drop(sh, r);
        r = NULL;
    }
    if (r == NULL) {
        WUNLOCK(sh);
        return CRUMB_E_NOTFOUND;
    }
    lru_unlink(sh, r);
    lru_push(sh, r);
    *len = r->len;
    if (version)
        *version = r->version;
    if (expires_at)
        *expires_at = r->expires_at;
    crumb_err rc = CRUMB_E_BUFSIZE;
    if (r->len <= cap) {
        if (r->len)
            memcpy(buf, r->data, r->len);
        rc = CRUMB_OK;
    }
    WUNLOCK(sh);
    return rc;
}

static crumb_err mem_touch(crumb_store *s, const crumb_store_key *key, int64_t expires_at,
                           int64_t now)
{
    mem_store *m = (mem_store *)s;
    if (key == NULL || expires_at <= now)
        return CRUMB_E_INVALID;
    uint64_t h = key_hash(m, key);
    shard *sh = shard_of(m, h);
    WLOCK(sh);
    msess *r = sess_find(sh, h, key);
    if (r != NULL && r->expires_at <= now) {
        sess_drop(sh, r);
        r = NULL;
    }
    if (r != NULL) {
        r->expires_at = expires_at;
        lru_unlink(sh, r);
        lru_push(sh, r);
    }
    WUNLOCK(sh);
    return r ? CRUMB_OK : CRUMB_E_NOTFOUND;
}

static crumb_err mem_del(crumb_store *s, const crumb_store_key *key)
{
    mem_store *m = (mem_store *)s;
    if (key == NULL)
        return CRUMB_E_INVALID;
    uint64_t h = key_hash(m, key);
    shard *sh = shard_of(m, h);
    WLOCK(sh);
    msess *r = sess_find(sh, h, key);
    if (r)
        sess_drop(sh, r);
    WUNLOCK(sh);
    return r ? CRUMB_OK : CRUMB_E_NOTFOUND;
}

static crumb_err mem_revoke_session(crumb_store *s, const crumb_store_key *key, int64_t until,
                                    int64_t now)
{
    mem_store *m = (mem_store *)s;
    if (key == NULL || until <= now)
        return CRUMB_E_INVALID;
    uint64_t h = key_hash(m, key);
    shard *sh = shard_of(m, h);
    mrev *nr = crumb__calloc(1, sizeof *nr);
    if (nr == NULL)
        return CRUMB_E_NOMEM;
    WLOCK(sh);
    mrev *r = rev_find(sh, h, key);
    msess *rec = sess_find(sh, h, key);
    int signed_in = key_signed_in(sh, h, key, now) || (rec != NULL && rec->cls == MEM_AUTH);
    if (r != NULL) {
        if (until > r->until)
            r->until = until;
        if (r->anon && signed_in)
            crumb__mem_arev_unlink(sh, r); /* now kept until it expires */
        crumb__free(nr);
    } else {
        nr->key = *key;
        nr->until = until;
        nr->hn.h = h;
        ht_insert(&sh->rev, &nr->hn);
        if (!signed_in) /* anonymous: bounded, the oldest forgotten first */
            crumb__mem_arev_push(m, sh, nr);
    }
    WUNLOCK(sh);
    return CRUMB_OK;
}

/* Find or create the family record (NULL on allocation failure). */
static mfam *fam_get(shard *sh, uint64_t h, const crumb_store_id *f)
{
    mfam *r = fam_find(sh, h, f);
    if (r != NULL)
        return r;
    r = crumb__calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->id = *f;
    r->hn.h = h;
    ht_insert(&sh->fam, &r->hn);
    return r;
}

static crumb_err mem_revoke_family(crumb_store *s, const crumb_store_id *family, int64_t until,
                                   int64_t now)
{
    mem_store *m = (mem_store *)s;
    if (family == NULL || until <= now)
        return CRUMB_E_INVALID;
    uint64_t h = fam_hash(m, family);
    shard *sh = shard_of(m, h);
    WLOCK(sh);
    mfam *r = fam_get(sh, h, family);
    if (r != NULL) {
        if (until > r->revoked_until)
            r->revoked_until = until;
        if (until > r->until)
            r->until = until;
    }
    WUNLOCK(sh);
    return r ? CRUMB_OK : CRUMB_E_NOMEM;
}

static crumb_err mem_revoke_device(crumb_store *s, const char *tenant, const char *user,
                                   const crumb_store_id *device, int64_t until, int64_t now)
{
    mem_store *m = (mem_store *)s;
    if (!user_args(&tenant, user) || device == NULL || until <= now)
        return CRUMB_E_INVALID;
    shard *sh;
    muser *u = user_wlock(m, tenant, user, 1, &sh);
    crumb_err rc = u ? stm_revoke_device(&u->u, device, until, now) : CRUMB_E_NOMEM;
    if (u)
        user_maybe_free(sh, u, now);
    WUNLOCK(sh);
    return rc;
}

static crumb_err mem_revoke_user(crumb_store *s, const char *tenant, const char *user,
                                 int64_t before, const crumb_store_key *except, int64_t until,
                                 int64_t now)
{
    mem_store *m = (mem_store *)s;
    if (!user_args(&tenant, user) || until <= now)
        return CRUMB_E_INVALID;
    shard *sh;
    muser *u = user_wlock(m, tenant, user, 1, &sh);
    if (u)
        stm_revoke_user(&u->u, before, except, until);
    WUNLOCK(sh);
    return u ? CRUMB_OK : CRUMB_E_NOMEM;
}

static crumb_err mem_revoke_all(crumb_store *s, int64_t before, int64_t now)
{
    mem_store *m = (mem_store *)s;
    (void)now;
    int64_t cur = atomic_load(&m->global_nb);
    while (before > cur && !atomic_compare_exchange_weak(&m->global_nb, &cur, before)) {
    }
    return CRUMB_OK;
}

/* The user and device rules of check() (rlock of the user's shard). */
static int check_user(mem_store *m, const crumb_store_check_req *q, const char *tenant,
                      unsigned st, crumb_store_check_res *res)
{
    shard *sh;
    int rule = CRUMB_STORE_RULE_NONE;
    muser *u = user_rlock(m, tenant, q->user, &sh, st);
    if (u != NULL) {
        if (stm_user_revoked(&u->u, q->session, q->issued_at, q->now)) {
            rule = CRUMB_STORE_RULE_USER;
            res->revoked_at = u->u.not_before;
        }
        else if (q->device && stm_device_revoked(&u->u, q->device, q->now))
            rule = CRUMB_STORE_RULE_DEVICE;
    }
    crumb__mem_runlock(m, sh, st);
    return rule;
}

/* check(): read locks only; writes only this thread's stripe counters. */
static crumb_err mem_check(crumb_store *s, const crumb_store_check_req *q,
                           crumb_store_check_res *res)
{
    mem_store *m = (mem_store *)s;
    const char *tenant = q->tenant ? q->tenant : "";
    if ((q->user && !stm_user_args_ok(tenant, q->user)) || (q->device && !q->user))
        return CRUMB_E_INVALID;
    unsigned st = crumb__mem_stripe();
    crumb__mem_count_check(m, st);
    int rule = CRUMB_STORE_RULE_NONE;
    int64_t gnb = atomic_load_explicit(&m->global_nb, memory_order_acquire);
    if (q->issued_at < gnb) {
        rule = CRUMB_STORE_RULE_GLOBAL;
        res->revoked_at = gnb; /* the not-before */
    }
    if (q->session) {
        uint64_t h = key_hash(m, q->session);
        shard *sh = shard_of(m, h);
        crumb__mem_rlock(m, sh, st);
        mrev *r = rev_find(sh, h, q->session);
        if (rule == CRUMB_STORE_RULE_NONE && r != NULL && r->until > q->now)
            rule = CRUMB_STORE_RULE_SESSION;
        crumb__mem_runlock(m, sh, st);
    }
    if (q->family) {
        uint64_t h = fam_hash(m, q->family);
        shard *sh = shard_of(m, h);
        crumb__mem_rlock(m, sh, st);
        mfam *f = fam_find(sh, h, q->family);
        if (f != NULL && f->until > q->now) {
            res->family_gen = f->gen;
            res->family_advanced_at = f->advanced_at;
            if (rule == CRUMB_STORE_RULE_NONE && f->revoked_until > q->now)
                rule = CRUMB_STORE_RULE_FAMILY;
        }
        crumb__mem_runlock(m, sh, st);
    }
    if (q->user && rule == CRUMB_STORE_RULE_NONE)
        rule = check_user(m, q, tenant, st, res);
    res->rule = rule;
    return rule == CRUMB_STORE_RULE_NONE ? CRUMB_OK : CRUMB_E_REVOKED;
}

static crumb_err mem_family_get(crumb_store *s, const crumb_store_id *family, uint64_t *gen,
                                int64_t *advanced_at, int64_t now)
{
    mem_store *m = (mem_store *)s;
    if (family == NULL || gen == NULL)
        return CRUMB_E_INVALID;
    uint64_t h = fam_hash(m, family);
    shard *sh = shard_of(m, h);
    unsigned st = crumb__mem_stripe();
    crumb__mem_rlock(m, sh, st);
    mfam *f = fam_find(sh, h, family);
    int live = f != NULL && f->until > now;
    *gen = live ? f->gen : 0;
    if (advanced_at)
        *advanced_at = live ? f->advanced_at : 0;
    crumb__mem_runlock(m, sh, st);
    return CRUMB_OK;
}

static crumb_err mem_family_advance(crumb_store *s, const crumb_store_id *family,
                                    uint64_t expected, uint64_t new_gen, int64_t until,
                                    int64_t now, uint64_t *current)
{
    mem_store *m = (mem_store *)s;
    if (family == NULL || new_gen <= expected || until <= now)
        return CRUMB_E_INVALID;
    uint64_t h = fam_hash(m, family);
    shard *sh = shard_of(m, h);
    WLOCK(sh);
    mfam *f = fam_get(sh, h, family);
    crumb_err rc = CRUMB_OK;
    if (f == NULL) {
        rc = CRUMB_E_NOMEM;
    } else {
        if (f->until <= now && f->revoked_until <= now) {
            f->gen = 0; /* expired record: the family is unknown again */
            f->advanced_at = 0;
        }
        if (f->revoked_until > now) {
            rc = CRUMB_E_REVOKED;
        } else if (f->gen != expected) {
            rc = CRUMB_E_CONFLICT;
        } else {
            f->gen = new_gen;
            f->advanced_at = now;
            if (until > f->until)
                f->until = until;
        }
        if (current)
            *current = f->gen;
        if (f->gen == 0 && f->revoked_until <= now) { /* nothing worth keeping */
            ht_remove(&sh->fam, &f->hn);
            crumb__free(f);
        }
    }
    WUNLOCK(sh);
    return rc;
}

static crumb_err mem_device_seen(crumb_store *s, const char *tenant, const char *user,
                                 const crumb_store_sighting *sg, int64_t now, int *written)
{
    mem_store *m = (mem_store *)s;
    if (written)
        *written = 0;
    if (!user_args(&tenant, user) || sg == NULL || !stm_name_ok(sg->label) ||
        !stm_name_ok(sg->ip_prefix))
        return CRUMB_E_INVALID;
    shard *sh;
    muser *u = user_wlock(m, tenant, user, 1, &sh);
    int dirty = 0;
    crumb_err rc = u ? stm_device_seen(&u->u, sg, now, &m->lim, &dirty) : CRUMB_E_NOMEM;
    if (u)
        user_maybe_free(sh, u, now);
    WUNLOCK(sh);
    if (written)
        *written = dirty;
    return rc;
}

static crumb_err mem_device_list(crumb_store *s, const char *tenant, const char *user,
                                 crumb_store_device *out, size_t cap, size_t *n)
{
    mem_store *m = (mem_store *)s;
    if (!user_args(&tenant, user) || n == NULL || (out == NULL && cap > 0))
        return CRUMB_E_INVALID;
    shard *sh;
    unsigned st = crumb__mem_stripe();
    muser *u = user_rlock(m, tenant, user, &sh, st);
    *n = 0;
    if (u)
        stm_device_list(&u->u, out, cap, n);
    crumb__mem_runlock(m, sh, st);
    return CRUMB_OK;
}

static crumb_err mem_device_select(crumb_store *s, const char *tenant, const char *user,
                                   const crumb_store_device_filter *f, crumb_store_device *out,
                                   size_t cap, size_t *n)
{
    mem_store *m = (mem_store *)s;
    if (!user_args(&tenant, user) || f == NULL || n == NULL || (out == NULL && cap > 0))
        return CRUMB_E_INVALID;
    shard *sh;
    unsigned st = crumb__mem_stripe();
    muser *u = user_rlock(m, tenant, user, &sh, st);
    *n = 0;
    if (u)
        stm_device_select(&u->u, f, out, cap, n);
    crumb__mem_runlock(m, sh, st);
    return CRUMB_OK;
}

static crumb_err mem_device_find(crumb_store *s, const char *tenant, const char *user,
                                 const uint8_t fp[CRUMB_STORE_FPBYTES], crumb_store_device *out)
{
    mem_store *m = (mem_store *)s;
    if (!user_args(&tenant, user) || fp == NULL || out == NULL)
        return CRUMB_E_INVALID;
    shard *sh;
    unsigned st = crumb__mem_stripe();
    muser *u = user_rlock(m, tenant, user, &sh, st);
    long i = u ? stm_device_find_fp(&u->u, fp) : -1;
    if (i >= 0)
        *out = u->u.dev[i].d;
    crumb__mem_runlock(m, sh, st);
    return i >= 0 ? CRUMB_OK : CRUMB_E_NOTFOUND;
}

static crumb_err mem_device_set_trust(crumb_store *s, const char *tenant, const char *user,
                                      const crumb_store_id *device, int trust, int64_t now)
{
    mem_store *m = (mem_store *)s;
    if (!user_args(&tenant, user) || device == NULL || trust < CRUMB_TRUST_UNKNOWN ||
        trust > CRUMB_TRUST_REVOKED)
        return CRUMB_E_INVALID;
    shard *sh;
    muser *u = user_wlock(m, tenant, user, 0, &sh);
    crumb_err rc = u ? stm_set_trust(&u->u, device, trust, now) : CRUMB_E_NOTFOUND;
    WUNLOCK(sh);
    return rc;
}

static crumb_err mem_device_delete(crumb_store *s, const char *tenant, const char *user,
                                   const crumb_store_id *device)
{
    mem_store *m = (mem_store *)s;
    if (!user_args(&tenant, user) || device == NULL)
        return CRUMB_E_INVALID;
    shard *sh;
    muser *u = user_wlock(m, tenant, user, 0, &sh);
    crumb_err rc = u ? stm_dev_delete(&u->u, device) : CRUMB_E_NOTFOUND;
    WUNLOCK(sh);
    return rc;
}

static crumb_err mem_index_put(crumb_store *s, const char *tenant, const char *user,
                               const crumb_store_session_info *info, int64_t now)
{
    mem_store *m = (mem_store *)s;
    if (!user_args(&tenant, user) || info == NULL || info->expires_at <= now)
        return CRUMB_E_INVALID;
    makey *spare = crumb__calloc(1, sizeof *spare); /* before anything changes */
    if (spare == NULL)
        return CRUMB_E_NOMEM;
    shard *sh;
    muser *u = user_wlock(m, tenant, user, 1, &sh);
    crumb_err rc = u ? stm_index_put(&u->u, info, &m->lim) : CRUMB_E_NOMEM;
    if (u)
        user_maybe_free(sh, u, now);
    WUNLOCK(sh);
    if (rc == CRUMB_OK) /* the session is signed in: keep its record and revocation */
        mark_signed_in(m, &info->session, info->expires_at, spare);
    else
        crumb__free(spare);
    return rc;
}

static crumb_err mem_index_list(crumb_store *s, const char *tenant, const char *user,
                                crumb_store_session_info *out, size_t cap, size_t *n, int64_t now)
{
    mem_store *m = (mem_store *)s;
    if (!user_args(&tenant, user) || n == NULL || (out == NULL && cap > 0))
        return CRUMB_E_INVALID;
    shard *sh;
    unsigned st = crumb__mem_stripe();
    muser *u = user_rlock(m, tenant, user, &sh, st);
    *n = 0;
    if (u)
        stm_index_list(&u->u, out, cap, n, now);
    crumb__mem_runlock(m, sh, st);
    return CRUMB_OK;
}

static crumb_err mem_index_del(crumb_store *s, const char *tenant, const char *user,
                               const crumb_store_key *session)
{
    mem_store *m = (mem_store *)s;
    if (!user_args(&tenant, user) || session == NULL)
        return CRUMB_E_INVALID;
    shard *sh;
    muser *u = user_wlock(m, tenant, user, 0, &sh);
    crumb_err rc = u ? stm_idx_delete(&u->u, session) : CRUMB_E_NOTFOUND;
    WUNLOCK(sh);
    if (rc == CRUMB_OK)
        unmark_signed_in(m, session);
    return rc;
}

/* Sweep expired session records, revocations and signed-in marks of sh. */
static void sweep_sessions(shard *sh, int64_t now, crumb_store_sweep_counts *c)
{
    for (int cls = MEM_ANON; cls <= MEM_AUTH; cls++)
        for (msess *x = sh->lru_tail[cls], *px; x; x = px) {
            px = x->prev;
            if (x->expires_at <= now) {
                sess_drop(sh, x);
                c->sessions++;
            }
        }
    for (size_t b = 0; b <= sh->rev.mask; b++)
        for (hnode *n = sh->rev.b[b], *nx; n; n = nx) {
            nx = n->next;
            if (((mrev *)n)->until <= now) {
                crumb__mem_rev_drop(sh, (mrev *)n);
                c->revocations++;
            }
        }
    for (size_t b = 0; b <= sh->authk.mask; b++)
        for (hnode *n = sh->authk.b[b], *nx; n; n = nx) {
            nx = n->next;
            if (((makey *)n)->until <= now) {
                ht_remove(&sh->authk, n);
                crumb__free(n);
            }
        }
}

/* Sweep expired family records and family revocations of sh. */
static void sweep_families(shard *sh, int64_t now, crumb_store_sweep_counts *c)
{
    for (size_t b = 0; b <= sh->fam.mask; b++)
        for (hnode **p = &sh->fam.b[b]; *p;) {
            mfam *x = (mfam *)*p;
            if (x->revoked_until != 0 && x->revoked_until <= now) {
                x->revoked_until = 0;
                c->revocations++;
            }
            if (x->until <= now && x->revoked_until == 0) {
                *p = x->hn.next;
                sh->fam.n--;
                crumb__free(x);
                c->families++;
            } else {
                p = &(*p)->next;
            }
        }
}

/* Sweep the user records of sh (model rules), dropping empty ones. */
static void sweep_users(shard *sh, int64_t now, const crumb_store_retention *r,
                        crumb_store_sweep_counts *c)
{
    for (size_t b = 0; b <= sh->users.mask; b++)
        for (hnode **p = &sh->users.b[b]; *p;) {
            muser *x = (muser *)*p;
            stm_user_sweep(&x->u, now, r, c);
            if (stm_user_empty(&x->u, now)) {
                *p = x->hn.next;
                sh->users.n--;
                stm_user_free(&x->u);
                crumb__free(x);
            } else {
                p = &(*p)->next;
            }
        }
}

static crumb_err mem_sweep(crumb_store *s, int64_t now, const crumb_store_retention *ret,
                           crumb_store_sweep_counts *counts)
{
    mem_store *m = (mem_store *)s;
    crumb_store_retention r;
    crumb_store_sweep_counts c = {0};
    stm_retention(&r, ret);
    for (unsigned i = 0; i < m->nshards; i++) {
        shard *sh = &m->shards[i];
        WLOCK(sh);
        sweep_sessions(sh, now, &c);
        sweep_families(sh, now, &c);
        sweep_users(sh, now, &r, &c);
        WUNLOCK(sh);
    }
    if (counts)
        *counts = c;
    return CRUMB_OK;
}

/* Nothing the memory store holds outlives the process, so the session
 * layer may name its records with its fastest keyed hash. */
static int mem_naming(crumb_store *s)
{
    (void)s;
    return CRUMB_STORE_NAMING_EPHEMERAL;
}

static const crumb_store_methods mem_methods = {
    .version = CRUMB_STORE_METHODS_VERSION,
    .name = "memory",
    .close = mem_close,
    .health = mem_health,
    .stats = mem_stats,
    .put = mem_put,
    .get = mem_get,
    .touch = mem_touch,
    .del = mem_del,
    .revoke_session = mem_revoke_session,
    .revoke_family = mem_revoke_family,
    .revoke_device = mem_revoke_device,
    .revoke_user = mem_revoke_user,
    .revoke_all = mem_revoke_all,
    .check = mem_check,
    .family_get = mem_family_get,
    .family_advance = mem_family_advance,
    .device_seen = mem_device_seen,
    .device_list = mem_device_list,
    .device_find = mem_device_find,
    .device_set_trust = mem_device_set_trust,
    .device_delete = mem_device_delete,
    .index_put = mem_index_put,
    .index_list = mem_index_list,
    .index_del = mem_index_del,
    .sweep = mem_sweep,
    .device_select = mem_device_select,
    .last_error = stm_last_error,
    .naming = mem_naming,
};
