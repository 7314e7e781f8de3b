/*
 * file.c - the file store for CGI (one process per request): the vtable and
 * the semantics of each method over one file per record (docs/STORE.md).
 * Byte format: file_record.c; durable I/O: file_io.c; locks: file_lock.c;
 * open and identity: file_open.c; sweep, stats, verify: file_sweep.c.
 */
#include "file_store.h"

#include <string.h>

/* Take record h's stripe lock for a write, if the store's identity record
 * is still in place: a handle whose identity was removed underneath (the
 * store emptied, or made anew in the directory by another opener, maybe
 * of other names) writes nothing until a repair, as its checks refuse;
 * else a revocation reported done could land where the store never looks.
 * An fd for crumb__fs_unlock, or a negative crumb_err as crumb__fs_lock. */
static int lock_live(file_store *fs, const uint8_t h[32])
{
    crumb_err rc = crumb__fs_alive(fs);
    return rc != CRUMB_OK ? -(int)rc : crumb__fs_lock(fs, h);
}

/* ==== User records ====================================================== */

/* see file_store.h */
crumb_err crumb__fs_user_load(file_store *fs, const uint8_t h[32], stm_user *u)
{
    uint8_t sb[FS_STACKBUF], *owned;
    const uint8_t *body;
    size_t blen;
    memset(u, 0, sizeof *u);
    crumb_err rc = crumb__fs_rec_read(fs, T_USER, h, sb, sizeof sb, &owned, &body, &blen);
    if (rc == CRUMB_E_NOTFOUND)
        return CRUMB_OK;
    if (rc != CRUMB_OK)
        return rc;
    rc = crumb__fs_user_decode(u, body, blen);
    if (rc == CRUMB_E_CORRUPT)
        atomic_fetch_add(&fs->corrupt, 1);
    crumb__free(owned);
    return rc;
}

/* see file_store.h */
crumb_err crumb__fs_user_save(file_store *fs, const uint8_t h[32], const stm_user *u,
                              int64_t now)
{
    if (stm_user_empty(u, now)) {
        crumb_err rc = crumb__fs_rec_unlink(fs, T_USER, h);
        return rc == CRUMB_E_NOTFOUND ? CRUMB_OK : rc;
    }
    uint8_t *b;
    size_t n;
    crumb_err rc = crumb__fs_user_encode(u, &b, &n);
    if (rc != CRUMB_OK)
        return rc;
    rc = crumb__fs_rec_write(fs, T_USER, h, b, n);
    crumb__free(b);
    return rc;
}

/* The operations applied to a user record under its lock. */
typedef enum { U_REVOKE_DEV, U_REVOKE_USER, U_SEEN, U_TRUST, U_DEVDEL, U_IDXPUT, U_IDXDEL } uop;

typedef struct uargs {
    const crumb_store_id *device;
    int64_t until, before, now;
    const crumb_store_key *key;
    const crumb_store_sighting *sighting;
    int trust;
    const crumb_store_session_info *info;
    int written;
} uargs;

/* Apply op to u; *dirty = whether u must be saved. */
static crumb_err user_apply(file_store *fs, stm_user *u, uop op, const uargs *a, int *dirty)
{
    *dirty = 1;
    switch (op) {
    case U_REVOKE_DEV: return stm_revoke_device(u, a->device, a->until, a->now);
    case U_REVOKE_USER: stm_revoke_user(u, a->before, a->key, a->until); return CRUMB_OK;
    case U_SEEN: return stm_device_seen(u, a->sighting, a->now, &fs->lim, dirty);
    case U_TRUST: return stm_set_trust(u, a->device, a->trust, a->now);
    case U_DEVDEL: return stm_dev_delete(u, a->device);
    case U_IDXPUT: return stm_index_put(u, a->info, &fs->lim);
    case U_IDXDEL: return stm_idx_delete(u, a->key);
    }
    return CRUMB_E_INTERNAL;
}

