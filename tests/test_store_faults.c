/*
 * test_store_faults.c - system-call fault injection for the file store. This
 * binary alone is linked with ld --wrap for the calls stores/file.c makes
 * (Makefile: FAULT_WRAP), so the Nth open/read/write/fsync/close/rename/
 * mkdir/link/unlink/flock/fstat/lstat/opendir/readdir fails with EIO,
 * ENOSPC (sticky: a full disk stays full), EINTR, or is cut short. Every
 * call index of every operation is tried; the op must succeed or give a
 * clear error, each record file must afterwards hold its old or its new
 * image (same object and after reopen), nothing may read as corrupt,
 * leftover temp files must be swept, and the store must stay usable.
 */
#include "check.h"
#include "crumb_store.h"
#include "internal.h"
#include "names.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOW 1700000000LL
#define DAY 86400LL

/* ==== Fault switchboard ================================================= */

enum { C_OPEN, C_READ, C_WRITE, C_FSYNC, C_CLOSE, C_RENAME, C_MKDIR, C_LINK, C_UNLINK,
       C_FLOCK, C_FSTAT, C_LSTAT, C_OPENDIR, C_READDIR, C_N };
static const char *const cname[C_N] = {"open",   "read",  "write", "fsync", "close",
                                       "rename", "mkdir", "link",  "unlink", "flock",
                                       "fstat",  "lstat", "opendir", "readdir"};

enum { M_EIO, M_ENOSPC, M_EINTR, M_SHORT, M_N };
static const char *const mname[M_N] = {"EIO", "ENOSPC(sticky)", "EINTR", "short"};

static struct {
    int on;          /* count calls (only while an operation runs) */
    int call;        /* class to fault, -1 = none */
    long nth;        /* 1-based index of the call that fails */
    int mode;        /* M_* */
    long count[C_N]; /* calls seen per class since arming */
    int fired;       /* how many calls were faulted */
} fi = {.call = -1};

/* Start counting; fault the nth call of class c (c < 0: count only). */
static void arm(int c, long nth, int mode)
{
    memset(fi.count, 0, sizeof fi.count);
    fi.call = c;
    fi.nth = nth;
    fi.mode = mode;
    fi.fired = 0;
    fi.on = 1;
}

static void disarm(void)
{
    fi.on = 0;
    fi.call = -1;
}

/* Count one call of class c; 1 if it must be faulted. */
static int fault(int c)
{
    if (!fi.on)
        return 0;
    long k = ++fi.count[c];
    if (c != fi.call || k < fi.nth || (k > fi.nth && fi.mode != M_ENOSPC))
        return 0;
    fi.fired++;
    return 1;
}

/* Fail the current call with the armed errno. */
static int fail(void)
{
    errno = fi.mode == M_ENOSPC ? ENOSPC : fi.mode == M_EINTR ? EINTR : EIO;
    return -1;
}

/* ==== The wrappers: the linker sends every reference to SYM in this binary
 * (the library objects included) to __wrap_SYM; __real_SYM is libc's. ==== */

int __real_open(const char *p, int fl, ...);
int __real_open64(const char *p, int fl, ...);
int __real___open_2(const char *p, int fl);
int __real___open64_2(const char *p, int fl);
ssize_t __real_read(int fd, void *b, size_t n);
ssize_t __real___read_chk(int fd, void *b, size_t n, size_t cap);
ssize_t __real_write(int fd, const void *b, size_t n);
int __real_fsync(int fd);
int __real_close(int fd);
int __real_rename(const char *a, const char *b);
int __real_mkdir(const char *p, mode_t m);
int __real_link(const char *a, const char *b);
int __real_unlink(const char *p);
int __real_flock(int fd, int op);
int __real_fstat(int fd, void *st);
int __real_fstat64(int fd, void *st);
int __real_lstat(const char *p, void *st);
int __real_lstat64(const char *p, void *st);
DIR *__real_opendir(const char *p);
void *__real_readdir(DIR *d);
void *__real_readdir64(DIR *d);
int __real_openat(int d, const char *p, int fl, ...);
int __real_openat64(int d, const char *p, int fl, ...);
int __real___openat_2(int d, const char *p, int fl);
int __real___openat64_2(int d, const char *p, int fl);
int __real_renameat(int da, const char *a, int db, const char *b);
int __real_mkdirat(int d, const char *p, mode_t m);
int __real_linkat(int da, const char *a, int db, const char *b, int fl);
int __real_unlinkat(int d, const char *p, int fl);
int __real_fstatat(int d, const char *p, void *st, int fl);
int __real_fstatat64(int d, const char *p, void *st, int fl);
DIR *__real_fdopendir(int fd);

int __wrap_open(const char *p, int fl, ...);
int __wrap_open64(const char *p, int fl, ...);
int __wrap___open_2(const char *p, int fl);
int __wrap___open64_2(const char *p, int fl);
ssize_t __wrap_read(int fd, void *b, size_t n);
ssize_t __wrap___read_chk(int fd, void *b, size_t n, size_t cap);
ssize_t __wrap_write(int fd, const void *b, size_t n);
int __wrap_fsync(int fd);
int __wrap_close(int fd);
int __wrap_rename(const char *a, const char *b);
int __wrap_mkdir(const char *p, mode_t m);
int __wrap_link(const char *a, const char *b);
int __wrap_unlink(const char *p);
int __wrap_flock(int fd, int op);
int __wrap_fstat(int fd, void *st);
int __wrap_fstat64(int fd, void *st);
int __wrap_lstat(const char *p, void *st);
int __wrap_lstat64(const char *p, void *st);
DIR *__wrap_opendir(const char *p);
void *__wrap_readdir(DIR *d);
void *__wrap_readdir64(DIR *d);
int __wrap_openat(int d, const char *p, int fl, ...);
int __wrap_openat64(int d, const char *p, int fl, ...);
int __wrap___openat_2(int d, const char *p, int fl);
int __wrap___openat64_2(int d, const char *p, int fl);
int __wrap_renameat(int da, const char *a, int db, const char *b);
int __wrap_mkdirat(int d, const char *p, mode_t m);
int __wrap_linkat(int da, const char *a, int db, const char *b, int fl);
int __wrap_unlinkat(int d, const char *p, int fl);
int __wrap_fstatat(int d, const char *p, void *st, int fl);
int __wrap_fstatat64(int d, const char *p, void *st, int fl);
DIR *__wrap_fdopendir(int fd);

