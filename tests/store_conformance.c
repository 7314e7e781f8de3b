/*
 * store_conformance.c - one suite of behavioural checks that every
 * crumb_store implementation must pass (session records with CAS,
 * revocation rules and check(), families, devices, session index, sweep
 * and argument validation). Store-agnostic: uses only crumb_store.h.
 * Assumes the store was opened with the default 60 s sighting throttle.
 */
#include "store_conformance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int sc_fail; /* failed checks in the current run */

#define SC_INT(a, b)                                                                 \
    do {                                                                             \
        long long sc_a_ = (long long)(a), sc_b_ = (long long)(b);                    \
        if (sc_a_ != sc_b_) {                                                        \
            sc_fail++;                                                               \
            fprintf(stderr, "%s:%d: [%s] %s == %s failed: %lld != %lld\n", __FILE__, \
                    __LINE__, sc_store, #a, #b, sc_a_, sc_b_);                       \
        }                                                                            \
    } while (0)

#define SC_OK(expr) SC_INT((expr), CRUMB_OK)
#define SC(cond) SC_INT(!!(cond), 1)

static const char *sc_store = "?"; /* name of the store under test */

#define T0 1700000000LL
#define DAY 86400LL

/* Deterministic test key/id from a small number. */
static crumb_store_key sc_key(unsigned n)
{
    crumb_store_key k;
    for (size_t i = 0; i < sizeof k.b; i++)
        k.b[i] = (uint8_t)(n * 131u + i * 7u + (n >> 8));
    return k;
}

static crumb_store_id sc_id(unsigned n)
{
    crumb_store_id k;
    for (size_t i = 0; i < sizeof k.b; i++)
        k.b[i] = (uint8_t)(n * 17u + i * 3u + 1u + (n >> 8));
    return k;
}

/* ---- session records -------------------------------------------------- */

static void group_records(crumb_store *s)
{
    crumb_store_key k = sc_key(1), k2 = sc_key(2);
    uint8_t buf[256], big[CRUMB_STORE_DATA_MAX + 1];
    size_t len = 0;
    uint64_t v = 0, v2 = 0;
    int64_t exp = 0;
    const uint8_t d1[] = "first\0value", d2[] = "second value, longer";

    SC_INT(crumb_store_get(s, &k, buf, sizeof buf, &len, &v, &exp, T0), CRUMB_E_NOTFOUND);
    SC_OK(crumb_store_put(s, &k, d1, sizeof d1, T0 + 100, CRUMB_STORE_VERSION_NEW, &v, T0));
    SC(v > 0);
    SC_OK(crumb_store_get(s, &k, buf, sizeof buf, &len, &v2, &exp, T0));
    SC_INT(len, sizeof d1);
    SC(memcmp(buf, d1, sizeof d1) == 0);
    SC_INT(v2, v);
    SC_INT(exp, T0 + 100);
    /* create-only conflicts when present */
    SC_INT(crumb_store_put(s, &k, d2, sizeof d2, T0 + 100, CRUMB_STORE_VERSION_NEW, &v2, T0),
           CRUMB_E_CONFLICT);
    /* CAS with the right version */
    SC_OK(crumb_store_put(s, &k, d2, sizeof d2, T0 + 200, v, &v2, T0 + 1));
    SC(v2 > v);
    /* stale version: conflict, data unchanged */
    SC_INT(crumb_store_put(s, &k, d1, sizeof d1, T0 + 200, v, NULL, T0 + 1), CRUMB_E_CONFLICT);
    SC_OK(crumb_store_get(s, &k, buf, sizeof buf, &len, &v, NULL, T0 + 1));
    SC_INT(len, sizeof d2);
    SC(memcmp(buf, d2, sizeof d2) == 0);
    SC_INT(v, v2);
    /* expecting a version of an absent key */
    SC_INT(crumb_store_put(s, &k2, d1, sizeof d1, T0 + 100, 7, NULL, T0), CRUMB_E_NOTFOUND);
    /* buffer too small reports the size needed */
    len = 0;
    SC_INT(crumb_store_get(s, &k, buf, 3, &len, NULL, NULL, T0 + 1), CRUMB_E_BUFSIZE);
    SC_INT(len, sizeof d2);
    SC_INT(crumb_store_get(s, &k, NULL, 0, &len, NULL, NULL, T0 + 1), CRUMB_E_BUFSIZE);
    /* unconditional write */
    SC_OK(crumb_store_put(s, &k, d1, 0, T0 + 300, CRUMB_STORE_VERSION_ANY, &v, T0 + 2));
    SC(v > v2);
    SC_OK(crumb_store_get(s, &k, NULL, 0, &len, NULL, &exp, T0 + 2));
    SC_INT(len, 0);
    SC_INT(exp, T0 + 300);
    /* touch, expiry */
    SC_OK(crumb_store_touch(s, &k, T0 + 50, T0 + 3));
    SC_OK(crumb_store_get(s, &k, buf, sizeof buf, &len, &v2, &exp, T0 + 3));
    SC_INT(exp, T0 + 50);
    SC_INT(v2, v);
    SC_INT(crumb_store_get(s, &k, buf, sizeof buf, &len, NULL, NULL, T0 + 50), CRUMB_E_NOTFOUND);
    SC_INT(crumb_store_touch(s, &k, T0 + 500, T0 + 50), CRUMB_E_NOTFOUND);
    /* an expired record counts as absent for create-only */
    SC_OK(crumb_store_put(s, &k, d1, sizeof d1, T0 + 400, CRUMB_STORE_VERSION_NEW, &v, T0 + 60));
    SC_INT(crumb_store_touch(s, &k2, T0 + 500, T0), CRUMB_E_NOTFOUND);
    /* delete */
    SC_OK(crumb_store_delete(s, &k));
    SC_OK(crumb_store_delete(s, &k)); /* idempotent (seed 000) */
    SC_INT(crumb_store_get(s, &k, buf, sizeof buf, &len, NULL, NULL, T0 + 60), CRUMB_E_NOTFOUND);
    /* limits and arguments */
    memset(big, 0xa5, sizeof big);
    SC_INT(crumb_store_put(s, &k, big, sizeof big, T0 + 100, CRUMB_STORE_VERSION_ANY, NULL, T0),
           CRUMB_E_TOO_LARGE);
    SC_OK(crumb_store_put(s, &k, big, CRUMB_STORE_DATA_MAX, T0 + 100, CRUMB_STORE_VERSION_ANY,
                          NULL, T0));
    SC_OK(crumb_store_get(s, &k, big, sizeof big, &len, NULL, NULL, T0));
    SC_INT(len, CRUMB_STORE_DATA_MAX);
    SC_INT(big[CRUMB_STORE_DATA_MAX - 1], 0xa5);
    SC_INT(crumb_store_put(s, &k, d1, sizeof d1, T0, CRUMB_STORE_VERSION_ANY, NULL, T0),
           CRUMB_E_INVALID);
    SC_INT(crumb_store_put(s, NULL, d1, sizeof d1, T0 + 9, CRUMB_STORE_VERSION_ANY, NULL, T0),
           CRUMB_E_INVALID);
    SC_INT(crumb_store_touch(s, &k, T0, T0), CRUMB_E_INVALID);
    /* many keys stay distinct */
    for (unsigned i = 100; i < 164; i++) {
        uint8_t d[4] = {(uint8_t)i, (uint8_t)(i >> 8), 1, 2};
        crumb_store_key ki = sc_key(i);
        SC_OK(crumb_store_put(s, &ki, d, sizeof d, T0 + 100, CRUMB_STORE_VERSION_NEW, NULL, T0));
    }
    for (unsigned i = 100; i < 164; i++) {
        crumb_store_key ki = sc_key(i);
        SC_OK(crumb_store_get(s, &ki, buf, sizeof buf, &len, NULL, NULL, T0));
        SC_INT(len, 4);
        SC_INT(buf[0], (uint8_t)i);
    }
}

/* ---- revocation and check -------------------------------------------- */

/* Run check and return its result code; *rule receives the rule. */
static crumb_err sc_check(crumb_store *s, const crumb_store_key *k, const crumb_store_id *fam,
                          const char *tenant, const char *user, const crumb_store_id *dev,
                          int64_t issued, int64_t now, int *rule)
{
    crumb_store_check_req q = {k, fam, 1, tenant, user, dev, issued, now};
    crumb_store_check_res r;
    crumb_err e = crumb_store_check(s, &q, &r);
    *rule = r.rule;
    return e;
}

static void group_revocation(crumb_store *s)
{
    crumb_store_key k1 = sc_key(1), k2 = sc_key(2), k3 = sc_key(3);
    crumb_store_id f1 = sc_id(1), f2 = sc_id(2), d1 = sc_id(11), d2 = sc_id(12);
    int rule = -1;

    SC_OK(sc_check(s, &k1, &f1, "t", "alice", &d1, T0, T0 + 1, &rule));
    SC_INT(rule, CRUMB_STORE_RULE_NONE);
    SC_OK(sc_check(s, NULL, NULL, NULL, NULL, NULL, T0, T0 + 1, &rule));

    /* session */
    SC_OK(crumb_store_revoke_session(s, &k1, T0 + 100, T0 + 1));
    SC_INT(sc_check(s, &k1, NULL, NULL, NULL, NULL, T0, T0 + 2, &rule), CRUMB_E_REVOKED);
    SC_INT(rule, CRUMB_STORE_RULE_SESSION);
    SC_OK(sc_check(s, &k2, NULL, NULL, NULL, NULL, T0, T0 + 2, &rule));
    SC_OK(sc_check(s, &k1, NULL, NULL, NULL, NULL, T0, T0 + 100, &rule)); /* until passed */
    SC_INT(crumb_store_revoke_session(s, &k1, T0, T0 + 1), CRUMB_E_INVALID);

    /* family */
    SC_OK(crumb_store_revoke_family(s, &f1, T0 + 100, T0 + 1));
    SC_INT(sc_check(s, &k2, &f1, NULL, NULL, NULL, T0, T0 + 2, &rule), CRUMB_E_REVOKED);
    SC_INT(rule, CRUMB_STORE_RULE_FAMILY);
    SC_OK(sc_check(s, &k2, &f2, NULL, NULL, NULL, T0, T0 + 2, &rule));

    /* user, with "except this session"; scoped by tenant */
    SC_OK(crumb_store_revoke_user(s, "t", "alice", T0 + 10, &k3, T0 + 100, T0 + 10));
    SC_INT(sc_check(s, &k2, &f2, "t", "alice", NULL, T0 + 5, T0 + 11, &rule), CRUMB_E_REVOKED);
    SC_INT(rule, CRUMB_STORE_RULE_USER);
    SC_OK(sc_check(s, &k3, &f2, "t", "alice", NULL, T0 + 5, T0 + 11, &rule));   /* excepted */
    SC_OK(sc_check(s, &k2, &f2, "t", "alice", NULL, T0 + 10, T0 + 11, &rule));  /* issued after */
    SC_OK(sc_check(s, &k2, &f2, "u", "alice", NULL, T0 + 5, T0 + 11, &rule));   /* other tenant */
    SC_OK(sc_check(s, &k2, &f2, "t", "bob", NULL, T0 + 5, T0 + 11, &rule));     /* other user */
    SC_OK(sc_check(s, &k2, &f2, "t", "alice", NULL, T0 + 5, T0 + 100, &rule));  /* expired */
    /* a later "log out everywhere" without except revokes the excepted one */
    SC_OK(crumb_store_revoke_user(s, "t", "alice", T0 + 20, NULL, T0 + 100, T0 + 20));
    SC_INT(sc_check(s, &k3, &f2, "t", "alice", NULL, T0 + 5, T0 + 21, &rule), CRUMB_E_REVOKED);
    /* before never moves backwards */
    SC_OK(crumb_store_revoke_user(s, "t", "alice", T0 + 1, NULL, T0 + 100, T0 + 21));
    SC_INT(sc_check(s, &k2, &f2, "t", "alice", NULL, T0 + 15, T0 + 22, &rule), CRUMB_E_REVOKED);
    /* tenant "" and NULL are the same tenant */
    SC_OK(crumb_store_revoke_user(s, NULL, "carol", T0 + 10, NULL, T0 + 100, T0 + 10));
    SC_INT(sc_check(s, &k2, NULL, "", "carol", NULL, T0 + 5, T0 + 11, &rule), CRUMB_E_REVOKED);

    /* device */
    SC_OK(crumb_store_revoke_device(s, "t", "dave", &d1, T0 + 100, T0 + 1));
    SC_INT(sc_check(s, &k2, NULL, "t", "dave", &d1, T0, T0 + 2, &rule), CRUMB_E_REVOKED);
    SC_INT(rule, CRUMB_STORE_RULE_DEVICE);
    SC_OK(sc_check(s, &k2, NULL, "t", "dave", &d2, T0, T0 + 2, &rule));
    SC_OK(sc_check(s, &k2, NULL, "x", "dave", &d1, T0, T0 + 2, &rule));
    SC_OK(sc_check(s, &k2, NULL, "t", "dave", &d1, T0, T0 + 100, &rule));

    /* global not-before, never backwards */
    SC_OK(crumb_store_revoke_all(s, T0 + 50, T0 + 50));
    SC_INT(sc_check(s, &k2, NULL, NULL, NULL, NULL, T0 + 49, T0 + 51, &rule), CRUMB_E_REVOKED);
    SC_INT(rule, CRUMB_STORE_RULE_GLOBAL);
    SC_OK(crumb_store_revoke_all(s, T0 + 1, T0 + 51));
    SC_INT(sc_check(s, &k2, NULL, NULL, NULL, NULL, T0 + 49, T0 + 51, &rule), CRUMB_E_REVOKED);
    SC_OK(sc_check(s, &k2, NULL, NULL, NULL, NULL, T0 + 50, T0 + 51, &rule));
    /* global matches first */
    SC_INT(sc_check(s, &k1, &f1, NULL, NULL, NULL, T0, T0 + 51, &rule), CRUMB_E_REVOKED);
    SC_INT(rule, CRUMB_STORE_RULE_GLOBAL);

    /* argument validation */
    char longname[CRUMB_STORE_NAME_MAX + 2];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    SC_INT(crumb_store_revoke_user(s, "t", longname, T0, NULL, T0 + 9, T0), CRUMB_E_INVALID);
    SC_INT(crumb_store_revoke_user(s, longname, "u", T0, NULL, T0 + 9, T0), CRUMB_E_INVALID);
    SC_INT(crumb_store_revoke_user(s, "t", NULL, T0, NULL, T0 + 9, T0), CRUMB_E_INVALID);
    longname[CRUMB_STORE_NAME_MAX] = '\0'; /* exactly the maximum is fine */
    SC_OK(crumb_store_revoke_user(s, longname, longname, T0, NULL, T0 + 9, T0));
}

/* ---- families --------------------------------------------------------- */

static void group_families(crumb_store *s)
{
    crumb_store_id f = sc_id(5), g = sc_id(6);
    uint64_t gen = 99, cur = 99;
    int64_t at = 99;
    SC_OK(crumb_store_family_get(s, &f, &gen, &at, T0));
    SC_INT(gen, 0);
    SC_INT(at, 0);
    SC_OK(crumb_store_family_advance(s, &f, 0, 1, T0 + 1000, T0 + 1, &cur));
    SC_INT(cur, 1);
    SC_INT(crumb_store_family_advance(s, &f, 0, 2, T0 + 1000, T0 + 2, &cur), CRUMB_E_CONFLICT);
    SC_INT(cur, 1);
    SC_OK(crumb_store_family_advance(s, &f, 1, 2, T0 + 1000, T0 + 3, &cur));
    SC_INT(cur, 2);
    SC_INT(crumb_store_family_advance(s, &f, 1, 2, T0 + 1000, T0 + 4, &cur), CRUMB_E_CONFLICT);
    SC_INT(cur, 2);
    SC_INT(crumb_store_family_advance(s, &f, 2, 2, T0 + 1000, T0 + 4, NULL), CRUMB_E_INVALID);
    SC_OK(crumb_store_family_get(s, &f, &gen, &at, T0 + 5));
    SC_INT(gen, 2);
    SC_INT(at, T0 + 3);
    /* check reports the generation, also for an unknown family */
    crumb_store_check_req q = {NULL, &f, 2, NULL, NULL, NULL, T0, T0 + 5};
    crumb_store_check_res r;
    SC_OK(crumb_store_check(s, &q, &r));
    SC_INT(r.family_gen, 2);
    SC_INT(r.family_advanced_at, T0 + 3);
    q.family = &g;
    SC_OK(crumb_store_check(s, &q, &r));
    SC_INT(r.family_gen, 0);
    SC_INT(r.family_advanced_at, 0);
    /* a revoked family: check refuses and still reports; advance refuses */
    SC_OK(crumb_store_revoke_family(s, &f, T0 + 2000, T0 + 6));
    q.family = &f;
    SC_INT(crumb_store_check(s, &q, &r), CRUMB_E_REVOKED);
    SC_INT(r.rule, CRUMB_STORE_RULE_FAMILY);
    SC_INT(r.family_gen, 2);
    SC_INT(crumb_store_family_advance(s, &f, 2, 3, T0 + 1000, T0 + 7, &cur), CRUMB_E_REVOKED);
    /* past `until` the family is unknown again */
    SC_OK(crumb_store_family_advance(s, &g, 0, 1, T0 + 10, T0 + 1, NULL));
    SC_OK(crumb_store_family_get(s, &g, &gen, NULL, T0 + 10));
    SC_INT(gen, 0);
    SC_INT(crumb_store_family_advance(s, NULL, 0, 1, T0 + 10, T0, NULL), CRUMB_E_INVALID);
}

/* ---- devices ---------------------------------------------------------- */

static void group_devices(crumb_store *s)
{
    crumb_store_sighting a = {sc_id(21), {0}, "Firefox on Linux", "192.0.2.0/24", NULL};
    crumb_store_sighting b = {sc_id(22), {0}, "Phone", NULL, NULL};
    crumb_store_device out[4];
    size_t n = 99;
    int w = -1;
    memset(a.fingerprint, 0xaa, sizeof a.fingerprint);
    memset(b.fingerprint, 0xbb, sizeof b.fingerprint);

    SC_OK(crumb_store_device_list(s, "t", "alice", out, 4, &n));
    SC_INT(n, 0);
    SC_OK(crumb_store_device_seen(s, "t", "alice", &a, T0, &w));
    SC_INT(w, 1);
    SC_OK(crumb_store_device_seen(s, "t", "alice", &a, T0 + 10, &w)); /* throttled */
    SC_INT(w, 0);
    SC_OK(crumb_store_device_seen(s, "t", "alice", &b, T0 + 20, &w));
    SC_INT(w, 1);
    SC_OK(crumb_store_device_list(s, "t", "alice", out, 4, &n));
    SC_INT(n, 2);
    SC(memcmp(out[0].device.b, b.device.b, 16) == 0); /* newest first */
    SC(memcmp(out[1].device.b, a.device.b, 16) == 0);
    SC_INT(out[1].trust, CRUMB_TRUST_UNKNOWN);
    SC_INT(out[1].first_seen, T0);
    SC_INT(out[1].last_seen, T0);
    SC(strcmp(out[1].label, "Firefox on Linux") == 0);
    SC(strcmp(out[1].ip_prefix, "192.0.2.0/24") == 0);
    SC(strcmp(out[0].ip_prefix, "") == 0);
    /* after the throttle window the sighting is written */
    SC_OK(crumb_store_device_seen(s, "t", "alice", &a, T0 + 61, &w));
    SC_INT(w, 1);
    /* a change is written at once */
    a.label = "Firefox 2";
    SC_OK(crumb_store_device_seen(s, "t", "alice", &a, T0 + 62, &w));
    SC_INT(w, 1);
    SC_OK(crumb_store_device_list(s, "t", "alice", out, 1, &n));
    SC_INT(n, 2);
    SC(memcmp(out[0].device.b, a.device.b, 16) == 0);
    SC_INT(out[0].last_seen, T0 + 62);
    SC_INT(out[0].first_seen, T0);
    SC(strcmp(out[0].label, "Firefox 2") == 0);
    /* tenant scoping */
    SC_OK(crumb_store_device_list(s, "u", "alice", out, 4, &n));
    SC_INT(n, 0);
    SC_INT(crumb_store_device_find(s, "u", "alice", a.fingerprint, out), CRUMB_E_NOTFOUND);
    /* find by fingerprint */
    SC_OK(crumb_store_device_find(s, "t", "alice", b.fingerprint, out));
    SC(memcmp(out[0].device.b, b.device.b, 16) == 0);
    uint8_t nofp[32] = {1};
    SC_INT(crumb_store_device_find(s, "t", "alice", nofp, out), CRUMB_E_NOTFOUND);
    /* trust */
    SC_OK(crumb_store_device_set_trust(s, "t", "alice", &a.device, CRUMB_TRUST_TRUSTED, T0 + 70));
    SC_OK(crumb_store_device_find(s, "t", "alice", a.fingerprint, out));
    SC_INT(out[0].trust, CRUMB_TRUST_TRUSTED);
    SC_INT(out[0].trust_changed_at, T0 + 70);
    SC_INT(crumb_store_device_set_trust(s, "t", "alice", &a.device, 7, T0), CRUMB_E_INVALID);
    crumb_store_id nodev = sc_id(99);
    SC_INT(crumb_store_device_set_trust(s, "t", "alice", &nodev, 1, T0), CRUMB_E_NOTFOUND);
    /* REVOKED trust makes check refuse the device */
    SC_OK(crumb_store_device_set_trust(s, "t", "alice", &b.device, CRUMB_TRUST_REVOKED, T0 + 71));
    crumb_store_check_req q = {NULL, NULL, 0, "t", "alice", &b.device, T0, T0 + 72};
    crumb_store_check_res r;
    SC_INT(crumb_store_check(s, &q, &r), CRUMB_E_REVOKED);
    SC_INT(r.rule, CRUMB_STORE_RULE_DEVICE);
    q.device = &a.device;
    SC_OK(crumb_store_check(s, &q, &r));
    /* a revoked device stays revoked on sighting */
    SC_OK(crumb_store_device_seen(s, "t", "alice", &b, T0 + 200, &w));
    SC_OK(crumb_store_device_find(s, "t", "alice", b.fingerprint, out));
    SC_INT(out[0].trust, CRUMB_TRUST_REVOKED);
    /* revoke_device marks the record */
    SC_OK(crumb_store_revoke_device(s, "t", "alice", &a.device, T0 + 1000, T0 + 201));
    SC_OK(crumb_store_device_find(s, "t", "alice", a.fingerprint, out));
    SC_INT(out[0].trust, CRUMB_TRUST_REVOKED);
    /* delete */
    SC_OK(crumb_store_device_delete(s, "t", "alice", &b.device));
    SC_OK(crumb_store_device_delete(s, "t", "alice", &b.device)); /* idempotent */
    SC_OK(crumb_store_device_list(s, "t", "alice", out, 4, &n));
    SC_INT(n, 1);
    SC_INT(crumb_store_device_seen(s, "t", NULL, &a, T0, &w), CRUMB_E_INVALID);
}

/* ---- session index ---------------------------------------------------- */

static void group_index(crumb_store *s)
{
    crumb_store_session_info in[3], out[3];
    size_t n = 99;
    memset(in, 0, sizeof in);
    for (unsigned i = 0; i < 3; i++) {
        in[i].session = sc_key(40 + i);
        in[i].family = sc_id(40 + i);
        in[i].device = sc_id(50 + i);
        in[i].created = T0 + i;
        in[i].last_seen = T0 + 10 * i;
        in[i].expires_at = T0 + 1000 + 100 * i;
        snprintf(in[i].label, sizeof in[i].label, "session %u", i);
        if (i == 2) /* longest label, every byte above any length field's range */
            memset(in[i].label, 'z', CRUMB_STORE_LABEL_MAX);
        SC_OK(crumb_store_index_put(s, "t", "alice", &in[i], T0));
    }
    SC_OK(crumb_store_index_list(s, "t", "alice", out, 3, &n, T0 + 30));
    SC_INT(n, 3);
    SC(memcmp(&out[0], &in[2], sizeof out[0]) == 0);
    SC(memcmp(&out[2], &in[0], sizeof out[0]) == 0);
    /* replace moves it to the front */
    in[0].last_seen = T0 + 50;
    SC_OK(crumb_store_index_put(s, "t", "alice", &in[0], T0 + 50));
    SC_OK(crumb_store_index_list(s, "t", "alice", out, 1, &n, T0 + 50));
    SC_INT(n, 3);
    SC(memcmp(&out[0], &in[0], sizeof out[0]) == 0);
    /* expired entries are not listed */
    SC_OK(crumb_store_index_list(s, "t", "alice", out, 3, &n, T0 + 1100));
    SC_INT(n, 1); /* only in[2] (expires T0 + 1200) is live */
    SC_OK(crumb_store_index_list(s, "u", "alice", out, 3, &n, T0));
    SC_INT(n, 0);
    SC_OK(crumb_store_index_delete(s, "t", "alice", &in[1].session));
    SC_OK(crumb_store_index_delete(s, "t", "alice", &in[1].session)); /* idempotent */
    SC_OK(crumb_store_index_delete(s, "t", "nobody", &in[1].session));
    SC_OK(crumb_store_index_list(s, "t", "alice", out, 3, &n, T0 + 50));
    SC_INT(n, 2);
    in[1].expires_at = T0;
    SC_INT(crumb_store_index_put(s, "t", "alice", &in[1], T0), CRUMB_E_INVALID);
}

/* ---- sweep ------------------------------------------------------------ */

static void group_sweep(crumb_store *s)
{
    crumb_store_sweep_counts c;
    crumb_store_key k = sc_key(60), k2 = sc_key(61);
    crumb_store_id f = sc_id(60);
    uint8_t buf[8] = {0};
    size_t len;
    int w;
    SC_OK(crumb_store_put(s, &k, buf, 0, T0 + 10, CRUMB_STORE_VERSION_NEW, NULL, T0));
    SC_OK(crumb_store_put(s, &k2, buf, 0, T0 + 10 * DAY, CRUMB_STORE_VERSION_NEW, NULL, T0));
    SC_OK(crumb_store_revoke_session(s, &k, T0 + 20, T0));
    SC_OK(crumb_store_revoke_family(s, &f, T0 + 20, T0));
    crumb_store_sighting tr = {sc_id(61), {1}, "trusted", NULL, NULL};
    crumb_store_sighting sn = {sc_id(62), {2}, "seen", NULL, NULL};
    SC_OK(crumb_store_device_seen(s, "t", "alice", &tr, T0, &w));
    SC_OK(crumb_store_device_seen(s, "t", "alice", &sn, T0, &w));
    SC_OK(crumb_store_device_set_trust(s, "t", "alice", &tr.device, CRUMB_TRUST_TRUSTED, T0));
    SC_OK(crumb_store_device_set_trust(s, "t", "alice", &sn.device, CRUMB_TRUST_SEEN, T0));

    SC_OK(crumb_store_sweep(s, T0 + 30, NULL, &c));
    SC_INT(c.sessions, 1);
    SC_INT(c.revocations, 2);
    SC_INT(c.devices_demoted + c.devices_revoked + c.devices_purged, 0);
    SC_OK(crumb_store_get(s, &k2, buf, sizeof buf, &len, NULL, NULL, T0 + 30));

    SC_OK(crumb_store_sweep(s, T0 + 31 * DAY, NULL, &c)); /* seen -> revoked */
    SC_INT(c.devices_demoted, 0);
    SC_INT(c.devices_revoked, 1);
    SC_INT(c.sessions, 1);
    crumb_store_device d;
    SC_OK(crumb_store_device_find(s, "t", "alice", sn.fingerprint, &d));
    SC_INT(d.trust, CRUMB_TRUST_REVOKED);
    SC_INT(d.trust_changed_at, T0 + 31 * DAY);
    SC_OK(crumb_store_device_find(s, "t", "alice", tr.fingerprint, &d));
    SC_INT(d.trust, CRUMB_TRUST_TRUSTED);

    SC_OK(crumb_store_sweep(s, T0 + 38 * DAY, NULL, &c)); /* 7 d exactly: kept */
    SC_INT(c.devices_purged, 0);
    SC_OK(crumb_store_sweep(s, T0 + 38 * DAY + 1, NULL, &c)); /* revoked -> purged after 7 d */
    SC_INT(c.devices_purged, 1);
    SC_INT(crumb_store_device_find(s, "t", "alice", sn.fingerprint, &d), CRUMB_E_NOTFOUND);

    SC_OK(crumb_store_sweep(s, T0 + 91 * DAY, NULL, &c)); /* trusted -> seen (-> revoked) */
    SC_INT(c.devices_demoted, 1);
    SC_INT(c.devices_revoked, 1); /* 91 d idle is past the 30 d seen window too */
    SC_OK(crumb_store_device_find(s, "t", "alice", tr.fingerprint, &d));
    SC_INT(d.trust, CRUMB_TRUST_REVOKED);

    /* huge windows (a configuration value, not a stored one) keep the
     * device and must not overflow days * 86400 (UBSan in make check) */
    crumb_store_retention forever = {INT64_MAX, INT64_MAX, INT64_MAX};
    SC_OK(crumb_store_sweep(s, T0 + 150 * DAY, &forever, &c));
    SC_INT(c.devices_demoted + c.devices_revoked + c.devices_purged, 0);
    SC_OK(crumb_store_device_find(s, "t", "alice", tr.fingerprint, &d));

    /* custom windows */
    crumb_store_retention ret = {1, 1, 1};
    SC_OK(crumb_store_sweep(s, T0 + 200 * DAY, &ret, &c));
    SC_OK(crumb_store_sweep(s, T0 + 202 * DAY, &ret, &c));
    SC_INT(crumb_store_device_find(s, "t", "alice", tr.fingerprint, &d), CRUMB_E_NOTFOUND);
    crumb_store_stats st;
    SC_OK(crumb_store_stats_get(s, &st));
    SC_INT(st.sessions, 0);
    SC_INT(st.devices, 0);
}

/* ---- device queries (version-2 device_select) and anonymous rows ----- */

static void group_device_select(crumb_store *s)
{
    crumb_store_device out[4];
    size_t n = 99;
    int w;
    crumb_store_sighting a = {sc_id(81), {81}, "a", NULL, NULL};
    crumb_store_sighting b = {sc_id(82), {82}, "b", NULL, NULL};
    crumb_store_sighting c = {sc_id(83), {83}, "c", NULL, NULL};
    SC_OK(crumb_store_device_seen(s, "t", "sel", &a, T0, &w));
    SC_OK(crumb_store_device_seen(s, "t", "sel", &b, T0 + 1, &w));
    SC_OK(crumb_store_device_seen(s, "t", "sel", &c, T0 + 2, &w));
    SC_OK(crumb_store_device_set_trust(s, "t", "sel", &b.device, CRUMB_TRUST_REVOKED, T0 + 3));
    /* load one device by id, scoped by (tenant, user) */
    SC_OK(crumb_store_device_get(s, "t", "sel", &b.device, out));
    SC(memcmp(out[0].device.b, b.device.b, CRUMB_STORE_IDBYTES) == 0);
    SC_INT(out[0].trust, CRUMB_TRUST_REVOKED);
    SC_INT(out[0].trust_changed_at, T0 + 3);
    SC_INT(crumb_store_device_get(s, "u", "sel", &b.device, out), CRUMB_E_NOTFOUND);
    SC_INT(crumb_store_device_get(s, "t", "other", &b.device, out), CRUMB_E_NOTFOUND);
    crumb_store_id none = sc_id(89);
    SC_INT(crumb_store_device_get(s, "t", "sel", &none, out), CRUMB_E_NOTFOUND);
    /* only the active ones, newest first; *n counts them all */
    SC_OK(crumb_store_device_list_active(s, "t", "sel", out, 4, &n));
    SC_INT(n, 2);
    SC(memcmp(out[0].device.b, c.device.b, CRUMB_STORE_IDBYTES) == 0);
    SC(memcmp(out[1].device.b, a.device.b, CRUMB_STORE_IDBYTES) == 0);
    SC_OK(crumb_store_device_list_active(s, "t", "sel", out, 1, &n));
    SC_INT(n, 2);
    SC_OK(crumb_store_device_list(s, "t", "sel", out, 4, &n));
    SC_INT(n, 3); /* the full list still has the revoked one */
    crumb_store_device_filter bad = {NULL, 2, NULL};
    SC_INT(crumb_store_device_select(s, "t", "sel", &bad, out, 4, &n), CRUMB_E_INVALID);
    /* devices bound to a session family: the sighting records it */
    crumb_store_id f1 = sc_id(86), f2 = sc_id(87);
    a.family = &f1;
    c.family = &f1;
    SC_OK(crumb_store_device_seen(s, "t", "sel", &a, T0 + 4, &w));
    SC_INT(w, 1); /* a new family is written at once, throttle or not */
    SC_OK(crumb_store_device_seen(s, "t", "sel", &c, T0 + 5, &w));
    SC_OK(crumb_store_device_find_family(s, "t", "sel", &f1, out, 4, &n));
    SC_INT(n, 2);
    SC(memcmp(out[0].device.b, c.device.b, CRUMB_STORE_IDBYTES) == 0);
    SC(memcmp(out[0].family.b, f1.b, CRUMB_STORE_IDBYTES) == 0);
    c.family = &f2; /* c moves on to another family (a login) */
    SC_OK(crumb_store_device_seen(s, "t", "sel", &c, T0 + 6, &w));
    SC_OK(crumb_store_device_find_family(s, "t", "sel", &f1, out, 4, &n));
    SC_INT(n, 1);
    SC(memcmp(out[0].device.b, a.device.b, CRUMB_STORE_IDBYTES) == 0);
    c.family = NULL; /* NULL keeps the family */
    SC_OK(crumb_store_device_seen(s, "t", "sel", &c, T0 + 100, &w));
    SC_OK(crumb_store_device_get(s, "t", "sel", &c.device, out));
    SC(memcmp(out[0].family.b, f2.b, CRUMB_STORE_IDBYTES) == 0);
    SC_OK(crumb_store_device_find_family(s, "u", "sel", &f2, out, 4, &n));
    SC_INT(n, 0);
    SC_OK(crumb_store_device_get(s, "t", "sel", &b.device, out));
    SC(memcmp(out[0].family.b, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16) == 0);
    /* the lookup answer (seed 003): whose record matched, and since when */
    crumb_store_check_req q = {NULL, NULL, 0, "t", "sel", &b.device, T0, T0 + 200};
    crumb_store_check_res r;
    SC_INT(crumb_store_check(s, &q, &r), CRUMB_E_REVOKED);
    SC_INT(r.rule, CRUMB_STORE_RULE_DEVICE);
    SC(strcmp(r.owner, "sel") == 0);
    SC_INT(r.revoked_at, T0 + 3);
    SC_OK(crumb_store_revoke_device(s, "t", "sel", &a.device, T0 + 1000, T0 + 201));
    q.device = &a.device;
    SC_INT(crumb_store_check(s, &q, &r), CRUMB_E_REVOKED);
    SC(strcmp(r.owner, "sel") == 0);
    SC_INT(r.revoked_at, T0 + 201); /* revoke_device stamps the record */
    SC_OK(crumb_store_revoke_user(s, "t", "sel", T0 + 50, NULL, T0 + 1000, T0 + 202));
    q.device = NULL;
    SC_INT(crumb_store_check(s, &q, &r), CRUMB_E_REVOKED);
    SC_INT(r.rule, CRUMB_STORE_RULE_USER);
    SC(strcmp(r.owner, "sel") == 0);
    SC_INT(r.revoked_at, T0 + 50); /* the user rule's not-before */
    q.user = NULL;
    SC_OK(crumb_store_check(s, &q, &r));
    SC(strcmp(r.owner, "") == 0 && r.revoked_at == 0);
    SC_OK(crumb_store_revoke_all(s, T0 + 60, T0 + 203));
    SC_INT(crumb_store_check(s, &q, &r), CRUMB_E_REVOKED);
    SC_INT(r.rule, CRUMB_STORE_RULE_GLOBAL);
    SC_INT(r.revoked_at, T0 + 60);
    SC(strcmp(r.owner, "") == 0);
    /* anonymous device rows: user "" within a tenant, apart from named users */
    crumb_store_sighting an = {sc_id(84), {84}, "anon", NULL, NULL};
    SC_OK(crumb_store_device_seen(s, "t", "", &an, T0, &w));
    SC_OK(crumb_store_device_get(s, "t", "", &an.device, out));
    SC_OK(crumb_store_device_find(s, "t", "", an.fingerprint, out));
    SC_INT(crumb_store_device_find(s, "u", "", an.fingerprint, out), CRUMB_E_NOTFOUND);
    SC_INT(crumb_store_device_get(s, "t", "sel", &an.device, out), CRUMB_E_NOTFOUND);
    SC_OK(crumb_store_device_list_active(s, "t", "", out, 4, &n));
    SC_INT(n, 1);
    /* idempotent device delete; unknown family is NOTFOUND, not generation 0 */
    SC_OK(crumb_store_device_delete(s, "t", "", &an.device));
    SC_OK(crumb_store_device_delete(s, "t", "", &an.device));
    uint64_t gen = 9;
    crumb_store_id fam = sc_id(85);
    SC_INT(crumb_store_family_lookup(s, &fam, &gen, NULL, T0), CRUMB_E_NOTFOUND);
    SC_INT(gen, 0);
    SC_OK(crumb_store_family_advance(s, &fam, 0, 1, T0 + 100, T0, NULL));
    SC_OK(crumb_store_family_lookup(s, &fam, &gen, NULL, T0));
    SC_INT(gen, 1);
    char msg[CRUMB_STORE_ERRMSG_MAX + 1];
    SC(crumb_store_last_error(s, msg, sizeof msg) == strlen(msg));
}

/* ---- the retention ladder at its exact boundaries (seed 004) ----------- */

/* Trust level of a device found by fingerprint byte fp0 (-1 = gone). */
static int sc_trust_of(crumb_store *s, const char *user, uint8_t fp0)
{
    uint8_t fp[CRUMB_STORE_FPBYTES] = {0};
    fp[0] = fp0;
    crumb_store_device d;
    return crumb_store_device_find(s, "t", user, fp, &d) == CRUMB_OK ? d.trust : -1;
}

static void group_ladder(crumb_store *s)
{
    const crumb_store_retention ret = {100, 50, 20}; /* seconds */
    crumb_store_sweep_counts c;
    int w;
    crumb_store_sighting a = {sc_id(71), {71}, "trusted", NULL, NULL};
    crumb_store_sighting b = {sc_id(72), {72}, "seen", NULL, NULL};
    crumb_store_sighting u = {sc_id(73), {73}, "unknown", NULL, NULL};
    SC_OK(crumb_store_device_seen(s, "t", "lad", &a, T0, &w));
    SC_OK(crumb_store_device_seen(s, "t", "lad", &b, T0, &w));
    SC_OK(crumb_store_device_seen(s, "t", "lad", &u, T0, &w));
    SC_OK(crumb_store_device_set_trust(s, "t", "lad", &a.device, CRUMB_TRUST_TRUSTED, T0));
    SC_OK(crumb_store_device_set_trust(s, "t", "lad", &b.device, CRUMB_TRUST_SEEN, T0));
    /* idle == seen window: not past it */
    SC_OK(crumb_store_sweep(s, T0 + 50, &ret, &c));
    SC_INT(c.devices_demoted + c.devices_revoked + c.devices_purged, 0);
    SC_INT(sc_trust_of(s, "lad", 72), CRUMB_TRUST_SEEN);
    SC_OK(crumb_store_sweep(s, T0 + 51, &ret, &c)); /* one second past */
    SC_INT(c.devices_revoked, 1);
    SC_INT(sc_trust_of(s, "lad", 72), CRUMB_TRUST_REVOKED);
    SC_INT(sc_trust_of(s, "lad", 73), CRUMB_TRUST_UNKNOWN); /* never demoted */
    SC_OK(crumb_store_sweep(s, T0 + 71, &ret, &c)); /* revoked 20 s ago == grace */
    SC_INT(c.devices_purged, 0);
    SC_OK(crumb_store_sweep(s, T0 + 100, &ret, &c)); /* idle == trusted window */
    SC_INT(c.devices_demoted, 0);
    SC_INT(c.devices_purged, 1); /* b: 49 s past its revocation */
    SC_INT(sc_trust_of(s, "lad", 71), CRUMB_TRUST_TRUSTED);
    SC_INT(sc_trust_of(s, "lad", 72), -1);
    /* one second past: TRUSTED -> SEEN -> REVOKED in one sweep, not purged */
    SC_OK(crumb_store_sweep(s, T0 + 101, &ret, &c));
    SC_INT(c.devices_demoted, 1);
    SC_INT(c.devices_revoked, 1);
    SC_INT(c.devices_purged, 0);
    SC_INT(sc_trust_of(s, "lad", 71), CRUMB_TRUST_REVOKED);
    SC_OK(crumb_store_sweep(s, T0 + 121, &ret, &c));
    SC_INT(c.devices_purged, 0);
    SC_OK(crumb_store_sweep(s, T0 + 122, &ret, &c));
    SC_INT(c.devices_purged, 1);
    SC_INT(sc_trust_of(s, "lad", 71), -1);
    /* UNKNOWN is kept however long it idles */
    SC_OK(crumb_store_sweep(s, T0 + 1000 * DAY, NULL, &c));
    SC_INT(sc_trust_of(s, "lad", 73), CRUMB_TRUST_UNKNOWN);
    /* TRUSTED -> SEEN alone when the seen window is longer */
    const crumb_store_retention ret2 = {100, 1000, 20};
    crumb_store_sighting e = {sc_id(74), {74}, "e", NULL, NULL};
    SC_OK(crumb_store_device_seen(s, "t", "lad2", &e, T0, &w));
    SC_OK(crumb_store_device_set_trust(s, "t", "lad2", &e.device, CRUMB_TRUST_TRUSTED, T0));
    SC_OK(crumb_store_sweep(s, T0 + 101, &ret2, &c));
    SC_INT(c.devices_demoted, 1);
    SC_INT(c.devices_revoked, 0);
    crumb_store_device d;
    SC_OK(crumb_store_device_find(s, "t", "lad2", e.fingerprint, &d));
    SC_INT(d.trust, CRUMB_TRUST_SEEN);
    SC_INT(d.last_seen, T0); /* a demotion is not a sighting */
    SC_OK(crumb_store_sweep(s, T0 + 1000, &ret2, &c));
    SC_INT(c.devices_revoked, 0);
    SC_OK(crumb_store_sweep(s, T0 + 1001, &ret2, &c));
    SC_INT(c.devices_revoked, 1);
}

/* ---- the interface: version gating and argument validation ----------- */

static void sc_iface_validation(crumb_store *s, const crumb_store_key *kp,
                                const crumb_store_id *fp);

static void group_iface(crumb_store *s)
{
    const crumb_store_methods *own = s->methods;
    crumb_store_key k = sc_key(900);
    crumb_store_id f = sc_id(900);
    crumb_store_check_req q = {&k, &f, 1, "t", "ifc", &f, T0, T0 + 1};
    crumb_store_check_res r;

    /* a version-1 table of exactly the v1 size works through every wrapper */
    crumb_store_methods *t = sc_v1_table(s->methods, 1);
    SC(t != NULL);
    if (t == NULL)
        return;
    s->methods = t;
    SC_OK(crumb_store_health(s, T0));
    SC_OK(crumb_store_check(s, &q, &r));
    SC_OK(crumb_store_revoke_device(s, "t", "ifc", &f, T0 + 100, T0));
    SC_INT(crumb_store_check(s, &q, &r), CRUMB_E_REVOKED);
    SC_INT(r.rule, CRUMB_STORE_RULE_DEVICE);
    crumb_store_sweep_counts c;
    crumb_err rc = crumb_store_sweep(s, T0, NULL, &c);
    SC(rc == CRUMB_OK || rc == CRUMB_E_UNSUPPORTED);
    /* the version-2 slots are never read from a version-1 table (its tail
     * is poisoned garbage): unsupported, or empty */
    crumb_store_device dv;
    size_t nd = 7;
    char msg[8] = "x";
    SC_INT(crumb_store_device_get(s, "t", "ifc", &f, &dv), CRUMB_E_UNSUPPORTED);
    SC_INT(crumb_store_device_list_active(s, "t", "ifc", &dv, 1, &nd), CRUMB_E_UNSUPPORTED);
    SC_INT(nd, 0);
    SC_INT(crumb_store_device_find_family(s, "t", "ifc", &f, &dv, 1, &nd), CRUMB_E_UNSUPPORTED);
    SC_INT(crumb_store_last_error(s, msg, sizeof msg), 0);
    SC_INT(msg[0], 0);
    SC_INT(crumb_store_naming_get(s), CRUMB_STORE_NAMING_HMAC); /* nor the v3 slot */
    /* the lookup answer still names the owner (the wrapper fills it) */
    SC_INT(crumb_store_check(s, &q, &r), CRUMB_E_REVOKED);
    SC(strcmp(r.owner, "ifc") == 0);
    /* version 0 (no valid table): the wrappers never call it */
    t->version = 0;
    SC_INT(crumb_store_health(s, T0), CRUMB_E_INVALID);
    SC_INT(crumb_store_check(s, &q, &r), CRUMB_E_INVALID);
    SC_INT(crumb_store_revoke_all(s, T0 + 1000, T0), CRUMB_E_INVALID);
    s->methods = own;
    sc_v1_free(t);
    /* the store's own naming is one a context can use (crumb_ctx_new refuses
     * any other); EPHEMERAL is only for a store whose keys die with the
     * process, which the suite cannot tell */
    int naming = crumb_store_naming_get(s);
    SC(naming == CRUMB_STORE_NAMING_HMAC || naming == CRUMB_STORE_NAMING_EPHEMERAL);
    q.device = NULL;
    SC_OK(crumb_store_check(s, &q, &r)); /* revoke_all above never happened */
    sc_iface_validation(s, &k, &f);
}

/* Argument validation (done by the wrappers for every store). */
static void sc_iface_validation(crumb_store *s, const crumb_store_key *kp,
                                const crumb_store_id *fp)
{
    const crumb_store_methods *own = s->methods;
    crumb_store_key k = *kp;
    crumb_store_id f = *fp;
    crumb_store_check_req q = {&k, &f, 1, "t", "ifc", NULL, T0, T0 + 1};
    crumb_store_check_res r;
    char longname[CRUMB_STORE_NAME_MAX + 2];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    SC_INT(crumb_store_revoke_user(s, longname, "u", T0, NULL, T0 + 1, T0), CRUMB_E_INVALID);
    SC_INT(crumb_store_revoke_user(s, "t", longname, T0, NULL, T0 + 1, T0), CRUMB_E_INVALID);
    SC_INT(crumb_store_revoke_device(s, "t", NULL, &f, T0 + 1, T0), CRUMB_E_INVALID);
    SC_INT(crumb_store_revoke_session(s, NULL, T0 + 1, T0), CRUMB_E_INVALID);
    SC_INT(crumb_store_revoke_family(s, &f, T0, T0), CRUMB_E_INVALID);
    SC_INT(crumb_store_family_advance(s, &f, 2, 2, T0 + 1, T0, NULL), CRUMB_E_INVALID);
    q.user = longname;
    SC_INT(crumb_store_check(s, &q, &r), CRUMB_E_INVALID);
    q.user = NULL;
    q.device = &f;
    SC_INT(crumb_store_check(s, &q, &r), CRUMB_E_INVALID);
    if (own->index_put != NULL) {
        crumb_store_session_info in;
        memset(&in, 0, sizeof in);
        in.expires_at = T0 + 10;
        memset(in.label, 'x', sizeof in.label); /* not NUL-terminated */
        SC_INT(crumb_store_index_put(s, "t", "ifc", &in, T0), CRUMB_E_INVALID);
    }
    if (own->device_seen != NULL) {
        crumb_store_sighting sg;
        memset(&sg, 0, sizeof sg);
        sg.label = longname;
        SC_INT(crumb_store_device_seen(s, "t", "ifc", &sg, T0, NULL), CRUMB_E_INVALID);
    }
    if (own->put != NULL) {
        static uint8_t big[CRUMB_STORE_DATA_MAX + 1];
        SC_INT(crumb_store_put(s, &k, big, sizeof big, T0 + 10, 0, NULL, T0), CRUMB_E_TOO_LARGE);
        SC_INT(crumb_store_put(s, &k, NULL, 3, T0 + 10, 0, NULL, T0), CRUMB_E_INVALID);
    }
}

/* ---- driver ----------------------------------------------------------- */

typedef struct sc_group {
    const char *name;
    void (*run)(crumb_store *s);
    int optional_slot; /* 0 = required group */
} sc_group;

/* 1 if the store implements the optional group g. */
static int sc_has(const crumb_store *s, int g)
{
    const crumb_store_methods *m = s->methods;
    switch (g) {
    case 1: return m->put && m->get && m->touch && m->del;
    case 2: return m->device_seen && m->device_list && m->device_find && m->device_set_trust &&
                   m->device_delete;
    case 3: return m->index_put && m->index_list && m->index_del;
    case 4: return m->sweep && m->stats && m->put && m->device_seen;
    case 5: return sc_has(s, 2) && CRUMB_STORE__SLOT(s, device_select) != 0;
    default: return 1;
    }
}

/* see store_conformance.h */
int crumb_store_conformance(crumb_store_open_fn *open_fresh, void *ctx)
{
    static const sc_group groups[] = {
        {"records", group_records, 1},   {"revocation", group_revocation, 0},
        {"families", group_families, 0}, {"devices", group_devices, 2},
        {"index", group_index, 3},       {"sweep", group_sweep, 4},
        {"ladder", group_ladder, 4},
        {"device_select", group_device_select, 5},
        {"interface", group_iface, 0},
    };
    int total = 0;
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        crumb_store *s = open_fresh(ctx);
        if (s == NULL) {
            fprintf(stderr, "%s:%d: conformance: open_fresh failed for group %s\n", __FILE__,
                    __LINE__, groups[i].name);
            total++;
            continue;
        }
        sc_store = s->methods->name;
        const crumb_store_methods *m = s->methods;
        if (m->version < 1 || m->name == NULL || !m->close || !m->health || !m->check ||
            !m->revoke_session || !m->revoke_family || !m->revoke_device || !m->revoke_user ||
            !m->revoke_all || !m->family_get || !m->family_advance) {
            fprintf(stderr, "%s:%d: conformance: a required slot is NULL\n", __FILE__, __LINE__);
            total++;
            crumb_store_close(s);
            continue;
        }
        if (!sc_has(s, groups[i].optional_slot)) {
            printf("conformance[%s]: %s skipped (optional methods absent)\n", sc_store,
                   groups[i].name);
            crumb_store_close(s);
            continue;
        }
        sc_fail = 0;
        SC_OK(crumb_store_health(s, T0));
        groups[i].run(s);
        printf("conformance[%s]: %s %s\n", sc_store, groups[i].name, sc_fail ? "FAILED" : "ok");
        total += sc_fail;
        crumb_store_close(s);
    }
    return total;
}
