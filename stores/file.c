/*
 * file.c - the file store for CGI (one process per request): one file per
 * record under a 0700 directory, named by a keyed hash of the id, written
 * crash-safely (temp file, fsync, rename, directory fsync), versioned and
 * CRC-checked, with flock() stripes for cross-process read-modify-write.
 */
#include "file_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/* ==== Format constants (docs/STORE.md, "File store") ==================== */

#define FS_MAGIC "CRMR"
#define FS_FORMAT 1u
#define FS_HDR CRUMB__FS_HDR
#define FS_TRAILER CRUMB__FS_TRAILER
#define FS_STRIPES 64u
#define FS_TMP_AGE 3600     /* sweep removes temp files older than this (s) */
#define FS_SECRET_FILE_LEN 41u
#define FS_STACKBUF 4096u
#define FS_DEV_BYTES (16u + 32u + 1u + 32u + 2u + CRUMB_STORE_LABEL_MAX + CRUMB_STORE_IP_MAX)
#define FS_IDX_BYTES (32u + 16u + 16u + 24u + 1u + CRUMB_STORE_LABEL_MAX)
#define FS_USER_MAX                                                                  \
    (8u + 8u + 1u + 32u + 12u + STM_HARD_MAX_DREV * 24u + STM_HARD_MAX_DEVICES * FS_DEV_BYTES + \
     STM_HARD_MAX_INDEX * FS_IDX_BYTES)

enum {
    T_SESSION = CRUMB__FS_SESSION,
    T_REVOKE = CRUMB__FS_REVOKE,
    T_FAMILY = CRUMB__FS_FAMILY,
    T_USER = CRUMB__FS_USER,
    T_GLOBAL = CRUMB__FS_GLOBAL
};

typedef struct file_store {
    crumb_store base; /* first */
    uint8_t *secret;  /* 32 bytes, crumb__secure_alloc */
    stm_limits lim;
    unsigned lock_timeout_ms;
    int no_fsync;
    atomic_uint_fast64_t checks;
    atomic_uint_fast64_t corrupt;
    atomic_uint_fast64_t tmp_seq;
    size_t dlen;
    char dir[];
} file_store;

static const crumb_store_methods file_methods;

/* ==== Small helpers ===================================================== */

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* CRC-32 of n bytes (zlib). */
static uint32_t crc(const uint8_t *p, size_t n)
{
    return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n);
}

/* Map errno after a failed write-side call to an error code. */
static crumb_err werr(int e)
{
    return (e == ENOSPC || e == EDQUOT || e == EFBIG) ? CRUMB_E_NOSPC : CRUMB_E_IO;
}

/* Keyed path hash of (type, a, b). */
/* Read up to n bytes, retrying EINTR and short reads; stops at end of file.
 * Returns the count read, or -1 on a read error (errno set). */
static ssize_t read_full(int fd, uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* Write all n bytes, retrying EINTR and short writes.
 * CRUMB_OK, CRUMB_E_NOSPC, CRUMB_E_IO. */
static crumb_err write_full(int fd, const uint8_t *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, buf + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return werr(errno);
        if (w == 0)
            return CRUMB_E_NOSPC;
        done += (size_t)w;
    }
    return CRUMB_OK;
}

static crumb_err path_hash(const file_store *fs, uint8_t out[32], int type, const void *a,
                           size_t na, const void *b, size_t nb)
{
    uint8_t pre[1 + 32 + 1 + CRUMB_STORE_NAME_MAX];
    pre[0] = (uint8_t)type;
    if (na > 32 + 1 + CRUMB_STORE_NAME_MAX)
        return CRUMB_E_INVALID;
    memcpy(pre + 1, a, na);
    return crumb__hmac_sha256(out, fs->secret, 32, pre, 1 + na, b, nb) == 0 ? CRUMB_OK
                                                                           : CRUMB_E_INTERNAL;
}

/* Hash for a (tenant, user) pair. */
static crumb_err user_path_hash(const file_store *fs, uint8_t out[32], const char *tenant,
                                const char *user)
{
    uint8_t t[1 + CRUMB_STORE_NAME_MAX];
    size_t tl = strlen(tenant);
    t[0] = (uint8_t)tl; /* length prefix keeps (ab,c) and (a,bc) apart */
    memcpy(t + 1, tenant, tl);
    return path_hash(fs, out, T_USER, t, tl + 1, user, strlen(user));
}

/* Subdirectory name for a record type. */
static char type_dir(int type)
{
    switch (type) {
    case T_SESSION: return 's';
    case T_REVOKE: return 'r';
    case T_FAMILY: return 'f';
    default: return 'u';
    }
}

/* Build DIR/<t>/<hh>/<64 hex> (or DIR/global) into path (PATH_MAX). */
static void rec_path(const file_store *fs, char *path, int type, const uint8_t h[32])
{
    if (type == T_GLOBAL) {
        snprintf(path, PATH_MAX, "%s/global", fs->dir);
        return;
    }
    char name[65];
    crumb__hex(name, h, 32);
    snprintf(path, PATH_MAX, "%s/%c/%.2s/%s", fs->dir, type_dir(type), name, name);
}

/* fsync a directory by path. */
static crumb_err fsync_dir(const file_store *fs, const char *path)
{
    if (fs->no_fsync)
        return CRUMB_OK;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return CRUMB_E_IO;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    return rc == 0 ? CRUMB_OK : werr(e);
}

/* mkdir dir 0700 and make the new entry durable by fsyncing its parent.
 * If that fsync fails the directory is removed again, so a retry creates
 * (and fsyncs) it instead of finding it present but not durable.
 * CRUMB_OK (also when dir already exists), CRUMB_E_IO, CRUMB_E_NOSPC. */
static crumb_err mkdir_durable(const file_store *fs, const char *dir, const char *parent)
{
    if (mkdir(dir, 0700) != 0)
        return errno == EEXIST ? CRUMB_OK : werr(errno);
    crumb_err rc = fsync_dir(fs, parent);
    if (rc != CRUMB_OK)
        rmdir(dir);
    return rc;
}

/* Parent directory of path into out (PATH_MAX). */
static void parent_of(char *out, const char *path)
{
    snprintf(out, PATH_MAX, "%s", path);
    char *sl = strrchr(out, '/');
    if (sl)
        *sl = '\0';
}

/* ==== Locks ============================================================= */

/* Take the stripe lock for hash h; returns an fd (>= 0) or -(crumb_err). */
static int lock_take(file_store *fs, const uint8_t h[32])
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/lock/%02x", fs->dir, h[0] & (FS_STRIPES - 1));
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -(int)werr(errno);
    unsigned waited = 0;
    for (;;) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return fd;
        if (errno != EWOULDBLOCK && errno != EINTR) {
            close(fd);
            return -(int)CRUMB_E_IO;
        }
        if (waited >= fs->lock_timeout_ms * 10u) { /* waited counts 100 us steps */
            close(fd);
            return -(int)CRUMB_E_TIMEOUT;
        }
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
        waited++;
    }
}

/* Release a stripe lock. */
static void lock_drop(int fd)
{
    if (fd >= 0)
        close(fd); /* closing the description releases the flock */
}

/* ==== Record I/O ======================================================== */

/* Largest body a record of this type may have (0 for an unknown type):
 * bounds the file size before anything is allocated. */
static size_t rec_maxbody(int type)
{
    switch (type) {
    case T_SESSION: return 16u + CRUMB_STORE_DATA_MAX;
    case T_REVOKE:
    case T_GLOBAL: return 8u;
    case T_FAMILY: return 32u;
    case T_USER: return FS_USER_MAX;
    default: return 0;
    }
}