/* Lock, load, modify and (if changed) save the user record. */
static crumb_err user_modify(file_store *fs, const char *tenant, const char *user, uop op,
                             uargs *a)
{
    if (!stm_user_args_ok(tenant, user))
        return CRUMB_E_INVALID;
    uint8_t h[32];
    crumb_err rc = crumb__fs_user_hash(fs, h, tenant ? tenant : "", user);
    if (rc != CRUMB_OK)
        return rc;
    int lk = lock_live(fs, h);
    if (lk < 0)
        return (crumb_err)-lk;
    stm_user u;
    rc = crumb__fs_user_load(fs, h, &u);
    if (rc == CRUMB_E_CORRUPT && op == U_REVOKE_USER && a->before >= a->now) {
        /* the operator's way out of a damaged user record (every check
         * for this user fails closed on it): logging the user out of all
         * sessions issued until now covers every session the record could
         * have refused; its devices, device revocations and index (all
         * unreadable) are lost: docs/STORE.md */
        memset(&u, 0, sizeof u);
        rc = CRUMB_OK;
    }
    int dirty = 0;
    if (rc == CRUMB_OK)
        rc = user_apply(fs, &u, op, a, &dirty);
    if (rc == CRUMB_OK && dirty)
        rc = crumb__fs_user_save(fs, h, &u, a->now);
    a->written = rc == CRUMB_OK && dirty;
    stm_user_free(&u);
    crumb__fs_unlock(fs, h, lk);
    return rc;
}

/* Read the user record (no lock: records are replaced atomically). */
static crumb_err user_read(file_store *fs, const char *tenant, const char *user, stm_user *u)
{
    if (!stm_user_args_ok(tenant, user))
        return CRUMB_E_INVALID;
    uint8_t h[32];
    crumb_err rc = crumb__fs_user_hash(fs, h, tenant ? tenant : "", user);
    return rc == CRUMB_OK ? crumb__fs_user_load(fs, h, u) : rc;
}

/* ==== Session records =================================================== */

/* Read the session record h: version, expiry; data copied to buf (cap) when
 * buf is not NULL (*len = its length either way). */
static crumb_err sess_read(file_store *fs, const uint8_t h[32], uint64_t *ver, int64_t *exp,
                           uint8_t *buf, size_t cap, size_t *len)
{
    uint8_t sb[FS_STACKBUF], *owned;
    const uint8_t *body;
    size_t blen;
    crumb_err rc = crumb__fs_rec_read(fs, T_SESSION, h, sb, sizeof sb, &owned, &body, &blen);
    if (rc != CRUMB_OK)
        return rc;
    rc = crumb__fs_sess_decode(body, blen, ver, exp);
    if (rc == CRUMB_OK) {
        *len = blen - 16;
        if (buf != NULL && blen - 16 <= cap && blen > 16)
            memcpy(buf, body + 16, blen - 16);
    }
    crumb_wipe(owned ? owned : sb, owned ? blen + CRUMB__FS_HDR : sizeof sb);
    crumb__free(owned);
    return rc;
}

/* Write the session record h. */
static crumb_err sess_write(file_store *fs, const uint8_t h[32], uint64_t ver, int64_t exp,
                            const uint8_t *data, size_t len)
{
    uint8_t *nb;
    crumb_err rc = crumb__fs_sess_encode(&nb, ver, exp, data, len);
    if (rc != CRUMB_OK)
        return rc;
    rc = crumb__fs_rec_write(fs, T_SESSION, h, nb, 16 + len);
    crumb_wipe(nb, 16 + len);
    crumb__free(nb);
    return rc;
}

/* The put() rule: may a write expecting `expected` replace a record of
 * version ver (present = live)? CRUMB_OK, CRUMB_E_CONFLICT, CRUMB_E_NOTFOUND. */
static crumb_err put_rule(uint64_t expected, int present, uint64_t ver)
{
    if (expected == CRUMB_STORE_VERSION_ANY)
        return CRUMB_OK;
    if (expected == CRUMB_STORE_VERSION_NEW)
        return present ? CRUMB_E_CONFLICT : CRUMB_OK;
    if (!present)
        return CRUMB_E_NOTFOUND;
    return ver == expected ? CRUMB_OK : CRUMB_E_CONFLICT;
}

