/*
 * test_store_file_swap.c - the file store against a local attacker and
 * damage: the store directory renamed away with nothing, an empty foreign
 * directory or an emptied store in its place (revocations never vanish:
 * checks fail closed, or keep seeing the real store through its held
 * descriptor); many threads opening one fresh directory at once; a damaged
 * global record (fail closed before, repaired fail-safe by verify after);
 * the precomputed path hash equals HMAC-SHA-256.
 */
#include "check.h"
#include "crumb_store.h"
#include "internal.h"
#include "../stores/file_store.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#define T0 1700000000LL
#define DAY 86400LL

static char base[64];

static void path_of(char *out, size_t cap, const char *rel)
{
    snprintf(out, cap, "%s/%s", base, rel);
}

/* A check of session k (issued at T0) in store s at T0 + 1. */
static crumb_err check_key(crumb_store *s, const crumb_store_key *k)
{
    crumb_store_check_req q = {.session = k, .tenant = "t", .user = "alice", .issued_at = T0,
                               .now = T0 + 1};
    crumb_store_check_res r;
    return crumb_store_check(s, &q, &r);
}

/* Finding 2: whoever can write the parent swaps the store; revocations
 * must not disappear. */
static void test_swap(void)
{
    char dir[128], stolen[128];
    path_of(dir, sizeof dir, "store");
    path_of(stolen, sizeof stolen, "stolen");
    crumb_store *s = NULL, *s2 = NULL;
    crumb_store_key k;
    memset(&k, 0x42, sizeof k);
    CHECK_OK(crumb_store_file_open(&s, dir, NULL));
    CHECK_OK(crumb_store_revoke_session(s, &k, T0 + DAY, T0));
    CHECK_INT(check_key(s, &k), CRUMB_E_REVOKED);
    CHECK_INT(chmod(base, 0777), 0); /* a parent others can write */

    /* renamed away, nothing in its place */
    CHECK_INT(rename(dir, stolen), 0);
    CHECK_INT(check_key(s, &k), CRUMB_E_REVOKED); /* the open store still sees its records */
    CHECK(crumb_store_file_open(&s2, dir, NULL) != CRUMB_OK); /* no silent re-creation */
    CHECK(s2 == NULL);
    CHECK(access(dir, F_OK) != 0);
    CHECK(crumb_store_file_open(&s2, dir, &(crumb_store_file_config){.no_create = 1}) ==
          CRUMB_E_NOTFOUND);

    /* an attacker's empty directory in its place: not ours, or open to others */
    CHECK_INT(mkdir(dir, 0700), 0);
    if (geteuid() == 0)
        CHECK_INT(chown(dir, 65534, 65534), 0);
    else
        CHECK_INT(chmod(dir, 0755), 0);
    CHECK_INT(crumb_store_file_open(&s2, dir, NULL), CRUMB_E_INVALID);
    CHECK_INT(chmod(dir, 0777), 0);
    CHECK_INT(crumb_store_file_open(&s2, dir, NULL), CRUMB_E_INVALID);
    CHECK_INT(check_key(s, &k), CRUMB_E_REVOKED);
    CHECK_INT(rmdir(dir), 0);
    /* even an empty 0700 directory of our own uid (the same-uid simulation
     * of the swap) is not taken for a new store in a parent others can write */
    CHECK_INT(mkdir(dir, 0700), 0);
    CHECK(crumb_store_file_open(&s2, dir, NULL) != CRUMB_OK);
    CHECK(s2 == NULL);
    CHECK_INT(check_key(s, &k), CRUMB_E_REVOKED);
    CHECK_INT(rmdir(dir), 0);

    /* back in place: a new opener sees the revocation */
    CHECK_INT(rename(stolen, dir), 0);
    CHECK_OK(crumb_store_file_open(&s2, dir, NULL));
    CHECK_INT(check_key(s2, &k), CRUMB_E_REVOKED);

    /* emptied underneath: identity and records removed -> fail closed */
    char p[512];
    snprintf(p, sizeof p, "rm -rf '%s'/r '%s'/identity '%s'/global", dir, dir, dir);
    CHECK_INT(system(p), 0);
    CHECK_INT(check_key(s2, &k), CRUMB_E_CORRUPT);
    CHECK_INT(check_key(s, &k), CRUMB_E_CORRUPT);
    CHECK(crumb_store_health(s, T0) != CRUMB_OK);
    crumb_store_close(s2);
    crumb_store_close(s);
    CHECK_INT(chmod(base, 0700), 0);
}

