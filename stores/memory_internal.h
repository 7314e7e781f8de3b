/*
 * memory_internal.h - private to stores/memory*.c: the memory store's types
 * (shards, hash tables, records), its shard lock (a writer mutex plus
 * per-thread reader counters, so check() writes no shared cache line) and
 * the two LRU classes of session records (anonymous ones never evict
 * signed-in ones). memory_tab.c implements the helpers declared here.
 */
#ifndef CRUMB_STORE_MEMORY_INTERNAL_H
#define CRUMB_STORE_MEMORY_INTERNAL_H

#include "crumb_store.h"
#include "internal.h"
#include "model.h"

#include <pthread.h>
#include <stdatomic.h>

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

/* Session record classes: anonymous, or named in a user's session index
 * (signed in). Eviction takes anonymous records first and an anonymous put
 * never evicts a signed-in record. */
enum { MEM_ANON = 0, MEM_AUTH = 1 };

/* A session record; also on its shard's LRU list of its class. */
typedef struct msess {
    hnode hn;
    struct msess *prev, *next;
    crumb_store_key key;
    uint64_t version;
    int64_t expires_at;
    size_t len;
    int cls; /* MEM_ANON or MEM_AUTH */
    uint8_t data[];
} msess;

/* A session revocation. Revocations of anonymous sessions (keys never named
 * by index_put) are also on the shard's bounded FIFO (anon = 1). */
typedef struct mrev {
    hnode hn;
    struct mrev *prev, *next;
    crumb_store_key key;
    int64_t until;
    int anon;
} mrev;

/* A key named by index_put: the session is signed in (until `until`). */
typedef struct makey {
    hnode hn;
    crumb_store_key key;
    int64_t until;
} makey;

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

/* One lock shard. `writer` is set while a writer holds `lock` (readers
 * check it after announcing themselves in their stripe's counter). */
typedef struct shard {
    pthread_mutex_t lock;
    atomic_int writer;
    htab sess, rev, fam, users, authk;
    msess *lru_head[2], *lru_tail[2];
    mrev *arev_head, *arev_tail; /* anonymous revocations, oldest first */
    size_t nsess, bytes, narev;
    uint64_t evictions, arev_dropped;
    char pad[64];
} shard;

/* Per-thread stripes: a thread announces a read of shard i in
 * readers[stripe * rstride + i] and counts its checks in
 * checks[stripe * 8]: both on cache lines only its stripe writes. */
#define MEM_STRIPES 16u

typedef struct mem_store {
    crumb_store base; /* first */
    shard *shards;
    unsigned nshards;
    size_t max_sess_per_shard, max_bytes_per_shard, max_arev_per_shard;
    stm_limits lim;
    uint64_t seed;
    _Atomic int64_t global_nb;
    atomic_uint *readers; /* MEM_STRIPES * rstride, 64-byte aligned */
    size_t rstride;
    _Atomic uint64_t *checks; /* MEM_STRIPES * 8, 64-byte aligned */
    void *stripe_block;       /* allocation holding readers and checks */
} mem_store;

/* ==== Helpers (memory_tab.c) ============================================ */

/* Seeded 64-bit hashes of a session key, family id and (tenant, user). */
uint64_t crumb__mem_key_hash(const mem_store *m, const crumb_store_key *k);
uint64_t crumb__mem_fam_hash(const mem_store *m, const crumb_store_id *f);
uint64_t crumb__mem_user_hash(const mem_store *m, const char *tenant, const char *user);

/* Shard of hash h. */
shard *crumb__mem_shard(mem_store *m, uint64_t h);

/* Table: init (16 buckets; CRUMB_E_NOMEM), insert (grows), remove, bucket. */
crumb_err crumb__mem_ht_init(htab *t);
void crumb__mem_ht_insert(htab *t, hnode *n);
void crumb__mem_ht_remove(htab *t, hnode *n);

/* Shard locks. Writers exclude everyone; readers (check, family_get, the
 * list/find methods) exclude only writers and, while no writer is in,
 * write nothing but their own stripe's counter. Never nest two locks of
 * one shard in one thread. */
void crumb__mem_wlock(mem_store *m, shard *sh);
void crumb__mem_wunlock(shard *sh);
void crumb__mem_rlock(mem_store *m, shard *sh, unsigned stripe);
void crumb__mem_runlock(mem_store *m, shard *sh, unsigned stripe);

/* The calling thread's stripe (assigned round robin on first use; threads
 * beyond MEM_STRIPES share). Pass it to rlock/runlock/count_check. */
unsigned crumb__mem_stripe(void);

/* Count one check on stripe. */
void crumb__mem_count_check(mem_store *m, unsigned stripe);

/* Allocate the stripe block of m (nshards set). CRUMB_E_NOMEM. */
crumb_err crumb__mem_stripes_init(mem_store *m);

/* Lookups (shard lock held, read or write). */
msess *crumb__mem_sess_find(shard *sh, uint64_t h, const crumb_store_key *k);
mrev *crumb__mem_rev_find(shard *sh, uint64_t h, const crumb_store_key *k);
mfam *crumb__mem_fam_find(shard *sh, uint64_t h, const crumb_store_id *f);
makey *crumb__mem_authk_find(shard *sh, uint64_t h, const crumb_store_key *k);
muser *crumb__mem_user_find(shard *sh, uint64_t h, const char *tenant, const char *user);

/* Write-locked helpers. */
muser *crumb__mem_user_new(shard *sh, uint64_t h, const char *tenant, const char *user);
void crumb__mem_lru_unlink(shard *sh, msess *s);
void crumb__mem_lru_push(shard *sh, msess *s);
void crumb__mem_sess_drop(shard *sh, msess *s);
void crumb__mem_evict(mem_store *m, shard *sh, msess *keep);
void crumb__mem_arev_unlink(shard *sh, mrev *r);
void crumb__mem_arev_push(mem_store *m, shard *sh, mrev *r);
void crumb__mem_rev_drop(shard *sh, mrev *r);

#endif
