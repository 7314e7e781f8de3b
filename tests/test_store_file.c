/*
 * test_store_file.c - the file store: conformance suite, persistence across
 * reopen, permissions, no raw ids in paths, corruption detection, ENOSPC
 * (RLIMIT_FSIZE with SIGXFSZ ignored) and allocation failure on the Nth
 * call: clear errors, old data intact, no leak.
 */
#include "check.h"
#include "crumb_store.h"
#include "internal.h"
#include "store_conformance.h"

#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define T0 1700000000LL

static char dirs[16][64];
static int ndirs;

/* Remove one path (nftw callback). */
static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* A fresh directory path (not yet created: the store creates it 0700). */
static const char *fresh_dir(void)
{
    char tmpl[] = "/tmp/crumb-fs-XXXXXX";
    if (mkdtemp(tmpl) == NULL)
        abort();
    snprintf(dirs[ndirs % 16], sizeof dirs[0], "%s/store", tmpl);
    return dirs[ndirs++ % 16];
}

static void cleanup(const char *d)
{
    char p[64];
    memcpy(p, d, sizeof p);
    p[sizeof p - 1] = '\0';
    *strrchr(p, '/') = '\0';
    nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static crumb_store *open_file(void *ctx)
{
    crumb_store *s = NULL;
    const char *d = fresh_dir();
    crumb_err e = crumb_store_file_open(&s, d, ctx);
    return e == CRUMB_OK ? s : NULL;
}

static crumb_store_key key_n(unsigned n)
{
    crumb_store_key k;
    memset(&k, 0x11, sizeof k);
    memcpy(k.b, &n, sizeof n);
    return k;
}

/* Count files under d whose mode is not 0600 (files) / 0700 (dirs), and
 * whether any file name contains hex (needle). */
static int bad_modes, name_hits;
static const char *needle;
static int mode_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)ftw;
    if (flag == FTW_F && (sb->st_mode & 0777) != 0600)
        bad_modes++;
    if (flag == FTW_D && (sb->st_mode & 0777) != 0700)
        bad_modes++;
    if (needle && strstr(p, needle))
        name_hits++;
    return 0;
}

static void test_persist_and_layout(void)
{
    const char *d = fresh_dir();
    crumb_store *s = NULL;
    CHECK_OK(crumb_store_file_open(&s, d, NULL));
    crumb_store_key k = key_n(1);
    crumb_store_id fam = {{0xde, 0xad, 0xbe, 0xef}};
    uint8_t data[] = "persisted", buf[64];
    uint64_t v;
    CHECK_OK(crumb_store_put(s, &k, data, sizeof data, T0 + 100, CRUMB_STORE_VERSION_NEW, &v, T0));
    CHECK_OK(crumb_store_family_advance(s, &fam, 0, 4, T0 + 100, T0, NULL));
    CHECK_OK(crumb_store_revoke_user(s, "t", "alice", T0 + 5, NULL, T0 + 100, T0));
    crumb_store_close(s);
    /* reopen (new "process"): everything is there, the secret file is reused */
    CHECK_OK(crumb_store_file_open(&s, d, NULL));
    size_t len;
    uint64_t v2;
    CHECK_OK(crumb_store_get(s, &k, buf, sizeof buf, &len, &v2, NULL, T0 + 1));
    CHECK_INT(len, sizeof data);
    CHECK_INT(v2, v);
    uint64_t gen;
    CHECK_OK(crumb_store_family_get(s, &fam, &gen, NULL, T0 + 1));
    CHECK_INT(gen, 4);
    crumb_store_check_req q = {.user = "alice", .tenant = "t", .issued_at = T0, .now = T0 + 1};
    crumb_store_check_res r;
    CHECK_INT(crumb_store_check(s, &q, &r), CRUMB_E_REVOKED);
    crumb_store_close(s);
    /* modes, and the raw ids never appear in a path */
    char hex[9];
    snprintf(hex, sizeof hex, "deadbeef");
    needle = hex;
    bad_modes = name_hits = 0;
    nftw(d, mode_one, 16, FTW_PHYS);
    CHECK_INT(bad_modes, 0);
    CHECK_INT(name_hits, 0);
    needle = NULL;
    /* a directory others can read is refused */
    CHECK_INT(chmod(d, 0755), 0);
    CHECK_INT(crumb_store_file_open(&s, d, NULL), CRUMB_E_INVALID);
    CHECK(s == NULL);
    chmod(d, 0700);
    /* a damaged secret file is reported */
    char p[256];
    snprintf(p, sizeof p, "%s/secret", d);
    int fd = open(p, O_RDWR);
    unsigned char x = 0;
    CHECK(fd >= 0);
    CHECK_INT(pread(fd, &x, 1, 10), 1);
    x ^= 0x5a; /* a changed byte (writing 'X' left a random 'X' as it was) */
    CHECK_INT(pwrite(fd, &x, 1, 10), 1);
    close(fd);
    CHECK_INT(crumb_store_file_open(&s, d, NULL), CRUMB_E_CORRUPT);
    cleanup(d);
}