/* A directory that holds records but no identity record is refused. */
static void test_no_identity(void)
{
    char dir[128], p[256];
    path_of(dir, sizeof dir, "noid");
    crumb_store *s = NULL;
    crumb_store_key k;
    memset(&k, 0x17, sizeof k);
    CHECK_OK(crumb_store_file_open(&s, dir, NULL));
    CHECK_OK(crumb_store_revoke_session(s, &k, T0 + DAY, T0));
    crumb_store_close(s);
    snprintf(p, sizeof p, "%s/identity", dir);
    CHECK_INT(unlink(p), 0);
    CHECK_INT(crumb_store_file_open(&s, dir, NULL), CRUMB_E_CORRUPT);
    CHECK(s == NULL);
}

/* The identity record removed underneath an open store: checks fail
 * closed until an explicit repair writes a new one. */
static void test_identity_repair(void)
{
    char dir[128], p[256];
    path_of(dir, sizeof dir, "idrepair");
    crumb_store *s = NULL;
    crumb_store_key k;
    memset(&k, 0x18, sizeof k);
    crumb_store_verify_report rep;
    CHECK_OK(crumb_store_file_open(&s, dir, NULL));
    CHECK_OK(crumb_store_revoke_session(s, &k, T0 + DAY, T0));
    snprintf(p, sizeof p, "%s/identity", dir);
    CHECK_INT(unlink(p), 0);
    CHECK_INT(check_key(s, &k), CRUMB_E_CORRUPT);
    CHECK_INT(crumb_store_verify(s, 0, &rep, T0 + 1), CRUMB_E_CORRUPT);
    CHECK_INT(check_key(s, &k), CRUMB_E_CORRUPT);
    CHECK_OK(crumb_store_verify(s, 1, &rep, T0 + 1));
    CHECK_INT(rep.repaired, 1);
    CHECK_INT(check_key(s, &k), CRUMB_E_REVOKED);
    crumb_store_close(s);
    CHECK_OK(crumb_store_file_open(&s, dir, NULL)); /* a new opener accepts it */
    CHECK_INT(check_key(s, &k), CRUMB_E_REVOKED);
    crumb_store_close(s);
}

/* Finding 3: N threads opening the same fresh directory all succeed and
 * end up with one store (one secret). */
#define OPENERS 64
#define ROUNDS 5
static char fresh[128];
static pthread_barrier_t bar;

static void *opener(void *arg)
{
    crumb_store **out = arg;
    pthread_barrier_wait(&bar);
    if (crumb_store_file_open(out, fresh, &(crumb_store_file_config){.no_fsync = 1}) != CRUMB_OK)
        *out = NULL;
    return NULL;
}

static void test_fresh_open(void)
{
    int failed = 0;
    for (int round = 0; round < ROUNDS; round++) {
        char rel[32];
        snprintf(rel, sizeof rel, "fresh%d", round);
        path_of(fresh, sizeof fresh, rel);
        crumb_store *s[OPENERS];
        pthread_t th[OPENERS];
        pthread_barrier_init(&bar, NULL, OPENERS);
        for (int i = 0; i < OPENERS; i++)
            CHECK_INT(pthread_create(&th[i], NULL, opener, &s[i]), 0);
        for (int i = 0; i < OPENERS; i++)
            pthread_join(th[i], NULL);
        pthread_barrier_destroy(&bar);
        crumb_store_key k;
        memset(&k, round, sizeof k);
        if (s[0] != NULL)
            CHECK_OK(crumb_store_revoke_session(s[0], &k, T0 + DAY, T0));
        for (int i = 0; i < OPENERS; i++) {
            failed += s[i] == NULL;
            if (s[i] != NULL)
                CHECK_INT(check_key(s[i], &k), CRUMB_E_REVOKED);
            crumb_store_close(s[i]);
        }
    }
    printf("fresh open: %d of %d concurrent opens failed\n", failed, OPENERS * ROUNDS);
    CHECK_INT(failed, 0);
}