/* 1 if a record image of n bytes is within the size bounds of type. */
static int rec_size_ok(int type, uint64_t n)
{
    return n >= FS_HDR + FS_TRAILER && n - FS_HDR - FS_TRAILER <= rec_maxbody(type);
}

/* Verify the record image buf[0..n) of type `type` for path hash h: size
 * bound, magic, type, reserved bytes, length field, CRC-32 and hash, then
 * the format version; fixed-size bodies (R, G, F) must have exactly their
 * size. On success *body and *blen locate the body inside buf.
 * CRUMB_E_CORRUPT, CRUMB_E_VERSION. */
static crumb_err rec_verify(const uint8_t *buf, size_t n, int type, const uint8_t h[32],
                            const uint8_t **body, size_t *blen)
{
    if (!rec_size_ok(type, n) || memcmp(buf, FS_MAGIC, 4) != 0 || buf[5] != (uint8_t)type ||
        buf[6] || buf[7] || get32(buf + 8) != n - FS_HDR - FS_TRAILER ||
        get32(buf + n - 4) != crc(buf, n - 4) || memcmp(buf + 12, h, 32) != 0)
        return CRUMB_E_CORRUPT;
    if (buf[4] != FS_FORMAT)
        return CRUMB_E_VERSION;
    size_t bl = n - FS_HDR - FS_TRAILER;
    if (type != T_SESSION && type != T_USER && bl != rec_maxbody(type))
        return CRUMB_E_CORRUPT;
    *body = buf + FS_HDR;
    *blen = bl;
    return CRUMB_OK;
}

/* Read the record file at path whole and verify it (rec_verify). On
 * success *body points into *owned (which the caller frees with
 * crumb__free) or into stackbuf (*owned NULL).
 * CRUMB_E_NOTFOUND, CRUMB_E_CORRUPT, CRUMB_E_VERSION, CRUMB_E_IO, CRUMB_E_NOMEM. */
static crumb_err rec_read(file_store *fs, const char *path, int type, const uint8_t h[32],
                          uint8_t *stackbuf, size_t stackcap, uint8_t **owned,
                          const uint8_t **body, size_t *blen)
{
    *owned = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? CRUMB_E_NOTFOUND : errno == ELOOP ? CRUMB_E_CORRUPT : CRUMB_E_IO;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return CRUMB_E_IO;
    }
    if (!S_ISREG(st.st_mode) || st.st_size < 0 || !rec_size_ok(type, (uint64_t)st.st_size)) {
        close(fd);
        atomic_fetch_add(&fs->corrupt, 1);
        return CRUMB_E_CORRUPT;
    }
    size_t n = (size_t)st.st_size;
    uint8_t *buf = stackbuf;
    if (n > stackcap) {
        buf = *owned = crumb__malloc(n);
        if (buf == NULL) {
            close(fd);
            return CRUMB_E_NOMEM;
        }
    }
    ssize_t got = read_full(fd, buf, n);
    close(fd);
    /* a read error is CRUMB_E_IO (the record may be fine: callers must not
     * treat it as damage); got < n means truncated under us, and a record is
     * never rewritten in place */
    crumb_err rc = got < 0              ? CRUMB_E_IO
                   : (size_t)got != n ? CRUMB_E_CORRUPT
                                      : rec_verify(buf, n, type, h, body, blen);
    if (rc != CRUMB_OK) {
        if (rc == CRUMB_E_CORRUPT)
            atomic_fetch_add(&fs->corrupt, 1);
        crumb__free(*owned);
        *owned = NULL;
    }
    return rc;
}

/* Build the record image of (type, h, body) into *out (allocated, caller
 * wipes if secret and frees), *n its size. CRUMB_E_NOMEM. */
static crumb_err rec_image(int type, const uint8_t h[32], const uint8_t *body, size_t blen,
                           uint8_t **out, size_t *n)
{
    size_t len = FS_HDR + blen + FS_TRAILER;
    uint8_t *buf = crumb__malloc(len);
    if (buf == NULL)
        return CRUMB_E_NOMEM;
    memcpy(buf, FS_MAGIC, 4);
    buf[4] = FS_FORMAT;
    buf[5] = (uint8_t)type;
    buf[6] = buf[7] = 0;
    put32(buf + 8, (uint32_t)blen);
    memcpy(buf + 12, h, 32);
    if (blen)
        memcpy(buf + FS_HDR, body, blen);
    put32(buf + len - 4, crc(buf, len - 4));
    *out = buf;
    *n = len;
    return CRUMB_OK;
}

/* Write a record atomically: temp file, fsync, rename over path, fsync the
 * directory. On failure the old record (if any) is untouched.
 * CRUMB_E_NOSPC, CRUMB_E_IO, CRUMB_E_NOMEM. */
static crumb_err rec_write(file_store *fs, const char *path, int type, const uint8_t h[32],
                           const uint8_t *body, size_t blen)
{
    uint8_t *buf;
    size_t n;
    crumb_err rc = rec_image(type, h, body, blen, &buf, &n);
    if (rc != CRUMB_OK)
        return rc;

    char tmp[PATH_MAX], pdir[PATH_MAX];
    uint8_t rnd[6] = {0};
    (void)crumb__random_os(NULL, rnd, sizeof rnd);
    snprintf(tmp, sizeof tmp, "%s/tmp/%ld.%llu.%02x%02x%02x%02x%02x%02x", fs->dir,
             (long)getpid(), (unsigned long long)atomic_fetch_add(&fs->tmp_seq, 1), rnd[0], rnd[1],
             rnd[2], rnd[3], rnd[4], rnd[5]);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        rc = werr(errno);
        crumb_wipe(buf, n);
        crumb__free(buf);
        return rc;
    }
    rc = write_full(fd, buf, n);
    if (rc == CRUMB_OK && !fs->no_fsync && fsync(fd) != 0)
        rc = werr(errno);
    if (close(fd) != 0 && rc == CRUMB_OK)
        rc = werr(errno);
    crumb_wipe(buf, n);
    crumb__free(buf);
    if (rc == CRUMB_OK) {
        char gp[PATH_MAX];
        parent_of(pdir, path);
        parent_of(gp, pdir);
        rc = mkdir_durable(fs, pdir, gp); /* the fan-out directory */
    }
    if (rc == CRUMB_OK && rename(tmp, path) != 0)
        rc = werr(errno);
    if (rc != CRUMB_OK) {
        unlink(tmp);
        return rc;
    }
    return fsync_dir(fs, pdir);
}

/* Remove the record at path durably. CRUMB_E_NOTFOUND, CRUMB_E_IO. */
static crumb_err rec_unlink(file_store *fs, const char *path)
{
    if (unlink(path) != 0)
        return errno == ENOENT ? CRUMB_E_NOTFOUND : CRUMB_E_IO;
    char pdir[PATH_MAX];
    parent_of(pdir, path);
    return fsync_dir(fs, pdir);
}

/* ==== User record encoding ============================================= */

/* Append a length-prefixed string (<= 255 bytes). */
static uint8_t *put_str(uint8_t *p, const char *s)
{
    size_t n = strlen(s);
    *p++ = (uint8_t)n;
    memcpy(p, s, n);
    return p + n;
}

/* Read a length-prefixed string into dst (cap incl. NUL); NULL if malformed. */
static const uint8_t *get_str(const uint8_t *p, const uint8_t *end, char *dst, size_t cap)
{
    if (p >= end || *p >= cap || (size_t)(end - p - 1) < *p)
        return NULL;
    size_t n = *p++;
    if (memchr(p, 0, n) != NULL)
        return NULL;
    memcpy(dst, p, n);
    memset(dst + n, 0, cap - n);
    return p + n;
}