/* see crumb_store.h (put slot) */
static crumb_err fs_put(crumb_store *s, const crumb_store_key *key, const uint8_t *data,
                        size_t len, int64_t expires_at, uint64_t expected, uint64_t *new_version,
                        int64_t now)
{
    file_store *fs = (file_store *)s;
    if (key == NULL || (data == NULL && len > 0) || expires_at <= now)
        return CRUMB_E_INVALID;
    if (len > CRUMB_STORE_DATA_MAX)
        return CRUMB_E_TOO_LARGE;
    uint8_t h[32];
    crumb__fs_hash(fs, h, T_SESSION, key->b, sizeof key->b);
    int lk = lock_live(fs, h);
    if (lk < 0)
        return (crumb_err)-lk;
    uint64_t ver = 0;
    int64_t exp = 0;
    size_t old_len;
    crumb_err rc = sess_read(fs, h, &ver, &exp, NULL, 0, &old_len);
    int present = rc == CRUMB_OK && exp > now;
    if (rc == CRUMB_E_NOTFOUND || (rc == CRUMB_E_CORRUPT && expected == CRUMB_STORE_VERSION_ANY))
        rc = CRUMB_OK; /* an unconditional write replaces a damaged record */
    if (rc == CRUMB_OK)
        rc = put_rule(expected, present, ver);
    if (rc == CRUMB_OK) {
        ver = ver + 1 ? ver + 1 : 1;
        rc = sess_write(fs, h, ver, expires_at, data, len);
        if (rc == CRUMB_OK && new_version)
            *new_version = ver;
    }
    crumb__fs_unlock(fs, h, lk);
    return rc;
}

/* see crumb_store.h (get slot) */
static crumb_err fs_get(crumb_store *s, const crumb_store_key *key, uint8_t *buf, size_t cap,
                        size_t *len, uint64_t *version, int64_t *expires_at, int64_t now)
{
    file_store *fs = (file_store *)s;
    if (key == NULL || len == NULL || (buf == NULL && cap > 0))
        return CRUMB_E_INVALID;
    uint8_t h[32];
    uint64_t ver;
    int64_t exp;
    size_t n;
    crumb__fs_hash(fs, h, T_SESSION, key->b, sizeof key->b);
    crumb_err rc = sess_read(fs, h, &ver, &exp, buf, cap, &n);
    if (rc == CRUMB_OK && exp <= now)
        rc = CRUMB_E_NOTFOUND;
    if (rc != CRUMB_OK)
        return rc;
    *len = n;
    if (version)
        *version = ver;
    if (expires_at)
        *expires_at = exp;
    return n > cap ? CRUMB_E_BUFSIZE : CRUMB_OK;
}

/* see crumb_store.h (touch slot) */
static crumb_err fs_touch(crumb_store *s, const crumb_store_key *key, int64_t expires_at,
                          int64_t now)
{
    file_store *fs = (file_store *)s;
    if (key == NULL || expires_at <= now)
        return CRUMB_E_INVALID;
    uint8_t h[32], sb[FS_STACKBUF], *owned = NULL;
    crumb__fs_hash(fs, h, T_SESSION, key->b, sizeof key->b);
    int lk = lock_live(fs, h);
    if (lk < 0)
        return (crumb_err)-lk;
    const uint8_t *body;
    size_t blen;
    uint64_t ver;
    int64_t exp;
    crumb_err rc = crumb__fs_rec_read(fs, T_SESSION, h, sb, sizeof sb, &owned, &body, &blen);
    if (rc == CRUMB_OK)
        rc = crumb__fs_sess_decode(body, blen, &ver, &exp);
    if (rc == CRUMB_OK && exp <= now)
        rc = CRUMB_E_NOTFOUND;
    if (rc == CRUMB_OK)
        rc = sess_write(fs, h, ver, expires_at, body + 16, blen - 16);
    if (owned != NULL)
        crumb_wipe(owned, blen + CRUMB__FS_HDR);
    else
        crumb_wipe(sb, sizeof sb);
    crumb__free(owned);
    crumb__fs_unlock(fs, h, lk);
    return rc;
}

/* see crumb_store.h (del slot) */
static crumb_err fs_del(crumb_store *s, const crumb_store_key *key)
{
    file_store *fs = (file_store *)s;
    if (key == NULL)
        return CRUMB_E_INVALID;
    uint8_t h[32];
    crumb__fs_hash(fs, h, T_SESSION, key->b, sizeof key->b);
    int lk = lock_live(fs, h);
    if (lk < 0)
        return (crumb_err)-lk;
    crumb_err rc = crumb__fs_rec_unlink(fs, T_SESSION, h);
    crumb__fs_unlock(fs, h, lk);
    return rc;
}

