/*
 * memory_tab.c - the memory store's machinery below its methods: seeded
 * hashes, chained hash tables, the shard lock (writer mutex + per-thread
 * reader counters), the two-class LRU of session records and the bounded
 * FIFO of anonymous revocations. Types and contracts: memory_internal.h.
 */
#include "memory_internal.h"

#include <sched.h>
#include <string.h>

/* ==== Hashing =========================================================== */

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

/* see memory_internal.h */
uint64_t crumb__mem_key_hash(const mem_store *m, const crumb_store_key *k)
{
    return mhash(m->seed, "s", 1, k->b, sizeof k->b);
}

/* see memory_internal.h */
uint64_t crumb__mem_fam_hash(const mem_store *m, const crumb_store_id *f)
{
    return mhash(m->seed, "f", 1, f->b, sizeof f->b);
}

/* see memory_internal.h */
uint64_t crumb__mem_user_hash(const mem_store *m, const char *tenant, const char *user)
{
    return mhash(m->seed, tenant, strlen(tenant), user, strlen(user));
}

/* see memory_internal.h */
shard *crumb__mem_shard(mem_store *m, uint64_t h)
{
    return &m->shards[(h >> 40) & (m->nshards - 1)];
}

/* ==== Hash tables ======================================================= */

/* see memory_internal.h */
crumb_err crumb__mem_ht_init(htab *t)
{
    t->b = crumb__calloc(16, sizeof *t->b);
    t->mask = 15;
    t->n = 0;
    return t->b ? CRUMB_OK : CRUMB_E_NOMEM;
}

/* see memory_internal.h */
void crumb__mem_ht_insert(htab *t, hnode *n)
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
    hnode **s = &t->b[n->h & t->mask];
    n->next = *s;
    *s = n;
    t->n++;
}

/* see memory_internal.h */
void crumb__mem_ht_remove(htab *t, hnode *n)
{
    for (hnode **p = &t->b[n->h & t->mask]; *p; p = &(*p)->next)
        if (*p == n) {
            *p = n->next;
            t->n--;
            return;
        }
}

/* ==== Shard locks ======================================================= */
/*
 * A reader bumps its stripe's counter for the shard, then looks at the
 * shard's writer flag; a writer takes the mutex, sets the flag, then waits
 * until every stripe's counter for the shard is 0. Both sides use
 * sequentially consistent atomics, so at least one of them sees the other
 * (a reader that sees the flag backs off and waits on the mutex). In the
 * common case a reader writes only its own stripe's cache line.
 */

static atomic_uint mem_next_stripe;
static _Thread_local unsigned mem_stripe_plus1; /* 0 = not assigned yet */

/* see memory_internal.h */
unsigned crumb__mem_stripe(void)
{
    if (mem_stripe_plus1 == 0)
        mem_stripe_plus1 = atomic_fetch_add(&mem_next_stripe, 1u) % MEM_STRIPES + 1u;
    return mem_stripe_plus1 - 1u;
}

/* Reader counter of shard sh for stripe st. */
static atomic_uint *rslot(mem_store *m, unsigned st, const shard *sh)
{
    return &m->readers[st * m->rstride + (size_t)(sh - m->shards)];
}

/* see memory_internal.h */
crumb_err crumb__mem_stripes_init(mem_store *m)
{
    m->rstride = (m->nshards + 15u) & ~(size_t)15u; /* whole 64-byte lines */
    size_t rbytes = MEM_STRIPES * m->rstride * sizeof(atomic_uint);
    size_t cbytes = MEM_STRIPES * 8u * sizeof(uint64_t);
    m->stripe_block = crumb__calloc(1, rbytes + cbytes + 64u);
    if (m->stripe_block == NULL)
        return CRUMB_E_NOMEM;
    uintptr_t a = ((uintptr_t)m->stripe_block + 63u) & ~(uintptr_t)63u;
    m->readers = (atomic_uint *)a;
    m->checks = (_Atomic uint64_t *)(a + rbytes);
    for (size_t i = 0; i < MEM_STRIPES * m->rstride; i++)
        atomic_init(&m->readers[i], 0u);
    for (size_t i = 0; i < MEM_STRIPES * 8u; i++)
        atomic_init(&m->checks[i], 0u);
    return CRUMB_OK;
}