/* Encode u; *out is allocated (caller frees). */
static crumb_err user_encode(const stm_user *u, uint8_t **out, size_t *n)
{
    size_t cap = 8 + 8 + 1 + 32 + 12 + u->ndrev * 24 + u->ndev * FS_DEV_BYTES +
                 u->nidx * FS_IDX_BYTES;
    uint8_t *b = crumb__malloc(cap), *p = b;
    if (b == NULL)
        return CRUMB_E_NOMEM;
    stm_put64(p, (uint64_t)u->not_before);
    stm_put64(p + 8, (uint64_t)u->nb_until);
    p[16] = (uint8_t)(u->has_except != 0);
    memcpy(p + 17, u->except.b, 32);
    p += 49;
    put32(p, (uint32_t)u->ndrev);
    p += 4;
    for (size_t i = 0; i < u->ndrev; i++, p += 24) {
        memcpy(p, u->drev[i].id.b, 16);
        stm_put64(p + 16, (uint64_t)u->drev[i].until);
    }
    put32(p, (uint32_t)u->ndev);
    p += 4;
    for (size_t i = 0; i < u->ndev; i++) {
        const stm_dev *d = &u->dev[i];
        memcpy(p, d->d.device.b, 16);
        memcpy(p + 16, d->d.fingerprint, 32);
        p[48] = (uint8_t)d->d.trust;
        stm_put64(p + 49, (uint64_t)d->d.first_seen);
        stm_put64(p + 57, (uint64_t)d->d.last_seen);
        stm_put64(p + 65, (uint64_t)d->d.trust_changed_at);
        stm_put64(p + 73, (uint64_t)d->written_at);
        p = put_str(p + 81, d->d.label);
        p = put_str(p, d->d.ip_prefix);
    }
    put32(p, (uint32_t)u->nidx);
    p += 4;
    for (size_t i = 0; i < u->nidx; i++) {
        const crumb_store_session_info *x = &u->idx[i];
        memcpy(p, x->session.b, 32);
        memcpy(p + 32, x->family.b, 16);
        memcpy(p + 48, x->device.b, 16);
        stm_put64(p + 64, (uint64_t)x->created);
        stm_put64(p + 72, (uint64_t)x->last_seen);
        stm_put64(p + 80, (uint64_t)x->expires_at);
        p = put_str(p + 88, x->label);
    }
    *out = b;
    *n = (size_t)(p - b);
    return CRUMB_OK;
}

/* Decode a user body into u (zeroed first). Strict: CRUMB_E_CORRUPT on any
 * inconsistency (counts above the hard limits, trailing bytes, bad trust). */
static crumb_err user_decode(stm_user *u, const uint8_t *p, size_t n)
{
    const uint8_t *end = p + n;
    memset(u, 0, sizeof *u);
    if (n < 49 + 4)
        return CRUMB_E_CORRUPT;
    u->not_before = (int64_t)stm_get64(p);
    u->nb_until = (int64_t)stm_get64(p + 8);
    if (p[16] > 1)
        return CRUMB_E_CORRUPT;
    u->has_except = p[16];
    memcpy(u->except.b, p + 17, 32);
    p += 49;
    uint32_t nd = get32(p);
    p += 4;
    if (nd > STM_HARD_MAX_DREV || (size_t)(end - p) < (size_t)nd * 24 + 4)
        return CRUMB_E_CORRUPT;
    crumb_err e = stm_reserve((void **)&u->drev, &u->capdrev, nd, sizeof *u->drev);
    for (uint32_t i = 0; e == CRUMB_OK && i < nd; i++, p += 24) {
        memcpy(u->drev[i].id.b, p, 16);
        u->drev[i].until = (int64_t)stm_get64(p + 16);
        u->ndrev++;
    }
    if (e != CRUMB_OK)
        goto fail;
    uint32_t nv = get32(p);
    p += 4;
    e = CRUMB_E_CORRUPT;
    /* a device takes at least 83 bytes, an index entry 89: counts the body
     * cannot hold fail before anything is allocated for them */
    if (nv > STM_HARD_MAX_DEVICES || (size_t)(end - p) < (size_t)nv * 83 + 4)
        goto fail;
    if (stm_reserve((void **)&u->dev, &u->capdev, nv, sizeof *u->dev) != CRUMB_OK) {
        e = CRUMB_E_NOMEM;
        goto fail;
    }
    for (uint32_t i = 0; i < nv; i++) {
        stm_dev *d = &u->dev[i];
        memset(d, 0, sizeof *d);
        if ((size_t)(end - p) < 81 || p[48] > CRUMB_TRUST_REVOKED)
            goto fail;
        memcpy(d->d.device.b, p, 16);
        memcpy(d->d.fingerprint, p + 16, 32);
        d->d.trust = p[48];
        d->d.first_seen = (int64_t)stm_get64(p + 49);
        d->d.last_seen = (int64_t)stm_get64(p + 57);
        d->d.trust_changed_at = (int64_t)stm_get64(p + 65);
        d->written_at = (int64_t)stm_get64(p + 73);
        p = get_str(p + 81, end, d->d.label, sizeof d->d.label);
        if (p == NULL || (p = get_str(p, end, d->d.ip_prefix, sizeof d->d.ip_prefix)) == NULL)
            goto fail;
        u->ndev++;
    }
    if (end - p < 4)
        goto fail;
    uint32_t ni = get32(p);
    p += 4;
    if (ni > STM_HARD_MAX_INDEX || (size_t)(end - p) < (size_t)ni * 89)
        goto fail;
    if (stm_reserve((void **)&u->idx, &u->capidx, ni, sizeof *u->idx) != CRUMB_OK) {
        e = CRUMB_E_NOMEM;
        goto fail;
    }
    for (uint32_t i = 0; i < ni; i++) {
        crumb_store_session_info *x = &u->idx[i];
        memset(x, 0, sizeof *x);
        if ((size_t)(end - p) < 89)
            goto fail;
        memcpy(x->session.b, p, 32);
        memcpy(x->family.b, p + 32, 16);
        memcpy(x->device.b, p + 48, 16);
        x->created = (int64_t)stm_get64(p + 64);
        x->last_seen = (int64_t)stm_get64(p + 72);
        x->expires_at = (int64_t)stm_get64(p + 80);
        if ((p = get_str(p + 88, end, x->label, sizeof x->label)) == NULL)
            goto fail;
        u->nidx++;
    }
    if (p != end)
        goto fail;
    return CRUMB_OK;
fail:
    stm_user_free(u);
    return e;
}

/* Load the user record at path into u (empty if absent). */
static crumb_err user_load(file_store *fs, const char *path, const uint8_t h[32], stm_user *u)
{
    uint8_t sb[FS_STACKBUF], *owned;
    const uint8_t *body;
    size_t blen;
    memset(u, 0, sizeof *u);
    crumb_err rc = rec_read(fs, path, T_USER, h, sb, sizeof sb, &owned, &body, &blen);
    if (rc == CRUMB_E_NOTFOUND)
        return CRUMB_OK;
    if (rc != CRUMB_OK)
        return rc;
    rc = user_decode(u, body, blen);
    if (rc == CRUMB_E_CORRUPT)
        atomic_fetch_add(&fs->corrupt, 1);
    crumb__free(owned);
    return rc;
}