/* ==== Revocation, families ============================================== */

/* see crumb_store.h (revoke_session slot) */
static crumb_err fs_revoke_session(crumb_store *s, const crumb_store_key *key, int64_t until,
                                   int64_t now)
{
    file_store *fs = (file_store *)s;
    if (key == NULL || until <= now)
        return CRUMB_E_INVALID;
    uint8_t h[32], b[8];
    crumb__fs_hash(fs, h, T_REVOKE, key->b, sizeof key->b);
    int lk = lock_live(fs, h);
    if (lk < 0)
        return (crumb_err)-lk;
    crumb_err rc = crumb__fs_small_read(fs, T_REVOKE, h, b, 8);
    if ((rc == CRUMB_OK && (int64_t)stm_get64(b) >= until) ||
        (rc != CRUMB_OK && rc != CRUMB_E_NOTFOUND && rc != CRUMB_E_CORRUPT)) {
        crumb__fs_unlock(fs, h, lk); /* already revoked long enough, or unreadable now (IO) */
        return rc;
    }
    stm_put64(b, (uint64_t)until); /* also replaces a damaged record: revoking is always safe */
    rc = crumb__fs_rec_write(fs, T_REVOKE, h, b, 8);
    crumb__fs_unlock(fs, h, lk);
    return rc;
}

/* see file_store.h */
crumb_err crumb__fs_fam_read(file_store *fs, const uint8_t h[32], crumb__fs_record *f)
{
    uint8_t b[32];
    memset(f, 0, sizeof *f);
    crumb_err rc = crumb__fs_small_read(fs, T_FAMILY, h, b, 32);
    if (rc == CRUMB_E_NOTFOUND)
        return CRUMB_OK;
    if (rc == CRUMB_OK)
        crumb__fs_fam_decode(f, b);
    return rc;
}

/* see file_store.h */
crumb_err crumb__fs_fam_write(file_store *fs, const uint8_t h[32], const crumb__fs_record *f)
{
    uint8_t b[32];
    crumb__fs_fam_encode(b, f);
    return crumb__fs_rec_write(fs, T_FAMILY, h, b, 32);
}

/* see crumb_store.h (revoke_family slot) */
static crumb_err fs_revoke_family(crumb_store *s, const crumb_store_id *family, int64_t until,
                                  int64_t now)
{
    file_store *fs = (file_store *)s;
    if (family == NULL || until <= now)
        return CRUMB_E_INVALID;
    uint8_t h[32];
    crumb__fs_hash(fs, h, T_FAMILY, family->b, sizeof family->b);
    int lk = lock_live(fs, h);
    if (lk < 0)
        return (crumb_err)-lk;
    crumb__fs_record f;
    crumb_err rc = crumb__fs_fam_read(fs, h, &f);
    if (rc == CRUMB_E_CORRUPT) { /* revoking must still work: start from scratch */
        memset(&f, 0, sizeof f);
        rc = CRUMB_OK;
    }
    if (rc == CRUMB_OK) {
        if (until > f.revoked_until)
            f.revoked_until = until;
        if (until > f.until)
            f.until = until;
        rc = crumb__fs_fam_write(fs, h, &f);
    }
    crumb__fs_unlock(fs, h, lk);
    return rc;
}

/* see crumb_store.h (family_get slot) */
static crumb_err fs_family_get(crumb_store *s, const crumb_store_id *family, uint64_t *gen,
                               int64_t *advanced_at, int64_t now)
{
    file_store *fs = (file_store *)s;
    if (family == NULL || gen == NULL)
        return CRUMB_E_INVALID;
    uint8_t h[32];
    crumb__fs_record f;
    crumb__fs_hash(fs, h, T_FAMILY, family->b, sizeof family->b);
    crumb_err rc = crumb__fs_fam_read(fs, h, &f);
    if (rc != CRUMB_OK)
        return rc;
    int live = f.until > now;
    *gen = live ? f.version : 0;
    if (advanced_at)
        *advanced_at = live ? f.advanced_at : 0;
    return CRUMB_OK;
}

