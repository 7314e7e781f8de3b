/*
 * test_store_torture.c - the file store under abuse: 8 processes x 2,000
 * mixed operations on one directory (every acknowledged write readable, no
 * torn record, CAS counters exact), and 50+ rounds of writers killed with
 * SIGKILL at random instants (every acknowledged write survives, the store
 * opens, verifies and sweeps cleanly).
 */
#include "check.h"
#include "crumb_store.h"
#include "internal.h"

#include <ftw.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define T0 1700000000LL
#define NPROC 8
#define NOPS 2000
#define OWN_KEYS 16
#define SHARED_KEYS 4

static char root[64], dir[96];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static crumb_store_key key_of(unsigned owner, unsigned i)
{
    crumb_store_key k;
    memset(&k, 0, sizeof k);
    k.b[0] = (uint8_t)owner;
    k.b[1] = (uint8_t)i;
    k.b[31] = 0x77;
    return k;
}

/* Record content for (owner, i, counter): self-describing, 64..319 bytes,
 * so a torn or mixed record is detected by the reader too. */
static size_t make_data(uint8_t *out, unsigned owner, unsigned i, uint32_t counter)
{
    size_t n = 64 + (counter * 37u + i) % 256u;
    for (size_t j = 0; j < n; j++)
        out[j] = (uint8_t)(owner * 31u + i * 7u + counter * 13u + j);
    memcpy(out, &counter, 4);
    return n;
}

/* 1 if buf/len is exactly make_data(owner, i, counter) for its counter. */
static int data_ok(const uint8_t *buf, size_t len, unsigned owner, unsigned i, uint32_t *counter)
{
    uint8_t want[400];
    if (len < 4)
        return 0;
    memcpy(counter, buf, 4);
    size_t n = make_data(want, owner, i, *counter);
    return n == len && memcmp(want, buf, n) == 0;
}

/* Result a worker reports. */
typedef struct report {
    uint32_t own_counter[OWN_KEYS];
    uint64_t own_version[OWN_KEYS];
    uint32_t shared_incs[SHARED_KEYS];
    uint32_t fam_advances;
    uint32_t errors;
} report;

/* CAS-increment a shared counter record; 1 on success. */
static int shared_inc(crumb_store *s, unsigned j, report *r)
{
    crumb_store_key k = key_of(200, j);
    uint8_t buf[16];
    size_t len;
    uint64_t ver = 0;
    uint32_t c = 0;
    crumb_err e = crumb_store_get(s, &k, buf, sizeof buf, &len, &ver, NULL, T0);
    if (e == CRUMB_OK && len == 4)
        memcpy(&c, buf, 4);
    else if (e != CRUMB_E_NOTFOUND)
        return r->errors++, 0;
    c++;
    memcpy(buf, &c, 4);
    e = crumb_store_put(s, &k, buf, 4, T0 + 1000000, e == CRUMB_E_NOTFOUND ? 0 : ver, NULL, T0);
    if (e == CRUMB_OK)
        return 1;
    if (e != CRUMB_E_CONFLICT)
        r->errors++;
    return 0;
}

/* One worker process of the multi-process test. */
static void worker(unsigned me, int fd)
{
    crumb_store *s = NULL;
    crumb_store_file_config cfg = {.no_fsync = 1};
    report r;
    memset(&r, 0, sizeof r);
    if (crumb_store_file_open(&s, dir, &cfg) != CRUMB_OK)
        _exit(3);
    check_rng_state = 1000 + me;
    uint8_t buf[400];
    crumb_store_id fam = {{0xfa}};
    for (unsigned op = 0; op < NOPS; op++) {
        unsigned kind = (unsigned)(check_rand() % 10);
        unsigned i = (unsigned)(check_rand() % OWN_KEYS);
        crumb_store_key k = key_of(me, i);
        crumb_err e = CRUMB_OK;
        if (kind < 3) { /* CAS write of an own key */
            uint32_t c = r.own_counter[i] + 1;
            size_t n = make_data(buf, me, i, c);
            uint64_t nv;
            e = crumb_store_put(s, &k, buf, n, T0 + 1000000,
                                r.own_version[i] ? r.own_version[i] : CRUMB_STORE_VERSION_NEW, &nv,
                                T0);
            if (e == CRUMB_OK) {
                r.own_counter[i] = c;
                r.own_version[i] = nv;
            }
        } else if (kind < 5) { /* read back an own key */
            size_t len;
            uint64_t v;
            uint32_t c;
            e = crumb_store_get(s, &k, buf, sizeof buf, &len, &v, NULL, T0);
            if (e == CRUMB_E_NOTFOUND && r.own_version[i] == 0)
                e = CRUMB_OK;
            else if (e == CRUMB_OK && (!data_ok(buf, len, me, i, &c) || c != r.own_counter[i] ||
                                       v != r.own_version[i]))
                e = CRUMB_E_INTERNAL;
        } else if (kind < 7) { /* contended CAS counter */
            unsigned j = (unsigned)(check_rand() % SHARED_KEYS);
            r.shared_incs[j] += (uint32_t)shared_inc(s, j, &r);
        } else if (kind == 7) { /* contended family advance */
            uint64_t g = 0;
            e = crumb_store_family_get(s, &fam, &g, NULL, T0);
            if (e == CRUMB_OK) {
                e = crumb_store_family_advance(s, &fam, g, g + 1, T0 + 1000000, T0, NULL);
                if (e == CRUMB_OK)
                    r.fam_advances++;
                else if (e == CRUMB_E_CONFLICT)
                    e = CRUMB_OK;
            }
        } else if (kind == 8) { /* shared user record: sightings and index */
            crumb_store_sighting sg = {.device = {{(uint8_t)me, (uint8_t)i}}, .label = "w"};
            e = crumb_store_device_seen(s, "t", "shared", &sg, T0 + op, NULL);
            if (e == CRUMB_E_LIMIT)
                e = CRUMB_OK;
        } else { /* revocation and check */
            e = crumb_store_revoke_session(s, &k, T0 + 1000, T0);
            crumb_store_check_req q = {.session = &k, .issued_at = T0, .now = T0 + 1};
            crumb_store_check_res res;
            if (e == CRUMB_OK && crumb_store_check(s, &q, &res) != CRUMB_E_REVOKED)
                e = CRUMB_E_INTERNAL;
        }
        if (e != CRUMB_OK) {
            r.errors++;
            fprintf(stderr, "worker %u op %u kind %u: %s\n", me, op, kind, crumb_strerror(e));
        }
    }
    crumb_store_close(s);
    if (write(fd, &r, sizeof r) != (ssize_t)sizeof r)
        _exit(4);
    _exit(0);
}