/* Store u at path (or remove the file if u is empty at now). */
static crumb_err user_save(file_store *fs, const char *path, const uint8_t h[32],
                           const stm_user *u, int64_t now)
{
    if (stm_user_empty(u, now)) {
        crumb_err rc = rec_unlink(fs, path);
        return rc == CRUMB_E_NOTFOUND ? CRUMB_OK : rc;
    }
    uint8_t *b;
    size_t n;
    crumb_err rc = user_encode(u, &b, &n);
    if (rc != CRUMB_OK)
        return rc;
    rc = rec_write(fs, path, T_USER, h, b, n);
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

/* Lock, load, modify and (if changed) save the user record. */
static crumb_err user_modify(file_store *fs, const char *tenant, const char *user, uop op,
                             uargs *a)
{
    if (!stm_user_args_ok(tenant, user))
        return CRUMB_E_INVALID;
    if (tenant == NULL)
        tenant = "";
    uint8_t h[32];
    char path[PATH_MAX];
    crumb_err rc = user_path_hash(fs, h, tenant, user);
    if (rc != CRUMB_OK)
        return rc;
    rec_path(fs, path, T_USER, h);
    int lk = lock_take(fs, h);
    if (lk < 0)
        return (crumb_err)-lk;
    stm_user u;
    rc = user_load(fs, path, h, &u);
    if (rc == CRUMB_E_CORRUPT && op == U_REVOKE_USER && a->before >= a->now) {
        /* the operator's way out of a damaged user record (every check
         * for this user fails closed on it): logging the user out of all
         * sessions issued until now covers every session the record could
         * have refused; its devices, device revocations and index (all
         * unreadable) are lost: docs/STORE.md */
        memset(&u, 0, sizeof u);
        rc = CRUMB_OK;
    }
    if (rc != CRUMB_OK) {
        lock_drop(lk);
        return rc;
    }
    int dirty = 1;
    switch (op) {
    case U_REVOKE_DEV: rc = stm_revoke_device(&u, a->device, a->until, a->now); break;
    case U_REVOKE_USER: stm_revoke_user(&u, a->before, a->key, a->until); break;
    case U_SEEN: rc = stm_device_seen(&u, a->sighting, a->now, &fs->lim, &dirty); break;
    case U_TRUST: rc = stm_set_trust(&u, a->device, a->trust, a->now); break;
    case U_DEVDEL: rc = stm_dev_delete(&u, a->device); break;
    case U_IDXPUT: rc = stm_index_put(&u, a->info, &fs->lim); break;
    case U_IDXDEL: rc = stm_idx_delete(&u, a->key); break;
    }
    if (rc == CRUMB_OK && dirty)
        rc = user_save(fs, path, h, &u, a->now);
    a->written = rc == CRUMB_OK && dirty;
    stm_user_free(&u);
    lock_drop(lk);
    return rc;
}

/* Read the user record (no lock: records are replaced atomically). */
static crumb_err user_read(file_store *fs, const char *tenant, const char *user, stm_user *u)
{
    if (!stm_user_args_ok(tenant, user))
        return CRUMB_E_INVALID;
    uint8_t h[32];
    char path[PATH_MAX];
    crumb_err rc = user_path_hash(fs, h, tenant ? tenant : "", user);
    if (rc != CRUMB_OK)
        return rc;
    rec_path(fs, path, T_USER, h);
    return user_load(fs, path, h, u);
}

/* ==== Open, secret ====================================================== */

/* Read DIR/secret into fs->secret, creating it atomically if absent. */
static crumb_err load_secret(file_store *fs)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    uint8_t b[FS_SECRET_FILE_LEN];
    snprintf(path, sizeof path, "%s/secret", fs->dir);
    for (int attempt = 0; attempt < 2; attempt++) {
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0) {
            uint8_t extra;
            ssize_t r = read_full(fd, b, sizeof b);
            ssize_t r2 = r == (ssize_t)sizeof b ? read_full(fd, &extra, 1) : 0;
            close(fd);
            crumb_err rc = CRUMB_OK;
            if (r < 0 || r2 < 0) /* unreadable now is not damaged: never CORRUPT */
                rc = CRUMB_E_IO;
            else if (r != (ssize_t)sizeof b || r2 != 0 || memcmp(b, "CRSK", 4) != 0 ||
                     b[4] != 1 || get32(b + 37) != crc(b, 37))
                rc = CRUMB_E_CORRUPT;
            else
                memcpy(fs->secret, b + 5, 32);
            crumb_wipe(b, sizeof b);
            return rc;
        }
        if (errno != ENOENT)
            return CRUMB_E_IO;
        /* create: write a temp file, then link() it into place (fails if
         * another process won the race; then read theirs) */
        memcpy(b, "CRSK", 4);
        b[4] = 1;
        if (crumb__random_os(NULL, b + 5, 32) != 0)
            return CRUMB_E_RANDOM;
        put32(b + 37, crc(b, 37));
        snprintf(tmp, sizeof tmp, "%s/tmp/secret.%ld", fs->dir, (long)getpid());
        unlink(tmp);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
            return werr(errno);
        crumb_err rc = write_full(fd, b, sizeof b);
        if (rc == CRUMB_OK && fsync(fd) != 0)
            rc = werr(errno);
        close(fd);
        crumb_wipe(b, sizeof b);
        if (rc == CRUMB_OK && link(tmp, path) != 0 && errno != EEXIST)
            rc = werr(errno);
        unlink(tmp);
        if (rc != CRUMB_OK)
            return rc;
        if ((rc = fsync_dir(fs, fs->dir)) != CRUMB_OK)
            return rc;
    }
    return CRUMB_E_IO;
}

/* see crumb_store.h */
crumb_err crumb_store_file_open(crumb_store **out, const char *dir,
                                const crumb_store_file_config *cfg)
{
    if (out == NULL)
        return CRUMB_E_INVALID;
    *out = NULL;
    crumb_store_file_config c = cfg ? *cfg : (crumb_store_file_config){0};
    if (dir == NULL || dir[0] == '\0' || strlen(dir) > PATH_MAX - 128 ||
        c.max_devices > STM_HARD_MAX_DEVICES || c.max_index > STM_HARD_MAX_INDEX)
        return CRUMB_E_INVALID;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return werr(errno);
    struct stat st;
    if (lstat(dir, &st) != 0)
        return CRUMB_E_IO;
    if (!S_ISDIR(st.st_mode) || (st.st_mode & 077) != 0 || st.st_uid != geteuid())
        return CRUMB_E_INVALID;
    size_t dl = strlen(dir);
    file_store *fs = crumb__calloc(1, sizeof *fs + dl + 1);
    if (fs == NULL)
        return CRUMB_E_NOMEM;
    fs->base.methods = &file_methods;
    memcpy(fs->dir, dir, dl);
    fs->dlen = dl;
    fs->lim.throttle = c.throttle ? c.throttle : STM_DEFAULT_THROTTLE;
    fs->lim.max_devices = c.max_devices ? c.max_devices : STM_DEFAULT_MAX_DEVICES;
    fs->lim.max_index = c.max_index ? c.max_index : STM_DEFAULT_MAX_INDEX;
    fs->lock_timeout_ms = c.lock_timeout_ms ? c.lock_timeout_ms : 5000u;
    fs->no_fsync = c.no_fsync;
    atomic_init(&fs->checks, 0);
    atomic_init(&fs->corrupt, 0);
    atomic_init(&fs->tmp_seq, 0);
    fs->secret = crumb__secure_alloc(32);
    if (fs->secret == NULL) {
        crumb__free(fs);
        return CRUMB_E_NOMEM;
    }
    static const char *const subs[] = {"tmp", "lock", "s", "r", "f", "u"};
    crumb_err rc = CRUMB_OK;
    for (size_t i = 0; i < sizeof subs / sizeof subs[0] && rc == CRUMB_OK; i++) {
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", dir, subs[i]);
        rc = mkdir_durable(fs, p, dir);
    }
    if (rc == CRUMB_OK) {
        if (c.secret != NULL)
            memcpy(fs->secret, c.secret, 32);
        else
            rc = load_secret(fs);
    }
    if (rc != CRUMB_OK) {
        crumb__secure_free(fs->secret, 32);
        crumb__free(fs);
        return rc;
    }
    *out = &fs->base;
    return CRUMB_OK;
}

