/*
 * file_io.c - the file store's durable record I/O, every path relative to
 * the store directory it holds open (openat, renameat, mkdirat, unlinkat):
 * whole-file reads with size bounds, and writes by temp file, fsync, rename
 * and directory fsync, so a crash leaves each record old or new.
 */
#include "file_store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* see file_store.h */
crumb_err crumb__fs_werr(int e)
{
    stm_set_error("file: write failed", e == ENOSPC ? "no space left on device"
                                        : e == EDQUOT ? "disk quota exceeded"
                                        : e == EFBIG  ? "file too large"
                                        : e == EACCES || e == EPERM ? "permission denied"
                                        : e == EROFS  ? "read-only file system"
                                                      : "I/O error");
    return (e == ENOSPC || e == EDQUOT || e == EFBIG) ? CRUMB_E_NOSPC : CRUMB_E_IO;
}

/* see file_store.h */
ssize_t crumb__fs_read_full(int fd, uint8_t *buf, size_t n)
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

/* see file_store.h */
crumb_err crumb__fs_write_full(int fd, const uint8_t *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, buf + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return crumb__fs_werr(errno);
        if (w == 0)
            return CRUMB_E_NOSPC;
        done += (size_t)w;
    }
    return CRUMB_OK;
}

/* see file_store.h */
crumb_err crumb__fs_sync_dir(const file_store *fs, const char *rel)
{
    if (fs->no_fsync)
        return CRUMB_OK;
    int fd = openat(fs->dfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return CRUMB_E_IO;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    return rc == 0 ? CRUMB_OK : crumb__fs_werr(e);
}

/* ==== Reading =========================================================== */

/* Read the open record file fd (already fstat'ed: n bytes) into buf and
 * verify it. A read error is CRUMB_E_IO (the record may be fine: callers
 * must not treat it as damage); fewer bytes than fstat said means truncated
 * under us, and a record is never rewritten in place. */
static crumb_err read_verify(int fd, uint8_t *buf, size_t n, int type, const uint8_t h[32],
                             const uint8_t **body, size_t *blen)
{
    ssize_t got = crumb__fs_read_full(fd, buf, n);
    if (got < 0) {
        stm_set_error("file: read failed", "I/O error");
        return CRUMB_E_IO;
    }
    if ((size_t)got != n)
        return CRUMB_E_CORRUPT;
    return crumb__fs_verify_image(buf, n, type, h, body, blen);
}

/* see file_store.h */
crumb_err crumb__fs_rec_read(file_store *fs, int type, const uint8_t h[32], uint8_t *stackbuf,
                             size_t stackcap, uint8_t **owned, const uint8_t **body,
                             size_t *blen)
{
    char rel[FS_RELPATH];
    *owned = NULL;
    crumb__fs_relpath(rel, type, h);
    int fd = openat(fs->dfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno != ENOENT)
        stm_set_error("file: open failed", errno == ELOOP    ? "symbolic link refused"
                                           : errno == EACCES ? "permission denied"
                                           : errno == EMFILE || errno == ENFILE
                                               ? "too many open files"
                                               : "I/O error");
    if (fd < 0)
        return errno == ENOENT ? CRUMB_E_NOTFOUND : errno == ELOOP ? CRUMB_E_CORRUPT : CRUMB_E_IO;
    struct stat st;
    crumb_err rc = CRUMB_OK;
    if (fstat(fd, &st) != 0)
        rc = CRUMB_E_IO;
    else if (!S_ISREG(st.st_mode) || st.st_size < 0 || !crumb__fs_size_ok(type, (uint64_t)st.st_size))
        rc = CRUMB_E_CORRUPT;
    size_t n = rc == CRUMB_OK ? (size_t)st.st_size : 0;
    uint8_t *buf = stackbuf;
    if (rc == CRUMB_OK && n > stackcap && (buf = *owned = crumb__malloc(n)) == NULL)
        rc = CRUMB_E_NOMEM;
    if (rc == CRUMB_OK)
        rc = read_verify(fd, buf, n, type, h, body, blen);
    close(fd);
    if (rc != CRUMB_OK) {
        if (rc == CRUMB_E_CORRUPT)
            atomic_fetch_add(&fs->corrupt, 1);
        crumb__free(*owned);
        *owned = NULL;
    }
    return rc;
}

/* see file_store.h */
crumb_err crumb__fs_small_read(file_store *fs, int type, const uint8_t h[32], uint8_t *out,
                               size_t n)
{
    uint8_t sb[128], *owned;
    const uint8_t *body;
    size_t blen;
    crumb_err rc = crumb__fs_rec_read(fs, type, h, sb, sizeof sb, &owned, &body, &blen);
    if (rc != CRUMB_OK)
        return rc;
    memcpy(out, body, n < blen ? n : blen);
    return CRUMB_OK;
}

/* ==== Writing =========================================================== */

/* see file_store.h */
void crumb__fs_tmpname(file_store *fs, char name[64], const char *tag)
{
    uint8_t rnd[6] = {0};
    (void)crumb__random_os(NULL, rnd, sizeof rnd);
    snprintf(name, 64, "tmp/%s%ld.%llu.%02x%02x%02x%02x%02x%02x", tag, (long)getpid(),
             (unsigned long long)atomic_fetch_add(&fs->tmp_seq, 1), rnd[0], rnd[1], rnd[2],
             rnd[3], rnd[4], rnd[5]);
}

/* mkdir the fan-out directory rel ("s/ab") 0700 and make its entry durable
 * by fsyncing its parent. If that fsync fails the directory is removed
 * again, so a retry creates (and fsyncs) it instead of finding it present
 * but not durable. CRUMB_OK (also when it exists), CRUMB_E_IO, CRUMB_E_NOSPC. */
static crumb_err mkdir_durable(const file_store *fs, const char *rel)
{
    if (mkdirat(fs->dfd, rel, 0700) != 0)
        return errno == EEXIST ? CRUMB_OK : crumb__fs_werr(errno);
    char parent[2] = {rel[0], '\0'};
    crumb_err rc = crumb__fs_sync_dir(fs, parent);
    if (rc != CRUMB_OK)
        unlinkat(fs->dfd, rel, AT_REMOVEDIR);
    return rc;
}

/* see file_store.h */
crumb_err crumb__fs_write_tmp(const file_store *fs, const char *tmp, const uint8_t *img, size_t n)
{
    int fd = openat(fs->dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return crumb__fs_werr(errno);
    crumb_err rc = crumb__fs_write_full(fd, img, n);
    if (rc == CRUMB_OK && !fs->no_fsync && fsync(fd) != 0)
        rc = crumb__fs_werr(errno);
    if (close(fd) != 0 && rc == CRUMB_OK)
        rc = crumb__fs_werr(errno);
    return rc;
}

/* see file_store.h */
crumb_err crumb__fs_rec_write(file_store *fs, int type, const uint8_t h[32], const uint8_t *body,
                              size_t blen)
{
    uint8_t *img;
    size_t n;
    crumb_err rc = crumb__fs_image(type, h, body, blen, &img, &n);
    if (rc != CRUMB_OK)
        return rc;
    char tmp[64], rel[FS_RELPATH], pdir[8];
    crumb__fs_tmpname(fs, tmp, "");
    crumb__fs_relpath(rel, type, h);
    rc = crumb__fs_write_tmp(fs, tmp, img, n);
    crumb_wipe(img, n);
    crumb__free(img);
    if (type == T_GLOBAL) {
        memcpy(pdir, ".", 2);
    } else {
        memcpy(pdir, rel, 4); /* "s/ab" */
        pdir[4] = '\0';
    }
    if (rc == CRUMB_OK && type != T_GLOBAL)
        rc = mkdir_durable(fs, pdir);
    if (rc == CRUMB_OK && renameat(fs->dfd, tmp, fs->dfd, rel) != 0)
        rc = crumb__fs_werr(errno);
    if (rc != CRUMB_OK) {
        unlinkat(fs->dfd, tmp, 0);
        return rc;
    }
    return crumb__fs_sync_dir(fs, pdir);
}

/* see file_store.h */
crumb_err crumb__fs_rec_unlink(file_store *fs, int type, const uint8_t h[32])
{
    char rel[FS_RELPATH], pdir[8];
    crumb__fs_relpath(rel, type, h);
    if (unlinkat(fs->dfd, rel, 0) != 0)
        return errno == ENOENT ? CRUMB_E_NOTFOUND : CRUMB_E_IO;
    if (type == T_GLOBAL) {
        memcpy(pdir, ".", 2);
    } else {
        memcpy(pdir, rel, 4);
        pdir[4] = '\0';
    }
    return crumb__fs_sync_dir(fs, pdir);
}