/* see crumb_store.h (family_advance slot) */
static crumb_err fs_family_advance(crumb_store *s, const crumb_store_id *family, uint64_t expected,
                                   uint64_t new_gen, int64_t until, int64_t now, uint64_t *current)
{
    file_store *fs = (file_store *)s;
    if (family == NULL || new_gen <= expected || until <= now)
        return CRUMB_E_INVALID;
    uint8_t h[32];
    crumb__fs_hash(fs, h, T_FAMILY, family->b, sizeof family->b);
    int lk = lock_live(fs, h);
    if (lk < 0)
        return (crumb_err)-lk;
    crumb__fs_record f;
    crumb_err rc = crumb__fs_fam_read(fs, h, &f);
    if (rc == CRUMB_OK) {
        if (f.until <= now)
            f.version = 0, f.advanced_at = 0;
        if (f.revoked_until > now)
            rc = CRUMB_E_REVOKED;
        else if (f.version != expected)
            rc = CRUMB_E_CONFLICT;
        if (current)
            *current = f.version;
    }
    if (rc == CRUMB_OK) {
        f.version = new_gen;
        f.advanced_at = now;
        if (until > f.until)
            f.until = until;
        rc = crumb__fs_fam_write(fs, h, &f);
        if (rc == CRUMB_OK && current)
            *current = new_gen;
    }
    crumb__fs_unlock(fs, h, lk);
    return rc;
}

/* see crumb_store.h (revoke_device slot) */
static crumb_err fs_revoke_device(crumb_store *s, const char *tenant, const char *user,
                                  const crumb_store_id *device, int64_t until, int64_t now)
{
    if (device == NULL || until <= now)
        return CRUMB_E_INVALID;
    uargs a = {.device = device, .until = until, .now = now};
    return user_modify((file_store *)s, tenant, user, U_REVOKE_DEV, &a);
}

/* see crumb_store.h (revoke_user slot) */
static crumb_err fs_revoke_user(crumb_store *s, const char *tenant, const char *user,
                                int64_t before, const crumb_store_key *except, int64_t until,
                                int64_t now)
{
    if (until <= now)
        return CRUMB_E_INVALID;
    uargs a = {.before = before, .key = except, .until = until, .now = now};
    return user_modify((file_store *)s, tenant, user, U_REVOKE_USER, &a);
}

/* see crumb_store.h (revoke_all slot). A damaged global record is replaced
 * (revoking is always safe) when `before` is not older than now: every token
 * the damaged value could have refused was issued before now. */
static crumb_err fs_revoke_all(crumb_store *s, int64_t before, int64_t now)
{
    file_store *fs = (file_store *)s;
    uint8_t b[8];
    const uint8_t *h = fs->global_h;
    int lk = lock_live(fs, h);
    if (lk < 0)
        return (crumb_err)-lk;
    crumb_err rc = crumb__fs_small_read(fs, T_GLOBAL, h, b, 8);
    if (rc == CRUMB_OK && (int64_t)stm_get64(b) >= before) {
        crumb__fs_unlock(fs, h, lk);
        return CRUMB_OK;
    }
    if (rc == CRUMB_E_CORRUPT && before >= now)
        rc = CRUMB_OK;
    if (rc == CRUMB_OK || rc == CRUMB_E_NOTFOUND) {
        stm_put64(b, (uint64_t)before);
        rc = crumb__fs_rec_write(fs, T_GLOBAL, h, b, 8);
    }
    crumb__fs_unlock(fs, h, lk);
    return rc;
}

/* ==== The per-request check ============================================ */

/* The global, session and family rules of q into *rule and res. */
static crumb_err check_records(file_store *fs, const crumb_store_check_req *q,
                               crumb_store_check_res *res, int *rule)
{
    uint8_t h[32], b[8];
    crumb_err rc = crumb__fs_small_read(fs, T_GLOBAL, fs->global_h, b, 8);
    if (rc == CRUMB_OK && q->issued_at < (int64_t)stm_get64(b)) {
        *rule = CRUMB_STORE_RULE_GLOBAL;
        res->revoked_at = (int64_t)stm_get64(b); /* the not-before */
    }
    if (rc == CRUMB_E_NOTFOUND)
        rc = CRUMB_OK;
    if (rc == CRUMB_OK && q->session) {
        crumb__fs_hash(fs, h, T_REVOKE, q->session->b, sizeof q->session->b);
        rc = crumb__fs_small_read(fs, T_REVOKE, h, b, 8);
        if (rc == CRUMB_OK && *rule == CRUMB_STORE_RULE_NONE && (int64_t)stm_get64(b) > q->now)
            *rule = CRUMB_STORE_RULE_SESSION;
        if (rc == CRUMB_E_NOTFOUND)
            rc = CRUMB_OK;
    }
    if (rc == CRUMB_OK && q->family) {
        crumb__fs_record f;
        crumb__fs_hash(fs, h, T_FAMILY, q->family->b, sizeof q->family->b);
        rc = crumb__fs_fam_read(fs, h, &f);
        if (rc == CRUMB_OK && f.until > q->now) {
            res->family_gen = f.version;
            res->family_advanced_at = f.advanced_at;
            if (*rule == CRUMB_STORE_RULE_NONE && f.revoked_until > q->now)
                *rule = CRUMB_STORE_RULE_FAMILY;
        }
    }
    return rc;
}

