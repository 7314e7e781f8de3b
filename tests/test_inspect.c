/*
 * test_inspect.c - crumb_inspect.h (lib/inspect.c) agrees with
 * crumb_session_load on the cases where the old `crumb open` disagreed with
 * the library (issue 14, finding 8), and makes those cases for tests/cli.sh:
 *   test_inspect                        self-test (run by tests/run.sh)
 *   test_inspect mk KEYFILE CASE        print a token or Cookie header
 *   test_inspect judge KEYFILE HEADER   print crumb_session_load's verdict
 *                                       (code and crumb_strerror)
 * Cases: ref ratio corrupt edge overflow chunked device. Clock: NOW.
 */
#include "check.h"
#include "crumb.h"
#include "crumb_inspect.h"
#include "crumb_store.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define NOW 1800000000
#define SKEW 30

static int64_t clock_now(void *ctx)
{
    (void)ctx;
    return NOW;
}

/* The settings `crumb open` uses (the token's own times decide). */
static crumb_ctx_config cli_cfg(void)
{
    crumb_ctx_config c = {0};
    c.cookie_name = "session";
    c.clock = clock_now;
    c.clock_skew = SKEW;
    c.absolute_lifetime = INT64_MAX;
    c.idle_timeout = INT64_MAX;
    for (int s = 1; s <= 3; s++)
        if (crumb_suite_available(s))
            c.accept_suites |= CRUMB_SUITE_BIT(s);
    return c;
}

/* An encoded payload for user "alice" with one data entry of vlen bytes of
 * 'a' (or random-looking bytes if noisy), times as given. */
static size_t make_payload(const crumb_keyring *kr, uint8_t *out, size_t cap, size_t vlen,
                           int noisy, int64_t expires_at)
{
    crumb_ctx_config c = cli_cfg();
    crumb_ctx *ctx = NULL;
    crumb_session *s = NULL;
    size_t n = 0;
    uint8_t *v = malloc(vlen ? vlen : 1);
    CHECK(v != NULL);
    if (!v)
        return 0;
    for (size_t i = 0; i < vlen; i++)
        v[i] = noisy ? (uint8_t)((i * 2654435761u) >> 13) : 'a';
    CHECK_OK(crumb_ctx_new(&ctx, kr, &c));
    CHECK_OK(crumb_session_load(&s, ctx, NULL));
    CHECK_OK(crumb_session_set_user(s, "alice", 5));
    CHECK_OK(crumb_session_set(s, "blob", v, vlen));
    crumb_payload p = *crumb_session_payload(s);
    p.issued_at = NOW - 100;
    p.expires_at = expires_at;
    p.idle_at = expires_at;
    CHECK_OK(crumb_payload_encode(&p, out, cap, &n));
    crumb_session_free(s);
    crumb_ctx_free(ctx);
    free(v);
    return n;
}

/* Seal pt under the session cookie's codec with header flags. */
static void seal(const crumb_keyring *kr, const uint8_t *pt, size_t n, unsigned flags, char *tok,
                 size_t cap)
{
    crumb_codec_config cc = {.cookie_name = "session", .purpose = "session", .clock = clock_now};
    crumb_codec *c = NULL;
    size_t tl = 0;
    CHECK_OK(crumb_codec_new(&c, kr, &cc));
    CHECK_OK(crumb_seal(c, tok, cap - 1, &tl, pt, n, flags));
    tok[tl] = '\0';
    crumb_codec_free(c);
}

