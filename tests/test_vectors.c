/*
 * test_vectors.c - known-answer tests for the library's own primitive
 * wrappers (internal.h): Wycheproof XChaCha20-Poly1305, AES-256-GCM,
 * HMAC-SHA-256 and HKDF-SHA-256, RFC 5869 A.1-A.3 and draft-irtf-cfrg-xchacha
 * A.3.1; AES-GCM and HMAC through libsodium and through mbedTLS where both
 * are built in, and a seeded differential of the two. Vectors are read
 * from tests/vectors (or $CRUMB_VECTORS).
 */
#include "check.h"
#include "internal.h"
#include "json.h"

typedef struct tally {
    const char *name;
    long valid, invalid, by_type; /* by_type: rejected by the API's types */
} tally;

/* Build "<vector dir>/<rel>" into buf. */
static const char *vec_path(char *buf, size_t cap, const char *rel)
{
    const char *dir = getenv("CRUMB_VECTORS");
    snprintf(buf, cap, "%s/%s", dir && *dir ? dir : "tests/vectors", rel);
    return buf;
}

/* Parse a vector file; a missing or malformed file is a failed check. */
static json *load(const char *rel)
{
    char path[1024];
    json *doc = json_parse_file(vec_path(path, sizeof path, rel));
    CHECK(doc != NULL);
    if (!doc)
        fprintf(stderr, "    cannot load %s (run from the repo root or set CRUMB_VECTORS)\n",
                path);
    return doc;
}

/* Hex field of a test object; a missing or malformed field is a failed check
 * and yields an empty (but non-NULL) buffer. */
static uint8_t *hexf(const json *t, const char *key, size_t *len)
{
    uint8_t *b = json_hex(json_get(t, key), len);
    if (!b) {
        CHECK(0 && "hex field missing or malformed");
        fprintf(stderr, "    field \"%s\" (tcId %lld)\n", key, json_int(json_get(t, "tcId"), -1));
        b = calloc(1, 1);
        *len = 0;
    }
    return b;
}

/* Print which vector a failure belongs to, if any check failed since mark. */
static void blame(int mark, const char *alg, const json *t)
{
    const char *what = json_str(json_get(t, "comment"));
    if (!what)
        what = json_str(json_get(t, "section"));
    if (check_failures != mark)
        fprintf(stderr, "    ^ %s tcId %lld: %s\n", alg, json_int(json_get(t, "tcId"), -1),
                what ? what : "");
}

/* 1 if the test's result is "valid", 0 if "invalid"; anything else fails. */
static int is_valid(const json *t)
{
    if (json_str_eq(t, "result", "valid"))
        return 1;
    CHECK(json_str_eq(t, "result", "invalid"));
    return 0;
}

/* Wycheproof files: count every test and compare with numberOfTests. */
static void check_total(const json *doc, long seen)
{
    CHECK_INT(seen, json_int(json_get(doc, "numberOfTests"), -1));
}

/* ---- XChaCha20-Poly1305 ------------------------------------------------- */

/* One AEAD case through crumb__xchacha_*: exact ct||tag and open if valid,
 * open refused if invalid. */
