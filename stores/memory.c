/*
 * memory.c - the in-memory store for single-process embedded servers:
 * sharded hash tables behind per-shard mutexes, LRU eviction of session
 * records only (revocations are kept until they expire), TTL-aware, and a
 * lock-free global not-before read on the check path.
 */
#include "crumb_store.h"
#include "internal.h"
#include "model.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

/* ==== Types ============================================================= */

/* Hash-chain link embedded first in every table entry. */
typedef struct hnode {
    struct hnode *next;
    uint64_t h;
} hnode;

/* Chained hash table; grows by doubling (a failed grow is harmless). */
typedef struct htab {
    hnode **b;
    size_t mask;
    size_t n;
} htab;

/* A session record; also on its shard's LRU list (most recent at head). */
typedef struct msess {
    hnode hn;
    struct msess *prev, *next;
    crumb_store_key key;
    uint64_t version;
    int64_t expires_at;
    size_t len;
    uint8_t data[];
} msess;

/* A session revocation. */
typedef struct mrev {
    hnode hn;
    crumb_store_key key;
    int64_t until;
} mrev;

/* A family record. */
typedef struct mfam {
    hnode hn;
    crumb_store_id id;
    uint64_t gen;
    int64_t advanced_at;
    int64_t until;
    int64_t revoked_until;
} mfam;

/* Per-user record; names holds tenant NUL user NUL. */
typedef struct muser {
    hnode hn;
    stm_user u;
    size_t tlen, ulen;
    char names[];
} muser;

/* One lock shard. */
typedef struct shard {
    pthread_mutex_t lock;
    htab sess, rev, fam, users;
    msess *lru_head, *lru_tail;
    size_t nsess, bytes;
    uint64_t evictions, checks, revocations;
    char pad[64];
} shard;

typedef struct mem_store {
    crumb_store base; /* first */
    shard *shards;
    unsigned nshards;
    size_t max_sess_per_shard, max_bytes_per_shard;
    stm_limits lim;
    uint64_t seed;
    _Atomic int64_t global_nb;
} mem_store;

static const crumb_store_methods mem_methods;

/* ==== Hashing and tables =============================================== */