/* Flip bytes in every record file under d (nftw callback). */
static int flip_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)ftw;
    if (flag == FTW_F && sb->st_size > 50 && strstr(p, "/s/") != NULL) {
        int fd = open(p, O_RDWR);
        unsigned char c;
        if (fd >= 0 && pread(fd, &c, 1, 50) == 1) {
            c ^= 0x40;
            if (pwrite(fd, &c, 1, 50) != 1)
                abort();
        }
        if (fd >= 0)
            close(fd);
    }
    return 0;
}

static int trunc_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)ftw;
    if (flag == FTW_F && strstr(p, "/f/") != NULL && truncate(p, sb->st_size - 3) != 0)
        abort();
    return 0;
}

static void test_corruption(void)
{
    const uint8_t secret[32] = {1, 2, 3};
    crumb_store_file_config cfg = {.secret = secret};
    const char *d = fresh_dir();
    crumb_store *s = NULL;
    CHECK_OK(crumb_store_file_open(&s, d, &cfg));
    crumb_store_key k = key_n(2);
    crumb_store_id fam = {{7}};
    uint8_t data[100], buf[128];
    memset(data, 0x33, sizeof data);
    CHECK_OK(crumb_store_put(s, &k, data, sizeof data, T0 + 100, CRUMB_STORE_VERSION_NEW, NULL, T0));
    CHECK_OK(crumb_store_family_advance(s, &fam, 0, 1, T0 + 100, T0, NULL));
    nftw(d, flip_one, 16, FTW_PHYS);
    nftw(d, trunc_one, 16, FTW_PHYS);
    size_t len;
    CHECK_INT(crumb_store_get(s, &k, buf, sizeof buf, &len, NULL, NULL, T0), CRUMB_E_CORRUPT);
    CHECK_INT(crumb_store_put(s, &k, data, 1, T0 + 100, 1, NULL, T0), CRUMB_E_CORRUPT);
    crumb_store_check_req q = {.family = &fam, .issued_at = T0, .now = T0 + 1};
    crumb_store_check_res r;
    CHECK_INT(crumb_store_check(s, &q, &r), CRUMB_E_CORRUPT); /* fail closed */
    crumb_store_sweep_counts c;
    CHECK_OK(crumb_store_sweep(s, T0 + 1, NULL, &c));
    CHECK_INT(c.corrupt, 2);
    /* an unconditional write repairs */
    CHECK_OK(crumb_store_put(s, &k, data, 10, T0 + 100, CRUMB_STORE_VERSION_ANY, NULL, T0));
    CHECK_OK(crumb_store_get(s, &k, buf, sizeof buf, &len, NULL, NULL, T0));
    CHECK_INT(len, 10);
    crumb_store_close(s);
    /* the wrong secret is refused at open (the identity record is keyed
     * with the secret): never foreign data, never "nothing revoked" */
    const uint8_t other[32] = {9};
    cfg.secret = other;
    CHECK_INT(crumb_store_file_open(&s, d, &cfg), CRUMB_E_CORRUPT);
    CHECK(s == NULL);
    cleanup(d);
}

/* ENOSPC: in a child limited by RLIMIT_FSIZE (SIGXFSZ ignored). */
static void test_enospc(void)
{
    const char *d = fresh_dir();
    crumb_store *s = NULL;
    CHECK_OK(crumb_store_file_open(&s, d, NULL));
    crumb_store_key k = key_n(3);
    uint8_t small[16], big[8000], buf[8000];
    memset(small, 0x5a, sizeof small);
    memset(big, 0xa5, sizeof big);
    CHECK_OK(crumb_store_put(s, &k, small, sizeof small, T0 + 100, CRUMB_STORE_VERSION_NEW, NULL, T0));
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {4096, 4096};
        setrlimit(RLIMIT_FSIZE, &rl);
        int bad = 0;
        crumb_err e = crumb_store_put(s, &k, big, sizeof big, T0 + 100, 1, NULL, T0);
        bad |= e != CRUMB_E_NOSPC;
        size_t len;
        uint64_t v;
        e = crumb_store_get(s, &k, buf, sizeof buf, &len, &v, NULL, T0);
        bad |= e != CRUMB_OK || len != sizeof small || v != 1 || memcmp(buf, small, len) != 0;
        /* small writes still work */
        e = crumb_store_put(s, &k, small, 8, T0 + 100, 1, &v, T0);
        bad |= e != CRUMB_OK || v != 2;
        if (bad)
            fprintf(stderr, "%s:%d: ENOSPC child checks failed (last rc %d)\n", __FILE__,
                    __LINE__, (int)e);
        _exit(bad);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    size_t len;
    CHECK_OK(crumb_store_get(s, &k, buf, sizeof buf, &len, NULL, NULL, T0));
    CHECK_INT(len, 8);
    crumb_store_close(s);
    cleanup(d);
}