/* The mode argument of open, if the flags say there is one. */
#define OPEN_MODE(fl, m)                                                            \
    do {                                                                            \
        if (((fl) & O_CREAT) || ((fl) & O_TMPFILE) == O_TMPFILE) {                  \
            va_list ap_;                                                            \
            va_start(ap_, fl);                                                      \
            m = va_arg(ap_, mode_t);                                                \
            va_end(ap_);                                                            \
        }                                                                           \
    } while (0)

int __wrap_open(const char *p, int fl, ...)
{
    mode_t m = 0;
    OPEN_MODE(fl, m);
    return fault(C_OPEN) ? fail() : __real_open(p, fl, m);
}

int __wrap_open64(const char *p, int fl, ...)
{
    mode_t m = 0;
    OPEN_MODE(fl, m);
    return fault(C_OPEN) ? fail() : __real_open64(p, fl, m);
}

int __wrap___open_2(const char *p, int fl)
{
    return fault(C_OPEN) ? fail() : __real___open_2(p, fl);
}

int __wrap___open64_2(const char *p, int fl)
{
    return fault(C_OPEN) ? fail() : __real___open64_2(p, fl);
}

ssize_t __wrap_read(int fd, void *b, size_t n)
{
    if (!fault(C_READ))
        return __real_read(fd, b, n);
    if (fi.mode == M_SHORT) /* a short read: half of what was asked (at least 1) */
        return __real_read(fd, b, n > 1 ? n / 2 : n);
    return fail();
}

ssize_t __wrap___read_chk(int fd, void *b, size_t n, size_t cap)
{
    if (!fault(C_READ))
        return __real___read_chk(fd, b, n, cap);
    if (fi.mode == M_SHORT)
        return __real___read_chk(fd, b, n > 1 ? n / 2 : n, cap);
    return fail();
}

ssize_t __wrap_write(int fd, const void *b, size_t n)
{
    if (!fault(C_WRITE))
        return __real_write(fd, b, n);
    if (fi.mode == M_SHORT)
        return __real_write(fd, b, n > 1 ? n / 2 : n);
    return fail();
}

int __wrap_fsync(int fd)
{
    return fault(C_FSYNC) ? fail() : __real_fsync(fd);
}

/* Linux releases the descriptor even when close reports an error. */
int __wrap_close(int fd)
{
    int f = fault(C_CLOSE);
    int rc = __real_close(fd);
    return f ? fail() : rc;
}

int __wrap_rename(const char *a, const char *b)
{
    return fault(C_RENAME) ? fail() : __real_rename(a, b);
}

int __wrap_mkdir(const char *p, mode_t m)
{
    return fault(C_MKDIR) ? fail() : __real_mkdir(p, m);
}

int __wrap_link(const char *a, const char *b)
{
    return fault(C_LINK) ? fail() : __real_link(a, b);
}

int __wrap_unlink(const char *p)
{
    return fault(C_UNLINK) ? fail() : __real_unlink(p);
}

int __wrap_flock(int fd, int op)
{
    return fault(C_FLOCK) ? fail() : __real_flock(fd, op);
}

int __wrap_fstat(int fd, void *st)
{
    return fault(C_FSTAT) ? fail() : __real_fstat(fd, st);
}

int __wrap_fstat64(int fd, void *st)
{
    return fault(C_FSTAT) ? fail() : __real_fstat64(fd, st);
}

int __wrap_lstat(const char *p, void *st)
{
    return fault(C_LSTAT) ? fail() : __real_lstat(p, st);
}

int __wrap_lstat64(const char *p, void *st)
{
    return fault(C_LSTAT) ? fail() : __real_lstat64(p, st);
}

/* opendir and readdir count only calls that would succeed: sweep probes
 * 1024 fan-out directories, almost all absent, and faulting an absent one
 * tests nothing new. */
DIR *__wrap_opendir(const char *p)
{
    DIR *d = __real_opendir(p);
    if (d != NULL && fault(C_OPENDIR)) {
        closedir(d);
        fail();
        return NULL;
    }
    return d;
}

void *__wrap_readdir(DIR *d)
{
    void *e = __real_readdir(d);
    if (e != NULL && fault(C_READDIR)) {
        fail();
        return NULL;
    }
    return e;
}

void *__wrap_readdir64(DIR *d)
{
    void *e = __real_readdir64(d);
    if (e != NULL && fault(C_READDIR)) {
        fail();
        return NULL;
    }
    return e;
}

/* The *at() calls the store makes relative to its directory fd count as
 * their path-based classes (openat is an open, renameat a rename, ...). */
int __wrap_openat(int d, const char *p, int fl, ...)
{
    mode_t m = 0;
    OPEN_MODE(fl, m);
    return fault(C_OPEN) ? fail() : __real_openat(d, p, fl, m);
}

int __wrap_openat64(int d, const char *p, int fl, ...)
{
    mode_t m = 0;
    OPEN_MODE(fl, m);
    return fault(C_OPEN) ? fail() : __real_openat64(d, p, fl, m);
}

int __wrap___openat_2(int d, const char *p, int fl)
{
    return fault(C_OPEN) ? fail() : __real___openat_2(d, p, fl);
}

int __wrap___openat64_2(int d, const char *p, int fl)
{
    return fault(C_OPEN) ? fail() : __real___openat64_2(d, p, fl);
}

int __wrap_renameat(int da, const char *a, int db, const char *b)
{
    return fault(C_RENAME) ? fail() : __real_renameat(da, a, db, b);
}

int __wrap_mkdirat(int d, const char *p, mode_t m)
{
    return fault(C_MKDIR) ? fail() : __real_mkdirat(d, p, m);
}

int __wrap_linkat(int da, const char *a, int db, const char *b, int fl)
{
    return fault(C_LINK) ? fail() : __real_linkat(da, a, db, b, fl);
}

int __wrap_unlinkat(int d, const char *p, int fl)
{
    return fault(C_UNLINK) ? fail() : __real_unlinkat(d, p, fl);
}

int __wrap_fstatat(int d, const char *p, void *st, int fl)
{
    return fault(C_LSTAT) ? fail() : __real_fstatat(d, p, st, fl);
}

int __wrap_fstatat64(int d, const char *p, void *st, int fl)
{
    return fault(C_LSTAT) ? fail() : __real_fstatat64(d, p, st, fl);
}

