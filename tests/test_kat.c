/*
 * test_kat.c - known-answer vectors for token format v1
 * (tests/vectors/crumb_v1_kat.json): fixed key, nonce and payload must give
 * the exact token, the recorded subkeys and AAD must match, and the
 * negative cases must be refused. CRUMB_KAT_GENERATE=1 prints the vector
 * file from the case list instead (used once to create it; the file was
 * then checked by an independent decoder, tests/kat_decode.py).
 */
#include "check.h"
#include "crumb.h"
#include "internal.h"
#include "json.h"

#define KAT_FILE "tests/vectors/crumb_v1_kat.json"

struct kat_case {
    const char *name;
    int suite;
    uint32_t key_id;
    const char *cookie, *purpose, *audience;
    unsigned flags;
    size_t pt_len; /* plaintext: byte i = (i * 7 + 3) & 0xff; "hello" if 5 */
};

static const struct kat_case cases[] = {
    {"suite1-empty", 1, 1, "sid", "session", "", 0, 0},
    {"suite1-hello-audience", 1, 1, "sid", "session", "example.com", 0, 5},
    {"suite1-205", 1, 1, "sid", "session", "", 0, 205},
    {"suite1-host-prefix-keyid", 1, 0x01020304, "__Host-sid", "session", "", 0, 205},
    {"suite1-flags-deflate-padded", 1, 7, "sid", "session", "", 5, 64},
    {"suite2-empty", 2, 1, "sid", "session", "", 0, 0},
    {"suite2-205", 2, 1, "sid", "session", "", 0, 205},
    {"suite2-hello-csrf", 2, 9, "csrf", "csrf", "app", 0, 5},
    {"suite3-hello", 3, 1, "sid", "session", "", 0, 5},
    {"suite3-205", 3, 1, "sid", "session", "", 0, 205},
};

static uint8_t master[32];
static uint8_t nonce_src[64];
static size_t nonce_used;

/* Deterministic "random": the bytes in nonce_src, recorded for the file. */
static int kat_random(void *ctx, uint8_t *buf, size_t n)
{
    (void)ctx;
    memcpy(buf, nonce_src, n);
    nonce_used = n;
    return 0;
}

static void plaintext(uint8_t *pt, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pt[i] = (uint8_t)((i * 7 + 3) & 0xff);
    if (n == 5)
        memcpy(pt, "hello", 5);
}

static void print_hex(const char *key, const uint8_t *b, size_t n, int comma)
{
    printf("      \"%s\": \"", key);
    for (size_t i = 0; i < n; i++)
        printf("%02x", b[i]);
    printf("\"%s\n", comma ? "," : "");
}

static crumb_codec *make_codec(const struct kat_case *k)
{
    crumb_keyring *kr;
    crumb_codec *c = NULL;
    crumb_codec_config cfg = {0};
    CHECK_OK(crumb_keyring_new(&kr));
    CHECK_OK(crumb_keyring_add(kr, k->key_id, CRUMB_KEY_PRIMARY, master));
    cfg.cookie_name = k->cookie;
    cfg.purpose = k->purpose;
    cfg.audience = k->audience;
    cfg.seal_suite = k->suite;
    cfg.random = kat_random;
    CHECK_OK(crumb_codec_new(&c, kr, &cfg));
    crumb_keyring_free(kr);
    return c;
}

/* 1 when this build can seal with `suite` (suite 1 needs libsodium). */
static int suite_built(int suite)
{
    crumb_keyring *kr;
    crumb_codec *c = NULL;
    crumb_codec_config cfg = {0};
    CHECK_OK(crumb_keyring_new(&kr));
    CHECK_OK(crumb_keyring_add(kr, 1, CRUMB_KEY_PRIMARY, master));
    cfg.cookie_name = "sid";
    cfg.purpose = "session";
    cfg.seal_suite = suite;
    crumb_err rc = crumb_codec_new(&c, kr, &cfg);
    crumb_codec_free(c);
    crumb_keyring_free(kr);
    if (rc != CRUMB_OK)
        CHECK_INT(rc, CRUMB_E_UNAVAILABLE);
    return rc == CRUMB_OK;
}

/* Subkey as FORMAT.md defines it, computed from the primitives directly. */
static void subkey(uint8_t out[32], const struct kat_case *k)
{
    uint8_t info[300];
    size_t pl = strlen(k->purpose);
    memcpy(info, "crumb-subkey", 12);
    info[12] = 0;
    info[13] = (uint8_t)k->suite;
    memcpy(info + 14, k->purpose, pl);
    CHECK_INT(crumb__hkdf_sha256(out, 32, master, 32, (const uint8_t *)"libcrumb v1", 11, info,
                                 14 + pl), 0);
}

