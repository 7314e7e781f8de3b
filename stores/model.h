/*
 * model.h - private to stores/: the per-user record (user revocation rule,
 * device revocations, devices, session index) and its operations, shared by
 * the memory store (kept in RAM) and the file store (one file per user).
 * The operations are compiled once (stores/model.c); callers hold whatever
 * lock protects the record. Names stay stm_*; the symbols are crumb__stm_*.
 */
#ifndef CRUMB_STORE_MODEL_H
#define CRUMB_STORE_MODEL_H

#include "crumb_store.h"
#include "internal.h"

#include <string.h>

/* Library-internal symbol names (the crumb__ prefix) for the stm_* names. */
#define stm_name_ok crumb__stm_name_ok
#define stm_user_args_ok crumb__stm_user_args_ok
#define stm_aged crumb__stm_aged
#define stm_strcpy crumb__stm_strcpy
#define stm_retention crumb__stm_retention
#define stm_idle_past crumb__stm_idle_past
#define stm_dev_ladder crumb__stm_dev_ladder
#define stm_reserve crumb__stm_reserve
#define stm_user_free crumb__stm_user_free
#define stm_user_empty crumb__stm_user_empty
#define stm_dev_find crumb__stm_dev_find
#define stm_dev_resort crumb__stm_dev_resort
#define stm_user_revoked crumb__stm_user_revoked
#define stm_device_revoked crumb__stm_device_revoked
#define stm_revoke_user crumb__stm_revoke_user
#define stm_revoke_device crumb__stm_revoke_device
#define stm_device_seen crumb__stm_device_seen
#define stm_dev_remove crumb__stm_dev_remove
#define stm_idx_find crumb__stm_idx_find
#define stm_idx_remove crumb__stm_idx_remove
#define stm_dev_delete crumb__stm_dev_delete
#define stm_idx_delete crumb__stm_idx_delete
#define stm_index_put crumb__stm_index_put
#define stm_index_list crumb__stm_index_list
#define stm_device_list crumb__stm_device_list
#define stm_device_find_fp crumb__stm_device_find_fp
#define stm_set_trust crumb__stm_set_trust
#define stm_user_sweep crumb__stm_user_sweep
#define stm_device_select crumb__stm_device_select
#define stm_set_error crumb__stm_set_error
#define stm_last_error crumb__stm_last_error

#define STM_DEFAULT_THROTTLE 60
#define STM_DEFAULT_MAX_DEVICES 64u
#define STM_DEFAULT_MAX_INDEX 256u
#define STM_HARD_MAX_DEVICES 1024u /* format limit: configs above are refused */
#define STM_HARD_MAX_INDEX 4096u
#define STM_HARD_MAX_DREV 4096u
#define STM_DAY 86400

/* A device revocation. */
typedef struct stm_drev {
    crumb_store_id id;
    int64_t until;
} stm_drev;

/* A stored device plus when it was last written (for the throttle). */
typedef struct stm_dev {
    crumb_store_device d;
    int64_t written_at;
} stm_dev;

/* Everything kept per (tenant, user). Arrays are owned (crumb__ allocator);
 * dev and idx are kept sorted by last_seen, newest first. */
typedef struct stm_user {
    int64_t not_before;    /* sessions issued before are revoked... */
    int64_t nb_until;      /* ...while now < nb_until */
    int has_except;        /* ...except this one */
    crumb_store_key except;
    stm_drev *drev;
    size_t ndrev, capdrev;
    stm_dev *dev;
    size_t ndev, capdev;
    crumb_store_session_info *idx;
    size_t nidx, capidx;
} stm_user;

/* Limits applied by the model operations. */
typedef struct stm_limits {
    int64_t throttle;
    size_t max_devices;
    size_t max_index;
} stm_limits;

static const uint8_t stm_zero_id[CRUMB_STORE_IDBYTES];

/* Little-endian 64-bit put/get, the byte order of every stored integer
 * (file records, Redis blobs). */
static inline void stm_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t stm_get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* 1 if s is NULL or a string of at most CRUMB_STORE_NAME_MAX bytes. */
int stm_name_ok(const char *s);

/* 1 if tenant/user are valid for a user-scoped call (user required). */
int stm_user_args_ok(const char *tenant, const char *user);

/* 1 if t lies at least span (>= 0) seconds before now. Stored times come
 * from records a store reads back (any int64), so no signed subtraction. */
int stm_aged(int64_t t, int64_t now, int64_t span);

/* Copy a NUL-terminated string into a fixed field, truncating to cap-1. */
void stm_strcpy(char *dst, size_t cap, const char *src);

