/*
 * bench_codec.c - seal/open throughput of each suite for a 205-byte
 * payload beside raw baselines measured in the same run (libsodium
 * XChaCha20-Poly1305 + sodium base64; mbedTLS AES-256-GCM + mbedTLS
 * base64). Prints medians of several runs. For instruction counts:
 *   valgrind --tool=callgrind build/bench/bench_codec --op OP --iters N
 * runs only OP (seal1 open1 seal2 open2 seal3 open3 naive-open naive-seal
 * mbed-seal mbed-open bare-seal1 bare-open1 b64enc b64dec) N times; per-op
 * cost = (cost(N) - cost(0)) / N: bench/callgrind.sh does that for each.
 * `bench_codec --cpu` prints ops per CPU second for bench/peers.sh.
 */
#include "bench.h"
#include "crumb.h"
#include "internal.h"

#include <mbedtls/base64.h>
#include <mbedtls/gcm.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAYLOAD 205
#define RUNS 7

static uint8_t pt[PAYLOAD], out[4096], key[32];
static char tok[4096];
static size_t tok_len;
static crumb_codec *codecs[4];

/* ---- operations ---- */
static char naive_tok[4096];
static size_t naive_len;

static void op_seal(int s)
{
    if (crumb_seal(codecs[s], tok, sizeof tok, &tok_len, pt, PAYLOAD, 0) != CRUMB_OK)
        abort();
}

static void op_open(int s)
{
    size_t n;
    if (crumb_open(codecs[s], out, sizeof out, &n, tok, tok_len, NULL) != CRUMB_OK)
        abort();
}

/* libsodium AEAD + libsodium's constant-time base64 (urlsafe, no padding) */
static void naive_sodium_seal(void)
{
    uint8_t bin[PAYLOAD + 64];
    randombytes_buf(bin, 24);
    crypto_aead_xchacha20poly1305_ietf_encrypt(bin + 24, NULL, pt, PAYLOAD, NULL, 0, NULL, bin,
                                               key);
    sodium_bin2base64(naive_tok, sizeof naive_tok, bin, 24 + PAYLOAD + 16,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    naive_len = strlen(naive_tok);
}

static void naive_sodium_open(void)
{
    uint8_t bin[PAYLOAD + 64];
    size_t bl;
    if (sodium_base642bin(bin, sizeof bin, naive_tok, naive_len, NULL, &bl, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, bin + 24, bl - 24, NULL, 0,
                                                   bin, key) != 0)
        abort();
}

/* The floor: the bare XChaCha20-Poly1305 AEAD over the same 205 bytes
 * with an AAD as long as crumb's ("sid", "session": 20 bytes), and the
 * base64url codec alone over a token-sized (252-byte, 336-char) buffer. */
static uint8_t bare_ct[PAYLOAD + 16], bare_nonce[24], bare_aad[20];
static uint8_t b64_bin[252];
static char b64_txt[336];

static void bare_seal(void)
{
    crypto_aead_xchacha20poly1305_ietf_encrypt_detached(bare_ct, bare_ct + PAYLOAD, NULL, pt,
                                                        PAYLOAD, bare_aad, sizeof bare_aad, NULL,
                                                        bare_nonce, key);
}

static void bare_open(void)
{
    if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(out, NULL, bare_ct, PAYLOAD,
                                                            bare_ct + PAYLOAD, bare_aad,
                                                            sizeof bare_aad, bare_nonce, key))
        abort();
}

static void b64_enc(void)
{
    if (crumb__b64_encode_checked(b64_txt, sizeof b64_txt, b64_bin, sizeof b64_bin) != CRUMB_OK)
        abort();
}

static void b64_dec(void)
{
    size_t n;
    if (crumb__b64_decode_checked(b64_bin, sizeof b64_bin, &n, b64_txt, sizeof b64_txt) != CRUMB_OK)
        abort();
}

/* mbedTLS AES-256-GCM (one fixed key, no per-token KDF) + mbedTLS base64 */
static mbedtls_gcm_context gcm;
static char mb_tok[4096];
static size_t mb_len;

static void naive_mbed_seal(void)
{
    uint8_t bin[PAYLOAD + 64];
    randombytes_buf(bin, 12);
    mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, PAYLOAD, bin, 12, NULL, 0, pt, bin + 12,
                              16, bin + 12 + PAYLOAD);
    mbedtls_base64_encode((unsigned char *)mb_tok, sizeof mb_tok, &mb_len, bin, 12 + PAYLOAD + 16);
}

static void naive_mbed_open(void)
{
    uint8_t bin[PAYLOAD + 64];
    size_t bl;
    if (mbedtls_base64_decode(bin, sizeof bin, &bl, (const unsigned char *)mb_tok, mb_len) != 0 ||
        mbedtls_gcm_auth_decrypt(&gcm, bl - 28, bin, 12, NULL, 0, bin + bl - 16, 16, bin + 12,
                                 out) != 0)
        abort();
}

struct op {
    const char *name;
    void (*fn)(int);
    void (*plain)(void);
    int suite;
};

