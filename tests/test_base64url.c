/*
 * test_base64url.c - base64url (crumb__b64_* and crumb__b64_*): RFC 4648
 * vectors from tests/vectors/rfc/rfc4648_base64url.json, then seeded
 * properties: round trips for every length 0..600, every substitution with a
 * non-alphabet byte rejected, len % 4 == 1 rejected, non-canonical tails;
 * and a differential property: random and mutated inputs decode (and
 * encode) exactly as the byte-at-a-time reference fuzz/b64_ref.h does, on
 * the AVX2, SSSE3 and portable paths.
 */
#include "../fuzz/b64_ref.h"
#include "check.h"
#include "internal.h"
#include "json.h"

static const char ALPHABET[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

#define MAXN 600
#define MAXC (((MAXN) * 4 + 2) / 3)

/* 1 if byte c is in the base64url alphabet (independent of the library). */
static int in_alphabet(unsigned c)
{
    return c != 0 && memchr(ALPHABET, (int)c, 64) != NULL;
}

/* Expected encoded length of n bytes, without padding. */
static size_t enc_len(size_t n)
{
    return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

/* Decode through the public API with ample room; returns the crumb_err. */
static crumb_err dec(const char *s, size_t n, uint8_t *out, size_t *out_len)
{
    return crumb__b64_decode_checked(out, MAXN + 8, out_len, s, n);
}

/* Count a decode that was accepted although it must not be; print the first
 * few offenders. */
static void must_reject(const char *s, size_t n, const char *why, long *bad)
{
    uint8_t out[MAXN + 8];
    size_t out_len = 0;
    crumb_err rc = dec(s, n, out, &out_len);
    size_t rc2 = crumb__b64_decode(out, s, n);
    if (rc == CRUMB_E_INVALID && rc2 == (size_t)-1)
        return;
    if (++*bad <= 5) {
        fprintf(stderr, "  accepted (%s): crumb__b64_decode_checked=%d crumb__b64_decode=%lld, input:", why,
                (int)rc, rc2 == (size_t)-1 ? -1LL : (long long)rc2);
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            fprintf(stderr, c > 0x20 && c < 0x7f ? "%c" : "\\x%02x", c);
        }
        fprintf(stderr, "\n");
    }
}

static void test_rfc4648(void)
{
    const char *dir = getenv("CRUMB_VECTORS");
    char path[1024];
    json *doc;
    const json *tests;
    long valid = 0, invalid = 0, bad = 0;
    snprintf(path, sizeof path, "%s/rfc/rfc4648_base64url.json",
             dir && *dir ? dir : "tests/vectors");
    doc = json_parse_file(path);
    CHECK(doc != NULL);
    tests = json_get(doc, "tests");
    for (size_t i = 0; i < json_len(tests); i++) {
        const json *t = json_at(tests, i);
        int mark = check_failures;
        if (json_str_eq(t, "result", "valid")) {
            size_t n = 0, out_len = 0;
            uint8_t *in = json_hex(json_get(t, "input_hex"), &n), out[MAXN + 8];
            const json *nopad = json_get(t, "base64url_nopad");
            const json *padded = json_get(t, "base64url_padded");
            const char *want = json_str(nopad);
            char enc[MAXC + 8];
            CHECK(in != NULL && want != NULL && n <= MAXN);
            if (!in || !want || n > MAXN) {
                free(in);
                continue;
            }
            CHECK_INT(crumb__b64_encoded_len(n), json_str_len(nopad));
            CHECK_OK(crumb__b64_encode_checked(enc, sizeof enc, in, n));
            CHECK_MEM(enc, want, json_str_len(nopad));
            CHECK_OK(dec(want, json_str_len(nopad), out, &out_len));
            CHECK_INT(out_len, n);
            CHECK_MEM(out, in, n);
            /* the padded form is not accepted: no padding in cookies */
            if (strcmp(json_str(padded), want) != 0)
                must_reject(json_str(padded), json_str_len(padded), "padded form", &bad);
            valid++;
            free(in);
        } else {
            /* "invalid" and "acceptable"/NonCanonical alike must be rejected */
            const json *e = json_get(t, "encoded");
            CHECK(json_str_eq(t, "result", "invalid") || json_str_eq(t, "result", "acceptable"));
            CHECK(json_str(e) != NULL);
            if (json_str(e))
                must_reject(json_str(e), json_str_len(e), "RFC 4648 negative case", &bad);
            invalid++;
        }
        if (check_failures != mark)
            fprintf(stderr, "    ^ rfc4648 tcId %lld\n", json_int(json_get(t, "tcId"), -1));
    }
    CHECK_INT(bad, 0);
    printf("RFC 4648 base64url: %ld valid, %ld invalid/non-canonical\n", valid, invalid);
    CHECK(valid >= 11);
    CHECK(invalid >= 12);
    json_free(doc);
}

/* Every length 0..MAXN with random content round trips through both APIs,
 * uses only the alphabet, and honours the buffer capacities. */
static void test_roundtrip(void)
{
    static uint8_t in[MAXN], out[MAXN + 8], space[MAXC + 8];
    char enc[MAXC + 8], enc2[MAXC + 8];
    long bad_alpha = 0;
    for (size_t n = 0; n <= MAXN; n++) {
        size_t el = enc_len(n), out_len = 0;
        check_fill(in, n);
        CHECK_INT(crumb__b64_encoded_len(n), el);
        CHECK_OK(crumb__b64_encode_checked(enc, el, in, n));
        for (size_t i = 0; i < el; i++)
            bad_alpha += !in_alphabet((unsigned char)enc[i]);
        CHECK_OK(crumb__b64_decode_checked(out, n, &out_len, enc, el)); /* exact capacity */
        CHECK_INT(out_len, n);
        CHECK_MEM(out, in, n);
        if (n > 0) {
            CHECK_INT(crumb__b64_encode_checked(enc2, el - 1, in, n), CRUMB_E_BUFSIZE);
            CHECK_INT(crumb__b64_decode_checked(out, n - 1, &out_len, enc, el), CRUMB_E_BUFSIZE);
        }
        /* internal core, and its documented in-place layout */
        crumb__b64_encode(enc2, in, n);
        CHECK_MEM(enc2, enc, el);
        CHECK_INT(crumb__b64_decode(out, enc, el), n);
        CHECK_MEM(out, in, n);
        memcpy(space + el - n, in, n);
        crumb__b64_encode((char *)space, space + el - n, n);
        CHECK_MEM(space, enc, el);
        if (check_failures)
            break; /* one length is enough to diagnose */
    }
    CHECK_INT(bad_alpha, 0);
}

/* Substituting any single character of a valid encoding with any byte
 * outside the alphabet is rejected, at every position. */
static void test_substitution(void)
{
    static const size_t lens[] = {1, 2, 3, 4, 5, 6, 31, 32, 33, 100};
    long bad = 0, tried = 0;
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        uint8_t in[128];
        char enc[200];
        size_t n = lens[k], el = enc_len(n);
        check_fill(in, n);
        CHECK_OK(crumb__b64_encode_checked(enc, sizeof enc, in, n));
        for (size_t pos = 0; pos < el; pos++) {
            char save = enc[pos];
            for (unsigned c = 0; c < 256; c++) {
                if (in_alphabet(c))
                    continue;
                enc[pos] = (char)c;
                must_reject(enc, el, "non-alphabet byte", &bad);
                tried++;
            }
            enc[pos] = save;
        }
    }
    printf("substitutions rejected: %ld of %ld\n", tried - bad, tried);
    CHECK_INT(tried % 192, 0); /* 256 - 64 bytes per position */
    CHECK(tried > 0);
    CHECK_INT(bad, 0);
}