/* fdopendir gets the fd of a directory that was just opened, so (like
 * opendir above) only calls that would succeed are counted; a faulted one
 * leaves the fd to the caller. */
DIR *__wrap_fdopendir(int fd)
{
    if (fault(C_OPENDIR)) {
        fail();
        return NULL;
    }
    return __real_fdopendir(fd);
}

/* Which modes apply to which calls: ENOSPC to the calls that can allocate
 * space; EINTR to those that can be interrupted; short to read and write. */
static int mode_applies(int mode, int c)
{
    switch (mode) {
    case M_EIO: return 1;
    case M_ENOSPC:
        return c == C_OPEN || c == C_WRITE || c == C_FSYNC || c == C_CLOSE || c == C_RENAME ||
               c == C_MKDIR || c == C_LINK || c == C_UNLINK;
    case M_EINTR:
        return c == C_OPEN || c == C_READ || c == C_WRITE || c == C_FSYNC || c == C_CLOSE ||
               c == C_FLOCK;
    default: return c == C_READ || c == C_WRITE;
    }
}

/* 1 if the store retries this fault (its read/write loops and the lock
 * poll retry EINTR and continue after a short count): the op must then
 * behave exactly as without the fault. */
static int must_retry(int mode, int c)
{
    return mode == M_SHORT || (mode == M_EINTR && (c == C_READ || c == C_WRITE || c == C_FLOCK));
}

/* ==== Reporting ========================================================= */

static char point[256]; /* the fault point being run, for messages */
static int printed;

#define EXPECT(cond)                                                                 \
    do {                                                                             \
        check_count++;                                                               \
        if (!(cond)) {                                                               \
            check_failures++;                                                        \
            if (printed++ < 60)                                                      \
                fprintf(stderr, "%s:%d: [%s] CHECK failed: %s\n", __FILE__, __LINE__, \
                        point, #cond);                                               \
        }                                                                            \
    } while (0)

/* Hang guard: a point that takes more than a few seconds is a bug. */
static void on_alarm(int sig)
{
    (void)sig;
    static const char m[] = "\ntest_store_faults: timed out at ";
    fi.on = 0;
    (void)!__real_write(2, m, sizeof m - 1);
    (void)!__real_write(2, point, strlen(point));
    (void)!__real_write(2, "\n", 1);
    _exit(3);
}

/* ==== Fixtures ========================================================== */

static const uint8_t SECRET[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
static uint8_t d10[10], d40[40], d50[50], d100[100], d200[200], d300[300], d5000[5000];
static crumb_store_key K[10]; /* K[1..8]; K[9] = the key of the "still usable" probe */
static crumb_store_id F[5], D[6];
static uint8_t bigbuf[CRUMB_STORE_DATA_MAX];
static char base[64];     /* /tmp/crumb-faults-XXXXXX */
static unsigned dir_seq;

static crumb_store_key key_n(unsigned n)
{
    crumb_store_key k;
    memset(&k, 0x5a, sizeof k);
    memcpy(k.b, &n, sizeof n);
    return k;
}

/* Fan-out byte of a session key's record (docs/STORE.md: the first byte of
 * the name of 'S' || key, in a store of the version this build creates). */
static int fanout(const crumb_store_key *k)
{
    uint8_t pre[33], h[32];
    pre[0] = 'S';
    memcpy(pre + 1, k->b, 32);
    if (names_file(h, SECRET, names_file_version(), pre, 33) != 0)
        abort();
    return h[0];
}

static crumb_store_file_config cfg_setup = {.secret = SECRET, .no_fsync = 1};
static crumb_store_file_config cfg_op = {.secret = SECRET};

/* A fresh store directory path under base (not created). */
static void fresh_dir(char *d, size_t cap)
{
    snprintf(d, cap, "%s/%u", base, dir_seq++);
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void rm_tree(const char *d)
{
    nftw(d, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The records every operation starts from (times relative to NOW). */
static void setup(const char *dir, const crumb_store_file_config *cfg)
{
    crumb_store *s = NULL;
    uint64_t v;
    crumb_err e = crumb_store_file_open(&s, dir, cfg);
    if (e != CRUMB_OK) {
        fprintf(stderr, "setup: open %s: %s\n", dir, crumb_strerror((int)e));
        exit(2);
    }
    int bad = 0;
#define S_OK(x) bad |= (x) != CRUMB_OK
    S_OK(crumb_store_put(s, &K[1], d40, sizeof d40, NOW + 3000, 0, &v, NOW - 100));
    S_OK(crumb_store_put(s, &K[2], d300, sizeof d300, NOW + 3000, 0, &v, NOW - 100));
    S_OK(crumb_store_put(s, &K[2], d300, 150, NOW + 3000, 1, &v, NOW - 90));
    S_OK(crumb_store_put(s, &K[2], d300, sizeof d300, NOW + 3000, 2, &v, NOW - 80));
    S_OK(crumb_store_put(s, &K[3], d5000, sizeof d5000, NOW + 60 * DAY, 0, &v, NOW - 100));
    S_OK(crumb_store_put(s, &K[4], d10, sizeof d10, NOW - 100, 0, &v, NOW - 1000)); /* expired */
    S_OK(crumb_store_revoke_session(s, &K[5], NOW + 2000, NOW - 100));
    S_OK(crumb_store_revoke_session(s, &K[6], NOW - 50, NOW - 1000)); /* expired */
    uint64_t cur;
    S_OK(crumb_store_family_advance(s, &F[1], 0, 1, NOW + 60 * DAY, NOW - 500, &cur));
    S_OK(crumb_store_family_advance(s, &F[1], 1, 2, NOW + 60 * DAY, NOW - 200, &cur));
    S_OK(crumb_store_family_advance(s, &F[2], 0, 1, NOW + 5000, NOW - 100, &cur));
    S_OK(crumb_store_revoke_family(s, &F[2], NOW + 1000, NOW - 10));
    S_OK(crumb_store_family_advance(s, &F[3], 0, 1, NOW - 10, NOW - 2000, &cur)); /* expired */
    S_OK(crumb_store_family_advance(s, &F[4], 0, 1, NOW + 60 * DAY, NOW - 3000, &cur));
    S_OK(crumb_store_revoke_family(s, &F[4], NOW - 20, NOW - 3000)); /* revocation over */
    S_OK(crumb_store_revoke_all(s, NOW - 500, NOW - 400));
    crumb_store_sighting sg = {.device = D[1], .label = "laptop", .ip_prefix = "192.0.2.0/24"};
    memset(sg.fingerprint, 0x11, sizeof sg.fingerprint);
    S_OK(crumb_store_device_seen(s, "t", "alice", &sg, NOW - 70 * DAY, NULL));
    S_OK(crumb_store_device_set_trust(s, "t", "alice", &D[1], CRUMB_TRUST_TRUSTED, NOW - 70 * DAY));
    sg = (crumb_store_sighting){.device = D[2], .label = "phone"};
    S_OK(crumb_store_device_seen(s, "t", "alice", &sg, NOW - 10, NULL));
    S_OK(crumb_store_device_set_trust(s, "t", "alice", &D[2], CRUMB_TRUST_SEEN, NOW - 10));
    S_OK(crumb_store_revoke_device(s, "t", "alice", &D[3], NOW + 7000, NOW - 10));
    crumb_store_session_info in = {.session = K[1], .family = F[1], .device = D[1],
                                   .created = NOW - 100, .last_seen = NOW - 100,
                                   .expires_at = NOW + 3000, .label = "a"};
    S_OK(crumb_store_index_put(s, "t", "alice", &in, NOW - 100));
    in = (crumb_store_session_info){.session = K[2], .family = F[2], .device = D[2],
                                    .created = NOW - 50, .last_seen = NOW - 40,
                                    .expires_at = NOW + 3000, .label = "b"};
    S_OK(crumb_store_index_put(s, "t", "alice", &in, NOW - 40));
    in = (crumb_store_session_info){.session = K[4], .created = NOW - 1000,
                                    .last_seen = NOW - 1000, .expires_at = NOW - 5};
    S_OK(crumb_store_index_put(s, "t", "alice", &in, NOW - 1000)); /* expired */
    S_OK(crumb_store_revoke_user(s, NULL, "bob", NOW - 300, &K[2], NOW + 4000, NOW - 200));
    sg = (crumb_store_sighting){.device = D[4], .label = "desk"};
    S_OK(crumb_store_device_seen(s, NULL, "bob", &sg, NOW - 200, NULL));
    in = (crumb_store_session_info){.session = K[3], .family = F[1], .created = NOW - 100,
                                    .last_seen = NOW - 100, .expires_at = NOW + 60 * DAY};
    S_OK(crumb_store_index_put(s, "t", "carol", &in, NOW - 100));
#undef S_OK
    crumb_store_close(s);
    if (bad) {
        fprintf(stderr, "setup: an operation failed without faults\n");
        exit(2);
    }
}

/* ==== File-level snapshots ============================================== */

typedef struct rec {
    char path[160]; /* relative to the store directory */
    uint8_t *img;
    size_t n;
} rec;

typedef struct snap {
    rec r[64];
    size_t n;
    int overflow;
} snap;

static void snap_free(snap *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->r[i].img);
    s->n = 0;
    s->overflow = 0;
}

/* Append the file dir/rel (read whole) to s. */
static void snap_add(snap *s, const char *dir, const char *rel)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    struct stat st;
    if (fstat(fd, &st) != 0 || s->n == sizeof s->r / sizeof s->r[0]) {
        s->overflow = 1;
        close(fd);
        return;
    }
    rec *r = &s->r[s->n++];
    snprintf(r->path, sizeof r->path, "%s", rel);
    r->n = (size_t)st.st_size;
    r->img = malloc(r->n + 1);
    if (r->img == NULL || read(fd, r->img, r->n) != (ssize_t)r->n)
        s->overflow = 1;
    close(fd);
}

static int rec_cmp(const void *a, const void *b)
{
    return strcmp(((const rec *)a)->path, ((const rec *)b)->path);
}

/* Every record file of the store in dir (global, secret and s r f u), sorted. */
static void snap_take(snap *s, const char *dir)
{
    s->n = 0;
    s->overflow = 0;
    snap_add(s, dir, "global");
    snap_add(s, dir, "secret");
    for (const char *t = "srfu"; *t; t++) {
        char td[512];
        snprintf(td, sizeof td, "%s/%c", dir, *t);
        DIR *d = opendir(td);
        if (d == NULL)
            continue;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char fd_[800];
            snprintf(fd_, sizeof fd_, "%s/%s", td, e->d_name);
            DIR *d2 = opendir(fd_);
            if (d2 == NULL)
                continue;
            struct dirent *e2;
            while ((e2 = readdir(d2)) != NULL) {
                char rel[160];
                if (e2->d_name[0] == '.' || strlen(e2->d_name) > 64)
                    continue;
                snprintf(rel, sizeof rel, "%c/%.2s/%.64s", *t, e->d_name, e2->d_name);
                snap_add(s, dir, rel);
            }
            closedir(d2);
        }
        closedir(d);
    }
    qsort(s->r, s->n, sizeof s->r[0], rec_cmp);
}

static const rec *snap_find(const snap *s, const char *path)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->r[i].path, path) == 0)
            return &s->r[i];
    return NULL;
}

