/*
 * fuzz_token.c - raw input as a token: crumb_token_inspect, then crumb_open
 * under a codec of each suite (all accepting every available suite) with the
 * fixed test keys. Checks that open never writes more than it promised and
 * that inspect agrees with open about the header of a token that opened.
 */
#include "fuzz_common.h"

static crumb_keyring *kr;
static crumb_codec *codecs[FUZZ_NSUITES + 1];

/* Fixed setup on first call. */
static void setup(void)
{
    if (kr)
        return;
    kr = fuzz_keyring();
    for (int s = 1; s <= FUZZ_NSUITES; s++)
        if (crumb_suite_available(s))
            codecs[s] = fuzz_codec(kr, s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *tok = (const char *)data;
    setup();
    fuzz_random_reset();

    crumb_token_header hdr;
    crumb_err irc = crumb_token_inspect(tok, size, &hdr);
    if (irc == CRUMB_OK) {
        FUZZ_CHECK(hdr.version == CRUMB_TOKEN_VERSION);
        FUZZ_CHECK(hdr.total_len == hdr.nonce_len + hdr.body_len + hdr.tag_len +
                                        CRUMB_HEADER_BYTES);
    }

    size_t cap = crumb_open_bufsize(size);
    uint8_t *pt = malloc(cap ? cap : 1);
    FUZZ_CHECK(pt != NULL);
    for (int s = 1; s <= FUZZ_NSUITES; s++) {
        if (!codecs[s])
            continue;
        size_t pt_len = 0;
        crumb_open_info info;
        crumb_err rc = crumb_open(codecs[s], pt, cap, &pt_len, tok, size, &info);
        if (rc == CRUMB_OK) {
            FUZZ_CHECK(pt_len <= cap && pt_len <= CRUMB_PAYLOAD_MAX);
            FUZZ_CHECK(irc == CRUMB_OK && hdr.suite == info.suite &&
                       hdr.key_id == info.key_id && hdr.flags == info.flags &&
                       hdr.body_len == pt_len);
            FUZZ_CHECK(info.key_id == 1 || info.key_id == 2);
            FUZZ_CHECK(info.reseal == (info.key_id == 1));
        } else {
            FUZZ_CHECK(rc == CRUMB_E_AUTH || rc == CRUMB_E_TOO_LARGE);
            FUZZ_CHECK(pt_len == 0);
        }
        /* a buffer one byte short must be refused, not overrun */
        if (cap > 0) {
            rc = crumb_open(codecs[s], pt, cap - 1, &pt_len, tok, size, NULL);
            FUZZ_CHECK(rc != CRUMB_OK);
        }
    }
    free(pt);
    return 0;
}
