/*
 * test_store_file_names.c - the file store's path names by identity
 * version (docs/STORE.md, "Layout"), written as the attacks on an upgrade:
 * a store an earlier release made (identity version 1) keeps its HMAC
 * names, so every revocation already on disk still applies; a new store
 * (version 2, SipHash names) puts each record where the layout says; a
 * version this build cannot read is refused, never read as an empty
 * store; a repaired identity keeps the store's version. Names are computed
 * by tests/names.c, not by the store.
 */
#include "check.h"
#include "crumb.h"
#include "crumb_store.h"
#include "internal.h"
#include "names.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define T0 1800000000LL
#define ID_BYTES 64

static const uint8_t secret[32] = "file names test secret..........";
static char base[64];
static unsigned dir_seq;

static void fresh_dir(char *d, size_t cap)
{
    snprintf(d, cap, "%s/%u", base, dir_seq++);
}

static crumb_store *open_store(const char *dir, crumb_err want)
{
    crumb_store_file_config c = {.secret = secret, .no_fsync = 1};
    crumb_store *s = NULL;
    CHECK_INT(crumb_store_file_open(&s, dir, &c), want);
    return s;
}

/* DIR/identity's bytes into b; 1 if it has the record's size. */
static int identity_read(const char *dir, uint8_t b[ID_BYTES])
{
    return names_file_identity(dir, b);
}

/* Make the store at dir one of version v (names.h). */
static void identity_rewrite(const char *dir, uint8_t v)
{
    CHECK_INT(names_file_set_version(dir, secret, v), 0);
}

/* A new store in a fresh dir, made by this build and closed; then made of
 * version v by rewriting its identity (v = 0: left as made). */
static void make_store(char *dir, size_t cap, uint8_t v)
{
    fresh_dir(dir, cap);
    crumb_store_close(open_store(dir, CRUMB_OK));
    if (v)
        identity_rewrite(dir, v);
}

/* 1 if the record whose name input is p[0..n) exists at its documented
 * path "<sub>/<hh>/<64 hex>" for a store of identity version v. */
static int at_path(const char *dir, char sub, unsigned v, const uint8_t *p, size_t n)
{
    uint8_t h[32];
    char hex[65], path[256];
    struct stat st;
    if (names_file(h, secret, v, p, n) != 0)
        return 0;
    crumb__hex(hex, h, 32);
    snprintf(path, sizeof path, "%s/%c/%.2s/%s", dir, sub, hex, hex);
    return stat(path, &st) == 0;
}

/* The check request for session key k of family f. */
static crumb_store_check_req req_of(const crumb_store_key *k, const crumb_store_id *f)
{
    crumb_store_check_req q = {k, f, 1, "t", "alice", NULL, T0, T0 + 1};
    return q;
}

/* Revoke a session, a family and a user in the store of version v at dir;
 * each record is where the layout of v puts it (and not where the other
 * version would); the revocations hold after a reopen. */
static void records_where_documented(const char *dir, unsigned v)
{
    crumb_store_key k;
    crumb_store_id f;
    crumb_store_check_res r;
    uint8_t in[33], user[2 + 1 + 5] = {'U', 1, 't', 'a', 'l', 'i', 'c', 'e'};
    check_fill(k.b, sizeof k.b);
    check_fill(f.b, sizeof f.b);
    crumb_store *s = open_store(dir, CRUMB_OK);
    if (!s)
        return;
    crumb_store_check_req q = req_of(&k, &f);
    CHECK_OK(crumb_store_check(s, &q, &r));
    CHECK_OK(crumb_store_revoke_session(s, &k, T0 + 3600, T0));
    CHECK_OK(crumb_store_revoke_family(s, &f, T0 + 3600, T0));
    CHECK_OK(crumb_store_revoke_user(s, "t", "alice", T0 + 1, NULL, T0 + 3600, T0));
    crumb_store_close(s);
    in[0] = 'R';
    memcpy(in + 1, k.b, 32);
    CHECK(at_path(dir, 'r', v, in, 33));
    in[0] = 'F';
    memcpy(in + 1, f.b, 16);
    CHECK(at_path(dir, 'f', v, in, 17));
    CHECK(at_path(dir, 'u', v, user, sizeof user));
    if (names_file_version() == 2) /* the other version's names are empty */
        CHECK(!at_path(dir, 'u', 3 - v, user, sizeof user));
    s = open_store(dir, CRUMB_OK);
    if (!s)
        return;
    for (int i = 0; i < 3; i++) { /* session, family, user: each on its own */
        crumb_store_key k2;
        crumb_store_id f2;
        check_fill(k2.b, sizeof k2.b);
        check_fill(f2.b, sizeof f2.b);
        crumb_store_check_req q2 = req_of(i == 0 ? &k : &k2, i == 1 ? &f : &f2);
        if (i != 2)
            q2.user = "bob";
        CHECK_INT(crumb_store_check(s, &q2, &r), CRUMB_E_REVOKED);
    }
    crumb_store_close(s);
}

