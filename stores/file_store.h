/*
 * file_store.h - private to the file store's sources (file.c, file_io.c,
 * file_lock.c, file_open.c, file_sweep.c, file_hash.c): the instance, the
 * directory-relative record I/O, the time-bounded stripe locks and the keyed
 * path names. The byte format lives in file_internal.h / file_record.c.
 */
#ifndef CRUMB_STORE_FILE_STORE_H
#define CRUMB_STORE_FILE_STORE_H

#include "file_internal.h"

#include <stdatomic.h>

#define FS_STRIPES 64u       /* lock files per store */
#define FS_STACKBUF 4096u    /* records up to this size are read onto the stack */
#define FS_RELPATH 72u       /* "s/ab/<64 hex>" + NUL, relative to the store fd */
#define FS_TMP_AGE 3600      /* sweep removes temp files older than this (s) */
#define FS_REPAIR_KEEP (3650LL * 86400) /* repaired revocations are kept 10 years */

enum {
    T_SESSION = CRUMB__FS_SESSION,
    T_REVOKE = CRUMB__FS_REVOKE,
    T_FAMILY = CRUMB__FS_FAMILY,
    T_USER = CRUMB__FS_USER,
    T_GLOBAL = CRUMB__FS_GLOBAL
};

/* HMAC-SHA-256 key prepared once (lib/hmac.c's crumb__hmac_pre). */
typedef struct crumb__fs_hkey {
    crumb__hmac_pre pre;
} crumb__fs_hkey;

/* How the store names its records: the identity record's version. */
#define FS_NAMES_HMAC 1u    /* HMAC-SHA-256(secret, type || id) */
#define FS_NAMES_SIPHASH 2u /* four SipHash-2-4 under keys derived from secret */

/* Secret material, kept in one crumb__secure_alloc block. */
typedef struct fs_secret {
    uint8_t secret[32];  /* keys the path names and the identity record */
    crumb__fs_hkey hk;   /* HMAC state of secret */
    uint8_t sip[64];     /* FS_NAMES_SIPHASH: the four SipHash keys (HKDF of secret) */
} fs_secret;

typedef struct file_store {
    crumb_store base;    /* first */
    fs_secret *sec;
    stm_limits lim;
    unsigned lock_timeout_ms;
    int no_fsync;
    int dfd;             /* the store directory, held open: every path is relative to it */
    int idfd;            /* the identity record, held open: its link count says "still here" */
    uint64_t gate_key;   /* the directory's (st_dev, st_ino): in-process lock gates */
    unsigned names;      /* FS_NAMES_*: how path names are made (set at open, never changed) */
    uint8_t global_h[32]; /* path hash of the global record (computed once) */
    atomic_uint_fast64_t checks;
    atomic_uint_fast64_t corrupt;
    atomic_uint_fast64_t tmp_seq;
} file_store;

/* ---- keyed path names (file_hash.c) ---- */

/* Prepare the HMAC-SHA-256 state of a 32-byte key. */
void crumb__fs_hkey_init(crumb__fs_hkey *k, const uint8_t key[32]);

/* HMAC-SHA-256 under k over p1 || p2 (p2 may be NULL); equal to
 * crumb__hmac_sha256(key, ...), at two SHA-256 blocks for short input. */
void crumb__fs_hmac(const crumb__fs_hkey *k, uint8_t out[32], const uint8_t *p1, size_t n1,
                    const uint8_t *p2, size_t n2);

/* Make the path-name keys of fs->names (after the identity record set it)
 * and the global record's name. CRUMB_E_INTERNAL if a key cannot be derived. */
crumb_err crumb__fs_names_init(file_store *fs);

/* Path hash of (type, a[0..na)) for key-, family- and global records. */
void crumb__fs_hash(const file_store *fs, uint8_t out[32], int type, const void *a, size_t na);

/* Path hash of a (tenant, user) record; CRUMB_E_INVALID on overlong names. */
crumb_err crumb__fs_user_hash(const file_store *fs, uint8_t out[32], const char *tenant,
                              const char *user);

/* "<t>/<hh>/<64 hex>" (or "global") of the record (type, h) into path. */
void crumb__fs_relpath(char path[FS_RELPATH], int type, const uint8_t h[32]);

/* ---- directory-relative record I/O (file_io.c) ---- */

/* errno after a failed write-side call -> CRUMB_E_NOSPC or CRUMB_E_IO. */
crumb_err crumb__fs_werr(int e);

/* Read up to n bytes (EINTR and short reads retried); count or -1. */
ssize_t crumb__fs_read_full(int fd, uint8_t *buf, size_t n);

/* Write all n bytes. CRUMB_OK, CRUMB_E_NOSPC, CRUMB_E_IO. */
crumb_err crumb__fs_write_full(int fd, const uint8_t *buf, size_t n);