static void fs_close(crumb_store *s)
{
    file_store *fs = (file_store *)s;
    crumb__secure_free(fs->secret, 32);
    crumb__free(fs);
}

static crumb_err fs_health(crumb_store *s, int64_t now)
{
    file_store *fs = (file_store *)s;
    (void)now;
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/tmp", fs->dir);
    return access(p, W_OK) == 0 ? CRUMB_OK : CRUMB_E_IO;
}

/* ==== Session records =================================================== */

/* Decode a session body: version, expires_at, then the data (b + 16). */
static crumb_err sess_decode(const uint8_t *b, size_t n, uint64_t *ver, int64_t *exp)
{
    if (n < 16 || n - 16 > CRUMB_STORE_DATA_MAX)
        return CRUMB_E_CORRUPT;
    *ver = stm_get64(b);
    *exp = (int64_t)stm_get64(b + 8);
    return CRUMB_OK;
}

/* Encode a session body of 16 + len bytes into *out (allocated; the
 * caller wipes and frees it). CRUMB_E_NOMEM. */
static crumb_err sess_encode(uint8_t **out, uint64_t ver, int64_t exp, const uint8_t *data,
                             size_t len)
{
    uint8_t *nb = *out = crumb__malloc(16 + len);
    if (nb == NULL)
        return CRUMB_E_NOMEM;
    stm_put64(nb, ver);
    stm_put64(nb + 8, (uint64_t)exp);
    if (len)
        memcpy(nb + 16, data, len);
    return CRUMB_OK;
}

/* Hash and path of a session-keyed record. */
static crumb_err key_path(file_store *fs, int type, const crumb_store_key *k, uint8_t h[32],
                          char *path)
{
    crumb_err rc = path_hash(fs, h, type, k->b, sizeof k->b, NULL, 0);
    if (rc == CRUMB_OK)
        rec_path(fs, path, type, h);
    return rc;
}

static crumb_err fs_put(crumb_store *s, const crumb_store_key *key, const uint8_t *data,
                        size_t len, int64_t expires_at, uint64_t expected, uint64_t *new_version,
                        int64_t now)
{
    file_store *fs = (file_store *)s;
    if (key == NULL || (data == NULL && len > 0) || expires_at <= now)
        return CRUMB_E_INVALID;
    if (len > CRUMB_STORE_DATA_MAX)
        return CRUMB_E_TOO_LARGE;
    uint8_t h[32], *owned = NULL;
    char path[PATH_MAX];
    crumb_err rc = key_path(fs, T_SESSION, key, h, path);
    if (rc != CRUMB_OK)
        return rc;
    int lk = lock_take(fs, h);
    if (lk < 0)
        return (crumb_err)-lk;
    uint8_t sb[256];
    const uint8_t *body;
    size_t blen;
    uint64_t ver = 0;
    int64_t exp = 0;
    int present = 0;
    rc = rec_read(fs, path, T_SESSION, h, sb, sizeof sb, &owned, &body, &blen);
    if (rc == CRUMB_OK) {
        rc = sess_decode(body, blen, &ver, &exp);
        present = rc == CRUMB_OK && exp > now;
    } else if (rc == CRUMB_E_NOTFOUND) {
        rc = CRUMB_OK;
    }
    crumb__free(owned);
    if (rc == CRUMB_E_CORRUPT && expected == CRUMB_STORE_VERSION_ANY)
        rc = CRUMB_OK; /* an unconditional write replaces a damaged record */
    if (rc == CRUMB_OK) {
        if (expected == CRUMB_STORE_VERSION_NEW && present)
            rc = CRUMB_E_CONFLICT;
        else if (expected != CRUMB_STORE_VERSION_NEW && expected != CRUMB_STORE_VERSION_ANY &&
                 !present)
            rc = CRUMB_E_NOTFOUND;
        else if (expected != CRUMB_STORE_VERSION_NEW && expected != CRUMB_STORE_VERSION_ANY &&
                 ver != expected)
            rc = CRUMB_E_CONFLICT;
    }
    if (rc == CRUMB_OK) {
        uint8_t *nb;
        ver = ver + 1 ? ver + 1 : 1;
        rc = sess_encode(&nb, ver, expires_at, data, len);
        if (rc == CRUMB_OK) {
            rc = rec_write(fs, path, T_SESSION, h, nb, 16 + len);
            crumb_wipe(nb, 16 + len);
            crumb__free(nb);
        }
        if (rc == CRUMB_OK && new_version)
            *new_version = ver;
    }
    lock_drop(lk);
    return rc;
}

static crumb_err fs_get(crumb_store *s, const crumb_store_key *key, uint8_t *buf, size_t cap,
                        size_t *len, uint64_t *version, int64_t *expires_at, int64_t now)
{
    file_store *fs = (file_store *)s;
    if (key == NULL || len == NULL || (buf == NULL && cap > 0))
        return CRUMB_E_INVALID;
    uint8_t h[32], *owned = NULL, sb[FS_STACKBUF];
    char path[PATH_MAX];
    crumb_err rc = key_path(fs, T_SESSION, key, h, path);
    if (rc != CRUMB_OK)
        return rc;
    const uint8_t *body;
    size_t blen;
    rc = rec_read(fs, path, T_SESSION, h, sb, sizeof sb, &owned, &body, &blen);
    if (rc != CRUMB_OK)
        return rc;
    uint64_t ver;
    int64_t exp;
    rc = sess_decode(body, blen, &ver, &exp);
    if (rc == CRUMB_OK && exp <= now)
        rc = CRUMB_E_NOTFOUND;
    if (rc == CRUMB_OK) {
        *len = blen - 16;
        if (version)
            *version = ver;
        if (expires_at)
            *expires_at = exp;
        if (blen - 16 > cap)
            rc = CRUMB_E_BUFSIZE;
        else if (blen > 16)
            memcpy(buf, body + 16, blen - 16);
    }
    crumb_wipe(owned ? owned : sb, owned ? blen + FS_HDR : sizeof sb);
    crumb__free(owned);
    return rc;
}

static crumb_err fs_touch(crumb_store *s, const crumb_store_key *key, int64_t expires_at,
                          int64_t now)
{
    file_store *fs = (file_store *)s;
    if (key == NULL || expires_at <= now)
        return CRUMB_E_INVALID;
    uint8_t h[32], *owned = NULL, sb[FS_STACKBUF];
    char path[PATH_MAX];
    crumb_err rc = key_path(fs, T_SESSION, key, h, path);
    if (rc != CRUMB_OK)
        return rc;
    int lk = lock_take(fs, h);
    if (lk < 0)
        return (crumb_err)-lk;
    const uint8_t *body;
    size_t blen;
    rc = rec_read(fs, path, T_SESSION, h, sb, sizeof sb, &owned, &body, &blen);
    uint64_t ver;
    int64_t exp;
    if (rc == CRUMB_OK)
        rc = sess_decode(body, blen, &ver, &exp);
    if (rc == CRUMB_OK && exp <= now)
        rc = CRUMB_E_NOTFOUND;
    if (rc == CRUMB_OK) {
        uint8_t *nb = crumb__malloc(blen);
        if (nb == NULL) {
            rc = CRUMB_E_NOMEM;
        } else {
            memcpy(nb, body, blen);
            stm_put64(nb + 8, (uint64_t)expires_at);
            rc = rec_write(fs, path, T_SESSION, h, nb, blen);
            crumb_wipe(nb, blen);
            crumb__free(nb);
        }
    }
    crumb__free(owned);
    lock_drop(lk);
    return rc;
}