/* A store this build makes has the version names.h says, and its records
 * lie at that version's names. */
static void test_new_store(void)
{
    char dir[96];
    uint8_t b[ID_BYTES];
    make_store(dir, sizeof dir, 0);
    CHECK(identity_read(dir, b));
    CHECK_INT(b[4], names_file_version());
    records_where_documented(dir, names_file_version());
}

/* The upgrade: every store an earlier release made has identity version 1
 * and HMAC names. This build keeps them: what it writes lands at the HMAC
 * names, so the revocations written before the upgrade are the ones it
 * reads. */
static void test_version1_store(void)
{
    char dir[96];
    make_store(dir, sizeof dir, 1);
    records_where_documented(dir, 1);
}

/* A version this build does not know is refused (CRUMB_E_VERSION), and a
 * build without libsodium refuses a version-2 store (CRUMB_E_UNSUPPORTED):
 * neither is read as an empty store, which would un-revoke everything. */
static void test_unknown_versions(void)
{
    char dir[96];
    make_store(dir, sizeof dir, 3);
    CHECK(open_store(dir, CRUMB_E_VERSION) == NULL);
    make_store(dir, sizeof dir, 0xff);
    CHECK(open_store(dir, CRUMB_E_VERSION) == NULL);
    make_store(dir, sizeof dir, 2);
    crumb_store *s = open_store(dir, names_file_version() == 2 ? CRUMB_OK : CRUMB_E_UNSUPPORTED);
    crumb_store_close(s);
}

/* The identity record is removed under an open store: checks fail closed
 * until verify --repair writes a new one, of the store's own version, so
 * the revocation made before still applies. */
static void test_repair_keeps_version(void)
{
    for (unsigned v = 1; v <= names_file_version(); v++) {
        char dir[96], p[128];
        uint8_t b[ID_BYTES];
        crumb_store_key k;
        crumb_store_check_res r;
        crumb_store_verify_report rep;
        make_store(dir, sizeof dir, (uint8_t)v);
        check_fill(k.b, sizeof k.b);
        crumb_store *s = open_store(dir, CRUMB_OK);
        if (!s)
            return;
        crumb_store_check_req q = req_of(&k, NULL);
        CHECK_OK(crumb_store_revoke_session(s, &k, T0 + 3600, T0));
        snprintf(p, sizeof p, "%s/identity", dir);
        CHECK_INT(unlink(p), 0);
        CHECK_INT(crumb_store_check(s, &q, &r), CRUMB_E_CORRUPT);
        CHECK_OK(crumb_store_verify(s, 1, &rep, T0 + 2));
        CHECK(identity_read(dir, b));
        CHECK_INT(b[4], v);
        CHECK_INT(crumb_store_check(s, &q, &r), CRUMB_E_REVOKED);
        crumb_store_close(s);
        s = open_store(dir, CRUMB_OK); /* and a new opener agrees */
        if (s)
            CHECK_INT(crumb_store_check(s, &q, &r), CRUMB_E_REVOKED);
        crumb_store_close(s);
    }
}

/* The set-up of the re-initialisation attacks: a version-1 store at a
 * fresh dir opened as *a, its identity removed underneath, then opened as
 * *b by this build, which takes the directory for a new store (version 2). */
static void reinit(char *dir, size_t cap, crumb_store **a, crumb_store **b)
{
    char p[128];
    make_store(dir, cap, 1);
    *a = open_store(dir, CRUMB_OK);
    snprintf(p, sizeof p, "%s/identity", dir);
    CHECK_INT(unlink(p), 0);
    *b = open_store(dir, CRUMB_OK);
}