/* 1 if more than window (>= 0) seconds passed from t to now (strictly
 * after the window; a t in the future never counts as idle). */
int stm_idle_past(int64_t t, int64_t now, int64_t window);

/* Fill retention defaults into r from ret (NULL or 0 fields = default). */
void stm_retention(crumb_store_retention *r, const crumb_store_retention *ret);

/* Grow *arr (element size sz) so it holds at least need elements. */
crumb_err stm_reserve(void **arr, size_t *cap, size_t need, size_t sz);

/* Release the arrays of u and zero it. */
void stm_user_free(stm_user *u);

/* 1 if u holds nothing live at now (so it may be deleted). */
int stm_user_empty(const stm_user *u, int64_t now);

/* Index of the device with id in u, or -1. */
long stm_dev_find(const stm_user *u, const crumb_store_id *id);

/* Move dev[i] to keep the array sorted by last_seen descending. */
void stm_dev_resort(stm_user *u, size_t i);

/* The user rule of check(): 1 if a token issued at issued_at for session
 * key (may be NULL) is revoked by the user's not-before at now. */
int stm_user_revoked(const stm_user *u, const crumb_store_key *key,
                     int64_t issued_at, int64_t now);

/* The device rule of check(): 1 if device is revoked at now. */
int stm_device_revoked(const stm_user *u, const crumb_store_id *device, int64_t now);

/* revoke_user on the model. */
void stm_revoke_user(stm_user *u, int64_t before, const crumb_store_key *except,
                     int64_t until);

/* revoke_device on the model: add/extend the revocation and mark the
 * device record (if any) REVOKED. */
crumb_err stm_revoke_device(stm_user *u, const crumb_store_id *device,
                            int64_t until, int64_t now);

/* device_seen on the model; *dirty = 1 if u changed. */
crumb_err stm_device_seen(stm_user *u, const crumb_store_sighting *s, int64_t now,
                          const stm_limits *lim, int *dirty);

/* Remove device i (keeps order). */
void stm_dev_remove(stm_user *u, size_t i);

/* Index of the index entry for session key, or -1. */
long stm_idx_find(const stm_user *u, const crumb_store_key *key);

/* Remove index entry i (keeps order). */
void stm_idx_remove(stm_user *u, size_t i);

/* Remove the device with that id / the index entry of that session:
 * CRUMB_OK, or CRUMB_E_NOTFOUND. */
crumb_err stm_dev_delete(stm_user *u, const crumb_store_id *id);

crumb_err stm_idx_delete(stm_user *u, const crumb_store_key *key);

/* index_put on the model. */
crumb_err stm_index_put(stm_user *u, const crumb_store_session_info *info,
                        const stm_limits *lim);

/* index_list on the model. */
void stm_index_list(const stm_user *u, crumb_store_session_info *out, size_t cap,
                    size_t *n, int64_t now);

/* device_list on the model. */
void stm_device_list(const stm_user *u, crumb_store_device *out, size_t cap,
                     size_t *n);

/* device_select on the model: the devices passing f, newest first. */
void stm_device_select(const stm_user *u, const crumb_store_device_filter *f,
                       crumb_store_device *out, size_t cap, size_t *n);

/* Record this thread's last store error: what (a fixed string) and an
 * optional detail (a fixed string or a reply word; never ids, keys, paths,
 * URLs or data). last_error slot: copy it into buf, return its length. */
void stm_set_error(const char *what, const char *detail);
size_t stm_last_error(crumb_store *s, char *buf, size_t cap);

/* device_find on the model: newest device with this fingerprint, or -1. */
long stm_device_find_fp(const stm_user *u, const uint8_t fp[CRUMB_STORE_FPBYTES]);

/* device_set_trust on the model. */
crumb_err stm_set_trust(stm_user *u, const crumb_store_id *device, int trust,
                        int64_t now);

/* The retention ladder for one device (crumb_store_retention in
 * crumb_store.h is the rule): 0 = unchanged, 1 = demoted, 2 = purge it
 * (counts updated). The one copy every store uses. */
int stm_dev_ladder(crumb_store_device *d, int64_t now, const crumb_store_retention *r,
                   crumb_store_sweep_counts *c);

/* Sweep one user: expired index entries and revocations, device ladder.
 * Returns 1 if u changed. */
int stm_user_sweep(stm_user *u, int64_t now, const crumb_store_retention *r,
                   crumb_store_sweep_counts *c);

#endif /* CRUMB_STORE_MODEL_H */