static crumb_err fs_del(crumb_store *s, const crumb_store_key *key)
{
    file_store *fs = (file_store *)s;
    if (key == NULL)
        return CRUMB_E_INVALID;
    uint8_t h[32];
    char path[PATH_MAX];
    crumb_err rc = key_path(fs, T_SESSION, key, h, path);
    if (rc != CRUMB_OK)
        return rc;
    int lk = lock_take(fs, h);
    if (lk < 0)
        return (crumb_err)-lk;
    rc = rec_unlink(fs, path);
    lock_drop(lk);
    return rc;
}

/* ==== Revocation, families ============================================== */

/* Read the fixed-size body of an R, G or F record (n = rec_maxbody(type)
 * bytes, which rec_verify enforces) into out.
 * CRUMB_E_NOTFOUND, CRUMB_E_CORRUPT, CRUMB_E_VERSION, CRUMB_E_IO. */
static crumb_err small_read(file_store *fs, const char *path, int type, const uint8_t h[32],
                            uint8_t *out, size_t n)
{
    uint8_t sb[128], *owned;
    const uint8_t *body;
    size_t blen;
    crumb_err rc = rec_read(fs, path, type, h, sb, sizeof sb, &owned, &body, &blen);
    if (rc != CRUMB_OK)
        return rc;
    memcpy(out, body, n < blen ? n : blen);
    return CRUMB_OK;
}

static crumb_err fs_revoke_session(crumb_store *s, const crumb_store_key *key, int64_t until,
                                   int64_t now)
{
    file_store *fs = (file_store *)s;
    if (key == NULL || until <= now)
        return CRUMB_E_INVALID;
    uint8_t h[32], b[8];
    char path[PATH_MAX];
    crumb_err rc = key_path(fs, T_REVOKE, key, h, path);
    if (rc != CRUMB_OK)
        return rc;
    int lk = lock_take(fs, h);
    if (lk < 0)
        return (crumb_err)-lk;
    rc = small_read(fs, path, T_REVOKE, h, b, 8);
    if ((rc == CRUMB_OK && (int64_t)stm_get64(b) >= until) ||
        (rc != CRUMB_OK && rc != CRUMB_E_NOTFOUND && rc != CRUMB_E_CORRUPT)) {
        lock_drop(lk); /* already revoked long enough, or unreadable now (IO) */
        return rc;
    }
    stm_put64(b, (uint64_t)until); /* also replaces a damaged record: revoking is always safe */
    rc = rec_write(fs, path, T_REVOKE, h, b, 8);
    lock_drop(lk);
    return rc;
}

/* Family body: gen, advanced_at, until, revoked_until. */
typedef struct ffam {
    uint64_t gen;
    int64_t advanced_at, until, revoked_until;
} ffam;

/* Decode a family body. */
static void fam_decode(ffam *f, const uint8_t b[32])
{
    f->gen = stm_get64(b);
    f->advanced_at = (int64_t)stm_get64(b + 8);
    f->until = (int64_t)stm_get64(b + 16);
    f->revoked_until = (int64_t)stm_get64(b + 24);
}

/* Encode a family body. */
static void fam_encode(uint8_t b[32], const ffam *f)
{
    stm_put64(b, f->gen);
    stm_put64(b + 8, (uint64_t)f->advanced_at);
    stm_put64(b + 16, (uint64_t)f->until);
    stm_put64(b + 24, (uint64_t)f->revoked_until);
}

/* Read a family record (zeroed if absent). */
static crumb_err fam_read(file_store *fs, const char *path, const uint8_t h[32], ffam *f)
{
    uint8_t b[32];
    memset(f, 0, sizeof *f);
    crumb_err rc = small_read(fs, path, T_FAMILY, h, b, 32);
    if (rc == CRUMB_E_NOTFOUND)
        return CRUMB_OK;
    if (rc != CRUMB_OK)
        return rc;
    fam_decode(f, b);
    return CRUMB_OK;
}

/* Write a family record. */
static crumb_err fam_write(file_store *fs, const char *path, const uint8_t h[32], const ffam *f)
{
    uint8_t b[32];
    fam_encode(b, f);
    return rec_write(fs, path, T_FAMILY, h, b, 32);
}

/* Hash and path of a family record. */
static crumb_err fam_path(file_store *fs, const crumb_store_id *id, uint8_t h[32], char *path)
{
    crumb_err rc = path_hash(fs, h, T_FAMILY, id->b, sizeof id->b, NULL, 0);
    if (rc == CRUMB_OK)
        rec_path(fs, path, T_FAMILY, h);
    return rc;
}

static crumb_err fs_revoke_family(crumb_store *s, const crumb_store_id *family, int64_t until,
                                  int64_t now)
{
    file_store *fs = (file_store *)s;
    if (family == NULL || until <= now)
        return CRUMB_E_INVALID;
    uint8_t h[32];
    char path[PATH_MAX];
    crumb_err rc = fam_path(fs, family, h, path);
    if (rc != CRUMB_OK)
        return rc;
    int lk = lock_take(fs, h);
    if (lk < 0)
        return (crumb_err)-lk;
    ffam f;
    rc = fam_read(fs, path, h, &f);
    if (rc == CRUMB_E_CORRUPT) { /* revoking must still work: start from scratch */
        memset(&f, 0, sizeof f);
        rc = CRUMB_OK;
    }
    if (rc == CRUMB_OK) {
        if (until > f.revoked_until)
            f.revoked_until = until;
        if (until > f.until)
            f.until = until;
        rc = fam_write(fs, path, h, &f);
    }
    lock_drop(lk);
    return rc;
}

static crumb_err fs_family_get(crumb_store *s, const crumb_store_id *family, uint64_t *gen,
                               int64_t *advanced_at, int64_t now)
{
    file_store *fs = (file_store *)s;
    if (family == NULL || gen == NULL)
        return CRUMB_E_INVALID;
    uint8_t h[32];
    char path[PATH_MAX];
    crumb_err rc = fam_path(fs, family, h, path);
    ffam f;
    if (rc == CRUMB_OK)
        rc = fam_read(fs, path, h, &f);
    if (rc != CRUMB_OK)
        return rc;
    int live = f.until > now;
    *gen = live ? f.gen : 0;
    if (advanced_at)
        *advanced_at = live ? f.advanced_at : 0;
    return CRUMB_OK;
}

static crumb_err fs_family_advance(crumb_store *s, const crumb_store_id *family, uint64_t expected,
                                   uint64_t new_gen, int64_t until, int64_t now, uint64_t *current)
{
    file_store *fs = (file_store *)s;
    if (family == NULL || new_gen <= expected || until <= now)
        return CRUMB_E_INVALID;
    uint8_t h[32];
    char path[PATH_MAX];
    crumb_err rc = fam_path(fs, family, h, path);
    if (rc != CRUMB_OK)
        return rc;
    int lk = lock_take(fs, h);
    if (lk < 0)
        return (crumb_err)-lk;
    ffam f;
    rc = fam_read(fs, path, h, &f);
    if (rc == CRUMB_OK) {
        if (f.until <= now)
            f.gen = 0, f.advanced_at = 0;
        if (f.revoked_until > now)
            rc = CRUMB_E_REVOKED;
        else if (f.gen != expected)
            rc = CRUMB_E_CONFLICT;
        if (current)
            *current = f.gen;
    }
    if (rc == CRUMB_OK) {
        f.gen = new_gen;
        f.advanced_at = now;
        if (until > f.until)
            f.until = until;
        rc = fam_write(fs, path, h, &f);
        if (rc == CRUMB_OK && current)
            *current = new_gen;
    }
    lock_drop(lk);
    return rc;
}

static crumb_err fs_revoke_device(crumb_store *s, const char *tenant, const char *user,
                                  const crumb_store_id *device, int64_t until, int64_t now)
{
    if (device == NULL || until <= now)
        return CRUMB_E_INVALID;
    uargs a = {.device = device, .until = until, .now = now};
    return user_modify((file_store *)s, tenant, user, U_REVOKE_DEV, &a);
}