static void xchacha_case(const json *t, int valid, tally *ty)
{
    size_t kl, nl, al, ml, cl, tl;
    uint8_t *key = hexf(t, "key", &kl), *iv = hexf(t, "iv", &nl), *aad = hexf(t, "aad", &al);
    uint8_t *msg = hexf(t, "msg", &ml), *ct = hexf(t, "ct", &cl), *tag = hexf(t, "tag", &tl);
    uint8_t *out = malloc(ml + cl + 1), tag_out[16];
    int mark = check_failures;

    CHECK_INT(kl, 32);
    if (nl != CRUMB__XCHACHA_NONCEBYTES) {
        /* the wrapper takes a fixed uint8_t nonce[24]: such a nonce cannot
         * even be passed, so the case is rejected by type */
        CHECK(!valid);
        ty->by_type++;
        ty->invalid++;
    } else if (kl == 32 && tl == 16) {
        if (valid) {
            CHECK_INT(cl, ml);
            CHECK_INT(crumb__xchacha_seal(out, tag_out, msg, ml, aad, al, iv, key), 0);
            CHECK_MEM(out, ct, cl);
            CHECK_MEM(tag_out, tag, 16);
            memcpy(out, msg, ml); /* in place */
            CHECK_INT(crumb__xchacha_seal(out, tag_out, out, ml, aad, al, iv, key), 0);
            CHECK_MEM(out, ct, cl);
            CHECK_MEM(tag_out, tag, 16);
            CHECK_INT(crumb__xchacha_open(out, ct, cl, tag, aad, al, iv, key), 0);
            CHECK_MEM(out, msg, ml);
            ty->valid++;
        } else {
            CHECK_INT(crumb__xchacha_open(out, ct, cl, tag, aad, al, iv, key), -1);
            ty->invalid++;
        }
    } else {
        CHECK(0 && "unexpected key or tag size in vector");
    }
    blame(mark, ty->name, t);
    free(key), free(iv), free(aad), free(msg), free(ct), free(tag), free(out);
}

static void test_xchacha_wycheproof(void)
{
    tally ty = {"XChaCha20-Poly1305 (Wycheproof)", 0, 0, 0};
    json *doc = load("wycheproof/xchacha20_poly1305_test.json");
    const json *groups = json_get(doc, "testGroups");
    long seen = 0;
    if (!crumb__xchacha_available()) {
        printf("%s: skipped (not compiled in)\n", ty.name);
        json_free(doc);
        return;
    }
    for (size_t g = 0; g < json_len(groups); g++) {
        const json *grp = json_at(groups, g), *tests = json_get(grp, "tests");
        CHECK_INT(json_int(json_get(grp, "keySize"), -1), 256);
        CHECK_INT(json_int(json_get(grp, "tagSize"), -1), 128);
        for (size_t i = 0; i < json_len(tests); i++, seen++)
            xchacha_case(json_at(tests, i), is_valid(json_at(tests, i)), &ty);
    }
    check_total(doc, seen);
    printf("%s: %ld valid, %ld invalid (%ld of them by nonce size)\n", ty.name, ty.valid,
           ty.invalid, ty.by_type);
    CHECK(ty.valid > 0);
    CHECK(ty.invalid > ty.by_type);
    CHECK(ty.by_type > 0);
    json_free(doc);
}

static void test_xchacha_draft(void)
{
    tally ty = {"XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03 A.3.1)", 0, 0, 0};
    json *doc = load("rfc/draft_irtf_cfrg_xchacha_03.json");
    const json *aead = json_get(doc, "aead");
    if (!crumb__xchacha_available()) {
        printf("%s: skipped (not compiled in)\n", ty.name);
        json_free(doc);
        return;
    }
    for (size_t i = 0; i < json_len(aead); i++) {
        const json *t = json_at(aead, i);
        CHECK(json_str_eq(t, "section", "A.3.1"));
        xchacha_case(t, is_valid(t), &ty);
    }
    printf("%s: %ld valid, %ld invalid\n", ty.name, ty.valid, ty.invalid);
    CHECK_INT(ty.valid, 1);
    json_free(doc);
}

/* ---- AES-256-GCM -------------------------------------------------------- */

/* One AES-256-GCM case with a 96-bit IV: exact ct||tag and open if valid,
 * open refused if invalid. */