/* see crumb_store.h (check slot). A store whose identity record is gone
 * (emptied or replaced underneath) fails closed. */
static crumb_err fs_check(crumb_store *s, const crumb_store_check_req *q,
                          crumb_store_check_res *res)
{
    file_store *fs = (file_store *)s;
    const char *tenant = q->tenant ? q->tenant : "";
    if ((q->user && !stm_user_args_ok(tenant, q->user)) || (q->device && !q->user))
        return CRUMB_E_INVALID;
    atomic_fetch_add_explicit(&fs->checks, 1, memory_order_relaxed);
    int rule = CRUMB_STORE_RULE_NONE;
    crumb_err rc = crumb__fs_alive(fs);
    if (rc == CRUMB_OK)
        rc = check_records(fs, q, res, &rule);
    if (rc == CRUMB_OK && q->user && rule == CRUMB_STORE_RULE_NONE) {
        stm_user u;
        rc = user_read(fs, tenant, q->user, &u);
        if (rc == CRUMB_OK) {
            if (stm_user_revoked(&u, q->session, q->issued_at, q->now)) {
                rule = CRUMB_STORE_RULE_USER;
                res->revoked_at = u.not_before;
            }
            else if (q->device && stm_device_revoked(&u, q->device, q->now))
                rule = CRUMB_STORE_RULE_DEVICE;
            stm_user_free(&u);
        }
    }
    if (rc != CRUMB_OK)
        return rc; /* could not check: the caller fails closed */
    res->rule = rule;
    return rule == CRUMB_STORE_RULE_NONE ? CRUMB_OK : CRUMB_E_REVOKED;
}

/* ==== Devices and index ================================================ */

/* see crumb_store.h (device_seen slot) */
static crumb_err fs_device_seen(crumb_store *s, const char *tenant, const char *user,
                                const crumb_store_sighting *sg, int64_t now, int *written)
{
    if (written)
        *written = 0;
    if (sg == NULL || !stm_name_ok(sg->label) || !stm_name_ok(sg->ip_prefix))
        return CRUMB_E_INVALID;
    uargs a = {.sighting = sg, .now = now};
    crumb_err rc = user_modify((file_store *)s, tenant, user, U_SEEN, &a);
    if (written)
        *written = a.written;
    return rc;
}

/* see crumb_store.h (device_list slot) */
static crumb_err fs_device_list(crumb_store *s, const char *tenant, const char *user,
                                crumb_store_device *out, size_t cap, size_t *n)
{
    if (n == NULL || (out == NULL && cap > 0))
        return CRUMB_E_INVALID;
    stm_user u;
    crumb_err rc = user_read((file_store *)s, tenant, user, &u);
    if (rc != CRUMB_OK)
        return rc;
    stm_device_list(&u, out, cap, n);
    stm_user_free(&u);
    return CRUMB_OK;
}

/* see crumb_store.h (device_select slot) */
static crumb_err fs_device_select(crumb_store *s, const char *tenant, const char *user,
                                  const crumb_store_device_filter *f, crumb_store_device *out,
                                  size_t cap, size_t *n)
{
    if (f == NULL || n == NULL || (out == NULL && cap > 0))
        return CRUMB_E_INVALID;
    stm_user u;
    crumb_err rc = user_read((file_store *)s, tenant, user, &u);
    if (rc != CRUMB_OK)
        return rc;
    stm_device_select(&u, f, out, cap, n);
    stm_user_free(&u);
    return CRUMB_OK;
}

