/*
 * fuzz_b64.c - strict base64url decode (the first step of every token
 * open). What decodes must encode back to the same characters; a buffer one
 * byte short must be refused.
 */
#include "fuzz_common.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    size_t cap = size / 4 * 3 + 3, n = 0;
    uint8_t *out = malloc(cap);
    FUZZ_CHECK(out != NULL);
    crumb_err rc = crumb__b64_decode_checked(out, cap, &n, in, size);
    if (rc == CRUMB_OK) {
        FUZZ_CHECK(n <= cap && crumb__b64_encoded_len(n) == size);
        char *back = malloc(size ? size : 1);
        FUZZ_CHECK(back != NULL);
        FUZZ_CHECK(crumb__b64_encode_checked(back, size, out, n) == CRUMB_OK);
        FUZZ_CHECK(size == 0 || memcmp(back, in, size) == 0);
        free(back);
        if (n > 0) {
            size_t m = 0;
            FUZZ_CHECK(crumb__b64_decode_checked(out, n - 1, &m, in, size) != CRUMB_OK);
        }
    } else {
        FUZZ_CHECK(rc == CRUMB_E_INVALID);
    }
    free(out);
    return 0;
}