static void gcm_case(const json *t, int valid, tally *ty)
{
    size_t kl, nl, al, ml, cl, tl;
    uint8_t *key = hexf(t, "key", &kl), *iv = hexf(t, "iv", &nl), *aad = hexf(t, "aad", &al);
    uint8_t *msg = hexf(t, "msg", &ml), *ct = hexf(t, "ct", &cl), *tag = hexf(t, "tag", &tl);
    uint8_t *out = malloc(ml + cl + 1), tag_out[16];
    int mark = check_failures;

    CHECK_INT(kl, 32);
    CHECK_INT(nl, 12);
    CHECK_INT(tl, 16);
    if (kl == 32 && nl == 12 && tl == 16) {
        if (valid) {
            CHECK_INT(cl, ml);
            CHECK_INT(crumb__aesgcm_seal(out, tag_out, msg, ml, aad, al, iv, nl, key), 0);
            CHECK_MEM(out, ct, cl);
            CHECK_MEM(tag_out, tag, 16);
            memcpy(out, msg, ml); /* in place */
            CHECK_INT(crumb__aesgcm_seal(out, tag_out, out, ml, aad, al, iv, nl, key), 0);
            CHECK_MEM(out, ct, cl);
            CHECK_MEM(tag_out, tag, 16);
            CHECK_INT(crumb__aesgcm_open(out, ct, cl, tag, aad, al, iv, nl, key), 0);
            CHECK_MEM(out, msg, ml);
            ty->valid++;
        } else {
            CHECK_INT(crumb__aesgcm_open(out, ct, cl, tag, aad, al, iv, nl, key), -1);
            ty->invalid++;
        }
    }
    blame(mark, ty->name, t);
    free(key), free(iv), free(aad), free(msg), free(ct), free(tag), free(out);
}

/* A 256-bit-key case with a non-96-bit IV: both seal and open must refuse
 * the IV length, whatever the vector's result. */
static void gcm_bad_iv_case(const json *t, tally *ty)
{
    size_t kl, nl, al, ml, cl, tl;
    uint8_t *key = hexf(t, "key", &kl), *iv = hexf(t, "iv", &nl), *aad = hexf(t, "aad", &al);
    uint8_t *msg = hexf(t, "msg", &ml), *ct = hexf(t, "ct", &cl), *tag = hexf(t, "tag", &tl);
    uint8_t *out = malloc(ml + cl + 1), tag_out[16];
    int mark = check_failures;

    CHECK(nl != 12);
    if (kl == 32 && tl == 16) {
        CHECK_INT(crumb__aesgcm_open(out, ct, cl, tag, aad, al, iv, nl, key), -1);
        CHECK_INT(crumb__aesgcm_seal(out, tag_out, msg, ml, aad, al, iv, nl, key), -1);
        ty->by_type++;
    } else {
        CHECK(0 && "unexpected key or tag size in vector");
    }
    blame(mark, "AES-256-GCM (non-96-bit IV)", t);
    free(key), free(iv), free(aad), free(msg), free(ct), free(tag), free(out);
}

static void test_aesgcm_wycheproof(void)
{
    tally ty = {"AES-256-GCM 96-bit IV (Wycheproof)", 0, 0, 0};
    json *doc = load("wycheproof/aes_gcm_test.json");
    const json *groups = json_get(doc, "testGroups");
    long seen = 0, expect = 0, bad_iv_groups = 0;
    for (size_t g = 0; g < json_len(groups); g++) {
        const json *grp = json_at(groups, g), *tests = json_get(grp, "tests");
        long long ks = json_int(json_get(grp, "keySize"), -1);
        long long ivs = json_int(json_get(grp, "ivSize"), -1);
        seen += (long)json_len(tests);
        if (ks != 256)
            continue;
        CHECK_INT(json_int(json_get(grp, "tagSize"), -1), 128);
        if (ivs == 96) {
            expect += (long)json_len(tests);
            for (size_t i = 0; i < json_len(tests); i++)
                gcm_case(json_at(tests, i), is_valid(json_at(tests, i)), &ty);
        } else {
            /* every other IV size (0, 8 ... 2056 bits) must be refused */
            bad_iv_groups++;
            for (size_t i = 0; i < json_len(tests); i++)
                gcm_bad_iv_case(json_at(tests, i), &ty);
        }
    }
    check_total(doc, seen);
    printf("%s: %ld valid, %ld invalid; %ld cases in %ld non-96-bit IV groups refused\n",
           ty.name, ty.valid, ty.invalid, ty.by_type, bad_iv_groups);
    CHECK_INT(ty.valid + ty.invalid, expect);
    CHECK(ty.valid > 0);
    CHECK(ty.invalid > 0);
    CHECK(ty.by_type > 0);
    json_free(doc);
}