/* The identity record is removed under an open store of version 1 (the
 * store holds no record yet); a libsodium build opening it now takes it
 * for a new store (version 2) and revokes a session under SipHash names.
 * The first handle's repair must not put a version-1 identity over the
 * other opener's: a store whose names flip under records already written
 * reads as empty there, and the revocation stops applying. */
static void test_repair_after_reinit(void)
{
    char dir[96];
    uint8_t b[ID_BYTES];
    crumb_store_key k;
    crumb_store_check_res r;
    crumb_store_verify_report rep;
    crumb_store *a, *b2;
    if (names_file_version() != 2)
        return; /* a build without libsodium makes only version 1 */
    check_fill(k.b, sizeof k.b);
    crumb_store_check_req q = req_of(&k, NULL);
    reinit(dir, sizeof dir, &a, &b2);
    CHECK(identity_read(dir, b) && b[4] == 2);
    if (b2)
        CHECK_OK(crumb_store_revoke_session(b2, &k, T0 + 3600, T0));
    crumb_store_close(b2);
    if (a)
        CHECK_INT(crumb_store_verify(a, 1, &rep, T0 + 2), CRUMB_E_CORRUPT); /* left alone */
    CHECK(identity_read(dir, b) && b[4] == 2);
    crumb_store_close(a);
    crumb_store *c = open_store(dir, CRUMB_OK);
    if (c)
        CHECK_INT(crumb_store_check(c, &q, &r), CRUMB_E_REVOKED);
    crumb_store_close(c);
}

/* The same, the other way: a handle whose identity record is gone writes
 * a revocation after another opener made the store anew with other names.
 * What it is told was written must apply: the write fails (closed), as a
 * check does, rather than land where the store never looks. */
static void test_write_after_reinit(void)
{
    char dir[96];
    crumb_store_key k;
    crumb_store_check_res r;
    crumb_store *a, *b2;
    if (names_file_version() != 2)
        return;
    check_fill(k.b, sizeof k.b);
    crumb_store_check_req q = req_of(&k, NULL);
    reinit(dir, sizeof dir, &a, &b2);
    crumb_err rc = a ? crumb_store_revoke_session(a, &k, T0 + 3600, T0) : CRUMB_E_IO;
    if (b2 && rc == CRUMB_OK)
        CHECK_INT(crumb_store_check(b2, &q, &r), CRUMB_E_REVOKED);
    CHECK(rc != CRUMB_OK);
    rc = a ? crumb_store_revoke_user(a, "t", "alice", T0 + 1, NULL, T0 + 3600, T0) : CRUMB_E_IO;
    CHECK(rc != CRUMB_OK);
    crumb_store_close(b2);
    crumb_store_close(a);
}

/* Checks and writes in other threads while the identity record is removed
 * and repaired, round after round (and under TSan: tests/tsan.list): a
 * revoked session is never let through, neither while the identity is
 * gone nor after the repair, and the handle keeps its names throughout. */
#define LOAD_THREADS 4
#define LOAD_ROUNDS 20
static crumb_store *load_store;
static crumb_store_key load_key;
static atomic_int load_stop, load_passed;

static void *load_worker(void *arg)
{
    crumb_store_check_res r;
    crumb_store_check_req q = req_of(&load_key, NULL);
    uint32_t n = 0;
    while (!atomic_load(&load_stop)) {
        crumb_err rc = crumb_store_check(load_store, &q, &r);
        if (rc != CRUMB_E_REVOKED && rc != CRUMB_E_CORRUPT)
            atomic_fetch_add(&load_passed, 1);
        crumb_store_key k; /* per-thread keys: check_fill is not thread-safe */
        memset(k.b, (int)(intptr_t)arg, sizeof k.b);
        memcpy(k.b + 1, &n, sizeof n);
        n++;
        rc = crumb_store_revoke_session(load_store, &k, T0 + 3600, T0);
        if (rc != CRUMB_OK && rc != CRUMB_E_CORRUPT)
            atomic_fetch_add(&load_passed, 1);
    }
    return NULL;
}