static crumb_err fs_revoke_user(crumb_store *s, const char *tenant, const char *user,
                                int64_t before, const crumb_store_key *except, int64_t until,
                                int64_t now)
{
    if (until <= now)
        return CRUMB_E_INVALID;
    uargs a = {.before = before, .key = except, .until = until, .now = now};
    return user_modify((file_store *)s, tenant, user, U_REVOKE_USER, &a);
}

/* Path and hash of the global record. */
static crumb_err global_path(file_store *fs, uint8_t h[32], char *path)
{
    crumb_err rc = path_hash(fs, h, T_GLOBAL, "", 0, NULL, 0);
    if (rc == CRUMB_OK)
        rec_path(fs, path, T_GLOBAL, h);
    return rc;
}

static crumb_err fs_revoke_all(crumb_store *s, int64_t before, int64_t now)
{
    file_store *fs = (file_store *)s;
    (void)now;
    uint8_t h[32], b[8];
    char path[PATH_MAX];
    crumb_err rc = global_path(fs, h, path);
    if (rc != CRUMB_OK)
        return rc;
    int lk = lock_take(fs, h);
    if (lk < 0)
        return (crumb_err)-lk;
    rc = small_read(fs, path, T_GLOBAL, h, b, 8);
    if (rc == CRUMB_OK && (int64_t)stm_get64(b) >= before) {
        lock_drop(lk);
        return CRUMB_OK;
    }
    if (rc == CRUMB_OK || rc == CRUMB_E_NOTFOUND) {
        stm_put64(b, (uint64_t)before);
        rc = rec_write(fs, path, T_GLOBAL, h, b, 8);
    }
    lock_drop(lk);
    return rc;
}