/* ---- HMAC-SHA-256 ------------------------------------------------------- */

static void test_hmac_wycheproof(void)
{
    tally ty = {"HMAC-SHA-256 (Wycheproof)", 0, 0, 0};
    json *doc = load("wycheproof/hmac_sha256_test.json");
    const json *groups = json_get(doc, "testGroups");
    long seen = 0;
    for (size_t g = 0; g < json_len(groups); g++) {
        const json *grp = json_at(groups, g), *tests = json_get(grp, "tests");
        long long tag_bits = json_int(json_get(grp, "tagSize"), -1);
        size_t tag_bytes = (size_t)(tag_bits / 8);
        CHECK(tag_bits > 0 && tag_bits <= 256 && tag_bits % 8 == 0);
        if (!(tag_bits > 0 && tag_bits <= 256 && tag_bits % 8 == 0))
            continue;
        for (size_t i = 0; i < json_len(tests); i++, seen++) {
            const json *t = json_at(tests, i);
            int valid = is_valid(t), mark = check_failures;
            size_t kl, ml, tl, half;
            uint8_t *key = hexf(t, "key", &kl), *msg = hexf(t, "msg", &ml);
            uint8_t *tag = hexf(t, "tag", &tl), mac[32], mac2[32];
            CHECK_INT(crumb__hmac_sha256(mac, key, kl, msg, ml, NULL, 0), 0);
            if (valid) {
                CHECK_INT(tl, tag_bytes);
                CHECK_MEM(mac, tag, tag_bytes);
                /* the two-part form must give the same MAC */
                half = ml / 2;
                CHECK_INT(crumb__hmac_sha256(mac2, key, kl, msg, half, msg + half, ml - half), 0);
                CHECK_MEM(mac2, mac, 32);
                /* and the prepared-key HMAC (hmac.c), one and two parts */
                crumb__hmac_pre pre;
                CHECK_INT(crumb__hmac_pre_init(&pre, key, kl), 0);
                CHECK_INT(crumb__hmac_pre_mac(mac2, &pre, msg, ml, NULL, 0), 0);
                CHECK_MEM(mac2, mac, 32);
                CHECK_INT(crumb__hmac_pre_mac(mac2, &pre, msg, half, msg + half, ml - half), 0);
                CHECK_MEM(mac2, mac, 32);
                ty.valid++;
            } else {
                CHECK(tl != tag_bytes || memcmp(mac, tag, tag_bytes) != 0);
                ty.invalid++;
            }
            blame(mark, ty.name, t);
            free(key), free(msg), free(tag);
        }
    }
    check_total(doc, seen);
    printf("%s: %ld valid, %ld invalid\n", ty.name, ty.valid, ty.invalid);
    CHECK(ty.valid > 0);
    CHECK(ty.invalid > 0);
    json_free(doc);
}

/* ---- HKDF-SHA-256 ------------------------------------------------------- */

