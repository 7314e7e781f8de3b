/*
 * fuzz_cookie.c - a raw request Cookie header: crumb_cookie_next over every
 * pair (pointers stay inside the header, progress is made), crumb_cookie_find
 * for our cookie and its chunk names, then crumb_session_load with a fixed
 * context (chunk reassembly, size limits, open) and crumb_session_save
 * (deletion of stale chunks and refused cookies).
 */
#include "fuzz_common.h"

static crumb_keyring *kr;
static crumb_ctx *ctx;

/* Fixed setup on first call: suite 1 when available, padding on. */
static void setup(void)
{
    if (kr)
        return;
    kr = fuzz_keyring();
    ctx = fuzz_ctx(kr, crumb_suite_available(1) ? 1 : 2, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    fuzz_random_reset();
    char *hdr = malloc(size + 1);
    FUZZ_CHECK(hdr != NULL);
    if (size)
        memcpy(hdr, data, size);
    hdr[size] = '\0';

    size_t pos = 0, pairs = 0;
    crumb_cookie_pair cp;
    while (crumb_cookie_next(hdr, size, &pos, &cp)) {
        size_t before = pos;
        FUZZ_CHECK(cp.name >= hdr && cp.name + cp.name_len <= hdr + size);
        FUZZ_CHECK(cp.value >= hdr && cp.value + cp.value_len <= hdr + size);
        FUZZ_CHECK(pos <= size + 1);
        FUZZ_CHECK(++pairs <= size);
        (void)before;
    }
    static const char *const names[] = {FUZZ_COOKIE, FUZZ_COOKIE ".1", FUZZ_COOKIE ".15", ""};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *v = NULL;
        size_t vl = 0;
        crumb_err rc = crumb_cookie_find(hdr, size, names[i], &v, &vl);
        FUZZ_CHECK(rc == CRUMB_OK || rc == CRUMB_E_NOTFOUND);
        if (rc == CRUMB_OK)
            FUZZ_CHECK(v >= hdr && v + vl <= hdr + size);
    }

    crumb_session *s = NULL;
    crumb_err rc = crumb_session_load(&s, ctx, hdr);
    FUZZ_CHECK(s != NULL);
    FUZZ_CHECK(rc != CRUMB_E_INVALID && rc != CRUMB_E_INTERNAL);
    const char *const *lines;
    size_t count = 0;
    crumb_err src = crumb_session_save(s, &lines, &count);
    FUZZ_CHECK(src == CRUMB_OK || src == CRUMB_E_TOO_LARGE);
    FUZZ_CHECK(count <= 2 * CRUMB_CHUNKS_MAX + 2);
    crumb_session_free(s);
    free(hdr);
    return 0;
}