/* Flip one byte in the middle of file dir/rel, or of the first record
 * file under dir/<t>/ (rel = "s", "r", ...). */
static void damage(const char *dir, const char *rel)
{
    char cmd[512], p[512] = "";
    if (strlen(rel) == 1) {
        snprintf(cmd, sizeof cmd, "find '%s/%s' -type f | head -1", dir, rel);
        FILE *f = popen(cmd, "r");
        if (f == NULL || fgets(p, sizeof p, f) == NULL)
            abort();
        pclose(f);
        p[strcspn(p, "\n")] = '\0';
    } else {
        snprintf(p, sizeof p, "%s/%s", dir, rel);
    }
    int fd = open(p, O_RDWR);
    unsigned char c;
    if (fd < 0 || pread(fd, &c, 1, 46) != 1)
        abort();
    c ^= 0x01;
    if (pwrite(fd, &c, 1, 46) != 1)
        abort();
    close(fd);
}

/* Finding 4: one damaged byte in the global record fails every check
 * closed; verify reports it, repair makes it "not before now" (forces
 * sign-in again, never weaker). */
static void test_repair_global(void)
{
    char dir[128];
    path_of(dir, sizeof dir, "repair");
    crumb_store *s = NULL;
    CHECK_OK(crumb_store_file_open(&s, dir, NULL));
    CHECK_OK(crumb_store_revoke_all(s, T0 - 100, T0));
    crumb_store_check_req q = {.issued_at = T0, .now = T0 + 1};
    crumb_store_check_res r;
    CHECK_OK(crumb_store_check(s, &q, &r));
    damage(dir, "global");
    CHECK_INT(crumb_store_check(s, &q, &r), CRUMB_E_CORRUPT); /* fail closed */
    crumb_store_verify_report rep;
    CHECK_INT(crumb_store_verify(s, 0, &rep, T0 + 50), CRUMB_E_CORRUPT);
    CHECK_INT(rep.corrupt, 1);
    CHECK_INT(rep.left, 1);
    CHECK_INT(crumb_store_check(s, &q, &r), CRUMB_E_CORRUPT); /* verify alone changes nothing */
    CHECK_OK(crumb_store_verify(s, 1, &rep, T0 + 50));
    CHECK_INT(rep.repaired, 1);
    q = (crumb_store_check_req){.issued_at = T0 + 49, .now = T0 + 51};
    CHECK_INT(crumb_store_check(s, &q, &r), CRUMB_E_REVOKED); /* not_before = now, not 0 */
    CHECK_INT(r.rule, CRUMB_STORE_RULE_GLOBAL);
    q.issued_at = T0 + 50;
    CHECK_OK(crumb_store_check(s, &q, &r));
    CHECK_OK(crumb_store_verify(s, 0, &rep, T0 + 52));
    CHECK_INT(rep.corrupt, 0);

    /* revoke_all itself replaces a damaged global record when before >= now */
    damage(dir, "global");
    CHECK_INT(crumb_store_revoke_all(s, T0 + 10, T0 + 60), CRUMB_E_CORRUPT);
    CHECK_OK(crumb_store_revoke_all(s, T0 + 60, T0 + 60));
    q = (crumb_store_check_req){.issued_at = T0 + 59, .now = T0 + 61};
    CHECK_INT(crumb_store_check(s, &q, &r), CRUMB_E_REVOKED);

    crumb_store_close(s);
}