/* see memory_internal.h */
void crumb__mem_wlock(mem_store *m, shard *sh)
{
    pthread_mutex_lock(&sh->lock);
    atomic_store(&sh->writer, 1);
    for (unsigned st = 0; st < MEM_STRIPES; st++) {
        atomic_uint *c = rslot(m, st, sh);
        for (unsigned spin = 0; atomic_load(c) != 0; spin++)
            if (spin >= 64)
                sched_yield(); /* a reader holds it for one lookup */
    }
}

/* see memory_internal.h */
void crumb__mem_wunlock(shard *sh)
{
    atomic_store(&sh->writer, 0);
    pthread_mutex_unlock(&sh->lock);
}

/* see memory_internal.h */
void crumb__mem_rlock(mem_store *m, shard *sh, unsigned st)
{
    atomic_uint *c = rslot(m, st, sh);
    for (;;) {
        atomic_fetch_add(c, 1u);
        if (atomic_load(&sh->writer) == 0)
            return;
        atomic_fetch_sub(c, 1u);
        pthread_mutex_lock(&sh->lock); /* wait for the writer to finish */
        pthread_mutex_unlock(&sh->lock);
    }
}

/* see memory_internal.h */
void crumb__mem_runlock(mem_store *m, shard *sh, unsigned st)
{
    atomic_fetch_sub(rslot(m, st, sh), 1u);
}

/* see memory_internal.h */
void crumb__mem_count_check(mem_store *m, unsigned st)
{
    atomic_fetch_add_explicit(&m->checks[st * 8u], 1u, memory_order_relaxed);
}

/* ==== Lookups =========================================================== */

/* see memory_internal.h */
msess *crumb__mem_sess_find(shard *sh, uint64_t h, const crumb_store_key *k)
{
    for (hnode *n = sh->sess.b[h & sh->sess.mask]; n; n = n->next)
        if (n->h == h && memcmp(((msess *)n)->key.b, k->b, sizeof k->b) == 0)
            return (msess *)n;
    return NULL;
}

/* see memory_internal.h */
mrev *crumb__mem_rev_find(shard *sh, uint64_t h, const crumb_store_key *k)
{
    for (hnode *n = sh->rev.b[h & sh->rev.mask]; n; n = n->next)
        if (n->h == h && memcmp(((mrev *)n)->key.b, k->b, sizeof k->b) == 0)
            return (mrev *)n;
    return NULL;
}

/* see memory_internal.h */
makey *crumb__mem_authk_find(shard *sh, uint64_t h, const crumb_store_key *k)
{
    for (hnode *n = sh->authk.b[h & sh->authk.mask]; n; n = n->next)
        if (n->h == h && memcmp(((makey *)n)->key.b, k->b, sizeof k->b) == 0)
            return (makey *)n;
    return NULL;
}

/* see memory_internal.h */
mfam *crumb__mem_fam_find(shard *sh, uint64_t h, const crumb_store_id *f)
{
    for (hnode *n = sh->fam.b[h & sh->fam.mask]; n; n = n->next)
        if (n->h == h && memcmp(((mfam *)n)->id.b, f->b, sizeof f->b) == 0)
            return (mfam *)n;
    return NULL;
}

/* see memory_internal.h */
muser *crumb__mem_user_find(shard *sh, uint64_t h, const char *tenant, const char *user)
{
    size_t tl = strlen(tenant), ul = strlen(user);
    for (hnode *n = sh->users.b[h & sh->users.mask]; n; n = n->next) {
        muser *u = (muser *)n;
        if (n->h == h && u->tlen == tl && u->ulen == ul && memcmp(u->names, tenant, tl) == 0 &&
            memcmp(u->names + tl + 1, user, ul) == 0)
            return u;
    }
    return NULL;
}