/* 1 if a and b are both absent or hold the same bytes. */
static int rec_same(const rec *a, const rec *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return a->n == b->n && memcmp(a->img, b->img, a->n) == 0;
}

static int snap_equal(const snap *a, const snap *b)
{
    if (a->n != b->n || a->overflow || b->overflow)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->r[i].path, b->r[i].path) != 0 || !rec_same(&a->r[i], &b->r[i]))
            return 0;
    return 1;
}

/* 1 if every record of cur is its image in old or in nw (absence included);
 * *torn_path names the first that is neither. */
static int snap_each_old_or_new(const snap *cur, const snap *old, const snap *nw,
                                const char **torn_path)
{
    const snap *all[3] = {cur, old, nw};
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < all[k]->n; i++) {
            const char *p = all[k]->r[i].path;
            const rec *c = snap_find(cur, p);
            if (!rec_same(c, snap_find(old, p)) && !rec_same(c, snap_find(nw, p))) {
                *torn_path = p;
                return 0;
            }
        }
    return 1;
}

/* Files in dir/tmp. */
static int count_tmp(const char *dir, int backdate)
{
    char td[512], p[800];
    snprintf(td, sizeof td, "%s/tmp", dir);
    DIR *d = opendir(td);
    int n = 0;
    if (d == NULL)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        n++;
        if (backdate) { /* two hours old: sweep's age limit is one hour */
            snprintf(p, sizeof p, "%s/%s", td, e->d_name);
            struct timespec ts[2] = {{time(NULL) - 7200, 0}, {time(NULL) - 7200, 0}};
            utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW);
        }
    }
    closedir(d);
    return n;
}