/* One damaged record of every other type: repaired fail-safe. */
static void test_repair_types(void)
{
    char dir[128];
    path_of(dir, sizeof dir, "repair");
    crumb_store *s = NULL;
    crumb_store_key k, other;
    crumb_store_id fam = {{9, 9}};
    memset(&k, 0x33, sizeof k);
    memset(&other, 0x44, sizeof other);
    crumb_store_verify_report rep;
    crumb_store_check_req q;
    crumb_store_check_res r;
    CHECK_OK(crumb_store_file_open(&s, dir, NULL));
    uint8_t data[20] = {1};
    CHECK_OK(crumb_store_put(s, &other, data, sizeof data, T0 + DAY, 0, NULL, T0));
    CHECK_OK(crumb_store_revoke_session(s, &k, T0 + DAY, T0));
    CHECK_OK(crumb_store_family_advance(s, &fam, 0, 3, T0 + DAY, T0, NULL));
    CHECK_OK(crumb_store_revoke_user(s, "t", "alice", T0 - 5, NULL, T0 + DAY, T0));
    damage(dir, "s");
    damage(dir, "r");
    damage(dir, "f");
    damage(dir, "u");
    q = (crumb_store_check_req){.session = &k, .family = &fam, .tenant = "t", .user = "alice",
                                .issued_at = T0 + 100, .now = T0 + 101};
    CHECK_INT(crumb_store_check(s, &q, &r), CRUMB_E_CORRUPT);
    CHECK_INT(crumb_store_verify(s, 1, &rep, T0 + 200), CRUMB_OK);
    CHECK_INT(rep.corrupt, 4);
    CHECK_INT(rep.repaired, 3);
    CHECK_INT(rep.removed, 1);
    q.now = T0 + 201;
    q.issued_at = T0 + 300; /* newer than the repair: only the repaired revocations refuse */
    CHECK_INT(crumb_store_check(s, &q, &r), CRUMB_E_REVOKED);
    CHECK_INT(r.rule, CRUMB_STORE_RULE_SESSION);
    q.session = NULL;
    CHECK_INT(crumb_store_check(s, &q, &r), CRUMB_E_REVOKED);
    CHECK_INT(r.rule, CRUMB_STORE_RULE_FAMILY);
    q.family = NULL;
    q.issued_at = T0 + 199;
    CHECK_INT(crumb_store_check(s, &q, &r), CRUMB_E_REVOKED);
    CHECK_INT(r.rule, CRUMB_STORE_RULE_USER);
    uint8_t buf[64];
    size_t len;
    CHECK_INT(crumb_store_get(s, &other, buf, sizeof buf, &len, NULL, NULL, T0 + 201),
              CRUMB_E_NOTFOUND);
    CHECK_OK(crumb_store_verify(s, 0, &rep, T0 + 202));
    CHECK_INT(rep.corrupt, 0);
    crumb_store_close(s);
}

/* The precomputed HMAC equals HMAC-SHA-256 for every split and length. */
static void test_hash(void)
{
    uint8_t key[32], msg[300], a[32], b[32];
    crumb__fs_hkey hk;
    for (int round = 0; round < 400; round++) {
        check_fill(key, sizeof key);
        check_fill(msg, sizeof msg);
        size_t n1 = (size_t)(check_rand() % 160), n2 = (size_t)(check_rand() % 140);
        crumb__fs_hkey_init(&hk, key);
        crumb__fs_hmac(&hk, a, msg, n1, n2 ? msg + n1 : NULL, n2);
        CHECK_INT(crumb__hmac_sha256(b, key, 32, msg, n1, msg + n1, n2), 0);
        CHECK_MEM(a, b, 32);
    }
}

int main(void)
{
    check_seed();
    snprintf(base, sizeof base, "/tmp/crumb-swap-XXXXXX");
    if (mkdtemp(base) == NULL)
        return 2;
    test_hash();
    test_swap();
    test_no_identity();
    test_identity_repair();
    test_fresh_open();
    test_repair_global();
    test_repair_types();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    CHECK_INT(system(cmd), 0);
    return check_done("test_store_file_swap");
}