static void call(const struct op *o)
{
    if (o->fn)
        o->fn(o->suite);
    else
        o->plain();
}

static const struct op ops[] = {
    {"seal1", op_seal, NULL, 1},         {"open1", op_open, NULL, 1},
    {"naive-seal", NULL, naive_sodium_seal, 0}, {"naive-open", NULL, naive_sodium_open, 0},
    {"seal2", op_seal, NULL, 2},         {"open2", op_open, NULL, 2},
    {"mbed-seal", NULL, naive_mbed_seal, 0}, {"mbed-open", NULL, naive_mbed_open, 0},
    {"seal3", op_seal, NULL, 3},         {"open3", op_open, NULL, 3},
    {"bare-seal1", NULL, bare_seal, 0},  {"bare-open1", NULL, bare_open, 0},
    {"b64enc", NULL, b64_enc, 0},        {"b64dec", NULL, b64_dec, 0},
};

/* Median ops/s of op over RUNS runs of about 0.2 s each. */
static double measure(const struct op *o, const struct op *prep)
{
    double r[RUNS];
    for (int k = 0; k < RUNS; k++) {
        if (prep)
            call(prep);
        long n = 0;
        double t0 = now_s(), t;
        do {
            for (int i = 0; i < 256; i++)
                call(o);
            n += 256;
        } while ((t = now_s() - t0) < 0.2);
        r[k] = (double)n / t;
    }
    qsort(r, RUNS, sizeof r[0], cmp_d);
    return r[RUNS / 2];
}

/* --cpu: ops per CPU second (user + system) of the crumb ops, one line
 * each ("crumb-seal1 N LEN"), for bench/peers.sh. */
static int cur;
static void cpu_op(void)
{
    call(&ops[cur]);
}

static void cpu_mode(void)
{
    static const char *const names[] = {"seal1", "open1", "seal2", "open2", "seal3", "open3"};
    for (size_t j = 0; j < sizeof names / sizeof names[0]; j++)
        for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
            if (strcmp(ops[k].name, names[j]))
                continue;
            if (!crumb_suite_available(ops[k].suite))
                break;
            call(&ops[k & ~(size_t)1]); /* a token of this suite to open */
            cur = (int)k;
            double r = cpu_rate(1.0, cpu_op);
            printf("crumb-%s %.0f %zu\n", names[j], r, tok_len);
        }
}

int main(int argc, char **argv)
{
    crumb_keyring *kr;
    if (sodium_init() < 0)
        return 1;
    for (size_t i = 0; i < PAYLOAD; i++)
        pt[i] = (uint8_t)(i * 31 + 7);
    randombytes_buf(key, sizeof key);
    mbedtls_gcm_init(&gcm);
    mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, 256);
    if (crumb_keyring_new(&kr) || crumb_keyring_add(kr, 1, CRUMB_KEY_PRIMARY, key))
        return 1;
    for (int s = 1; s <= 3; s++) {
        crumb_codec_config cfg = {.cookie_name = "sid", .purpose = "session", .seal_suite = s};
        if (!crumb_suite_available(s)) /* suite 1 in a CRYPTO=mbedtls library: its ops fail */
            continue;
        if (crumb_codec_new(&codecs[s], kr, &cfg))
            return 1;
    }
    const char *only = NULL;
    long iters = 0;
    if (argc == 2 && !strcmp(argv[1], "--cpu")) {
        cpu_mode();
        return 0;
    }
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--op"))
            only = argv[i + 1];
        else if (!strcmp(argv[i], "--iters"))
            iters = atol(argv[i + 1]);
    }
    if (only) { /* callgrind mode: prepare a token, then run only this op */
        for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
            if (strcmp(ops[k].name, only))
                continue;
            if (ops[k].fn && !codecs[ops[k].suite]) {
                fprintf(stderr, "%s: suite %d not in this build\n", only, ops[k].suite);
                return 2;
            }
            call(&ops[k & ~(size_t)1]); /* the seal paired with this op */
            for (long i = 0; i < iters; i++)
                call(&ops[k]);
            return 0;
        }
        fprintf(stderr, "unknown op %s\n", only);
        return 2;
    }
    printf("payload %d bytes, median of %d runs\n", PAYLOAD, RUNS);
    printf("%-12s %12s %10s\n", "op", "ops/s", "token");
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        const struct op *prep = (k & 1) ? &ops[k - 1] : NULL;
        if (ops[k].fn && !codecs[ops[k].suite])
            continue;
        double v = measure(&ops[k], prep);
        size_t len = ops[k].fn                                                     ? tok_len
                     : ops[k].plain == naive_sodium_seal ||
                             ops[k].plain == naive_sodium_open                         ? naive_len
                     : ops[k].plain == naive_mbed_seal || ops[k].plain == naive_mbed_open ? mb_len
                                                                                        : 0;
        printf("%-12s %12.0f %10zu\n", ops[k].name, v, len);
    }
    for (int s = 1; s <= 3; s++)
        crumb_codec_free(codecs[s]);
    crumb_keyring_free(kr);
    mbedtls_gcm_free(&gcm);
    return 0;
}