static void test_repair_under_load(void)
{
    char dir[96], p[128];
    uint8_t b[ID_BYTES];
    pthread_t th[LOAD_THREADS];
    crumb_store_verify_report rep;
    crumb_store_check_res r;
    make_store(dir, sizeof dir, 0);
    check_fill(load_key.b, sizeof load_key.b);
    load_store = open_store(dir, CRUMB_OK);
    if (!load_store)
        return;
    CHECK_OK(crumb_store_revoke_session(load_store, &load_key, T0 + 3600, T0));
    for (int i = 0; i < LOAD_THREADS; i++)
        CHECK_INT(pthread_create(&th[i], NULL, load_worker, (void *)(intptr_t)(i + 1)), 0);
    snprintf(p, sizeof p, "%s/identity", dir);
    for (int round = 0; round < LOAD_ROUNDS; round++) {
        CHECK_INT(unlink(p), 0);
        CHECK_OK(crumb_store_verify(load_store, 1, &rep, T0 + 2));
        CHECK(identity_read(dir, b) && b[4] == names_file_version());
    }
    atomic_store(&load_stop, 1);
    for (int i = 0; i < LOAD_THREADS; i++)
        pthread_join(th[i], NULL);
    CHECK_INT(atomic_load(&load_passed), 0);
    crumb_store_check_req q = req_of(&load_key, NULL);
    CHECK_INT(crumb_store_check(load_store, &q, &r), CRUMB_E_REVOKED);
    crumb_store_close(load_store);
}

/* Flip DIR/identity's version byte 1 <-> 2 without the secret (the HMAC
 * left as it was): in place (same file) if in_place, else as a new file
 * renamed over it. */
static void identity_flip(const char *dir, int in_place)
{
    uint8_t b[ID_BYTES];
    char p[128], tmp[140];
    CHECK(identity_read(dir, b));
    b[4] = (uint8_t)(3 - b[4]);
    snprintf(p, sizeof p, "%s/identity", dir);
    snprintf(tmp, sizeof tmp, "%s.new", p);
    FILE *f = fopen(in_place ? p : tmp, in_place ? "r+b" : "wb");
    CHECK(f && fwrite(b, 1, ID_BYTES, f) == ID_BYTES);
    if (f)
        fclose(f);
    if (!in_place)
        CHECK_INT(rename(tmp, p), 0);
}

/* Whoever cannot compute the identity's HMAC flips its version byte, to
 * have the store read under the other names (where it is empty): a new
 * opener refuses it (CRUMB_E_CORRUPT, not another version's answer); an
 * open handle keeps its names (in place) or fails closed until verify
 * --repair replaces the damaged identity by one of its own version. */
static void test_version_flip(void)
{
    for (unsigned v = 1; v <= names_file_version(); v++) {
        for (int in_place = 0; in_place < 2; in_place++) {
            char dir[96];
            uint8_t b[ID_BYTES];
            crumb_store_key k;
            crumb_store_check_res r;
            crumb_store_verify_report rep;
            make_store(dir, sizeof dir, (uint8_t)v);
            check_fill(k.b, sizeof k.b);
            crumb_store_check_req q = req_of(&k, NULL);
            crumb_store *s = open_store(dir, CRUMB_OK);
            if (!s)
                return;
            CHECK_OK(crumb_store_revoke_session(s, &k, T0 + 3600, T0));
            identity_flip(dir, in_place);
            CHECK(open_store(dir, CRUMB_E_CORRUPT) == NULL);
            CHECK_INT(crumb_store_check(s, &q, &r), in_place ? CRUMB_E_REVOKED : CRUMB_E_CORRUPT);
            if (!in_place) {
                CHECK_OK(crumb_store_verify(s, 1, &rep, T0 + 2));
                CHECK(identity_read(dir, b) && b[4] == v);
                CHECK_INT(crumb_store_check(s, &q, &r), CRUMB_E_REVOKED);
                crumb_store *c = open_store(dir, CRUMB_OK);
                if (c)
                    CHECK_INT(crumb_store_check(c, &q, &r), CRUMB_E_REVOKED);
                crumb_store_close(c);
            }
            crumb_store_close(s);
        }
    }
}

int main(void)
{
    check_seed();
    snprintf(base, sizeof base, "/tmp/crumb-fnames-XXXXXX");
    if (mkdtemp(base) == NULL)
        return 2;
    test_new_store();
    test_version1_store();
    test_unknown_versions();
    test_repair_keeps_version();
    test_repair_after_reinit();
    test_write_after_reinit();
    test_repair_under_load();
    test_version_flip();
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    CHECK_INT(system(cmd), 0);
    return check_done("test_store_file_names");
}