/* Seeded 64-bit hash of two byte strings (FNV-1a, then a mixer). */
static uint64_t mhash(uint64_t seed, const void *a, size_t na, const void *b, size_t nb)
{
    uint64_t h = 0xcbf29ce484222325ull ^ seed;
    const uint8_t *p = a;
    for (size_t i = 0; i < na; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    h = (h ^ 0xff) * 0x100000001b3ull;
    p = b;
    for (size_t i = 0; i < nb; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

/* Bucket head for hash h (table must have buckets). */
static hnode **ht_slot(htab *t, uint64_t h)
{
    return &t->b[h & t->mask];
}

/* Initialise t with 16 buckets. Returns CRUMB_E_NOMEM on failure. */
static crumb_err ht_init(htab *t)
{
    t->b = crumb__calloc(16, sizeof *t->b);
    t->mask = 15;
    t->n = 0;
    return t->b ? CRUMB_OK : CRUMB_E_NOMEM;
}

/* Insert n (n->h set); grows the table when the load exceeds 1. */
static void ht_insert(htab *t, hnode *n)
{
    if (t->n >= t->mask + 1) {
        size_t nb = (t->mask + 1) * 2;
        hnode **b = crumb__calloc(nb, sizeof *b);
        if (b != NULL) {
            for (size_t i = 0; i <= t->mask; i++)
                for (hnode *x = t->b[i], *nx; x; x = nx) {
                    nx = x->next;
                    x->next = b[x->h & (nb - 1)];
                    b[x->h & (nb - 1)] = x;
                }
            crumb__free(t->b);
            t->b = b;
            t->mask = nb - 1;
        }
    }
    hnode **s = ht_slot(t, n->h);
    n->next = *s;
    *s = n;
    t->n++;
}

/* Unlink n from t (n must be in t). */
static void ht_remove(htab *t, hnode *n)
{
    for (hnode **p = ht_slot(t, n->h); *p; p = &(*p)->next)
        if (*p == n) {
            *p = n->next;
            t->n--;
            return;
        }
}

/* Shard for hash h. */
static shard *shard_of(mem_store *m, uint64_t h)
{
    return &m->shards[(h >> 40) & (m->nshards - 1)];
}

static uint64_t key_hash(mem_store *m, const crumb_store_key *k)
{
    return mhash(m->seed, "s", 1, k->b, sizeof k->b);
}

static uint64_t fam_hash(mem_store *m, const crumb_store_id *f)
{
    return mhash(m->seed, "f", 1, f->b, sizeof f->b);
}

static uint64_t user_hash(mem_store *m, const char *tenant, const char *user)
{
    return mhash(m->seed, tenant, strlen(tenant), user, strlen(user));
}

/* ==== Lookups (shard lock held) ======================================== */

static msess *sess_find(shard *sh, uint64_t h, const crumb_store_key *k)
{
    for (hnode *n = *ht_slot(&sh->sess, h); n; n = n->next)
        if (n->h == h && memcmp(((msess *)n)->key.b, k->b, sizeof k->b) == 0)
            return (msess *)n;
    return NULL;
}

static mrev *rev_find(shard *sh, uint64_t h, const crumb_store_key *k)
{
    for (hnode *n = *ht_slot(&sh->rev, h); n; n = n->next)
        if (n->h == h && memcmp(((mrev *)n)->key.b, k->b, sizeof k->b) == 0)
            return (mrev *)n;
    return NULL;
}

static mfam *fam_find(shard *sh, uint64_t h, const crumb_store_id *f)
{
    for (hnode *n = *ht_slot(&sh->fam, h); n; n = n->next)
        if (n->h == h && memcmp(((mfam *)n)->id.b, f->b, sizeof f->b) == 0)
            return (mfam *)n;
    return NULL;
}

/* Find the user record; create it if create (NULL on allocation failure). */
static muser *user_get(shard *sh, uint64_t h, const char *tenant, const char *user, int create)
{
    size_t tl = strlen(tenant), ul = strlen(user);
    for (hnode *n = *ht_slot(&sh->users, h); n; n = n->next) {
        muser *u = (muser *)n;
        if (n->h == h && u->tlen == tl && u->ulen == ul && memcmp(u->names, tenant, tl) == 0 &&
            memcmp(u->names + tl + 1, user, ul) == 0)
            return u;
    }
    if (!create)
        return NULL;
    muser *u = crumb__calloc(1, sizeof *u + tl + ul + 2);
    if (u == NULL)
        return NULL;
    u->tlen = tl;
    u->ulen = ul;
    memcpy(u->names, tenant, tl);
    memcpy(u->names + tl + 1, user, ul);
    u->hn.h = h;
    ht_insert(&sh->users, &u->hn);
    return u;
}

/* Hash (tenant, user), lock its shard into *sh and return the user (created
 * if create; NULL if absent or out of memory). The caller unlocks (*sh)->lock. */
static muser *user_lock(mem_store *m, const char *tenant, const char *user, int create,
                        shard **sh)
{
    uint64_t h = user_hash(m, tenant, user);
    *sh = shard_of(m, h);
    pthread_mutex_lock(&(*sh)->lock);
    return user_get(*sh, h, tenant, user, create);
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

/* LRU: unlink s. */
static void lru_unlink(shard *sh, msess *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        sh->lru_head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        sh->lru_tail = s->prev;
    s->prev = s->next = NULL;
}

/* LRU: put s at the head (most recently used). */
static void lru_push(shard *sh, msess *s)
{
    s->prev = NULL;
    s->next = sh->lru_head;
    if (sh->lru_head)
        sh->lru_head->prev = s;
    sh->lru_head = s;
    if (!sh->lru_tail)
        sh->lru_tail = s;
}

/* Remove and free a session record. */
static void sess_drop(shard *sh, msess *s)
{
    ht_remove(&sh->sess, &s->hn);
    lru_unlink(sh, s);
    sh->nsess--;
    sh->bytes -= s->len;
    crumb_wipe(s->data, s->len);
    crumb__free(s);
}

/* Argument checks shared by user-scoped methods; sets *tenant to "" if NULL. */
static int user_args(const char **tenant, const char *user)
{
    if (!stm_user_args_ok(*tenant, user))
        return 0;
    if (*tenant == NULL)
        *tenant = "";
    return 1;
}

/* ==== Methods ========================================================== */

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
    size_t maxs = c.max_sessions ? c.max_sessions : 100000u;
    size_t maxb = c.max_session_bytes ? c.max_session_bytes : (size_t)64 << 20;
    m->max_sess_per_shard = maxs / ns ? maxs / ns : 1;
    m->max_bytes_per_shard = maxb / ns ? maxb / ns : 1;
    m->lim.throttle = c.throttle ? c.throttle : STM_DEFAULT_THROTTLE;
    m->lim.max_devices = c.max_devices ? c.max_devices : STM_DEFAULT_MAX_DEVICES;
    m->lim.max_index = c.max_index ? c.max_index : STM_DEFAULT_MAX_INDEX;
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
        shard *sh = &m->shards[i];
        if (ht_init(&sh->sess) || ht_init(&sh->rev) || ht_init(&sh->fam) ||
            ht_init(&sh->users) || pthread_mutex_init(&sh->lock, NULL) != 0) {
            m->nshards = i + 1; /* close frees tables of shards 0..i */
            crumb__free(sh->sess.b);
            crumb__free(sh->rev.b);
            crumb__free(sh->fam.b);
            crumb__free(sh->users.b);
            sh->sess.b = sh->rev.b = sh->fam.b = sh->users.b = NULL;
            pthread_mutex_init(&sh->lock, NULL);
            mem_methods.close(&m->base);
            return CRUMB_E_NOMEM;
        }
    }
    m->nshards = ns;
    *out = &m->base;
    return CRUMB_OK;
}

/* Free everything. */
static void mem_close(crumb_store *s)
{
    mem_store *m = (mem_store *)s;
    for (unsigned i = 0; i < m->nshards; i++) {
        shard *sh = &m->shards[i];
        htab *tabs[4] = {&sh->sess, &sh->rev, &sh->fam, &sh->users};
        for (int t = 0; t < 4; t++) {
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
    for (unsigned i = 0; i < m->nshards; i++) {
        shard *sh = &m->shards[i];
        pthread_mutex_lock(&sh->lock);
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
        out->checks += sh->checks;
        pthread_mutex_unlock(&sh->lock);
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
    pthread_mutex_lock(&sh->lock);
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
        pthread_mutex_unlock(&sh->lock);
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
    if (old)
        sess_drop(sh, old);
    ht_insert(&sh->sess, &ns->hn);
    lru_push(sh, ns);
    sh->nsess++;
    sh->bytes += len;
    while ((sh->nsess > m->max_sess_per_shard || sh->bytes > m->max_bytes_per_shard) &&
           sh->lru_tail != ns) {
        sess_drop(sh, sh->lru_tail);
        sh->evictions++;
    }
    if (new_version)
        *new_version = ns->version;
    pthread_mutex_unlock(&sh->lock);
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
    pthread_mutex_lock(&sh->lock);
    msess *r = sess_find(sh, h, key);
    if (r != NULL && r->expires_at <= now) {
        sess_drop(sh, r);
        r = NULL;
    }
    if (r == NULL) {
        pthread_mutex_unlock(&sh->lock);
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
    pthread_mutex_unlock(&sh->lock);
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
    pthread_mutex_lock(&sh->lock);
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
    pthread_mutex_unlock(&sh->lock);
    return r ? CRUMB_OK : CRUMB_E_NOTFOUND;
}

static crumb_err mem_del(crumb_store *s, const crumb_store_key *key)
{
    mem_store *m = (mem_store *)s;
    if (key == NULL)
        return CRUMB_E_INVALID;
    uint64_t h = key_hash(m, key);
    shard *sh = shard_of(m, h);
    pthread_mutex_lock(&sh->lock);
    msess *r = sess_find(sh, h, key);
    if (r)
        sess_drop(sh, r);
    pthread_mutex_unlock(&sh->lock);
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
    pthread_mutex_lock(&sh->lock);
    mrev *r = rev_find(sh, h, key);
    if (r != NULL) {
        if (until > r->until)
            r->until = until;
        crumb__free(nr);
    } else {
        nr->key = *key;
        nr->until = until;
        nr->hn.h = h;
        ht_insert(&sh->rev, &nr->hn);
    }
    pthread_mutex_unlock(&sh->lock);
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
    pthread_mutex_lock(&sh->lock);
    mfam *r = fam_get(sh, h, family);
    if (r != NULL) {
        if (until > r->revoked_until)
            r->revoked_until = until;
        if (until > r->until)
            r->until = until;
    }
    pthread_mutex_unlock(&sh->lock);
    return r ? CRUMB_OK : CRUMB_E_NOMEM;
}

static crumb_err mem_revoke_device(crumb_store *s, const char *tenant, const char *user,
                                   const crumb_store_id *device, int64_t until, int64_t now)
{
    mem_store *m = (mem_store *)s;
    if (!user_args(&tenant, user) || device == NULL || until <= now)
        return CRUMB_E_INVALID;
    shard *sh;
    muser *u = user_lock(m, tenant, user, 1, &sh);
    crumb_err rc = u ? stm_revoke_device(&u->u, device, until, now) : CRUMB_E_NOMEM;
    if (u)
        user_maybe_free(sh, u, now);
    pthread_mutex_unlock(&sh->lock);
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
    muser *u = user_lock(m, tenant, user, 1, &sh);
    if (u)
        stm_revoke_user(&u->u, before, except, until);
    pthread_mutex_unlock(&sh->lock);
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

static crumb_err mem_check(crumb_store *s, const crumb_store_check_req *q,
                           crumb_store_check_res *res)
{
    mem_store *m = (mem_store *)s;
    const char *tenant = q->tenant ? q->tenant : "";
    if ((q->user && !stm_user_args_ok(tenant, q->user)) || (q->device && !q->user))
        return CRUMB_E_INVALID;
    int rule = CRUMB_STORE_RULE_NONE;
    if (q->issued_at < atomic_load_explicit(&m->global_nb, memory_order_acquire))
        rule = CRUMB_STORE_RULE_GLOBAL;
    if (q->session) {
        uint64_t h = key_hash(m, q->session);
        shard *sh = shard_of(m, h);
        pthread_mutex_lock(&sh->lock);
        sh->checks++;
        mrev *r = rev_find(sh, h, q->session);
        if (rule == CRUMB_STORE_RULE_NONE && r != NULL && r->until > q->now)
            rule = CRUMB_STORE_RULE_SESSION;
        pthread_mutex_unlock(&sh->lock);
    }
    if (q->family) {
        uint64_t h = fam_hash(m, q->family);
        shard *sh = shard_of(m, h);
        pthread_mutex_lock(&sh->lock);
        mfam *f = fam_find(sh, h, q->family);
        if (f != NULL && f->until > q->now) {
            res->family_gen = f->gen;
            res->family_advanced_at = f->advanced_at;
            if (rule == CRUMB_STORE_RULE_NONE && f->revoked_until > q->now)
                rule = CRUMB_STORE_RULE_FAMILY;
        }
        pthread_mutex_unlock(&sh->lock);
    }
    if (q->user && rule == CRUMB_STORE_RULE_NONE) {
        uint64_t h = user_hash(m, tenant, q->user);
        shard *sh = shard_of(m, h);
        pthread_mutex_lock(&sh->lock);
        muser *u = user_get(sh, h, tenant, q->user, 0);
        if (u != NULL) {
            if (stm_user_revoked(&u->u, q->session, q->issued_at, q->now))
                rule = CRUMB_STORE_RULE_USER;
            else if (q->device && stm_device_revoked(&u->u, q->device, q->now))
                rule = CRUMB_STORE_RULE_DEVICE;
        }
        pthread_mutex_unlock(&sh->lock);
    }
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
    pthread_mutex_lock(&sh->lock);
    mfam *f = fam_find(sh, h, family);
    int live = f != NULL && f->until > now;
    *gen = live ? f->gen : 0;
    if (advanced_at)
        *advanced_at = live ? f->advanced_at : 0;
    pthread_mutex_unlock(&sh->lock);
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
    pthread_mutex_lock(&sh->lock);
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
    pthread_mutex_unlock(&sh->lock);
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
    muser *u = user_lock(m, tenant, user, 1, &sh);
    int dirty = 0;
    crumb_err rc = u ? stm_device_seen(&u->u, sg, now, &m->lim, &dirty) : CRUMB_E_NOMEM;
    if (u)
        user_maybe_free(sh, u, now);
    pthread_mutex_unlock(&sh->lock);
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
    muser *u = user_lock(m, tenant, user, 0, &sh);
    *n = 0;
    if (u)
        stm_device_list(&u->u, out, cap, n);
    pthread_mutex_unlock(&sh->lock);
    return CRUMB_OK;
}

static crumb_err mem_device_find(crumb_store *s, const char *tenant, const char *user,
                                 const uint8_t fp[CRUMB_STORE_FPBYTES], crumb_store_device *out)
{
    mem_store *m = (mem_store *)s;
    if (!user_args(&tenant, user) || fp == NULL || out == NULL)
        return CRUMB_E_INVALID;
    shard *sh;
    muser *u = user_lock(m, tenant, user, 0, &sh);
    long i = u ? stm_device_find_fp(&u->u, fp) : -1;
    if (i >= 0)
        *out = u->u.dev[i].d;
    pthread_mutex_unlock(&sh->lock);
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
    muser *u = user_lock(m, tenant, user, 0, &sh);
    crumb_err rc = u ? stm_set_trust(&u->u, device, trust, now) : CRUMB_E_NOTFOUND;
    pthread_mutex_unlock(&sh->lock);
    return rc;
}

static crumb_err mem_device_delete(crumb_store *s, const char *tenant, const char *user,
                                   const crumb_store_id *device)
{
    mem_store *m = (mem_store *)s;
    if (!user_args(&tenant, user) || device == NULL)
        return CRUMB_E_INVALID;
    shard *sh;
    muser *u = user_lock(m, tenant, user, 0, &sh);
    crumb_err rc = u ? stm_dev_delete(&u->u, device) : CRUMB_E_NOTFOUND;
    pthread_mutex_unlock(&sh->lock);
    return rc;
}

static crumb_err mem_index_put(crumb_store *s, const char *tenant, const char *user,
                               const crumb_store_session_info *info, int64_t now)
{
    mem_store *m = (mem_store *)s;
    if (!user_args(&tenant, user) || info == NULL || info->expires_at <= now)
        return CRUMB_E_INVALID;
    shard *sh;
    muser *u = user_lock(m, tenant, user, 1, &sh);
    crumb_err rc = u ? stm_index_put(&u->u, info, &m->lim) : CRUMB_E_NOMEM;
    if (u)
        user_maybe_free(sh, u, now);
    pthread_mutex_unlock(&sh->lock);
    return rc;
}

static crumb_err mem_index_list(crumb_store *s, const char *tenant, const char *user,
                                crumb_store_session_info *out, size_t cap, size_t *n, int64_t now)
{
    mem_store *m = (mem_store *)s;
    if (!user_args(&tenant, user) || n == NULL || (out == NULL && cap > 0))
        return CRUMB_E_INVALID;
    shard *sh;
    muser *u = user_lock(m, tenant, user, 0, &sh);
    *n = 0;
    if (u)
        stm_index_list(&u->u, out, cap, n, now);
    pthread_mutex_unlock(&sh->lock);
    return CRUMB_OK;
}

static crumb_err mem_index_del(crumb_store *s, const char *tenant, const char *user,
                               const crumb_store_key *session)
{
    mem_store *m = (mem_store *)s;
    if (!user_args(&tenant, user) || session == NULL)
        return CRUMB_E_INVALID;
    shard *sh;
    muser *u = user_lock(m, tenant, user, 0, &sh);
    crumb_err rc = u ? stm_idx_delete(&u->u, session) : CRUMB_E_NOTFOUND;
    pthread_mutex_unlock(&sh->lock);
    return rc;
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
        pthread_mutex_lock(&sh->lock);
        for (msess *x = sh->lru_tail, *px; x; x = px) {
            px = x->prev;
            if (x->expires_at <= now) {
                sess_drop(sh, x);
                c.sessions++;
            }
        }
        for (size_t b = 0; b <= sh->rev.mask; b++)
            for (hnode **p = &sh->rev.b[b]; *p;) {
                mrev *x = (mrev *)*p;
                if (x->until <= now) {
                    *p = x->hn.next;
                    sh->rev.n--;
                    crumb__free(x);
                    c.revocations++;
                } else {
                    p = &(*p)->next;
                }
            }
        for (size_t b = 0; b <= sh->fam.mask; b++)
            for (hnode **p = &sh->fam.b[b]; *p;) {
                mfam *x = (mfam *)*p;
                if (x->revoked_until != 0 && x->revoked_until <= now) {
                    x->revoked_until = 0;
                    c.revocations++;
                }
                if (x->until <= now && x->revoked_until == 0) {
                    *p = x->hn.next;
                    sh->fam.n--;
                    crumb__free(x);
                    c.families++;
                } else {
                    p = &(*p)->next;
                }
            }
        for (size_t b = 0; b <= sh->users.mask; b++)
            for (hnode **p = &sh->users.b[b]; *p;) {
                muser *x = (muser *)*p;
                stm_user_sweep(&x->u, now, &r, &c);
                if (stm_user_empty(&x->u, now)) {
                    *p = x->hn.next;
                    sh->users.n--;
                    stm_user_free(&x->u);
                    crumb__free(x);
                } else {
                    p = &(*p)->next;
                }
            }
        pthread_mutex_unlock(&sh->lock);
    }
    if (counts)
        *counts = c;
    return CRUMB_OK;
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
};