static crumb_err fs_check(crumb_store *s, const crumb_store_check_req *q,
                          crumb_store_check_res *res)
{
    file_store *fs = (file_store *)s;
    const char *tenant = q->tenant ? q->tenant : "";
    if ((q->user && !stm_user_args_ok(tenant, q->user)) || (q->device && !q->user))
        return CRUMB_E_INVALID;
    atomic_fetch_add_explicit(&fs->checks, 1, memory_order_relaxed);
    uint8_t h[32], b[8];
    char path[PATH_MAX];
    int rule = CRUMB_STORE_RULE_NONE;
    crumb_err rc = global_path(fs, h, path);
    if (rc == CRUMB_OK)
        rc = small_read(fs, path, T_GLOBAL, h, b, 8);
    if (rc == CRUMB_OK && q->issued_at < (int64_t)stm_get64(b))
        rule = CRUMB_STORE_RULE_GLOBAL;
    if (rc == CRUMB_E_NOTFOUND)
        rc = CRUMB_OK;
    if (rc == CRUMB_OK && q->session) {
        rc = key_path(fs, T_REVOKE, q->session, h, path);
        if (rc == CRUMB_OK)
            rc = small_read(fs, path, T_REVOKE, h, b, 8);
        if (rc == CRUMB_OK && rule == CRUMB_STORE_RULE_NONE && (int64_t)stm_get64(b) > q->now)
            rule = CRUMB_STORE_RULE_SESSION;
        if (rc == CRUMB_E_NOTFOUND)
            rc = CRUMB_OK;
    }
    if (rc == CRUMB_OK && q->family) {
        ffam f;
        rc = fam_path(fs, q->family, h, path);
        if (rc == CRUMB_OK)
            rc = fam_read(fs, path, h, &f);
        if (rc == CRUMB_OK && f.until > q->now) {
            res->family_gen = f.gen;
            res->family_advanced_at = f.advanced_at;
            if (rule == CRUMB_STORE_RULE_NONE && f.revoked_until > q->now)
                rule = CRUMB_STORE_RULE_FAMILY;
        }
    }
    if (rc == CRUMB_OK && q->user && rule == CRUMB_STORE_RULE_NONE) {
        stm_user u;
        rc = user_read(fs, tenant, q->user, &u);
        if (rc == CRUMB_OK) {
            if (stm_user_revoked(&u, q->session, q->issued_at, q->now))
                rule = CRUMB_STORE_RULE_USER;
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

static crumb_err fs_device_set_trust(crumb_store *s, const char *tenant, const char *user,
                                     const crumb_store_id *device, int trust, int64_t now)
{
    if (device == NULL || trust < CRUMB_TRUST_UNKNOWN || trust > CRUMB_TRUST_REVOKED)
        return CRUMB_E_INVALID;
    uargs a = {.device = device, .trust = trust, .now = now};
    return user_modify((file_store *)s, tenant, user, U_TRUST, &a);
}

static crumb_err fs_device_delete(crumb_store *s, const char *tenant, const char *user,
                                  const crumb_store_id *device)
{
    if (device == NULL)
        return CRUMB_E_INVALID;
    uargs a = {.device = device, .now = INT64_MIN};
    return user_modify((file_store *)s, tenant, user, U_DEVDEL, &a);
}

static crumb_err fs_index_put(crumb_store *s, const char *tenant, const char *user,
                              const crumb_store_session_info *info, int64_t now)
{
    if (info == NULL || info->expires_at <= now)
        return CRUMB_E_INVALID;
    uargs a = {.info = info, .now = now};
    return user_modify((file_store *)s, tenant, user, U_IDXPUT, &a);
}

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

static crumb_err fs_index_del(crumb_store *s, const char *tenant, const char *user,
                              const crumb_store_key *session)
{
    if (session == NULL)
        return CRUMB_E_INVALID;
    uargs a = {.key = session, .now = INT64_MIN};
    return user_modify((file_store *)s, tenant, user, U_IDXDEL, &a);
}

/* ==== Sweep and stats =================================================== */

/* Parse a 64-hex-digit file name into h; 0 if it is not one. */
static int parse_name(const char *name, uint8_t h[32])
{
    return crumb__unhex(h, 32, name) == 0;
}

/* What a sweep/stats walk does with one record (its stripe lock held for
 * sweep). Returns CRUMB_OK or an I/O error that stops the walk. */
static crumb_err visit(file_store *fs, int type, const char *path, const uint8_t h[32],
                       int64_t now, const crumb_store_retention *r, crumb_store_sweep_counts *c,
                       crumb_store_stats *st)
{
    crumb_err rc = CRUMB_OK;
    if (type == T_USER) {
        stm_user u;
        rc = user_load(fs, path, h, &u);
        if (rc == CRUMB_OK) {
            if (st) {
                st->devices += u.ndev;
                st->revocations += u.ndrev + (u.nb_until > now);
            } else if (stm_user_sweep(&u, now, r, c)) {
                rc = user_save(fs, path, h, &u, now);
            }
            stm_user_free(&u);
        }
    } else if (type == T_SESSION) {
        uint8_t sb[FS_STACKBUF], *owned;
        const uint8_t *body;
        size_t blen;
        uint64_t ver;
        int64_t exp = 0;
        rc = rec_read(fs, path, T_SESSION, h, sb, sizeof sb, &owned, &body, &blen);
        if (rc == CRUMB_OK)
            rc = sess_decode(body, blen, &ver, &exp);
        crumb__free(owned);
        if (rc == CRUMB_OK && st && exp > now) {
            st->sessions++;
            st->session_bytes += blen - 16;
        } else if (rc == CRUMB_OK && !st && exp <= now) {
            rc = rec_unlink(fs, path);
            c->sessions++;
        }
    } else if (type == T_REVOKE) {
        uint8_t b[8];
        rc = small_read(fs, path, T_REVOKE, h, b, 8);
        if (rc == CRUMB_OK && st)
            st->revocations++;
        else if (rc == CRUMB_OK && (int64_t)stm_get64(b) <= now) {
            rc = rec_unlink(fs, path);
            c->revocations++;
        }
    } else {
        ffam f;
        rc = fam_read(fs, path, h, &f);
        if (rc == CRUMB_OK && st) {
            st->families++;
            st->revocations += f.revoked_until > now;
        } else if (rc == CRUMB_OK) {
            if (f.revoked_until != 0 && f.revoked_until <= now)
                c->revocations++;
            if (f.until <= now) {
                rc = rec_unlink(fs, path);
                c->families++;
            } else if (f.revoked_until != 0 && f.revoked_until <= now) {
                f.revoked_until = 0;
                rc = fam_write(fs, path, h, &f);
            }
        }
    }
    if (rc == CRUMB_E_CORRUPT || rc == CRUMB_E_VERSION) {
        if (c)
            c->corrupt++;
        if (st)
            st->corrupt++;
        rc = CRUMB_OK; /* reported, left in place for inspection */
    }
    return rc == CRUMB_E_NOTFOUND ? CRUMB_OK : rc;
}

/* Walk every record (sweep when st is NULL, else count into st). */
static crumb_err walk(file_store *fs, int64_t now, const crumb_store_retention *r,
                      crumb_store_sweep_counts *c, crumb_store_stats *st)
{
    static const int types[] = {T_SESSION, T_REVOKE, T_FAMILY, T_USER};
    crumb_err rc = CRUMB_OK;
    for (size_t t = 0; t < 4 && rc == CRUMB_OK; t++) {
        for (unsigned fan = 0; fan < 256 && rc == CRUMB_OK; fan++) {
            char dpath[PATH_MAX], path[PATH_MAX];
            int pl = snprintf(dpath, sizeof dpath, "%s/%c/%02x", fs->dir, type_dir(types[t]), fan);
            if (pl <= 0 || (size_t)pl >= sizeof dpath)
                return CRUMB_E_INVALID;
            DIR *d = opendir(dpath);
            if (d == NULL) {
                if (errno == ENOENT) /* fan-out directories are made on first use */
                    continue;
                return CRUMB_E_IO; /* never skip records silently */
            }
            struct dirent *e;
            for (;;) {
                errno = 0;
                if (rc != CRUMB_OK || (e = readdir(d)) == NULL)
                    break;
                uint8_t h[32];
                if (!parse_name(e->d_name, h) || h[0] != fan)
                    continue;
                if (snprintf(path, sizeof path, "%s/%s", dpath, e->d_name) >= (int)sizeof path)
                    continue;
                int lk = -1;
                if (st == NULL && (lk = lock_take(fs, h)) < 0) {
                    rc = (crumb_err)-lk;
                    break;
                }
                rc = visit(fs, types[t], path, h, now, r, c, st);
                lock_drop(lk);
            }
            if (rc == CRUMB_OK && errno != 0) /* readdir failed */
                rc = CRUMB_E_IO;
            closedir(d);
        }
    }
    return rc;
}

static crumb_err fs_sweep(crumb_store *s, int64_t now, const crumb_store_retention *ret,
                          crumb_store_sweep_counts *counts)
{
    file_store *fs = (file_store *)s;
    crumb_store_retention r;
    crumb_store_sweep_counts c = {0};
    stm_retention(&r, ret);
    crumb_err rc = walk(fs, now, &r, &c, NULL);
    /* abandoned temp files (writers killed mid-write): by real file age */
    char tdir[PATH_MAX], path[PATH_MAX];
    snprintf(tdir, sizeof tdir, "%s/tmp", fs->dir);
    DIR *d = opendir(tdir);
    if (d != NULL) {
        struct dirent *e;
        time_t wall = time(NULL);
        while ((e = readdir(d)) != NULL) {
            struct stat st;
            if (e->d_name[0] == '.')
                continue;
            if (snprintf(path, sizeof path, "%s/%s", tdir, e->d_name) >= (int)sizeof path)
                continue;
            if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && wall - st.st_mtime > FS_TMP_AGE &&
                unlink(path) == 0)
                c.temp_files++;
        }
        closedir(d);
    }
    if (counts)
        *counts = c;
    return rc;
}

static crumb_err fs_stats(crumb_store *s, crumb_store_stats *out)
{
    file_store *fs = (file_store *)s;
    crumb_err rc = walk(fs, (int64_t)time(NULL), NULL, NULL, out);
    out->checks = atomic_load(&fs->checks);
    out->corrupt += atomic_load(&fs->corrupt);
    return rc;
}

static const crumb_store_methods file_methods = {
    .version = CRUMB_STORE_METHODS_VERSION,
    .name = "file",
    .close = fs_close,
    .health = fs_health,
    .stats = fs_stats,
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
    .sweep = fs_sweep,
};

/* ==== In-memory record codec (file_internal.h) ========================== */

/* see file_internal.h */
crumb_err crumb__fs_record_decode(crumb__fs_record *r, int type, const uint8_t h[32],
                                  const uint8_t *img, size_t n)
{
    memset(r, 0, sizeof *r);
    if (rec_maxbody(type) == 0 || h == NULL || (img == NULL && n > 0))
        return CRUMB_E_INVALID;
    const uint8_t *b;
    size_t bl;
    crumb_err rc = rec_verify(img, n, type, h, &b, &bl);
    if (rc != CRUMB_OK)
        return rc;
    r->type = type;
    switch (type) {
    case T_SESSION:
        rc = sess_decode(b, bl, &r->version, &r->until);
        if (rc == CRUMB_OK) {
            r->data = b + 16;
            r->data_len = bl - 16;
        }
        break;
    case T_FAMILY: {
        ffam f;
        fam_decode(&f, b);
        r->version = f.gen;
        r->advanced_at = f.advanced_at;
        r->until = f.until;
        r->revoked_until = f.revoked_until;
        break;
    }
    case T_USER: rc = user_decode(&r->user, b, bl); break;
    default: r->until = (int64_t)stm_get64(b); break; /* T_REVOKE, T_GLOBAL */
    }
    if (rc != CRUMB_OK)
        memset(r, 0, sizeof *r);
    return rc;
}

/* see file_internal.h */
crumb_err crumb__fs_record_encode(const crumb__fs_record *r, const uint8_t h[32], uint8_t **img,
                                  size_t *n)
{
    *img = NULL;
    *n = 0;
    uint8_t small[32], *owned = NULL;
    const uint8_t *body = small;
    size_t blen = 0;
    crumb_err rc = CRUMB_OK;
    switch (r->type) {
    case T_SESSION:
        if (r->data_len > CRUMB_STORE_DATA_MAX || (r->data == NULL && r->data_len > 0))
            return CRUMB_E_INVALID;
        rc = sess_encode(&owned, r->version, r->until, r->data, r->data_len);
        body = owned;
        blen = 16 + r->data_len;
        break;
    case T_REVOKE:
    case T_GLOBAL:
        stm_put64(small, (uint64_t)r->until);
        blen = 8;
        break;
    case T_FAMILY: {
        ffam f = {r->version, r->advanced_at, r->until, r->revoked_until};
        fam_encode(small, &f);
        blen = 32;
        break;
    }
    case T_USER:
        rc = user_encode(&r->user, &owned, &blen);
        body = owned;
        break;
    default: return CRUMB_E_INVALID;
    }
    if (rc == CRUMB_OK)
        rc = rec_image(r->type, h, body, blen, img, n);
    if (owned != NULL) {
        crumb_wipe(owned, blen);
        crumb__free(owned);
    }
    return rc;
}

/* see file_internal.h */
void crumb__fs_record_free(crumb__fs_record *r)
{
    if (r == NULL)
        return;
    stm_user_free(&r->user);
    memset(r, 0, sizeof *r);
}