/* see crumb_store.h (device_find slot) */
static crumb_err fs_device_find(crumb_store *s, const char *tenant, const char *user,
                                const uint8_t fp[CRUMB_STORE_FPBYTES], crumb_store_device *out)
{
    if (fp == NULL || out == NULL)
        return CRUMB_E_INVALID;
    stm_user u;
    crumb_err rc = user_read((file_store *)s, tenant, user, &u);
    if (rc != CRUMB_OK)
        return rc;
    long i = stm_device_find_fp(&u, fp);
    if (i >= 0)
        *out = u.dev[i].d;
    stm_user_free(&u);
    return i >= 0 ? CRUMB_OK : CRUMB_E_NOTFOUND;
}

/* see crumb_store.h (device_set_trust slot) */
static crumb_err fs_device_set_trust(crumb_store *s, const char *tenant, const char *user,
                                     const crumb_store_id *device, int trust, int64_t now)
{
    if (device == NULL || trust < CRUMB_TRUST_UNKNOWN || trust > CRUMB_TRUST_REVOKED)
        return CRUMB_E_INVALID;
    uargs a = {.device = device, .trust = trust, .now = now};
    return user_modify((file_store *)s, tenant, user, U_TRUST, &a);
}

/* see crumb_store.h (device_delete slot) */
static crumb_err fs_device_delete(crumb_store *s, const char *tenant, const char *user,
                                  const crumb_store_id *device)
{
    if (device == NULL)
        return CRUMB_E_INVALID;
    uargs a = {.device = device, .now = INT64_MIN};
    return user_modify((file_store *)s, tenant, user, U_DEVDEL, &a);
}

/* see crumb_store.h (index_put slot) */
static crumb_err fs_index_put(crumb_store *s, const char *tenant, const char *user,
                              const crumb_store_session_info *info, int64_t now)
{
    if (info == NULL || info->expires_at <= now)
        return CRUMB_E_INVALID;
    uargs a = {.info = info, .now = now};
    return user_modify((file_store *)s, tenant, user, U_IDXPUT, &a);
}

/* see crumb_store.h (index_list slot) */
static crumb_err fs_index_list(crumb_store *s, const char *tenant, const char *user,
                               crumb_store_session_info *out, size_t cap, size_t *n, int64_t now)
{
    if (n == NULL || (out == NULL && cap > 0))
        return CRUMB_E_INVALID;
    stm_user u;
    crumb_err rc = user_read((file_store *)s, tenant, user, &u);
    if (rc != CRUMB_OK)
        return rc;
    stm_index_list(&u, out, cap, n, now);
    stm_user_free(&u);
    return CRUMB_OK;
}

/* see crumb_store.h (index_del slot) */
static crumb_err fs_index_del(crumb_store *s, const char *tenant, const char *user,
                              const crumb_store_key *session)
{
    if (session == NULL)
        return CRUMB_E_INVALID;
    uargs a = {.key = session, .now = INT64_MIN};
    return user_modify((file_store *)s, tenant, user, U_IDXDEL, &a);
}

/* ==== The table ========================================================= */

static const crumb_store_methods file_methods = {
    .version = CRUMB_STORE_METHODS_VERSION,
    .name = "file",
    .close = crumb__fs_close,
    .health = crumb__fs_health,
    .stats = crumb__fs_stats,
    .put = fs_put,
    .get = fs_get,
    .touch = fs_touch,
    .del = fs_del,
    .revoke_session = fs_revoke_session,
    .revoke_family = fs_revoke_family,
    .revoke_device = fs_revoke_device,
    .revoke_user = fs_revoke_user,
    .revoke_all = fs_revoke_all,
    .check = fs_check,
    .family_get = fs_family_get,
    .family_advance = fs_family_advance,
    .device_seen = fs_device_seen,
    .device_list = fs_device_list,
    .device_find = fs_device_find,
    .device_set_trust = fs_device_set_trust,
    .device_delete = fs_device_delete,
    .index_put = fs_index_put,
    .index_list = fs_index_list,
    .index_del = fs_index_del,
    .sweep = crumb__fs_sweep,
    .verify = crumb__fs_verify,
    .device_select = fs_device_select,
    .last_error = stm_last_error,
};

/* see file_store.h */
const crumb_store_methods *crumb__fs_methods(void)
{
    return &file_methods;
}
