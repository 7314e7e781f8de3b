/*
 * bench_sha256.c - the libraries' SHA-256 block cost, the figure behind
 * bench/RESULTS.md's "library is the bottleneck" for suite 3 and the file
 * store's path names. `bench_sha256 sodium|mbedtls N` hashes N 64-byte
 * blocks in one update call (bench/callgrind.sh divides the Ir
 * difference); with no arguments, wall-clock ns per block of each.
 */
#include "bench.h"

#include <mbedtls/sha256.h>
#include <mbedtls/version.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if CRUMB_HAVE_SODIUM
#include <sodium.h>
#endif

#define MAXBLOCKS 4096L

static unsigned char buf[64 * MAXBLOCKS];

/* SHA-256 of the first n blocks of buf with mbedTLS. */
static void hash_mbedtls(unsigned char out[32], long n)
{
    mbedtls_sha256_context c;
    mbedtls_sha256_init(&c);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    if (mbedtls_sha256_starts(&c, 0) || mbedtls_sha256_update(&c, buf, (size_t)n * 64) ||
        mbedtls_sha256_finish(&c, out))
#else
    if (mbedtls_sha256_starts_ret(&c, 0) || mbedtls_sha256_update_ret(&c, buf, (size_t)n * 64) ||
        mbedtls_sha256_finish_ret(&c, out))
#endif
        exit(1);
    mbedtls_sha256_free(&c);
}

/* Hash n blocks of buf with library lib ("sodium" or "mbedtls"); 0, or 2
 * for an unknown or absent library. */
static int hash(const char *lib, unsigned char out[32], long n)
{
    if (strcmp(lib, "mbedtls") == 0) {
        hash_mbedtls(out, n);
        return 0;
    }
#if CRUMB_HAVE_SODIUM
    if (strcmp(lib, "sodium") == 0) {
        crypto_hash_sha256_state s;
        crypto_hash_sha256_init(&s);
        crypto_hash_sha256_update(&s, buf, (unsigned long long)n * 64);
        crypto_hash_sha256_final(&s, out);
        return 0;
    }
#endif
    return 2;
}

/* No arguments: median ns per block of each library over 7 runs. */
static int wall_clock(void)
{
    static const char *const libs[] = {"sodium", "mbedtls"};
    unsigned char out[32];
    for (size_t l = 0; l < 2; l++) {
        double r[7];
        for (int k = 0; k < 7; k++) {
            double t = now_s();
            if (hash(libs[l], out, MAXBLOCKS) != 0)
                break;
            r[k] = (now_s() - t) * 1e9 / MAXBLOCKS;
            if (k == 6) {
                qsort(r, 7, sizeof r[0], cmp_d);
                printf("SHA-256 %-8s %8.1f ns per 64-byte block\n", libs[l], r[3]);
            }
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    unsigned char out[32];
    memset(buf, 0x5a, sizeof buf);
    if (argc == 1)
        return wall_clock();
    long n = argc == 3 ? atol(argv[2]) : -1;
    if (n < 0 || n > MAXBLOCKS) {
        fprintf(stderr, "usage: bench_sha256 sodium|mbedtls N (0..%ld)\n", MAXBLOCKS);
        return 2;
    }
    if (hash(argv[1], out, n) != 0) {
        fprintf(stderr, "bench_sha256: no library %s in this build\n", argv[1]);
        return 2;
    }
    printf("%02x%02x%02x%02x\n", out[0], out[1], out[2], out[3]);
    return 0;
}