static void test_hkdf_wycheproof(void)
{
    tally ty = {"HKDF-SHA-256 (Wycheproof)", 0, 0, 0};
    json *doc = load("wycheproof/hkdf_sha256_test.json");
    const json *groups = json_get(doc, "testGroups");
    long seen = 0;
    for (size_t g = 0; g < json_len(groups); g++) {
        const json *tests = json_get(json_at(groups, g), "tests");
        for (size_t i = 0; i < json_len(tests); i++, seen++) {
            const json *t = json_at(tests, i);
            int valid = is_valid(t), mark = check_failures;
            long long size = json_int(json_get(t, "size"), -1);
            size_t il, sl, nl, ol, n = size > 0 ? (size_t)size : 0;
            uint8_t *ikm = hexf(t, "ikm", &il), *salt = hexf(t, "salt", &sl);
            uint8_t *info = hexf(t, "info", &nl), *okm = hexf(t, "okm", &ol);
            uint8_t *out = malloc(n + 1);
            CHECK(size >= 0);
            if (valid) {
                CHECK_INT(ol, n);
                memset(out, 0, n + 1);
                CHECK_INT(crumb__hkdf_sha256(out, n, ikm, il, salt, sl, info, nl), 0);
                CHECK_MEM(out, okm, ol);
                if (sl == 0) { /* documented: salt may be NULL/0 */
                    memset(out, 0, n + 1);
                    CHECK_INT(crumb__hkdf_sha256(out, n, ikm, il, NULL, 0, info, nl), 0);
                    CHECK_MEM(out, okm, ol);
                }
                ty.valid++;
            } else {
                /* the only invalid kind here: size > 255 * HashLen */
                CHECK(n > 255u * 32u);
                CHECK_INT(crumb__hkdf_sha256(out, n, ikm, il, salt, sl, info, nl), -1);
                ty.invalid++;
            }
            blame(mark, ty.name, t);
            free(ikm), free(salt), free(info), free(okm), free(out);
        }
    }
    check_total(doc, seen);
    printf("%s: %ld valid, %ld invalid\n", ty.name, ty.valid, ty.invalid);
    CHECK(ty.valid > 0);
    CHECK(ty.invalid > 0);
    json_free(doc);
}

static void test_hkdf_rfc5869(void)
{
    tally ty = {"HKDF-SHA-256 (RFC 5869 A.1-A.3)", 0, 0, 0};
    json *doc = load("rfc/rfc5869_hkdf_sha256.json");
    const json *tests = json_get(doc, "tests");
    for (size_t i = 0; i < json_len(tests); i++) {
        const json *t = json_at(tests, i);
        int mark = check_failures;
        size_t il, sl, nl, pl, ol;
        size_t L = (size_t)json_int(json_get(t, "L"), 0);
        uint8_t *ikm = hexf(t, "ikm", &il), *salt = hexf(t, "salt", &sl);
        uint8_t *info = hexf(t, "info", &nl), *prk = hexf(t, "prk", &pl);
        uint8_t *okm = hexf(t, "okm", &ol), *out = calloc(1, L + 1), prk_out[32];
        CHECK(is_valid(t));
        CHECK_INT(ol, L);
        CHECK_INT(pl, 32);
        CHECK_INT(crumb__hkdf_sha256(out, L, ikm, il, sl ? salt : NULL, sl, info, nl), 0);
        CHECK_MEM(out, okm, ol);
        /* Extract is HMAC(salt, ikm); an absent salt is HashLen zero bytes,
         * which HMAC pads to the same block as an empty key */
        CHECK_INT(crumb__hmac_sha256(prk_out, salt, sl, ikm, il, NULL, 0), 0);
        if (pl == 32) {
            CHECK_MEM(prk_out, prk, 32);
            memset(out, 0, L + 1);
            CHECK_INT(crumb__hkdf_expand_sha256(out, L, prk, info, nl), 0);
            CHECK_MEM(out, okm, ol);
        }
        ty.valid++;
        blame(mark, ty.name, t);
        free(ikm), free(salt), free(info), free(prk), free(okm), free(out);
    }
    printf("%s: %ld valid, %ld invalid\n", ty.name, ty.valid, ty.invalid);
    CHECK_INT(ty.valid, 3);
    json_free(doc);
}

/* HKDF-Expand refuses more than 255 blocks and accepts exactly 255. */
static void test_hkdf_limits(void)
{
    uint8_t prk[32] = {1}, *out = malloc(255 * 32 + 1);
    CHECK_INT(crumb__hkdf_expand_sha256(out, 255 * 32, prk, NULL, 0), 0);
    CHECK_INT(crumb__hkdf_expand_sha256(out, 255 * 32 + 1, prk, NULL, 0), -1);
    free(out);
}