/* Every length with len % 4 == 1 is impossible and rejected, whatever the
 * characters. */
static void test_bad_lengths(void)
{
    char s[MAXC + 8];
    long bad = 0, tried = 0;
    for (size_t len = 1; len <= MAXC + 4; len += 4) {
        for (size_t i = 0; i < len; i++)
            s[i] = ALPHABET[check_rand() % 64];
        must_reject(s, len, "len % 4 == 1", &bad);
        tried++;
    }
    CHECK(tried > 0);
    CHECK_INT(bad, 0);
}

/* For len % 4 == 2 and 3, the last character's unused low bits must be
 * zero: exactly 4 resp. 16 of the 64 final characters are accepted. */
static void test_canonical_tail(void)
{
    for (size_t len = 2; len <= 7; len++) {
        char s[8];
        size_t unused = len % 4 == 2 ? 4 : len % 4 == 3 ? 2 : 0, accepted = 0;
        long bad = 0;
        if (unused == 0)
            continue;
        for (size_t i = 0; i + 1 < len; i++)
            s[i] = ALPHABET[check_rand() % 64];
        for (unsigned v = 0; v < 64; v++) {
            s[len - 1] = ALPHABET[v];
            if (v & ((1u << unused) - 1)) {
                must_reject(s, len, "non-zero trailing bits", &bad);
            } else {
                uint8_t out[8];
                size_t out_len = 0;
                CHECK_OK(dec(s, len, out, &out_len));
                CHECK_INT(out_len, len * 3 / 4);
                accepted++;
            }
        }
        CHECK_INT(bad, 0);
        CHECK_INT(accepted, 64u >> unused);
    }
}

