/*
 * file_open.c - opening a file store: the directory held open and checked,
 * the secret, the identity record that tells an initialised store from an
 * empty or substituted directory, initialisation that openers may race on;
 * close, health and the per-check liveness probe.
 */
#include "file_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define SECRET_LEN 41u /* "CRSK", 1, secret 32, CRC-32 */

/* ==== The directory ===================================================== */

/* 1 if a directory with this stat is one no other user can change entries
 * of: owned by the euid or root, and not writable by group or others unless
 * sticky (then others cannot rename or remove what they do not own). */
static int parent_safe(const struct stat *st)
{
    return (st->st_uid == geteuid() || st->st_uid == 0) &&
           ((st->st_mode & 022) == 0 || (st->st_mode & S_ISVTX) != 0);
}

/* Create the missing store directory dir (0700) in a safe parent and open
 * it. CRUMB_E_INVALID (unsafe parent), CRUMB_E_IO, CRUMB_E_NOSPC. */
static crumb_err create_dir(const char *dir, int no_fsync, int *dfd)
{
    char buf[PATH_MAX];
    size_t n = strlen(dir);
    memcpy(buf, dir, n + 1);
    while (n > 1 && buf[n - 1] == '/')
        buf[--n] = '\0';
    char *sl = strrchr(buf, '/');
    const char *base = sl ? sl + 1 : buf, *parent = sl == buf ? "/" : sl ? buf : ".";
    if (sl && sl != buf)
        *sl = '\0';
    if (base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return CRUMB_E_INVALID;
    int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (pfd < 0)
        return errno == ENOENT || errno == ENOTDIR ? CRUMB_E_INVALID : CRUMB_E_IO;
    struct stat st;
    crumb_err rc = fstat(pfd, &st) != 0 ? CRUMB_E_IO : parent_safe(&st) ? CRUMB_OK : CRUMB_E_INVALID;
    if (rc == CRUMB_OK && mkdirat(pfd, base, 0700) == 0) {
        if (!no_fsync && fsync(pfd) != 0) /* the new entry must be durable */
            rc = crumb__fs_werr(errno);
    } else if (rc == CRUMB_OK && errno != EEXIST) { /* EEXIST: a racing opener made it */
        rc = crumb__fs_werr(errno);
    }
    if (rc == CRUMB_OK &&
        (*dfd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        rc = errno == ENOTDIR || errno == ELOOP ? CRUMB_E_INVALID : CRUMB_E_IO;
    close(pfd);
    return rc;
}

/* Open the store directory into fs->dfd and check it (a directory of the
 * euid, closed to group and others). */
static crumb_err open_dir(file_store *fs, const char *dir, int no_create)
{
    fs->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    crumb_err rc = CRUMB_OK;
    if (fs->dfd < 0 && errno == ENOENT)
        rc = no_create ? CRUMB_E_NOTFOUND : create_dir(dir, fs->no_fsync, &fs->dfd);
    else if (fs->dfd < 0)
        rc = errno == ENOTDIR || errno == ELOOP ? CRUMB_E_INVALID : CRUMB_E_IO;
    if (rc != CRUMB_OK)
        return rc;
    struct stat st;
    if (fstat(fs->dfd, &st) != 0)
        return CRUMB_E_IO;
    if (!S_ISDIR(st.st_mode) || (st.st_mode & 077) != 0 || st.st_uid != geteuid())
        return CRUMB_E_INVALID;
    fs->gate_key = (uint64_t)st.st_dev * 0x100000001b3ull ^ (uint64_t)st.st_ino;
    return CRUMB_OK;
}

/* 1 if the store directory holds no record (no global record, no entry in
 * s/, r/, f/, u/), 0 if it does, -1 on an I/O error. */
static int holds_no_record(const file_store *fs)
{
    struct stat st;
    if (fstatat(fs->dfd, "global", &st, AT_SYMLINK_NOFOLLOW) == 0)
        return 0;
    if (errno != ENOENT)
        return -1;
    for (const char *t = "srfu"; *t; t++) {
        char rel[2] = {*t, '\0'};
        int fd = openat(fs->dfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT)
            continue;
        DIR *d = fd < 0 ? NULL : fdopendir(fd);
        if (d == NULL) {
            if (fd >= 0)
                close(fd);
            return -1;
        }
        struct dirent *e;
        int any = 0;
        errno = 0;
        while (!any && (e = readdir(d)) != NULL)
            any = e->d_name[0] != '.';
        int err = !any && errno != 0;
        closedir(d);
        if (any || err)
            return any ? 0 : -1;
    }
    return 1;
}

/* ==== The secret ======================================================== */

/* Read DIR/secret into fs->sec->secret. CRUMB_E_NOTFOUND, CRUMB_E_CORRUPT,
 * CRUMB_E_IO (unreadable now is not damaged: never CORRUPT). */
static crumb_err secret_read(file_store *fs)
{
    uint8_t b[SECRET_LEN + 1];
    int fd = openat(fs->dfd, "secret", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? CRUMB_E_NOTFOUND : CRUMB_E_IO;
    ssize_t r = crumb__fs_read_full(fd, b, sizeof b);
    close(fd);
    crumb_err rc = CRUMB_OK;
    uint8_t c[4];
    uint32_t v = (uint32_t)crc32(0L, b, 37);
    for (int i = 0; i < 4; i++)
        c[i] = (uint8_t)(v >> (8 * i));
    if (r < 0)
        rc = CRUMB_E_IO;
    else if (r != (ssize_t)SECRET_LEN || memcmp(b, "CRSK", 4) != 0 || b[4] != 1 ||
             memcmp(b + 37, c, 4) != 0)
        rc = CRUMB_E_CORRUPT;
    else
        memcpy(fs->sec->secret, b + 5, 32);
    crumb_wipe(b, sizeof b);
    return rc;
}

/* Create name (e.g. "secret") with the n bytes of img unless it exists: a
 * temp file, fsync, then linkat() into place, which fails harmlessly if
 * another opener won the race; then fsync the directory. */
static crumb_err create_once(file_store *fs, const char *name, const uint8_t *img, size_t n)
{
    char tmp[64];
    crumb__fs_tmpname(fs, tmp, name);
    crumb_err rc = crumb__fs_write_tmp(fs, tmp, img, n);
    if (rc == CRUMB_OK && linkat(fs->dfd, tmp, fs->dfd, name, 0) != 0 && errno != EEXIST)
        rc = crumb__fs_werr(errno);
    unlinkat(fs->dfd, tmp, 0);
    return rc == CRUMB_OK ? crumb__fs_sync_dir(fs, ".") : rc;
}

/* Make DIR/secret (random) if absent, then read it. */
static crumb_err secret_make(file_store *fs)
{
    crumb_err rc = secret_read(fs);
    if (rc != CRUMB_E_NOTFOUND)
        return rc;
    uint8_t b[SECRET_LEN];
    memcpy(b, "CRSK", 4);
    b[4] = 1;
    if (crumb__random_os(NULL, b + 5, 32) != 0)
        return CRUMB_E_RANDOM;
    uint32_t v = (uint32_t)crc32(0L, b, 37);
    for (int i = 0; i < 4; i++)
        b[37 + i] = (uint8_t)(v >> (8 * i));
    rc = create_once(fs, "secret", b, sizeof b);
    crumb_wipe(b, sizeof b);
    return rc == CRUMB_OK ? secret_read(fs) : rc;
}

/* Key the store: fs->sec from cfg (given secret) or DIR/secret (made if
 * `make`), and the HMAC state (the identity record's key). */
static crumb_err secret_load(file_store *fs, const uint8_t *given, int make)
{
    crumb_err rc = CRUMB_OK;
    if (given != NULL)
        memcpy(fs->sec->secret, given, 32);
    else
        rc = make ? secret_make(fs) : secret_read(fs);
    if (rc == CRUMB_E_NOTFOUND)
        rc = CRUMB_E_CORRUPT; /* an initialised store lost its secret */
    if (rc != CRUMB_OK)
        return rc;
    crumb__fs_hkey_init(&fs->sec->hk, fs->sec->secret);
    return CRUMB_OK;
}

/* ==== The identity record =============================================== */

/* Verify the identity image b (CRUMB__FS_ID_BYTES) under the store
 * secret: CRUMB_OK, CRUMB_E_CORRUPT (not an identity keyed by this
 * secret), CRUMB_E_VERSION (a version this build does not know). */
static crumb_err identity_verify(const file_store *fs, const uint8_t *b)
{
    uint8_t mac[32];
    if (memcmp(b, "CRID", 4) != 0 || b[5] || b[6] || b[7])
        return CRUMB_E_CORRUPT;
    if (b[4] != FS_NAMES_HMAC && b[4] != FS_NAMES_SIPHASH)
        return CRUMB_E_VERSION;
    crumb__fs_hmac(&fs->sec->hk, mac, b, 32, NULL, 0);
    int ok = crumb_ct_equal(mac, b + 32, 32);
    crumb_wipe(mac, sizeof mac);
    return ok ? CRUMB_OK : CRUMB_E_CORRUPT;
}

/* Verify the identity image b as identity_verify; its version says how the
 * store names its records (fs->names, and the path-name keys are made).
 * Releases before version 2 existed answer CRUMB_E_VERSION to a version-2
 * store: none of them misreads its names. */
static crumb_err identity_check(file_store *fs, const uint8_t *b)
{
    crumb_err rc = identity_verify(fs, b);
    if (rc != CRUMB_OK)
        return rc;
    if (b[4] == FS_NAMES_SIPHASH && !crumb__siphash_available())
        return CRUMB_E_UNSUPPORTED; /* a build without libsodium cannot name its records */
    if (fs->names != 0) /* a repair's new identity: the naming never changes */
        return b[4] == fs->names ? CRUMB_OK : CRUMB_E_CORRUPT;
    fs->names = b[4];
    return crumb__fs_names_init(fs);
}

/* A new identity image of version `names` (FS_NAMES_*) for the store into b. */
static crumb_err identity_build(const file_store *fs, uint8_t b[CRUMB__FS_ID_BYTES], int64_t now,
                                unsigned names)
{
    memset(b, 0, CRUMB__FS_ID_BYTES);
    memcpy(b, "CRID", 4);
    b[4] = (uint8_t)names;
    if (crumb__random_os(NULL, b + 8, 16) != 0)
        return CRUMB_E_RANDOM;
    stm_put64(b + 24, (uint64_t)now);
    crumb__fs_hmac(&fs->sec->hk, b + 32, b, 32, NULL, 0);
    return CRUMB_OK;
}

/* Open DIR/identity, read it into b and make it fs->idfd: the first time
 * by assignment (open is single-threaded; the caller checks b), later (a
 * repair) only once b checks as this store's identity (identity_check),
 * by dup3() onto the same descriptor number, so a concurrent check's fstat
 * sees the old or the new file, never a closed descriptor, nor one of
 * other names. CRUMB_E_NOTFOUND, CRUMB_E_CORRUPT (wrong size, not a file,
 * not this store's), CRUMB_E_IO. */
static crumb_err identity_open(file_store *fs, uint8_t b[CRUMB__FS_ID_BYTES + 1])
{
    int fd = openat(fs->dfd, "identity", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? CRUMB_E_NOTFOUND : errno == ELOOP ? CRUMB_E_CORRUPT : CRUMB_E_IO;
    ssize_t r = crumb__fs_read_full(fd, b, CRUMB__FS_ID_BYTES + 1);
    crumb_err rc = r < 0 ? CRUMB_E_IO : r != (ssize_t)CRUMB__FS_ID_BYTES ? CRUMB_E_CORRUPT : CRUMB_OK;
    if (rc == CRUMB_OK && fs->idfd < 0) {
        fs->idfd = fd;
        return CRUMB_OK;
    }
    if (rc == CRUMB_OK)
        rc = identity_check(fs, b);
    if (rc == CRUMB_OK && dup3(fd, fs->idfd, O_CLOEXEC) < 0)
        rc = CRUMB_E_IO;
    close(fd);
    return rc;
}

/* CRUMB_OK if the held directory's parent is one no other user can change
 * entries of (parent_safe), CRUMB_E_INVALID if not, CRUMB_E_IO. */
static crumb_err parent_check(const file_store *fs)
{
    struct stat st;
    int pfd = openat(fs->dfd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (pfd < 0)
        return CRUMB_E_IO;
    crumb_err rc = fstat(pfd, &st) != 0 ? CRUMB_E_IO : parent_safe(&st) ? CRUMB_OK : CRUMB_E_INVALID;
    close(pfd);
    return rc;
}

/* Initialise the store in a directory that holds no record and whose parent
 * no other user can change (else an empty directory put in place of a store
 * would be taken for a new one): sub-directories, secret, identity (written
 * last: its presence means "initialised"). CRUMB_E_CORRUPT if the directory
 * holds records (and still no identity), CRUMB_E_INVALID (unsafe parent). */
static crumb_err store_init(file_store *fs, const crumb_store_file_config *c)
{
    int empty = holds_no_record(fs);
    if (empty <= 0)
        return empty < 0 ? CRUMB_E_IO : CRUMB_E_CORRUPT;
    crumb_err prc = parent_check(fs);
    if (prc != CRUMB_OK)
        return prc;
    static const char *const subs[] = {"tmp", "lock", "s", "r", "f", "u"};
    int made = 0;
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        if (mkdirat(fs->dfd, subs[i], 0700) == 0)
            made = 1;
        else if (errno != EEXIST)
            return crumb__fs_werr(errno);
    }
    crumb_err rc = made ? crumb__fs_sync_dir(fs, ".") : CRUMB_OK;
    if (rc == CRUMB_OK)
        rc = secret_load(fs, c->secret, 1);
    uint8_t b[CRUMB__FS_ID_BYTES];
    /* a new store takes SipHash names where the build has them (version 2) */
    if (rc == CRUMB_OK)
        rc = identity_build(fs, b, 0,
                            crumb__siphash_available() ? FS_NAMES_SIPHASH : FS_NAMES_HMAC);
    if (rc == CRUMB_OK)
        rc = create_once(fs, "identity", b, sizeof b);
    return rc;
}

/* Attach to the store in fs->dfd: identity present -> secret, verify;
 * absent -> initialise (if the directory holds no record), then verify. */
static crumb_err store_attach(file_store *fs, const crumb_store_file_config *c)
{
    uint8_t b[CRUMB__FS_ID_BYTES + 1];
    crumb_err rc = identity_open(fs, b);
    if (rc == CRUMB_E_NOTFOUND) {
        rc = store_init(fs, c);
        /* also when init saw records: a racing opener may have finished */
        crumb_err again = identity_open(fs, b);
        if (rc == CRUMB_OK || (rc == CRUMB_E_CORRUPT && again == CRUMB_OK))
            rc = again;
        if (rc == CRUMB_E_NOTFOUND)
            rc = CRUMB_E_CORRUPT;
    }
    if (rc == CRUMB_OK)
        rc = secret_load(fs, c->secret, 0);
    if (rc == CRUMB_OK)
        rc = identity_check(fs, b);
    crumb_wipe(b, sizeof b);
    return rc;
}

/* ==== Constructor, close, health ======================================== */

/* Release everything fs holds. */
static void fs_free(file_store *fs)
{
    if (fs->dfd >= 0)
        close(fs->dfd);
    if (fs->idfd >= 0)
        close(fs->idfd);
    crumb__secure_free(fs->sec, sizeof *fs->sec);
    crumb__free(fs);
}

/* Fill fs's settings from cfg c. */
static void fs_settings(file_store *fs, const crumb_store_file_config *c)
{
    fs->lim.throttle = c->throttle ? c->throttle : STM_DEFAULT_THROTTLE;
    fs->lim.max_devices = c->max_devices ? c->max_devices : STM_DEFAULT_MAX_DEVICES;
    fs->lim.max_index = c->max_index ? c->max_index : STM_DEFAULT_MAX_INDEX;
    fs->lock_timeout_ms = c->lock_timeout_ms ? c->lock_timeout_ms : 5000u;
    fs->no_fsync = c->no_fsync;
    fs->dfd = fs->idfd = -1;
    atomic_init(&fs->checks, 0);
    atomic_init(&fs->corrupt, 0);
    atomic_init(&fs->tmp_seq, 0);
}

/* see crumb_store.h */
crumb_err crumb_store_file_open(crumb_store **out, const char *dir,
                                const crumb_store_file_config *cfg)
{
    if (out == NULL)
        return CRUMB_E_INVALID;
    *out = NULL;
    crumb_store_file_config c = cfg ? *cfg : (crumb_store_file_config){0};
    if (dir == NULL || dir[0] == '\0' || strlen(dir) >= PATH_MAX ||
        c.max_devices > STM_HARD_MAX_DEVICES || c.max_index > STM_HARD_MAX_INDEX)
        return CRUMB_E_INVALID;
    file_store *fs = crumb__calloc(1, sizeof *fs);
    if (fs == NULL)
        return CRUMB_E_NOMEM;
    fs->base.methods = crumb__fs_methods();
    fs_settings(fs, &c);
    fs->sec = crumb__secure_alloc(sizeof *fs->sec);
    crumb_err rc = fs->sec ? open_dir(fs, dir, c.no_create) : CRUMB_E_NOMEM;
    if (rc == CRUMB_OK)
        rc = store_attach(fs, &c);
    if (rc != CRUMB_OK) {
        fs_free(fs);
        return rc;
    }
    *out = &fs->base;
    return CRUMB_OK;
}

/* see crumb_store.h (close slot) */
void crumb__fs_close(crumb_store *s)
{
    fs_free((file_store *)s);
}

/* see crumb_store.h (health slot): the store is still there and writable. */
crumb_err crumb__fs_health(crumb_store *s, int64_t now)
{
    file_store *fs = (file_store *)s;
    (void)now;
    crumb_err rc = crumb__fs_alive(fs);
    if (rc == CRUMB_OK && faccessat(fs->dfd, "tmp", W_OK, 0) != 0)
        rc = CRUMB_E_IO;
    return rc;
}

/* see file_store.h */
crumb_err crumb__fs_alive(file_store *fs)
{
    struct stat st;
    if (fstat(fs->idfd, &st) != 0)
        return CRUMB_E_IO;
    return st.st_nlink > 0 ? CRUMB_OK : CRUMB_E_CORRUPT;
}

/* Put a new identity record of the store's version at DIR/identity: in
 * place of a damaged one (`replace`: temp file, fsync, rename), else only
 * where none is (linkat: CRUMB_E_EXISTS if an opener made one meanwhile);
 * then the directory fsync. */
static crumb_err identity_write(file_store *fs, int64_t now, int replace)
{
    uint8_t b[CRUMB__FS_ID_BYTES];
    char tmp[64];
    crumb_err rc = identity_build(fs, b, now, fs->names);
    if (rc != CRUMB_OK)
        return rc;
    crumb__fs_tmpname(fs, tmp, "identity");
    rc = crumb__fs_write_tmp(fs, tmp, b, CRUMB__FS_ID_BYTES);
    if (rc == CRUMB_OK && replace && renameat(fs->dfd, tmp, fs->dfd, "identity") != 0)
        rc = crumb__fs_werr(errno);
    if (rc == CRUMB_OK && !replace && linkat(fs->dfd, tmp, fs->dfd, "identity", 0) != 0)
        rc = errno == EEXIST ? CRUMB_E_EXISTS : crumb__fs_werr(errno);
    if (!replace || rc != CRUMB_OK)
        unlinkat(fs->dfd, tmp, 0);
    return rc == CRUMB_OK ? crumb__fs_sync_dir(fs, ".") : rc;
}

/* see file_store.h. What is at DIR/identity decides: an identity of this
 * store (another handle repaired it) is taken as it is; none, or a damaged
 * one, gets a new identity of the store's version; a valid identity of
 * other names (an opener found the directory without identity and record
 * and made a new store in it, of its build's version) or of an unknown
 * version is left alone (CRUMB_E_CORRUPT, CRUMB_E_VERSION): writing ours
 * over it would hide what that store's openers wrote under its names. */
crumb_err crumb__fs_identity_adopt(file_store *fs, int64_t now)
{
    uint8_t b[CRUMB__FS_ID_BYTES + 1];
    crumb_err rc = CRUMB_E_EXISTS;
    for (int tries = 0; tries < 3 && rc == CRUMB_E_EXISTS; tries++) {
        int fd = openat(fs->dfd, "identity", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        int present = fd >= 0 || errno == ELOOP;
        if (fd < 0 && errno != ENOENT && errno != ELOOP)
            return CRUMB_E_IO;
        ssize_t r = fd < 0 ? 0 : crumb__fs_read_full(fd, b, sizeof b);
        if (fd >= 0)
            close(fd);
        if (r < 0)
            return CRUMB_E_IO;
        rc = r != (ssize_t)CRUMB__FS_ID_BYTES ? CRUMB_E_CORRUPT : identity_verify(fs, b);
        if (rc == CRUMB_OK && b[4] != fs->names)
            rc = CRUMB_E_CONFLICT; /* a store of other names: left alone */
        else if (rc == CRUMB_E_CORRUPT) /* none, or damaged */
            rc = identity_write(fs, now, present);
    }
    if (rc == CRUMB_OK)
        rc = identity_open(fs, b);
    crumb_wipe(b, sizeof b);
    return rc == CRUMB_E_EXISTS || rc == CRUMB_E_CONFLICT ? CRUMB_E_CORRUPT : rc;
}