/* The reader the vectors depend on: strict, and decodes escapes exactly. */
static void test_json_reader(void)
{
    static const char *bad[] = {"[1,]", "{\"a\":1,}", "01", "[\"\\ud800\"]", "\"\\udc00\"",
                                "1 2", "[1", "\"a\tb\"", "+1", "1.", "{a:1}", "\"\\x\"", "",
                                "\"\xc0\xaf\"", "[\"\\ud800\\u0041\"]", "nul"};
    const char *good = "{\"s\":\"\\ud83d\\ude00\\u00e9\\u0000/\\/\",\"n\":-1.5e2,"
                       "\"a\":[true,false,null,{}]}";
    const uint8_t want[] = {0xf0, 0x9f, 0x98, 0x80, 0xc3, 0xa9, 0x00, '/', '/'};
    json *j;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        j = json_parse(bad[i], strlen(bad[i]), NULL, 0);
        CHECK(j == NULL);
        if (j)
            fprintf(stderr, "    accepted bad JSON #%zu: %s\n", i, bad[i]);
        json_free(j);
    }
    j = json_parse(good, strlen(good), NULL, 0);
    CHECK(j != NULL);
    CHECK_INT(json_str_len(json_get(j, "s")), sizeof want);
    if (json_str_len(json_get(j, "s")) == sizeof want)
        CHECK_MEM(json_str(json_get(j, "s")), want, sizeof want);
    CHECK(json_num(json_get(j, "n")) == -150.0);
    CHECK_INT(json_len(json_get(j, "a")), 4);
    CHECK_INT(json_bool(json_at(json_get(j, "a"), 0)), 1);
    CHECK_INT(json_typeof(json_at(json_get(j, "a"), 3)), JSON_OBJECT);
    json_free(j);
}

/* One random AES-GCM case through both libraries (p = crumb__gcm_mbedtls:
 * 0 = libsodium where it runs, 1 = mbedTLS's GCM): the same ciphertext
 * and tag; each opens the other's output, also in place; a flipped tag
 * bit or ciphertext byte fails on both. Returns the number of mismatches. */
static long gcm_differential(int k)
{
    static uint8_t msg[300], aad[80], ct[2][300], pt[300];
    uint8_t key[32], iv[12], tag[2][16];
    size_t ml = (size_t)(check_rand() % 301), al = (size_t)(check_rand() % 81);
    long bad = 0;
    check_fill(key, sizeof key);
    check_fill(iv, sizeof iv);
    check_fill(msg, ml);
    check_fill(aad, al);
    for (int p = 0; p < 2; p++) {
        crumb__gcm_mbedtls = p;
        bad += crumb__aesgcm_seal(ct[p], tag[p], msg, ml, aad, al, iv, 12, key) != 0;
    }
    bad += memcmp(ct[0], ct[1], ml) != 0 || memcmp(tag[0], tag[1], 16) != 0;
    for (int p = 0; p < 2; p++) {
        crumb__gcm_mbedtls = p;
        bad += crumb__aesgcm_open(pt, ct[1 - p], ml, tag[1 - p], aad, al, iv, 12, key) != 0 ||
               memcmp(pt, msg, ml) != 0;
        memcpy(pt, ct[1 - p], ml); /* in place, as the codec opens */
        bad += crumb__aesgcm_open(pt, pt, ml, tag[1 - p], aad, al, iv, 12, key) != 0 ||
               memcmp(pt, msg, ml) != 0;
        tag[0][k % 16] ^= (uint8_t)(1u << (k % 8));
        bad += crumb__aesgcm_open(pt, ct[0], ml, tag[0], aad, al, iv, 12, key) == 0;
        tag[0][k % 16] ^= (uint8_t)(1u << (k % 8));
        if (ml) {
            ct[0][(size_t)k % ml] ^= 0x80;
            bad += crumb__aesgcm_open(pt, ct[0], ml, tag[0], aad, al, iv, 12, key) == 0;
            ct[0][(size_t)k % ml] ^= 0x80;
        }
    }
    crumb__gcm_mbedtls = 0;
    return bad;
}