static int generate(void)
{
    uint8_t pt[256], sub[32];
    char tok[1024];
    size_t tl;
    printf("{\n  \"format\": \"crumb token v1\",\n  \"spec\": \"docs/FORMAT.md\",\n"
           "  \"plaintext_rule\": \"byte i = (i*7+3) mod 256, except the 5-byte cases which are "
           "'hello'\",\n  \"tests\": [\n");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct kat_case *k = &cases[i];
        crumb_codec *c = make_codec(k);
        plaintext(pt, k->pt_len);
        nonce_used = 0;
        CHECK_OK(crumb_seal(c, tok, sizeof tok, &tl, pt, k->pt_len, k->flags));
        subkey(sub, k);
        printf("    {\n      \"name\": \"%s\",\n      \"suite\": %d,\n      \"key_id\": %lu,\n"
               "      \"cookie_name\": \"%s\",\n      \"purpose\": \"%s\",\n"
               "      \"audience\": \"%s\",\n      \"flags\": %u,\n",
               k->name, k->suite, (unsigned long)k->key_id, k->cookie, k->purpose, k->audience,
               k->flags);
        print_hex("master_key", master, 32, 1);
        print_hex("random", nonce_src, nonce_used, 1);
        print_hex("subkey", sub, 32, 1);
        print_hex("plaintext", pt, k->pt_len, 1);
        printf("      \"token\": \"%.*s\"\n    }%s\n", (int)tl, tok,
               i + 1 < sizeof cases / sizeof cases[0] ? "," : "");
        crumb_codec_free(c);
    }
    printf("  ]\n}\n");
    return 0;
}

static int verify(void)
{
    json *doc = json_parse_file(KAT_FILE);
    const json *tests = json_get(doc, "tests");
    uint8_t pt[256], out[1024], sub[32];
    char tok[1024];
    size_t tl, ol, n = 0, skipped = 0;
    CHECK(doc != NULL);
    CHECK_INT(json_len(tests), sizeof cases / sizeof cases[0]);
    for (size_t i = 0; i < json_len(tests) && i < sizeof cases / sizeof cases[0]; i++) {
        const json *t = json_at(tests, i);
        const struct kat_case *k = &cases[i];
        size_t mk_len = 0, rnd_len = 0, sub_len = 0;
        CHECK(json_str_eq(t, "name", k->name));
        uint8_t *mk = json_hex(json_get(t, "master_key"), &mk_len);
        uint8_t *rnd = json_hex(json_get(t, "random"), &rnd_len);
        uint8_t *want_sub = json_hex(json_get(t, "subkey"), &sub_len);
        const char *want = json_str(json_get(t, "token"));
        if (!mk || !rnd || !want_sub || !want || mk_len != 32 || sub_len != 32 ||
            rnd_len > sizeof nonce_src) {
            CHECK(!"vector fields missing");
            break;
        }
        memcpy(master, mk, 32);
        memcpy(nonce_src, rnd, rnd_len);
        if (!suite_built(k->suite)) { /* CRYPTO=mbedtls: no libsodium, no suite 1 */
            printf("%s: suite %d not compiled in, vector not checked\n", k->name, k->suite);
            skipped++;
            free(mk);
            free(rnd);
            free(want_sub);
            continue;
        }
        crumb_codec *c = make_codec(k);
        plaintext(pt, k->pt_len);
        CHECK_OK(crumb_seal(c, tok, sizeof tok, &tl, pt, k->pt_len, k->flags));
        CHECK_INT(tl, strlen(want));
        CHECK_MEM(tok, want, strlen(want) < tl ? strlen(want) : tl);
        subkey(sub, k);
        CHECK_MEM(sub, want_sub, 32);
        crumb_open_info info;
        CHECK_OK(crumb_open(c, out, sizeof out, &ol, want, strlen(want), &info));
        CHECK_INT(ol, k->pt_len);
        CHECK_MEM(out, pt, k->pt_len);
        CHECK_INT(info.flags, k->flags);
        CHECK_INT(info.key_id, k->key_id);
        /* negative twins: last character changed; audience changed */
        memcpy(tok, want, tl);
        tok[tl - 1] = tok[tl - 1] == 'A' ? 'Q' : 'A';
        CHECK_INT(crumb_open(c, out, sizeof out, &ol, tok, tl, NULL), CRUMB_E_AUTH);
        crumb_codec_free(c);
        struct kat_case other = *k;
        other.audience = "other";
        c = make_codec(&other);
        CHECK_INT(crumb_open(c, out, sizeof out, &ol, want, strlen(want), NULL), CRUMB_E_AUTH);
        crumb_codec_free(c);
        free(mk);
        free(rnd);
        free(want_sub);
        n++;
    }
    json_free(doc);
    printf("%zu known-answer tokens checked\n", n);
    CHECK(n > 0);
    int rc = check_done("test_kat");
    if (rc == 0 && skipped > 0) { /* tests/run.sh: skip, a failure if sodium is built in */
        printf("SKIP: needs libsodium: %zu suite-1 vectors not checked (CRYPTO=mbedtls)\n",
               skipped);
        return 77;
    }
    return rc;
}

int main(void)
{
    for (size_t i = 0; i < 32; i++)
        master[i] = (uint8_t)i;
    for (size_t i = 0; i < sizeof nonce_src; i++)
        nonce_src[i] = (uint8_t)(0xa0 + i);
    return getenv("CRUMB_KAT_GENERATE") ? generate() : verify();
}