/* see memory_internal.h */
muser *crumb__mem_user_new(shard *sh, uint64_t h, const char *tenant, const char *user)
{
    size_t tl = strlen(tenant), ul = strlen(user);
    muser *u = crumb__calloc(1, sizeof *u + tl + ul + 2);
    if (u == NULL)
        return NULL;
    u->tlen = tl;
    u->ulen = ul;
    memcpy(u->names, tenant, tl);
    memcpy(u->names + tl + 1, user, ul);
    u->hn.h = h;
    crumb__mem_ht_insert(&sh->users, &u->hn);
    return u;
}

/* ==== Session LRU (two classes) ========================================= */

/* see memory_internal.h */
void crumb__mem_lru_unlink(shard *sh, msess *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        sh->lru_head[s->cls] = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        sh->lru_tail[s->cls] = s->prev;
    s->prev = s->next = NULL;
}

/* see memory_internal.h: put s at the head (most recent) of its class. */
void crumb__mem_lru_push(shard *sh, msess *s)
{
    s->prev = NULL;
    s->next = sh->lru_head[s->cls];
    if (sh->lru_head[s->cls])
        sh->lru_head[s->cls]->prev = s;
    sh->lru_head[s->cls] = s;
    if (!sh->lru_tail[s->cls])
        sh->lru_tail[s->cls] = s;
}

/* see memory_internal.h: remove and free a session record. */
void crumb__mem_sess_drop(shard *sh, msess *s)
{
    crumb__mem_ht_remove(&sh->sess, &s->hn);
    crumb__mem_lru_unlink(sh, s);
    sh->nsess--;
    sh->bytes -= s->len;
    crumb_wipe(s->data, s->len);
    crumb__free(s);
}

/* Least recently used record of class cls other than keep, or NULL. */
static msess *victim(shard *sh, int cls, const msess *keep)
{
    msess *v = sh->lru_tail[cls];
    return v == keep ? NULL : v; /* keep is at its head: tail == keep means alone */
}

/* see memory_internal.h: while over capacity, drop least recently used
 * records: anonymous ones first; signed-in ones only to make room for a
 * signed-in record (keep's class). keep itself is never dropped, so a
 * shard may hold one anonymous record beyond its budget. */
void crumb__mem_evict(mem_store *m, shard *sh, msess *keep)
{
    while (sh->nsess > m->max_sess_per_shard || sh->bytes > m->max_bytes_per_shard) {
        msess *v = victim(sh, MEM_ANON, keep);
        if (v == NULL && keep->cls == MEM_AUTH)
            v = victim(sh, MEM_AUTH, keep);
        if (v == NULL)
            return;
        crumb__mem_sess_drop(sh, v);
        sh->evictions++;
    }
}

/* ==== Anonymous revocations (bounded FIFO) ============================== */

/* see memory_internal.h */
void crumb__mem_arev_unlink(shard *sh, mrev *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        sh->arev_head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    else
        sh->arev_tail = r->prev;
    r->prev = r->next = NULL;
    r->anon = 0;
    sh->narev--;
}

/* see memory_internal.h */
void crumb__mem_rev_drop(shard *sh, mrev *r)
{
    if (r->anon)
        crumb__mem_arev_unlink(sh, r);
    crumb__mem_ht_remove(&sh->rev, &r->hn);
    crumb__free(r);
}

/* see memory_internal.h: append r (already in the table) to the FIFO and
 * forget the oldest anonymous revocations beyond the budget. */
void crumb__mem_arev_push(mem_store *m, shard *sh, mrev *r)
{
    r->anon = 1;
    r->next = NULL;
    r->prev = sh->arev_tail;
    if (sh->arev_tail)
        sh->arev_tail->next = r;
    else
        sh->arev_head = r;
    sh->arev_tail = r;
    sh->narev++;
    while (sh->narev > m->max_arev_per_shard && sh->arev_head != r) {
        crumb__mem_rev_drop(sh, sh->arev_head);
        sh->arev_dropped++;
    }
}