/* Allocation failure at every call index: NOMEM or OK, never damage. */
static void test_alloc_faults(void)
{
    const char *d = fresh_dir();
    crumb_store *s = NULL;
    for (long n = 1; n < 8; n++) { /* open itself */
        crumb__alloc_fail_at(n, 0);
        crumb_err e = crumb_store_file_open(&s, d, NULL);
        long made = crumb__alloc_fail_at(0, 0); /* the fault hit iff made >= n */
        CHECK_INT(e, made >= n ? CRUMB_E_NOMEM : CRUMB_OK);
        if (e == CRUMB_OK)
            crumb_store_close(s);
    }
    CHECK_OK(crumb_store_file_open(&s, d, NULL));
    crumb_store_key k = key_n(4);
    uint8_t data[32], buf[64];
    memset(data, 1, sizeof data);
    uint64_t v = 0;
    CHECK_OK(crumb_store_put(s, &k, data, sizeof data, T0 + 100, CRUMB_STORE_VERSION_NEW, &v, T0));
    crumb_store_sighting sg = {.device = {{5}}, .label = "l"};
    CHECK_OK(crumb_store_device_seen(s, "t", "u", &sg, T0, NULL));
    int nomem = 0;
    for (long n = 1; n < 12; n++) {
        crumb_store_session_info info = {.session = k, .last_seen = T0, .expires_at = T0 + 99};
        /* each call fails from its n-th allocation on; re-arming returns the
         * allocations the previous call made, so the fault hit iff m >= n */
        crumb__alloc_fail_at(n, 1);
        crumb_err e1 = crumb_store_put(s, &k, data, 8, T0 + 100, v, NULL, T0);
        long m1 = crumb__alloc_fail_at(n, 1);
        crumb_err e2 = crumb_store_index_put(s, "t", "u", &info, T0);
        long m2 = crumb__alloc_fail_at(n, 1);
        crumb_err e3 = crumb_store_device_set_trust(s, "t", "u", &sg.device, 2, T0);
        long m3 = crumb__alloc_fail_at(0, 0);
        CHECK_INT(e1, m1 >= n ? CRUMB_E_NOMEM : CRUMB_OK);
        CHECK_INT(e2, m2 >= n ? CRUMB_E_NOMEM : CRUMB_OK);
        CHECK_INT(e3, m3 >= n ? CRUMB_E_NOMEM : CRUMB_OK);
        nomem += e1 == CRUMB_E_NOMEM;
        size_t len;
        uint64_t v2;
        CHECK_OK(crumb_store_get(s, &k, buf, sizeof buf, &len, &v2, NULL, T0));
        if (e1 == CRUMB_OK) {
            CHECK_INT(len, 8);
            CHECK_INT(v2, v + 1);
            break;
        }
        CHECK_INT(len, sizeof data);
        CHECK_INT(v2, v);
    }
    CHECK(nomem > 0);
    size_t n;
    crumb_store_device dv[2];
    CHECK_OK(crumb_store_device_list(s, "t", "u", dv, 2, &n));
    CHECK_INT(n, 1);
    crumb_store_close(s);
    cleanup(d);
}

int main(void)
{
    check_seed();
    crumb_store_file_config fast = {.no_fsync = 1};
    CHECK_INT(crumb_store_conformance(open_file, NULL), 0);
    CHECK_INT(crumb_store_conformance(open_file, &fast), 0);
    for (int i = 0; i < ndirs && i < 16; i++)
        cleanup(dirs[i]);
    ndirs = 0;
    test_persist_and_layout();
    test_corruption();
    test_enospc();
    test_alloc_faults();
    return check_done("test_store_file");
}