/* ==== API-level checks ================================================== */

/* Everything the fixtures and operations touch reads back without an
 * error: gets (at time 0, so expired records show too), checks, family,
 * device and index reads. */
static void readable(crumb_store *s)
{
    for (int i = 1; i <= 9; i++) {
        size_t len;
        uint64_t ver;
        int64_t exp;
        crumb_err e = crumb_store_get(s, &K[i], bigbuf, sizeof bigbuf, &len, &ver, &exp, 0);
        EXPECT(e == CRUMB_OK || e == CRUMB_E_NOTFOUND);
        if (e != CRUMB_OK && e != CRUMB_E_NOTFOUND && printed < 60)
            fprintf(stderr, "    get K[%d]: %s\n", i, crumb_strerror((int)e));
    }
    static const char *const users[][2] = {{"t", "alice"}, {"", "bob"}, {"t", "carol"}};
    for (int i = 1; i <= 8; i++) {
        int u = i % 3;
        crumb_store_check_req q = {.session = &K[i], .family = &F[1 + i % 4],
                                   .tenant = users[u][0], .user = users[u][1],
                                   .device = &D[1 + i % 5], .issued_at = NOW - 400, .now = NOW};
        crumb_store_check_res r;
        crumb_err e = crumb_store_check(s, &q, &r);
        EXPECT(e == CRUMB_OK || e == CRUMB_E_REVOKED);
    }
    for (int i = 1; i <= 4; i++) {
        uint64_t g;
        int64_t at;
        EXPECT(crumb_store_family_get(s, &F[i], &g, &at, NOW) == CRUMB_OK);
    }
    for (int u = 0; u < 3; u++) {
        crumb_store_device dv[8];
        crumb_store_session_info ix[8];
        size_t n;
        EXPECT(crumb_store_device_list(s, users[u][0], users[u][1], dv, 8, &n) == CRUMB_OK);
        EXPECT(crumb_store_index_list(s, users[u][0], users[u][1], ix, 8, &n, NOW) == CRUMB_OK);
    }
}

/* ==== The operations ==================================================== */

typedef crumb_err (*op_fn)(crumb_store *s);

static crumb_err op_put_new_dir(crumb_store *s) /* K[7]: its fan-out directory is new */
{
    uint64_t v;
    return crumb_store_put(s, &K[7], d100, sizeof d100, NOW + 3000, 0, &v, NOW);
}

static crumb_err op_put_new(crumb_store *s) /* K[8]: shares K[1]'s fan-out directory */
{
    uint64_t v;
    return crumb_store_put(s, &K[8], d100, sizeof d100, NOW + 3000, 0, &v, NOW);
}

static crumb_err op_put_cas(crumb_store *s)
{
    uint64_t v;
    return crumb_store_put(s, &K[2], d200, sizeof d200, NOW + 3500, 3, &v, NOW);
}

static crumb_err op_put_any(crumb_store *s)
{
    uint64_t v;
    return crumb_store_put(s, &K[3], d50, sizeof d50, NOW + 3500, CRUMB_STORE_VERSION_ANY, &v,
                           NOW);
}

static crumb_err op_touch(crumb_store *s)
{
    return crumb_store_touch(s, &K[1], NOW + 4000, NOW);
}

static crumb_err op_delete(crumb_store *s)
{
    return crumb_store_delete(s, &K[2]);
}

static crumb_err op_get(crumb_store *s)
{
    size_t len;
    return crumb_store_get(s, &K[3], bigbuf, sizeof bigbuf, &len, NULL, NULL, NOW);
}

static crumb_err op_check(crumb_store *s)
{
    crumb_store_check_req q = {.session = &K[1], .family = &F[1], .tenant = "t",
                               .user = "alice", .device = &D[1], .issued_at = NOW - 100,
                               .now = NOW};
    crumb_store_check_res r;
    return crumb_store_check(s, &q, &r);
}

static crumb_err op_revoke_session_new(crumb_store *s)
{
    return crumb_store_revoke_session(s, &K[1], NOW + 2500, NOW);
}

static crumb_err op_revoke_session_shorter(crumb_store *s) /* K[5] stays until NOW+2000 */
{
    return crumb_store_revoke_session(s, &K[5], NOW + 1500, NOW);
}

static crumb_err op_revoke_session_extend(crumb_store *s)
{
    return crumb_store_revoke_session(s, &K[5], NOW + 5000, NOW);
}

static crumb_err op_revoke_family(crumb_store *s)
{
    return crumb_store_revoke_family(s, &F[1], NOW + 1500, NOW);
}

static crumb_err op_revoke_family_shorter(crumb_store *s) /* F[2] revoked until NOW+1000 */
{
    return crumb_store_revoke_family(s, &F[2], NOW + 500, NOW);
}

static crumb_err op_family_advance(crumb_store *s)
{
    uint64_t cur;
    return crumb_store_family_advance(s, &F[1], 2, 3, NOW + 60 * DAY, NOW, &cur);
}

static crumb_err op_revoke_user(crumb_store *s)
{
    return crumb_store_revoke_user(s, "t", "alice", NOW, NULL, NOW + 5000, NOW);
}

static crumb_err op_revoke_device(crumb_store *s)
{
    return crumb_store_revoke_device(s, "t", "alice", &D[2], NOW + 5000, NOW);
}

static crumb_err op_revoke_all(crumb_store *s)
{
    return crumb_store_revoke_all(s, NOW + 10, NOW);
}

static crumb_err op_device_seen(crumb_store *s)
{
    crumb_store_sighting sg = {.device = D[5], .label = "tablet", .ip_prefix = "198.51.100.0/24"};
    memset(sg.fingerprint, 0x55, sizeof sg.fingerprint);
    int written = 0;
    crumb_err e = crumb_store_device_seen(s, "t", "alice", &sg, NOW, &written);
    return e == CRUMB_OK && !written ? CRUMB_E_INTERNAL : e;
}

static crumb_err op_set_trust(crumb_store *s)
{
    return crumb_store_device_set_trust(s, "t", "alice", &D[2], CRUMB_TRUST_TRUSTED, NOW);
}