/* Write the n bytes of img to the new file tmp (relative to the store;
 * O_EXCL, no links followed, mode 0600) and fsync it unless no_fsync. The
 * caller renames or links it into place and unlinks it on failure.
 * CRUMB_OK, CRUMB_E_NOSPC, CRUMB_E_IO. */
crumb_err crumb__fs_write_tmp(const file_store *fs, const char *tmp, const uint8_t *img, size_t n);

/* fsync the directory at rel (relative to the store; "." = the store).
 * CRUMB_OK (also with no_fsync), CRUMB_E_IO, CRUMB_E_NOSPC. */
crumb_err crumb__fs_sync_dir(const file_store *fs, const char *rel);

/* Read and verify the record (type, h) whole: *body points into *owned
 * (crumb__free it) or into stackbuf. CRUMB_E_NOTFOUND, CRUMB_E_CORRUPT,
 * CRUMB_E_VERSION, CRUMB_E_IO, CRUMB_E_NOMEM. */
crumb_err crumb__fs_rec_read(file_store *fs, int type, const uint8_t h[32], uint8_t *stackbuf,
                             size_t stackcap, uint8_t **owned, const uint8_t **body,
                             size_t *blen);

/* Fixed-size body (R, G: 8 bytes; F: 32) of the record (type, h) into out. */
crumb_err crumb__fs_small_read(file_store *fs, int type, const uint8_t h[32], uint8_t *out,
                               size_t n);

/* Write the record (type, h) atomically (temp file, fsync, rename, directory
 * fsync). The old record is untouched on failure. CRUMB_E_NOSPC, CRUMB_E_IO,
 * CRUMB_E_NOMEM. */
crumb_err crumb__fs_rec_write(file_store *fs, int type, const uint8_t h[32], const uint8_t *body,
                              size_t blen);

/* Remove the record (type, h) durably. CRUMB_E_NOTFOUND, CRUMB_E_IO. */
crumb_err crumb__fs_rec_unlink(file_store *fs, int type, const uint8_t h[32]);

/* A unique temp file name "tmp/<pid>.<seq>.<random>" into name (64 bytes). */
void crumb__fs_tmpname(file_store *fs, char name[64], const char *tag);

/* ---- stripe locks (file_lock.c) ---- */

/* Take the lock of the stripe of h, waiting at most lock_timeout_ms (measured
 * on CLOCK_MONOTONIC): an fd >= 0 to pass to crumb__fs_unlock, or
 * -CRUMB_E_TIMEOUT / -CRUMB_E_IO / -CRUMB_E_NOSPC. */
int crumb__fs_lock(file_store *fs, const uint8_t h[32]);

/* Release what crumb__fs_lock returned (negative values are ignored). */
void crumb__fs_unlock(file_store *fs, const uint8_t h[32], int fd);

/* ---- the store as a whole (file_open.c) ---- */

/* The file store's method table (file.c). */
const crumb_store_methods *crumb__fs_methods(void);

void crumb__fs_close(crumb_store *s);
crumb_err crumb__fs_health(crumb_store *s, int64_t now);

/* CRUMB_OK while the identity record opened with the store is still linked
 * into its directory; CRUMB_E_CORRUPT (store emptied or replaced) or
 * CRUMB_E_IO: the caller fails closed. */
crumb_err crumb__fs_alive(file_store *fs);

/* Write a new identity record for the store (repair of a store whose
 * identity is missing or damaged), of the version the store was opened
 * with: its records keep their names. */
crumb_err crumb__fs_identity_adopt(file_store *fs, int64_t now);

/* ---- user records, shared by file.c and file_sweep.c (file.c) ---- */

/* Load the user record h into u (empty if absent). */
crumb_err crumb__fs_user_load(file_store *fs, const uint8_t h[32], stm_user *u);

/* Store u as record h (or remove it if u is empty at now). */
crumb_err crumb__fs_user_save(file_store *fs, const uint8_t h[32], const stm_user *u,
                              int64_t now);

/* Read the family record h (zeroed if absent). */
crumb_err crumb__fs_fam_read(file_store *fs, const uint8_t h[32], crumb__fs_record *f);

/* Write the family record h from f (version = gen, until, advanced_at, revoked_until). */
crumb_err crumb__fs_fam_write(file_store *fs, const uint8_t h[32], const crumb__fs_record *f);

/* ---- maintenance (file_sweep.c) ---- */

crumb_err crumb__fs_sweep(crumb_store *s, int64_t now, const crumb_store_retention *ret,
                          crumb_store_sweep_counts *counts);
crumb_err crumb__fs_stats(crumb_store *s, crumb_store_stats *out);
crumb_err crumb__fs_verify(crumb_store *s, int repair, crumb_store_verify_report *out,
                           int64_t now);

#endif /* CRUMB_STORE_FILE_STORE_H */