/* Mutate s (n chars, room for n + 4) in place; returns the new length. */
static size_t mutate(char *s, size_t n)
{
    static const char odd[] = "=+/.@[`{^:\x7f\x80\xff \n";
    size_t pos = n ? (size_t)(check_rand() % n) : 0;
    switch (check_rand() % 6) {
    case 0: /* any byte */
        if (n)
            s[pos] = (char)check_rand();
        return n;
    case 1: /* a near miss of the alphabet */
        if (n)
            s[pos] = odd[check_rand() % (sizeof odd - 1)];
        return n;
    case 2: /* flip one bit of the last character (canonical tail) */
        if (n)
            s[n - 1] = (char)(s[n - 1] ^ (1 << (check_rand() % 8)));
        return n;
    case 3: /* drop a character */
        return n ? n - 1 : 0;
    case 4: /* padding */
        s[n] = '=';
        return n + 1;
    default: /* alphabet-only substitution */
        if (n)
            s[pos] = ALPHABET[check_rand() % 64];
        return n;
    }
}

/* Compare the library with the reference on one input; counts mismatches
 * and prints the first few. */
static void diff_one(const char *s, size_t n, long *bad)
{
    uint8_t got[MAXC + 24], want[MAXC + 24];
    long w = b64ref_decode(want, s, n);
    size_t g = crumb__b64_decode(got, s, n);
    int same = w < 0 ? g == (size_t)-1 : g == (size_t)w && memcmp(got, want, g) == 0;
    if (!same && ++*bad <= 3) {
        const char *path = crumb__b64_portable == 1 ? "portable"
                           : crumb__b64_portable    ? "SSSE3"
                                                    : "best SIMD";
        fprintf(stderr, "  %s path: reference %ld, library %lld for %zu chars:", path, w,
                g == (size_t)-1 ? -1LL : (long long)g, n);
        for (size_t i = 0; i < n && i < 48; i++)
            fprintf(stderr, "%02x", (unsigned char)s[i]);
        fprintf(stderr, "%s\n", n > 48 ? "..." : "");
    }
}

/* Seeded differential property: 10,000 random and mutated inputs of 0..600
 * characters per path (best SIMD, SSSE3, portable); encodings of random
 * bytes equal the reference's. */
static void test_differential(void)
{
    static uint8_t in[MAXN];
    char s[MAXC + 8], ref[MAXC + 8], enc[MAXC + 8];
    long bad = 0, rejected = 0;
    for (int portable = 0; portable <= 2; portable++) {
        crumb__b64_portable = portable;
        for (int k = 0; k < 10000; k++) {
            size_t n = (size_t)(check_rand() % (MAXN + 1)), el;
            check_fill(in, n);
            el = b64ref_encode(ref, in, n);
            crumb__b64_encode(enc, in, n);
            if (memcmp(enc, ref, el) != 0 && ++bad <= 3)
                fprintf(stderr, "  encode of %zu bytes differs\n", n);
            if (k % 4 == 0) { /* random characters, mostly from the alphabet */
                for (size_t i = 0; i < el; i++)
                    s[i] = check_rand() % 64 ? ALPHABET[check_rand() % 64] : (char)check_rand();
            } else {
                memcpy(s, ref, el);
            }
            for (int m = (int)(check_rand() % 3); m > 0; m--)
                el = mutate(s, el);
            diff_one(s, el, &bad);
            uint8_t tmp[MAXC];
            rejected += b64ref_decode(tmp, s, el) < 0;
        }
    }
    crumb__b64_portable = 0;
    printf("differential: 30000 inputs, %ld rejected by both, %ld mismatches\n", rejected, bad);
    CHECK(rejected > 3000 && rejected < 27000); /* both verdicts well covered */
    CHECK_INT(bad, 0);
}

int main(void)
{
    check_seed();
    test_differential();
    test_rfc4648();
    test_roundtrip();
    test_substitution();
    test_bad_lengths();
    test_canonical_tail();
    return check_done("test_base64url");
}