static crumb_err op_index_put(crumb_store *s)
{
    crumb_store_session_info in = {.session = K[7], .family = F[1], .device = D[1],
                                   .created = NOW, .last_seen = NOW, .expires_at = NOW + 3000,
                                   .label = "new"};
    return crumb_store_index_put(s, "t", "alice", &in, NOW);
}

static crumb_err op_index_del_last(crumb_store *s) /* carol's only entry: the file goes */
{
    return crumb_store_index_delete(s, "t", "carol", &K[3]);
}

static crumb_err op_sweep(crumb_store *s)
{
    crumb_store_sweep_counts c;
    crumb_err e = crumb_store_sweep(s, NOW + 31 * DAY, NULL, &c);
    return e == CRUMB_OK && c.corrupt != 0 ? CRUMB_E_CORRUPT : e;
}

typedef struct op {
    const char *name;
    op_fn fn;
    int multi;      /* touches many records: judged record by record */
    int overwrites; /* replaces a record it cannot read as corrupt */
} op;

static const op ops[] = {
    {"put new (new fan-out dir)", op_put_new_dir, 0, 0},
    {"put new", op_put_new, 0, 0},
    {"put CAS update", op_put_cas, 0, 0},
    {"put ANY over 5000 B", op_put_any, 0, 1},
    {"touch", op_touch, 0, 0},
    {"delete", op_delete, 0, 0},
    {"get 5000 B", op_get, 0, 0},
    {"check", op_check, 0, 0},
    {"revoke session (new)", op_revoke_session_new, 0, 1},
    {"revoke session (extend)", op_revoke_session_extend, 0, 1},
    {"revoke session (shorter: no-op)", op_revoke_session_shorter, 0, 1},
    {"revoke family", op_revoke_family, 0, 1},
    {"revoke family (shorter)", op_revoke_family_shorter, 0, 1},
    {"family advance", op_family_advance, 0, 0},
    {"revoke user", op_revoke_user, 0, 0},
    {"revoke device", op_revoke_device, 0, 0},
    {"revoke all", op_revoke_all, 0, 0},
    {"device_seen (new device)", op_device_seen, 0, 0},
    {"device set_trust", op_set_trust, 0, 0},
    {"index_put", op_index_put, 0, 0},
    {"index_del (last entry: unlink)", op_index_del_last, 0, 0},
    {"sweep", op_sweep, 1, 0},
};

/* ==== Running fault points ============================================== */

static long tally[C_N][M_N];  /* points run */
static long rc_ok[C_N][M_N];  /* ... of which the op still succeeded */
static long points_total, leftover_tmp;
static long applied_despite_error; /* failed with the new record in place */
static char applied_example[256];

/* Open the operation's store (fsync on) or exit. */
static crumb_store *open_op(const char *dir, const crumb_store_file_config *cfg)
{
    crumb_store *s = NULL;
    crumb_err e = crumb_store_file_open(&s, dir, cfg);
    if (e != CRUMB_OK) {
        fprintf(stderr, "[%s] reopen %s: %s\n", point, dir, crumb_strerror((int)e));
        EXPECT(e == CRUMB_OK);
        return NULL;
    }
    return s;
}

/* After the fault: temp files, sweep (finds nothing corrupt, removes the
 * temp files once they are old), a fresh put/get; closes s. The sweep is
 * skipped when the op succeeded and left no temp file: the state is then
 * byte for byte the fault-free one, and each sweep opens 1024 directories. */
static void aftercare(crumb_store *s, const char *dir, int c, int failed)
{
    int nt = count_tmp(dir, 1);
    leftover_tmp += nt > 0 ? nt : 0;
    if (c != C_UNLINK) /* only a failed unlink of the temp file may leave one */
        EXPECT(nt == 0);
    if (failed || nt != 0) {
        crumb_store_sweep_counts sc;
        crumb_err e = crumb_store_sweep(s, NOW, NULL, &sc);
        EXPECT(e == CRUMB_OK);
        EXPECT(sc.corrupt == 0);
        EXPECT((long)sc.temp_files == nt);
        EXPECT(count_tmp(dir, 0) == 0);
    }
    uint64_t v = 0, v2 = 0;
    size_t len = 0;
    EXPECT(crumb_store_put(s, &K[9], d40, sizeof d40, NOW + 100, CRUMB_STORE_VERSION_ANY, &v,
                           NOW) == CRUMB_OK);
    EXPECT(crumb_store_get(s, &K[9], bigbuf, sizeof bigbuf, &len, &v2, NULL, NOW) == CRUMB_OK);
    EXPECT(len == sizeof d40 && memcmp(bigbuf, d40, len) == 0 && v2 == v);
    crumb_store_close(s);
}

/* The op's return code under a fault: retried faults change nothing; the
 * rest give the reference result or a clear I/O error (never CORRUPT). */
static void judge_rc(crumb_err rc, crumb_err ref, int c, int mode)
{
    if (must_retry(mode, c)) {
        EXPECT(rc == ref);
        return;
    }
    EXPECT(rc != CRUMB_E_CORRUPT || c != C_READ);
    EXPECT(rc == ref || rc == CRUMB_E_IO || rc == CRUMB_E_NOSPC ||
           (rc == CRUMB_E_CORRUPT && c == C_READ));
    if (mode == M_EIO)
        EXPECT(rc != CRUMB_E_NOSPC);
}

