/*
 * test_compress.c - raw deflate/inflate with caps: round trip, a deflate
 * bomb and a ratio bomb rejected with CRUMB_E_INFLATE quickly, corrupt /
 * truncated / trailing streams rejected, zlib allocating only through
 * crumb__malloc, and the 0x80-then-zeros bucket padding.
 */
#include "check.h"
#include "session.h"

#include <time.h>

static uint8_t big[4u << 20], out[CRUMB_PAYLOAD_MAX + 1], z[1u << 16];

/* Seconds of CPU time used so far. */
static double cpu_now(void)
{
    return (double)clock() / CLOCKS_PER_SEC;
}

static void test_round_trip(void)
{
    for (int i = 0; i < 50; i++) {
        /* compressible: a small alphabet, long enough (>= 256 bytes) that
         * the 2 bits a byte carries beat the deflate block header (a
         * 1-byte input cannot shrink: the seed 1795968636 drew one) */
        size_t n = 256 + (size_t)(check_rand() % 20000), zl = 0, ol = 0;
        for (size_t j = 0; j < n; j++)
            big[j] = (uint8_t)('a' + check_rand() % 4);
        CHECK_OK(crumb__deflate(z, sizeof z, &zl, big, n));
        CHECK(zl < n);
        CHECK_OK(crumb__inflate(out, CRUMB_PAYLOAD_MAX, &ol, z, zl, 0));
        CHECK_INT(ol, n);
        CHECK_MEM(out, big, n);
    }
    /* incompressible input does not fit in n - 1 bytes */
    size_t zl = 0;
    check_fill(big, 1000);
    CHECK_INT(crumb__deflate(z, 999, &zl, big, 1000), CRUMB_E_TOO_LARGE);
}

/* A 4 MiB run of zeros deflates to ~4 KiB: inflating it must stop at the
 * cap with CRUMB_E_INFLATE, fast; a 60 KiB run trips the ratio limit. */
static void test_bombs(void)
{
    size_t zl = 0, ol = 0;
    memset(big, 0, sizeof big);
    CHECK_OK(crumb__deflate(z, sizeof z, &zl, big, sizeof big));
    printf("bomb: %zu bytes of deflate -> %zu bytes\n", zl, sizeof big);
    double t0 = cpu_now();
    for (int i = 0; i < 100; i++)
        CHECK_INT(crumb__inflate(out, CRUMB_PAYLOAD_MAX, &ol, z, zl, 0), CRUMB_E_INFLATE);
    double dt = (cpu_now() - t0) / 100;
    printf("bomb rejected in %.6f s each\n", dt);
    CHECK(dt < 0.05);
    CHECK_INT(ol, 0);

    /* under the cap, but 60000/len(z) >> 64 */
    CHECK_OK(crumb__deflate(z, sizeof z, &zl, big, 60000));
    CHECK(60000 / zl > 64);
    CHECK_INT(crumb__inflate(out, CRUMB_PAYLOAD_MAX, &ol, z, zl, 64), CRUMB_E_INFLATE);
    CHECK_OK(crumb__inflate(out, CRUMB_PAYLOAD_MAX, &ol, z, zl, 0)); /* no ratio limit */
    CHECK_INT(ol, 60000);
    /* exact cap is fine, one byte less is not */
    CHECK_OK(crumb__inflate(out, 60000, &ol, z, zl, 0));
    CHECK_INT(crumb__inflate(out, 59999, &ol, z, zl, 0), CRUMB_E_INFLATE);
}

static void test_corrupt(void)
{
    size_t zl = 0, ol = 0;
    for (size_t j = 0; j < 3000; j++)
        big[j] = (uint8_t)("hello world "[j % 12]);
    CHECK_OK(crumb__deflate(z, sizeof z, &zl, big, 3000));
    for (size_t t = 0; t < zl; t++) {
        crumb_err rc = crumb__inflate(out, CRUMB_PAYLOAD_MAX, &ol, z, t, 0);
        if (rc != CRUMB_E_PAYLOAD) {
            CHECK_INT(rc, CRUMB_E_PAYLOAD);
            fprintf(stderr, "    truncated at %zu of %zu\n", t, zl);
            break;
        }
    }
    z[zl] = 0x00;
    CHECK_INT(crumb__inflate(out, CRUMB_PAYLOAD_MAX, &ol, z, zl + 1, 0), CRUMB_E_PAYLOAD);
    static const uint8_t bad[] = {0xff, 0xff, 0xff, 0xff};
    CHECK_INT(crumb__inflate(out, CRUMB_PAYLOAD_MAX, &ol, bad, sizeof bad, 0), CRUMB_E_PAYLOAD);
    /* random garbage never crashes */
    for (int i = 0; i < 2000; i++) {
        size_t n = 1 + (size_t)(check_rand() % 200);
        check_fill(z, n);
        crumb_err rc = crumb__inflate(out, 4096, &ol, z, n, 64);
        CHECK(rc == CRUMB_OK || rc == CRUMB_E_PAYLOAD || rc == CRUMB_E_INFLATE);
    }
}

/* zlib's allocations go through crumb__malloc (so they can fail there). */
static void test_alloc(void)
{
    size_t zl = 0, ol = 0;
    memset(big, 'x', 5000);
    crumb__alloc_fail_at(0, 0);
    CHECK_OK(crumb__deflate(z, sizeof z, &zl, big, 5000));
    long made = crumb__alloc_fail_at(1, 1);
    CHECK(made > 0);
    CHECK_INT(crumb__deflate(z, sizeof z, &zl, big, 5000), CRUMB_E_NOMEM);
    crumb__alloc_fail_at(0, 0);
    CHECK_OK(crumb__deflate(z, sizeof z, &zl, big, 5000));
    crumb__alloc_fail_at(0, 0);
    CHECK_OK(crumb__inflate(out, 8192, &ol, z, zl, 0));
    CHECK(crumb__alloc_fail_at(1, 1) > 0);
    CHECK_INT(crumb__inflate(out, 8192, &ol, z, zl, 0), CRUMB_E_NOMEM);
    crumb__alloc_fail_at(0, 0);
}

static void test_padding(void)
{
    uint8_t buf[600];
    CHECK_INT(crumb__padded_len(0, 64), 64);
    CHECK_INT(crumb__padded_len(63, 64), 64);
    CHECK_INT(crumb__padded_len(64, 64), 128);
    CHECK_INT(crumb__padded_len(100, 256), 256);
    for (size_t len = 0; len < 300; len++) {
        size_t pl = crumb__padded_len(len, 128);
        CHECK(pl > len && pl % 128 == 0 && pl - len <= 128);
        check_fill(buf, len);
        crumb__pad(buf, len, pl);
        CHECK_INT(crumb__unpad(buf, pl), len);
    }
    memset(buf, 0, 16);
    CHECK_INT(crumb__unpad(buf, 16), (size_t)-1);
    buf[3] = 0x81;
    CHECK_INT(crumb__unpad(buf, 16), (size_t)-1);
    CHECK_INT(crumb__unpad(buf, 0), (size_t)-1);
}

int main(void)
{
    check_seed();
    test_round_trip();
    test_bombs();
    test_corrupt();
    test_alloc();
    test_padding();
    return check_done("test_compress");
}