/* Raw deflate (as the library writes it). */
static size_t deflate_raw(uint8_t *out, size_t cap, const uint8_t *in, size_t n)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    CHECK_INT(deflateInit2(&z, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    CHECK_INT(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t len = cap - z.avail_out;
    deflateEnd(&z);
    return len;
}

/* Cookie header from the Set-Cookie lines of a save (name=value pairs of
 * the lines that set a value). */
static void header_of(const char *const *lines, size_t count, char *hdr, size_t cap)
{
    size_t o = 0;
    hdr[0] = '\0';
    for (size_t i = 0; i < count; i++) {
        const char *semi = strchr(lines[i], ';');
        size_t n = semi ? (size_t)(semi - lines[i]) : strlen(lines[i]);
        if (n > 0 && lines[i][n - 1] == '=')
            continue; /* a deletion */
        if (o + n + 3 >= cap)
            break;
        if (o) {
            memcpy(hdr + o, "; ", 2);
            o += 2;
        }
        memcpy(hdr + o, lines[i], n);
        o += n;
        hdr[o] = '\0';
    }
}

/* A saved session's Cookie header: chunked (big data) or with the device
 * cookie (stateless + memory store). */
static void make_saved(const crumb_keyring *kr, int device, char *hdr, size_t cap)
{
    static const uint8_t store_secret[32] = {7};
    crumb_ctx_config c = cli_cfg();
    crumb_store *st = NULL;
    crumb_ctx *ctx = NULL;
    crumb_session *s = NULL;
    const char *const *lines;
    size_t count = 0;
    uint8_t big[5000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)((i * 2654435761u) >> 11);
    c.insecure = 1;
    c.size_policy = CRUMB_SIZE_CHUNK;
    if (device) {
        CHECK_OK(crumb_store_memory_open(&st, NULL));
        c.mode = CRUMB_MODE_STATELESS_STORE;
        c.store = st;
        c.store_secret = store_secret; /* the store modes require one */
    }
    CHECK_OK(crumb_ctx_new(&ctx, kr, &c));
    crumb_err rc = crumb_session_load(&s, ctx, NULL);
    CHECK_OK(rc);
    CHECK_OK(crumb_session_set_user(s, "alice", 5));
    if (!device)
        CHECK_OK(crumb_session_set(s, "big", big, sizeof big));
    CHECK_OK(crumb_session_save(s, &lines, &count));
    header_of(lines, count, hdr, cap);
    crumb_session_free(s);
    crumb_ctx_free(ctx);
    crumb_store_close(st);
}

/* Make case `name` into out: a bare token, or a Cookie header (*is_header). */
static int make_case(const crumb_keyring *kr, const char *name, char *out, size_t cap,
                     int *is_header)
{
    static uint8_t pt[CRUMB_PAYLOAD_MAX], z[CRUMB_PAYLOAD_MAX];
    size_t n;
    *is_header = 0;
    if (strcmp(name, "ref") == 0) {
        n = make_payload(kr, pt, sizeof pt, 3, 0, NOW + 3600);
        seal(kr, pt, n, CRUMB_FLAG_REFERENCE, out, cap);
    } else if (strcmp(name, "ratio") == 0) { /* inflates ~200x: over the 64x cap */
        n = make_payload(kr, pt, sizeof pt, 30000, 0, NOW + 3600);
        seal(kr, z, deflate_raw(z, sizeof z, pt, n), CRUMB_FLAG_DEFLATE, out, cap);
    } else if (strcmp(name, "corrupt") == 0) { /* a deflate stream cut short */
        n = make_payload(kr, pt, sizeof pt, 300, 1, NOW + 3600);
        size_t zl = deflate_raw(z, sizeof z, pt, n);
        seal(kr, z, zl / 2, CRUMB_FLAG_DEFLATE, out, cap);
    } else if (strcmp(name, "edge") == 0) { /* now == expires_at + skew: expired */
        n = make_payload(kr, pt, sizeof pt, 3, 0, NOW - SKEW);
        seal(kr, pt, n, 0, out, cap);
    } else if (strcmp(name, "edge1") == 0) { /* one second before: valid */
        n = make_payload(kr, pt, sizeof pt, 3, 0, NOW - SKEW + 1);
        seal(kr, pt, n, 0, out, cap);
    } else if (strcmp(name, "overflow") == 0) { /* expires_at + skew overflows int64 */
        n = make_payload(kr, pt, sizeof pt, 3, 0, INT64_MAX - 10);
        seal(kr, pt, n, 0, out, cap);
    } else if (strcmp(name, "chunked") == 0 || strcmp(name, "device") == 0) {
        make_saved(kr, name[0] == 'd', out, cap);
        *is_header = 1;
    } else {
        return -1;
    }
    return 0;
}

/* crumb_session_load's verdict on a Cookie header, with cli_cfg(). */
static crumb_err session_verdict(const crumb_keyring *kr, const char *hdr)
{
    crumb_ctx_config c = cli_cfg();
    crumb_ctx *ctx = NULL;
    crumb_session *s = NULL;
    CHECK_OK(crumb_ctx_new(&ctx, kr, &c));
    crumb_err rc = crumb_session_load(&s, ctx, hdr);
    if (rc == CRUMB_OK && s && crumb_session_is_new(s))
        rc = CRUMB_E_NOSESSION;
    crumb_session_free(s);
    crumb_ctx_free(ctx);
    return rc;
}

struct want {
    const char *name;
    crumb_err err;
    int kind;
};

/* Self-test: every case, inspect agrees with the session layer and says
 * what the issue asks for. */
static int self_test(void)
{
    static const struct want cases[] = {
        {"ref", CRUMB_E_AUTH, CRUMB_INSPECT_REFERENCE},
        {"ratio", CRUMB_E_INFLATE, CRUMB_INSPECT_SESSION},
        {"corrupt", CRUMB_E_PAYLOAD, CRUMB_INSPECT_SESSION},
        {"edge", CRUMB_E_EXPIRED, CRUMB_INSPECT_SESSION},
        {"edge1", CRUMB_OK, CRUMB_INSPECT_SESSION},
        {"overflow", CRUMB_OK, CRUMB_INSPECT_SESSION},
        {"chunked", CRUMB_OK, CRUMB_INSPECT_SESSION},
    };
    static char buf[CRUMB_PAYLOAD_MAX * 2], hdr[CRUMB_PAYLOAD_MAX * 2 + 16];
    crumb_keyring *kr = NULL;
    uint8_t key[32];
    crumb_ctx_config c = cli_cfg();
    CHECK_OK(crumb_keyring_new(&kr));
    CHECK_OK(crumb_key_generate(key));
    CHECK_OK(crumb_keyring_add(kr, 1, CRUMB_KEY_PRIMARY, key));
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int is_header = 0;
        crumb_inspect_result r;
        printf("case %s\n", cases[i].name);
        CHECK_INT(make_case(kr, cases[i].name, buf, sizeof buf, &is_header), 0);
        if (is_header)
            snprintf(hdr, sizeof hdr, "%s", buf);
        else
            snprintf(hdr, sizeof hdr, "session=%s", buf);
        CHECK_INT(session_verdict(kr, hdr), cases[i].err);
        CHECK_OK(crumb_inspect_cookie_header(&r, kr, &c, hdr, 0));
        CHECK_INT(r.err, cases[i].err);
        CHECK_INT(r.kind, cases[i].kind);
        CHECK_INT(r.have_payload, cases[i].err == CRUMB_OK || cases[i].err == CRUMB_E_EXPIRED);
        if (r.have_payload)
            CHECK_MEM(r.payload.user, "alice", 5);
        CHECK_INT(r.chunks, strcmp(cases[i].name, "chunked") == 0 ? 2 : 1);
        crumb_inspect_clear(&r);
        if (!is_header) { /* the bare-token entry point says the same */
            CHECK_OK(crumb_inspect_token(&r, kr, &c, buf, strlen(buf), 0));
            CHECK_INT(r.err, cases[i].err);
            CHECK_INT(r.kind, cases[i].kind);
            crumb_inspect_clear(&r);
        }
    }
    /* the device cookie opens; a header without our cookie is NOSESSION */
    int is_header = 0;
    crumb_inspect_result r;
    CHECK_INT(make_case(kr, "device", buf, sizeof buf, &is_header), 0);
    CHECK(strstr(buf, "session.d=") != NULL);
    CHECK_OK(crumb_inspect_cookie_header(&r, kr, &c, buf, 1));
    CHECK_INT(r.err, CRUMB_OK);
    CHECK_INT(r.kind, CRUMB_INSPECT_DEVICE);
    crumb_inspect_clear(&r);
    CHECK_OK(crumb_inspect_cookie_header(&r, kr, &c, "other=1", 0));
    CHECK_INT(r.err, CRUMB_E_NOSESSION);
    CHECK_INT(r.kind, CRUMB_INSPECT_NONE);
    crumb_inspect_clear(&r);
    CHECK_OK(crumb_inspect_token(&r, kr, &c, "", 0, 0)); /* empty token: rejected */
    CHECK_INT(r.err, CRUMB_E_AUTH);
    crumb_inspect_clear(&r);
    crumb_keyring_free(kr);
    return check_done("test_inspect");
}

int main(int argc, char **argv)
{
    static char buf[CRUMB_PAYLOAD_MAX * 2];
    crumb_keyring *kr = NULL;
    if (argc < 2)
        return self_test();
    if (argc != 4 || crumb_keyring_load_file(&kr, argv[2]) != CRUMB_OK) {
        fprintf(stderr, "usage: test_inspect mk|judge KEYFILE CASE|HEADER\n");
        return 2;
    }
    int rc = 0, is_header = 0;
    if (strcmp(argv[1], "mk") == 0) {
        rc = make_case(kr, argv[3], buf, sizeof buf, &is_header);
        if (rc == 0)
            printf("%s\n", buf);
    } else {
        crumb_err v = session_verdict(kr, argv[3]);
        printf("%d %s\n", (int)v, crumb_strerror((int)v));
    }
    crumb_keyring_free(kr);
    return rc ? 2 : check_failures ? 1 : 0; /* CHECK lines went to stdout too */
}