/* One fault point of a store operation. */
static void run_point(const op *o, const snap *old, const snap *nw, crumb_err ref, int c,
                      long nth, int mode)
{
    char dir[128];
    fresh_dir(dir, sizeof dir);
    setup(dir, &cfg_setup);
    crumb_store *s = open_op(dir, &cfg_op);
    if (s == NULL)
        return;
    snprintf(point, sizeof point, "%s: %s #%ld %s", o->name, cname[c], nth, mname[mode]);
    alarm(20);
    arm(c, nth, mode);
    crumb_err rc = o->fn(s);
    disarm();
    snprintf(point + strlen(point), sizeof point - strlen(point), " -> %s",
             crumb_strerror((int)rc));
    points_total++;
    tally[c][mode]++;
    rc_ok[c][mode] += rc == ref;
    EXPECT(fi.fired > 0);
    judge_rc(rc, ref, c, mode);

    snap cur, cur2;
    snap_take(&cur, dir);
    /* success: exactly the fault-free result; failure: every record old or
     * new, and for a one-record op the whole store old or new */
    const char *torn = "";
    int each = snap_each_old_or_new(&cur, old, nw, &torn);
    int whole = snap_equal(&cur, old) || snap_equal(&cur, nw);
    int state_ok = rc == ref ? snap_equal(&cur, nw) : each && (o->multi || whole);
    int read_phase = (c == C_OPEN || c == C_FSTAT || c == C_READ) && !must_retry(mode, c);
    int shown = printed;
    if (rc != ref && !o->multi && !snap_equal(old, nw) && snap_equal(&cur, nw) &&
        applied_despite_error++ == 0)
        snprintf(applied_example, sizeof applied_example, "%s", point);
    if (o->overwrites && read_phase && rc == ref) { /* the read failed, the write went on */
        EXPECT(state_ok);
    } else if (o->multi && (c == C_OPENDIR || c == C_READDIR) && rc == ref) {
        EXPECT(each);
        EXPECT(state_ok);
    } else {
        EXPECT(state_ok);
    }
    if (printed > shown && printed < 60)
        fprintf(stderr, "    record neither old nor new: %s\n", !each ? torn : "-");
    readable(s);
    crumb_store_close(s);

    s = open_op(dir, &cfg_op); /* reopen: the same records */
    if (s != NULL) {
        snap_take(&cur2, dir);
        EXPECT(snap_equal(&cur2, &cur));
        readable(s);
        snap_free(&cur2);
        aftercare(s, dir, c, rc != ref);
    }
    snap_free(&cur);
    alarm(0);
    rm_tree(dir);
}

/* Sweep every fault point of one operation. */
static void run_op(const op *o)
{
    char dir[128];
    snap old, nw;
    fresh_dir(dir, sizeof dir);
    setup(dir, &cfg_setup);
    crumb_store *s = open_op(dir, &cfg_op);
    if (s == NULL)
        return;
    snap_take(&old, dir);
    arm(-1, 0, M_EIO);
    crumb_err ref = o->fn(s);
    disarm();
    long k[C_N];
    memcpy(k, fi.count, sizeof k);
    snap_take(&nw, dir);
    crumb_store_close(s);
    rm_tree(dir);
    snprintf(point, sizeof point, "%s: no fault", o->name);
    EXPECT(ref == CRUMB_OK || ref == CRUMB_E_REVOKED);
    EXPECT(!old.overflow && !nw.overflow);

    long before = points_total;
    for (int c = 0; c < C_N; c++)
        for (int m = 0; m < M_N; m++)
            for (long n = 1; n <= k[c] && mode_applies(m, c); n++)
                run_point(o, &old, &nw, ref, c, n, m);
    printf("%-34s -> %-8s %4ld points; calls:", o->name, crumb_strerror((int)ref),
           points_total - before);
    for (int c = 0; c < C_N; c++)
        if (k[c])
            printf(" %s %ld", cname[c], k[c]);
    printf("\n");
    snap_free(&old);
    snap_free(&nw);
}

/* A put into a new fan-out directory that fails after its mkdir, then is
 * retried without faults: the retry must fsync as often as a fault-free
 * put into a new directory (the record file, the directory's parent, the
 * directory), or the directory entry is never made durable. */
static void test_fanout_retry(void)
{
    char dir[128];
    long ref_fsyncs = 0;
    for (long n = 0; n <= 3; n++) { /* n = 0: the fault-free reference */
        fresh_dir(dir, sizeof dir);
        setup(dir, &cfg_setup);
        crumb_store *s = open_op(dir, &cfg_op);
        if (s == NULL)
            return;
        snprintf(point, sizeof point, "put new (new fan-out dir): fsync #%ld EIO, then retry", n);
        int retry = 1;
        if (n > 0) {
            size_t len;
            arm(C_FSYNC, n, M_EIO);
            crumb_err rc = op_put_new_dir(s);
            disarm();
            retry = rc != CRUMB_OK && crumb_store_get(s, &K[7], bigbuf, sizeof bigbuf, &len,
                                                      NULL, NULL, NOW) == CRUMB_E_NOTFOUND;
        }
        if (retry) {
            arm(-1, 0, M_EIO);
            EXPECT(op_put_new_dir(s) == CRUMB_OK);
            disarm();
            if (n == 0) {
                ref_fsyncs = fi.count[C_FSYNC];
                EXPECT(ref_fsyncs == 3);
            } else {
                EXPECT(fi.count[C_FSYNC] == ref_fsyncs);
            }
        }
        crumb_store_close(s);
        rm_tree(dir);
    }
}

/* Issue 16: a write that fails on a full disk leaves a short, safe message
 * (crumb_store_last_error) naming the cause, not the store's path. */
static void test_last_error(void)
{
    char dir[128], msg[CRUMB_STORE_ERRMSG_MAX + 1];
    fresh_dir(dir, sizeof dir);
    setup(dir, &cfg_setup);
    crumb_store *s = open_op(dir, &cfg_op);
    if (s == NULL)
        return;
    snprintf(point, sizeof point, "last_error after ENOSPC");
    arm(C_WRITE, 1, M_ENOSPC);
    crumb_err rc = op_put_new_dir(s);
    disarm();
    EXPECT(rc == CRUMB_E_NOSPC);
    size_t n = crumb_store_last_error(s, msg, sizeof msg);
    printf("last_error after ENOSPC: \"%s\"\n", msg);
    EXPECT(n == strlen(msg) && strcmp(msg, "file: write failed: no space left on device") == 0);
    EXPECT(strstr(msg, base) == NULL && strstr(msg, "/") == NULL);
    crumb_store_close(s);
    rm_tree(dir);
}

/* crumb_store_file_open under faults: on a fresh directory (creates the
 * secret) and on an existing store (reads it). Afterwards opening works,
 * the secret is the one the records were written with, nothing changed. */
