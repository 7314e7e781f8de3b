/*
 * fuzz_inflate.c - the capped raw inflate (crumb__inflate) run on session
 * plaintext after authentication. Byte 0 picks the output cap, byte 1 the
 * ratio cap; the rest is the stream. Output never exceeds either cap, and
 * the output buffer is exactly cap bytes so ASan catches any overrun.
 */
#include "fuzz_common.h"
#include "session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t caps[8] = {0, 1, 64, 255, 1024, 4096, 16384, CRUMB_PAYLOAD_MAX};
    static const unsigned ratios[4] = {0, 1, 4, 64};
    if (size < 2)
        return -1;
    size_t cap = caps[data[0] & 7];
    unsigned ratio = ratios[data[1] & 3];
    const uint8_t *in = data + 2;
    size_t n = size - 2;
    uint8_t *out = malloc(cap ? cap : 1);
    FUZZ_CHECK(out != NULL);
    size_t out_len = 123;
    crumb_err rc = crumb__inflate(out, cap, &out_len, in, n, ratio);
    if (rc == CRUMB_OK) {
        FUZZ_CHECK(out_len <= cap);
        FUZZ_CHECK(ratio == 0 || out_len <= n * ratio);
        /* deflate what came out: it must inflate back to the same bytes */
        size_t dcap = out_len + out_len / 8 + 64, dlen = 0;
        uint8_t *d = malloc(dcap);
        FUZZ_CHECK(d != NULL);
        if (crumb__deflate(d, dcap, &dlen, out, out_len) == CRUMB_OK) {
            uint8_t *back = malloc(out_len ? out_len : 1);
            size_t blen = 0;
            FUZZ_CHECK(back != NULL);
            FUZZ_CHECK(crumb__inflate(back, out_len, &blen, d, dlen, 0) == CRUMB_OK);
            FUZZ_CHECK(blen == out_len && (out_len == 0 || memcmp(back, out, out_len) == 0));
            free(back);
        }
        free(d);
    } else {
        FUZZ_CHECK(rc == CRUMB_E_INFLATE || rc == CRUMB_E_PAYLOAD);
        FUZZ_CHECK(out_len == 0);
    }
    free(out);
    return 0;
}