/* One random HMAC case through both libraries (p = crumb__hmac_mbedtls:
 * 0 = libsodium's state where built in, 1 = mbedTLS's SHA-256 contexts):
 * one-shot and prepared-key MACs of two random parts, with random key
 * lengths (over 64 bytes the key is hashed first), all agree; a prepared
 * key keeps its library whatever the switch says when it is used. */
static long hmac_differential(void)
{
    static uint8_t msg[300];
    uint8_t hkey[100], mac[4][32];
    crumb__hmac_pre pre[2];
    size_t ml = (size_t)(check_rand() % 301), half = ml ? (size_t)(check_rand() % ml) : 0;
    size_t kl = (size_t)(check_rand() % (sizeof hkey + 1)); /* 0 .. 100 */
    long bad = 0;
    check_fill(msg, ml);
    check_fill(hkey, kl);
    for (int p = 0; p < 2; p++) {
        crumb__hmac_mbedtls = p;
        bad += crumb__hmac_sha256(mac[p], hkey, kl, msg, half, msg + half, ml - half) != 0;
        bad += crumb__hmac_pre_init(&pre[p], hkey, kl) != 0;
    }
    for (int p = 0; p < 2; p++) {
        crumb__hmac_mbedtls = 1 - p; /* the other library's switch */
        bad += crumb__hmac_pre_mac(mac[2 + p], &pre[p], msg, half, msg + half, ml - half) != 0;
    }
    crumb__hmac_mbedtls = 0;
    for (int i = 1; i < 4; i++)
        bad += memcmp(mac[0], mac[i], 32) != 0;
    crumb_wipe(pre, sizeof pre);
    bad += crumb__hmac_pre_mac(mac[0], &pre[0], msg, ml, NULL, 0) != -1; /* wiped: refused */
    return bad;
}

/* Seeded differential property: libsodium's AES-256-GCM and HMAC-SHA-256
 * against mbedTLS's, 2000 random cases each (in a build without libsodium,
 * or where libsodium's AES-GCM does not run, both sides are mbedTLS). */
static void test_paths_differential(void)
{
    long bad = 0;
    for (int k = 0; k < 2000; k++)
        bad += gcm_differential(k) + hmac_differential();
    printf("paths differential: 2000 GCM (%s vs mbedTLS) + HMAC (%s vs mbedTLS) cases, "
           "%ld mismatches\n",
           crumb__aesgcm_sodium_runs() ? "libsodium" : "mbedTLS",
           CRUMB_HAVE_SODIUM ? "libsodium" : "mbedTLS", bad);
    CHECK_INT(bad, 0);
}

int main(void)
{
    check_seed();
    test_paths_differential();
    test_json_reader();
    test_xchacha_wycheproof();
    test_xchacha_draft();
    /* the default library, then mbedTLS where that is another library */
    for (int mbed = 0; mbed <= crumb__aesgcm_sodium_runs(); mbed++) {
        crumb__gcm_mbedtls = mbed;
        printf("AES-GCM through %s:\n",
               !mbed && crumb__aesgcm_sodium_runs() ? "libsodium" : "mbedTLS's GCM");
        test_aesgcm_wycheproof();
    }
    crumb__gcm_mbedtls = 0;
    for (int mbed = 0; mbed <= CRUMB_HAVE_SODIUM; mbed++) {
        crumb__hmac_mbedtls = mbed;
        printf("HMAC-SHA-256 through %s:\n",
               !mbed && CRUMB_HAVE_SODIUM ? "libsodium" : "mbedTLS's SHA-256");
        test_hmac_wycheproof();
    }
    crumb__hmac_mbedtls = 0;
    test_hkdf_wycheproof();
    test_hkdf_rfc5869();
    test_hkdf_limits();
    return check_done("test_vectors");
}