static void run_open(int fresh)
{
    char dir[128];
    const char *name = fresh ? "open (fresh dir, new secret)" : "open (existing store)";
    snap old;
    old.n = 0;
    old.overflow = 0;
    long k[C_N];
    fresh_dir(dir, sizeof dir);
    if (!fresh) {
        setup(dir, NULL);
        snap_take(&old, dir);
    }
    crumb_store *s = NULL;
    arm(-1, 0, M_EIO);
    crumb_err ref = crumb_store_file_open(&s, dir, NULL);
    disarm();
    memcpy(k, fi.count, sizeof k);
    snprintf(point, sizeof point, "%s: no fault", name);
    EXPECT(ref == CRUMB_OK);
    crumb_store_close(s);
    rm_tree(dir);

    long before = points_total;
    for (int c = 0; c < C_N; c++)
        for (int m = 0; m < M_N; m++)
            for (long n = 1; n <= k[c] && mode_applies(m, c); n++) {
                fresh_dir(dir, sizeof dir);
                if (!fresh) {
                    snap_free(&old);
                    setup(dir, NULL); /* a new random secret each time */
                    snap_take(&old, dir);
                }
                snprintf(point, sizeof point, "%s: %s #%ld %s", name, cname[c], n, mname[m]);
                alarm(20);
                s = NULL;
                arm(c, n, m);
                crumb_err rc = crumb_store_file_open(&s, dir, NULL);
                disarm();
                snprintf(point + strlen(point), sizeof point - strlen(point), " -> %s",
                         crumb_strerror((int)rc));
                points_total++;
                tally[c][m]++;
                rc_ok[c][m] += rc == CRUMB_OK;
                EXPECT(fi.fired > 0);
                /* the secret is read and written with one call each, no retry
                 * loop: EINTR or a short count is an error there, so only
                 * flock (not used by open) would have to retry */
                if (c == C_READ)
                    EXPECT(rc != CRUMB_E_CORRUPT);
                EXPECT(rc == CRUMB_OK || rc == CRUMB_E_IO || rc == CRUMB_E_NOSPC ||
                       (rc == CRUMB_E_CORRUPT && c == C_READ));
                if (m == M_EIO)
                    EXPECT(rc != CRUMB_E_NOSPC);
                crumb_store_close(s);
                if (!fresh) { /* nothing written: every record and the secret as before */
                    snap cur;
                    snap_take(&cur, dir);
                    EXPECT(snap_equal(&cur, &old));
                    snap_free(&cur);
                }
                s = open_op(dir, NULL);
                if (s != NULL) {
                    if (!fresh) {
                        readable(s);
                        size_t len;
                        EXPECT(crumb_store_get(s, &K[3], bigbuf, sizeof bigbuf, &len, NULL,
                                               NULL, NOW) == CRUMB_OK &&
                               len == sizeof d5000 && memcmp(bigbuf, d5000, len) == 0);
                    }
                    aftercare(s, dir, c, rc != CRUMB_OK);
                    s = open_op(dir, NULL); /* the secret is stable: K[9] still reads */
                    if (s != NULL) {
                        size_t len;
                        EXPECT(crumb_store_get(s, &K[9], bigbuf, sizeof bigbuf, &len, NULL,
                                               NULL, NOW) == CRUMB_OK);
                        crumb_store_close(s);
                    }
                }
                alarm(0);
                rm_tree(dir);
            }
    printf("%-34s -> %-8s %4ld points; calls:", name, crumb_strerror((int)ref),
           points_total - before);
    for (int c = 0; c < C_N; c++)
        if (k[c])
            printf(" %s %ld", cname[c], k[c]);
    printf("\n");
    snap_free(&old);
}

int main(void)
{
    check_seed();
    signal(SIGALRM, on_alarm);
    check_fill(d10, sizeof d10);
    check_fill(d40, sizeof d40);
    check_fill(d50, sizeof d50);
    check_fill(d100, sizeof d100);
    check_fill(d200, sizeof d200);
    check_fill(d300, sizeof d300);
    check_fill(d5000, sizeof d5000);
    for (int i = 0; i < 5; i++)
        check_fill(&F[i], sizeof F[i]);
    for (int i = 0; i < 6; i++)
        check_fill(&D[i], sizeof D[i]);
    for (unsigned i = 1; i <= 6; i++)
        K[i] = key_n(i);
    K[9] = key_n(9);
    /* K[7]: a fan-out directory no fixture uses; K[8]: the one K[1] uses */
    int used[256] = {0};
    for (int i = 1; i <= 6; i++)
        used[fanout(&K[i])] = 1;
    used[fanout(&K[9])] = 1;
    unsigned n = 100;
    for (K[7] = key_n(n); used[fanout(&K[7])];)
        K[7] = key_n(++n);
    for (K[8] = key_n(++n); fanout(&K[8]) != fanout(&K[1]);)
        K[8] = key_n(++n);
    const char *sel = getenv("CRUMB_FAULTS_OP"); /* run only ops whose name contains this */

    /* tmpfs if there is one: thousands of small stores, no disk needed */
    const char *tmp = getenv("CRUMB_FAULTS_TMP");
    if (tmp == NULL)
        tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(base, sizeof base, "%s/crumb-faults-XXXXXX", tmp);
    if (mkdtemp(base) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    { /* the fixture layout is what the key choice assumed */
        char dir[128], p[256];
        struct stat st;
        fresh_dir(dir, sizeof dir);
        setup(dir, &cfg_setup);
        snprintf(p, sizeof p, "%s/s/%02x", dir, fanout(&K[1]));
        snprintf(point, sizeof point, "fixture layout");
        EXPECT(stat(p, &st) == 0);
        snprintf(p, sizeof p, "%s/s/%02x", dir, fanout(&K[7]));
        EXPECT(stat(p, &st) != 0);
        rm_tree(dir);
    }
    time_t t0 = time(NULL);
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (sel == NULL || strstr(ops[i].name, sel))
            run_op(&ops[i]);
    if (sel == NULL || strstr("put new (new fan-out dir)", sel))
        test_fanout_retry();
    if (sel == NULL || strstr("last_error", sel))
        test_last_error();
    if (sel == NULL || strstr("open (fresh dir, new secret)", sel))
        run_open(1);
    if (sel == NULL || strstr("open (existing store)", sel))
        run_open(0);
    rm_tree(base);

    printf("\nfault points per call and mode (op still succeeded / run):\n");
    for (int c = 0; c < C_N; c++) {
        printf("  %-8s", cname[c]);
        for (int m = 0; m < M_N; m++)
            if (tally[c][m])
                printf("  %s %ld/%ld", mname[m], rc_ok[c][m], tally[c][m]);
        printf("\n");
    }
    printf("%ld fault points in %lds; %ld temp files left by failed unlinks, all swept\n",
           points_total, (long)(time(NULL) - t0), leftover_tmp);
    if (applied_despite_error) /* allowed (all or nothing), but see docs/STORE.md */
        printf("note: %ld failed ops left their change in place (the rename or unlink "
               "landed, then syncing the directory failed), e.g. [%s]\n",
               applied_despite_error, applied_example);
    return check_done("test_store_faults");
}