static void test_multiprocess(void)
{
    int fds[2];
    CHECK_INT(pipe(fds), 0);
    fflush(NULL);
    pid_t pids[NPROC];
    for (unsigned p = 0; p < NPROC; p++) {
        pids[p] = fork();
        if (pids[p] == 0) {
            close(fds[0]);
            worker(p, fds[1]);
        }
    }
    close(fds[1]);
    report all[NPROC];
    for (unsigned p = 0; p < NPROC; p++) {
        int st = 0;
        waitpid(pids[p], &st, 0);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    size_t got = 0;
    while (got < sizeof all) {
        ssize_t n = read(fds[0], (uint8_t *)all + got, sizeof all - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fds[0]);
    CHECK_INT(got, sizeof all);
    /* reports arrive in any order: match them by content below */
    crumb_store *s = NULL;
    CHECK_OK(crumb_store_file_open(&s, dir, NULL));
    uint32_t incs[SHARED_KEYS] = {0}, adv = 0;
    int matched = 0;
    for (unsigned x = 0; x < NPROC; x++) {
        CHECK_INT(all[x].errors, 0);
        for (unsigned j = 0; j < SHARED_KEYS; j++)
            incs[j] += all[x].shared_incs[j];
        adv += all[x].fam_advances;
        /* find the owner whose keys hold exactly these counters */
        for (unsigned p = 0; p < NPROC; p++) {
            int ok = 1;
            for (unsigned i = 0; i < OWN_KEYS && ok; i++) {
                crumb_store_key k = key_of(p, i);
                uint8_t buf[400];
                size_t len;
                uint64_t v;
                uint32_t c;
                crumb_err e = crumb_store_get(s, &k, buf, sizeof buf, &len, &v, NULL, T0);
                if (all[x].own_version[i] == 0)
                    ok = e == CRUMB_E_NOTFOUND;
                else
                    ok = e == CRUMB_OK && data_ok(buf, len, p, i, &c) &&
                         c == all[x].own_counter[i] && v == all[x].own_version[i];
            }
            if (ok) {
                matched++;
                break;
            }
        }
    }
    CHECK_INT(matched, NPROC);
    for (unsigned j = 0; j < SHARED_KEYS; j++) {
        crumb_store_key k = key_of(200, j);
        uint8_t buf[8];
        size_t len;
        uint32_t c = 0;
        crumb_err e = crumb_store_get(s, &k, buf, sizeof buf, &len, NULL, NULL, T0);
        if (e == CRUMB_OK)
            memcpy(&c, buf, 4);
        CHECK_INT(c, incs[j]);
    }
    crumb_store_id fam = {{0xfa}};
    uint64_t g = 0;
    CHECK_OK(crumb_store_family_get(s, &fam, &g, NULL, T0));
    CHECK_INT(g, adv);
    crumb_store_sweep_counts c;
    CHECK_OK(crumb_store_sweep(s, T0, NULL, &c));
    CHECK_INT(c.corrupt, 0);
    crumb_store_close(s);
}

/* Acknowledgement a crash-test writer sends after each successful write. */
typedef struct ack {
    uint8_t kind; /* 1 put, 2 revoke */
    uint8_t i;
    uint32_t counter;
} ack;

/* Writer for the crash test: runs until killed. */
static void crash_writer(unsigned round, int fd)
{
    crumb_store *s = NULL;
    if (crumb_store_file_open(&s, dir, NULL) != CRUMB_OK)
        _exit(3);
    uint32_t counter[OWN_KEYS];
    uint8_t buf[400];
    for (unsigned i = 0; i < OWN_KEYS; i++) { /* continue from what is stored */
        crumb_store_key k = key_of(round % 4, i);
        size_t len;
        counter[i] = 0;
        if (crumb_store_get(s, &k, buf, sizeof buf, &len, NULL, NULL, T0) == CRUMB_OK)
            memcpy(&counter[i], buf, 4);
    }
    for (unsigned op = 0;; op++) {
        unsigned i = op % OWN_KEYS;
        crumb_store_key k = key_of(round % 4, i);
        ack a = {1, (uint8_t)i, counter[i] + 1};
        size_t n = make_data(buf, round % 4, i, a.counter);
        if (crumb_store_put(s, &k, buf, n, T0 + 1000000, CRUMB_STORE_VERSION_ANY, NULL, T0) !=
            CRUMB_OK)
            _exit(5);
        counter[i] = a.counter;
        if (write(fd, &a, sizeof a) != (ssize_t)sizeof a)
            _exit(4);
        if (op % 4 == 0) {
            crumb_store_key rk = key_of(100 + round % 50, i);
            if (crumb_store_revoke_session(s, &rk, T0 + 1000, T0) != CRUMB_OK)
                _exit(6);
            ack b = {2, (uint8_t)(round % 50), i};
            if (write(fd, &b, sizeof b) != (ssize_t)sizeof b)
                _exit(4);
        }
    }
}

static void test_crash(int rounds)
{
    uint32_t acked[4][OWN_KEYS];
    memset(acked, 0, sizeof acked);
    static uint8_t revoked[50][OWN_KEYS];
    for (int round = 0; round < rounds; round++) {
        int fds[2];
        CHECK_INT(pipe(fds), 0);
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            crash_writer((unsigned)round, fds[1]);
        }
        close(fds[1]);
        struct timespec ts = {0, (long)(check_rand() % 30000000u) + 2000000};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        CHECK(WIFSIGNALED(st));
        ack a;
        while (read(fds[0], &a, sizeof a) == (ssize_t)sizeof a) {
            if (a.kind == 1 && a.i < OWN_KEYS)
                acked[round % 4][a.i] = a.counter;
            else if (a.kind == 2 && a.i < 50 && a.counter < OWN_KEYS)
                revoked[a.i][a.counter] = 1;
        }
        close(fds[0]);
        /* after every kill: the store opens and serves every acknowledged write */
        crumb_store *s = NULL;
        CHECK_OK(crumb_store_file_open(&s, dir, NULL));
        for (unsigned i = 0; i < OWN_KEYS; i++) {
            if (acked[round % 4][i] == 0)
                continue;
            crumb_store_key k = key_of((unsigned)round % 4, i);
            uint8_t buf[400];
            size_t len;
            uint32_t c = 0;
            crumb_err e = crumb_store_get(s, &k, buf, sizeof buf, &len, NULL, NULL, T0);
            CHECK_OK(e);
            CHECK(e != CRUMB_OK || data_ok(buf, len, (unsigned)round % 4, i, &c));
            /* the acknowledged value, or one later write that landed unacknowledged */
            if (c != acked[round % 4][i] && c != acked[round % 4][i] + 1) {
                fprintf(stderr, "round %d key %u: stored %u, acked %u\n", round, i, c,
                        acked[round % 4][i]);
                CHECK(0);
            }
            acked[round % 4][i] = c;
        }
        crumb_store_close(s);
    }
    crumb_store *s = NULL;
    CHECK_OK(crumb_store_file_open(&s, dir, NULL));
    for (unsigned r = 0; r < 50; r++)
        for (unsigned i = 0; i < OWN_KEYS; i++) {
            if (!revoked[r][i])
                continue;
            crumb_store_key rk = key_of(100 + r, i);
            crumb_store_check_req q = {.session = &rk, .issued_at = T0, .now = T0 + 1};
            crumb_store_check_res res;
            CHECK_INT(crumb_store_check(s, &q, &res), CRUMB_E_REVOKED);
        }
    crumb_store_sweep_counts c;
    CHECK_OK(crumb_store_sweep(s, T0, NULL, &c));
    CHECK_INT(c.corrupt, 0);
    crumb_store_close(s);
}

int main(void)
{
    check_seed();
    snprintf(root, sizeof root, "/tmp/crumb-torture-XXXXXX");
    if (mkdtemp(root) == NULL)
        return 2;
    snprintf(dir, sizeof dir, "%s/store", root);
    test_multiprocess();
    nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    if (mkdtemp(strcpy(root, "/tmp/crumb-torture-XXXXXX")) == NULL)
        return 2;
    snprintf(dir, sizeof dir, "%s/store", root);
    const char *r = getenv("CRUMB_CRASH_ROUNDS");
    test_crash(r ? atoi(r) : 60);
    nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return check_done("test_store_torture");
}
