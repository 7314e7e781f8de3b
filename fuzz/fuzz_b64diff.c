/*
 * fuzz_b64diff.c - differential test of lib/base64url.c (SIMD and portable
 * paths) against the byte-at-a-time reference in b64_ref.h: the input as
 * text must decode to the same verdict and bytes; the input as bytes must
 * encode to the same characters, also in the in-place layout crumb_seal uses.
 */
#include "b64_ref.h"
#include "fuzz_common.h"
#include "internal.h"

/* One pass with the current path setting. */
static void diff_once(const uint8_t *data, size_t size, uint8_t *a, uint8_t *b, char *ea,
                      char *eb)
{
    const char *in = (const char *)data;
    long want = b64ref_decode(b, in, size);
    size_t got = crumb__b64_decode(a, in, size);
    if (want < 0) {
        FUZZ_CHECK(got == (size_t)-1);
    } else {
        FUZZ_CHECK(got == (size_t)want);
        FUZZ_CHECK(want == 0 || memcmp(a, b, (size_t)want) == 0);
    }
    size_t el = b64ref_encode(eb, data, size);
    FUZZ_CHECK(el == crumb__b64_encoded_len(size));
    crumb__b64_encode(ea, data, size);
    FUZZ_CHECK(el == 0 || memcmp(ea, eb, el) == 0);
    memcpy(ea + el - size, data, size); /* in place, as crumb_seal lays it out */
    crumb__b64_encode(ea, (const uint8_t *)ea + el - size, size);
    FUZZ_CHECK(el == 0 || memcmp(ea, eb, el) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* exact sizes, so ASan sees a SIMD store past the output's end */
    size_t el = crumb__b64_encoded_len(size), dl = size / 4 * 3 + (size % 4 ? size % 4 - 1 : 0);
    uint8_t *a = malloc(dl ? dl : 1), *b = malloc(size + 1);
    char *ea = malloc(el ? el : 1), *eb = malloc(el ? el : 1);
    FUZZ_CHECK(a && b && ea && eb);
    for (int portable = 0; portable <= 2; portable++) {
        crumb__b64_portable = portable;
        diff_once(data, size, a, b, ea, eb);
    }
    crumb__b64_portable = 0;
    free(a), free(b), free(ea), free(eb);
    return 0;
}
