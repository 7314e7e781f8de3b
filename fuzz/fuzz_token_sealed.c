/*
 * fuzz_token_sealed.c - reaches past the tag: the input's first byte picks
 * the suite, header flags and chunking, the rest is sealed as plaintext with
 * the fixed test key; the harness checks that crumb_open returns it
 * unchanged, then loads the token as a session cookie (unpad, capped
 * inflate, payload decode, time checks, migration) and saves the result.
 *
 * Input: byte 0 = [b0..b1 suite-1][b2 DEFLATE][b3 PADDED][b4 REFERENCE]
 *                 [b5..b7 chunk count - 1 (0 = one cookie)]; bytes 1.. plaintext.
 */
#include "fuzz_common.h"

static crumb_keyring *kr;
static crumb_ctx *ctxs[FUZZ_NSUITES + 1];

/* Fixed setup on first call. */
static void setup(void)
{
    if (kr)
        return;
    kr = fuzz_keyring();
    for (int s = 1; s <= FUZZ_NSUITES; s++)
        if (crumb_suite_available(s))
            ctxs[s] = fuzz_ctx(kr, s, 0);
}

/* Append "name[.k]=value; " to hdr at *off. */
static void put_cookie(char *hdr, size_t *off, size_t k, const char *v, size_t n)
{
    int w = k ? sprintf(hdr + *off, "%s.%zu=", FUZZ_COOKIE, k) : sprintf(hdr + *off, "%s=", FUZZ_COOKIE);
    *off += (size_t)w;
    memcpy(hdr + *off, v, n);
    *off += n;
    memcpy(hdr + *off, "; ", 2);
    *off += 2;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size - 1 > CRUMB_PAYLOAD_MAX)
        return -1;
    setup();
    fuzz_random_reset();
    int suite = (data[0] & 3) + 1;
    if (suite > FUZZ_NSUITES || !ctxs[suite])
        return -1;
    unsigned flags = ((data[0] >> 2) & 1 ? CRUMB_FLAG_DEFLATE : 0) |
                     ((data[0] >> 3) & 1 ? CRUMB_FLAG_PADDED : 0) |
                     ((data[0] >> 4) & 1 ? CRUMB_FLAG_REFERENCE : 0);
    size_t nchunks = (size_t)(data[0] >> 5) + 1;
    const uint8_t *pt = data + 1;
    size_t pt_len = size - 1;
    const crumb_codec *c = crumb_ctx_codec(ctxs[suite]);

    size_t tcap = crumb_token_len(c, pt_len), tok_len = 0;
    char *tok = malloc(tcap);
    FUZZ_CHECK(tok != NULL);
    FUZZ_CHECK(crumb_seal(c, tok, tcap, &tok_len, pt, pt_len, flags) == CRUMB_OK);
    FUZZ_CHECK(tok_len == tcap);

    /* round trip: open returns the plaintext and the header facts */
    size_t ocap = crumb_open_bufsize(tok_len), olen = 0;
    uint8_t *out = malloc(ocap);
    crumb_open_info info;
    FUZZ_CHECK(out != NULL);
    FUZZ_CHECK(crumb_open(c, out, ocap, &olen, tok, tok_len, &info) == CRUMB_OK);
    FUZZ_CHECK(olen == pt_len && (pt_len == 0 || memcmp(out, pt, pt_len) == 0));
    FUZZ_CHECK(info.suite == suite && info.flags == flags && info.key_id == 2 && !info.reseal);
    free(out);

    /* the token as a Cookie header: one cookie, or "N.<part0>" + sid.1..N-1 */
    if (nchunks > tok_len)
        nchunks = 1;
    char *hdr = malloc(tok_len + nchunks * 16 + 16);
    FUZZ_CHECK(hdr != NULL);
    size_t off = 0;
    if (nchunks == 1) {
        put_cookie(hdr, &off, 0, tok, tok_len);
    } else {
        size_t part = tok_len / nchunks, pos = 0;
        char head[8];
        int hl = sprintf(head, "%zu.", nchunks);
        memcpy(hdr, FUZZ_COOKIE "=", sizeof FUZZ_COOKIE);
        off = sizeof FUZZ_COOKIE;
        memcpy(hdr + off, head, (size_t)hl);
        off += (size_t)hl;
        memcpy(hdr + off, tok, part);
        off += part;
        memcpy(hdr + off, "; ", 2);
        off += 2;
        pos = part;
        for (size_t k = 1; k < nchunks; k++) {
            size_t n = k + 1 == nchunks ? tok_len - pos : part;
            put_cookie(hdr, &off, k, tok + pos, n);
            pos += n;
        }
    }
    hdr[off] = '\0';
    free(tok);

    crumb_session *s = NULL;
    crumb_err rc = crumb_session_load(&s, ctxs[suite], hdr);
    free(hdr);
    FUZZ_CHECK(s != NULL);
    FUZZ_CHECK(rc == CRUMB_OK || crumb_session_is_new(s));
    if (rc == CRUMB_OK) {
        /* a loaded session re-encodes and saves */
        const crumb_payload *p = crumb_session_payload(s);
        size_t need = 0;
        crumb_err erc = crumb_payload_encode(p, NULL, 0, &need);
        FUZZ_CHECK(erc == CRUMB_E_BUFSIZE || erc == CRUMB_E_TOO_LARGE);
        const char *const *lines;
        size_t count = 0;
        crumb_err src = crumb_session_save(s, &lines, &count);
        FUZZ_CHECK(src == CRUMB_OK || src == CRUMB_E_TOO_LARGE);
        for (size_t i = 0; src == CRUMB_OK && i < count; i++)
            FUZZ_CHECK(strlen(lines[i]) > 0);
    }
    crumb_session_free(s);
    return 0;
}
