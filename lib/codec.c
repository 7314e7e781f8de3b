/*
 * codec.c - token format v1 (docs/FORMAT.md): seal and open with caller
 * buffers and no heap allocation. Per-purpose subkeys (and the HMAC
 * inner/outer states of the suite 2 and 3 subkeys) are computed once in
 * crumb_codec_new; suite 2 adds a per-token HKDF subkey, one short HMAC.
 */
#include "keyring.h"

#include <string.h>
#include <time.h>

#define SALT "libcrumb v1"
#define SUBKEY_INFO "crumb-subkey"
#define GCM_TOKEN_INFO "crumb-aesgcm-token"
#define GCM_SALTBYTES 16u
#define MAX_NONCE 28u
#define MAX_TAG 32u
#define CTX_MAX (3u * (1u + CRUMB_NAME_MAX))
#define BIN_MAX (CRUMB_HEADER_BYTES + MAX_NONCE + CRUMB_PAYLOAD_MAX + MAX_TAG)

struct crumb_codec {
    crumb_codec_config cfg; /* string pointers are NULLed: see ctx */
    unsigned accept;        /* CRUMB_SUITE_BIT mask */
    int seal_suite;
    int primary;            /* index into keys, or -1 */
    size_t nkeys;
    size_t ctx_len;
    uint8_t ctx[CTX_MAX];   /* len-prefixed cookie name || purpose || audience */
    struct crumb_codec_key {
        uint32_t id;
        int state;
        uint8_t sub[4][32]; /* per-suite subkey for this purpose, [1..3] */
        crumb__hmac_pre hm[2]; /* HMAC states of sub[2] (HKDF-Expand) and sub[3] */
    } keys[CRUMB_KEYRING_MAX];
};

/* Nonce and tag sizes of a suite (0 nonce for suite 3). */
static size_t nonce_len(int suite)
{
    return suite == CRUMB_SUITE_XCHACHA20POLY1305 ? 24u
           : suite == CRUMB_SUITE_AES256GCM       ? GCM_SALTBYTES + CRUMB__GCM_IVBYTES
                                                  : 0u;
}

static size_t tag_len(int suite)
{
    return suite == CRUMB_SUITE_HMACSHA256 ? CRUMB__HMAC_BYTES : CRUMB__AEAD_TAGBYTES;
}

/* see crumb.h */
int crumb_suite_available(int suite)
{
    if (suite == CRUMB_SUITE_XCHACHA20POLY1305)
        return crumb__xchacha_available();
    return suite == CRUMB_SUITE_AES256GCM || suite == CRUMB_SUITE_HMACSHA256;
}

/* Append a length-prefixed string to the binding context. */
static int ctx_append(crumb_codec *c, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n > CRUMB_NAME_MAX)
        return -1;
    c->ctx[c->ctx_len++] = (uint8_t)n;
    if (n)
        memcpy(c->ctx + c->ctx_len, s, n);
    c->ctx_len += n;
    return 0;
}

/* Fill c->keys from the ring: per-suite subkeys for this purpose
 * (HKDF-SHA-256, info = "crumb-subkey" 0x00 suite purpose) and the HMAC
 * states of the suite 2 and 3 subkeys. 0, or -1. */
static int derive_keys(crumb_codec *c, const crumb_keyring *kr, const char *purpose)
{
    uint8_t info[sizeof SUBKEY_INFO + 1 + CRUMB_NAME_MAX];
    size_t plen = strlen(purpose);
    memcpy(info, SUBKEY_INFO, sizeof SUBKEY_INFO); /* includes the 0x00 */
    memcpy(info + sizeof SUBKEY_INFO + 1, purpose, plen);
    for (size_t i = 0; i < kr->count; i++) {
        c->keys[i].id = kr->keys[i].id;
        c->keys[i].state = kr->keys[i].state;
        if (kr->keys[i].state == CRUMB_KEY_PRIMARY)
            c->primary = (int)i;
        for (int s = 1; s <= 3; s++) {
            info[sizeof SUBKEY_INFO] = (uint8_t)s;
            if (crumb__hkdf_sha256(c->keys[i].sub[s], 32, kr->keys[i].key, CRUMB_KEYBYTES,
                                   (const uint8_t *)SALT, sizeof SALT - 1, info,
                                   sizeof SUBKEY_INFO + 1 + plen) != 0)
                return -1;
        }
        if (crumb__hmac_pre_init(&c->keys[i].hm[0], c->keys[i].sub[2], 32) != 0 ||
            crumb__hmac_pre_init(&c->keys[i].hm[1], c->keys[i].sub[3], 32) != 0)
            return -1;
    }
    return 0;
}

/* see crumb.h */
crumb_err crumb_codec_new(crumb_codec **out, const crumb_keyring *kr,
                          const crumb_codec_config *cfg)
{
    crumb_codec *c;
    *out = NULL;
    if (!kr || !cfg || !cfg->cookie_name || !cfg->cookie_name[0] || !cfg->purpose ||
        !cfg->purpose[0])
        return CRUMB_E_INVALID;
    int seal = cfg->seal_suite;
    if (seal == 0)
        seal = crumb__xchacha_available() ? CRUMB_SUITE_XCHACHA20POLY1305 : CRUMB_SUITE_AES256GCM;
    if (seal < 1 || seal > 3 || (cfg->accept_suites & ~0xeu))
        return CRUMB_E_INVALID;
    unsigned accept = cfg->accept_suites ? cfg->accept_suites : CRUMB_SUITE_BIT(seal);
    if (!(accept & CRUMB_SUITE_BIT(seal)))
        return CRUMB_E_INVALID;
    for (int s = 1; s <= 3; s++)
        if ((accept & CRUMB_SUITE_BIT(s)) && !crumb_suite_available(s))
            return CRUMB_E_UNAVAILABLE;

    c = crumb__secure_alloc(sizeof *c);
    if (!c)
        return CRUMB_E_NOMEM;
    c->cfg = *cfg;
    c->cfg.cookie_name = c->cfg.purpose = c->cfg.audience = NULL;
    c->accept = accept;
    c->seal_suite = seal;
    c->primary = -1;
    if (ctx_append(c, cfg->cookie_name) || ctx_append(c, cfg->purpose) ||
        ctx_append(c, cfg->audience)) {
        crumb_codec_free(c);
        return CRUMB_E_INVALID;
    }

    if (derive_keys(c, kr, cfg->purpose) != 0) {
        crumb_codec_free(c);
        return CRUMB_E_INTERNAL;
    }
    c->nkeys = kr->count;
    *out = c;
    return CRUMB_OK;
}

/* see crumb.h */
void crumb_codec_free(crumb_codec *c)
{
    crumb__secure_free(c, sizeof *c);
}

/* see crumb.h */
int64_t crumb_codec_now(const crumb_codec *c)
{
    return c->cfg.clock ? c->cfg.clock(c->cfg.clock_ctx) : (int64_t)time(NULL);
}

/* see internal.h */
void crumb__codec_log(const crumb_codec *c, crumb_reason reason, crumb_err err, uint32_t key_id,
                     uint8_t suite)
{
    if (!c->cfg.log)
        return;
    crumb_event ev = {(int)reason, (int)err, key_id, suite, crumb_codec_now(c)};
    c->cfg.log(c->cfg.log_ctx, &ev);
}

/* see crumb.h */
size_t crumb_token_len(const crumb_codec *c, size_t pt_len)
{
    return crumb__b64_encoded_len(CRUMB_HEADER_BYTES + nonce_len(c->seal_suite) + pt_len +
                                 tag_len(c->seal_suite));
}

/* see crumb.h */
size_t crumb_open_bufsize(size_t tok_len)
{
    return tok_len / 4 * 3 + (tok_len % 4 ? tok_len % 4 - 1 : 0);
}

/* Build AAD = header || binding context into aad; returns its length. */
static size_t build_aad(const crumb_codec *c, uint8_t *aad, const uint8_t *hdr)
{
    memcpy(aad, hdr, CRUMB_HEADER_BYTES);
    memcpy(aad + CRUMB_HEADER_BYTES, c->ctx, c->ctx_len);
    return CRUMB_HEADER_BYTES + c->ctx_len;
}

typedef struct crumb_codec_key codec_key;

/* Suite 2: the per-token AES key, HKDF-Expand(PRK = the suite 2 subkey,
 * info = "crumb-aesgcm-token" || salt, L = 32), which is the single block
 * T(1) = HMAC(PRK, info || 0x01), computed from the precomputed PRK state. */
static int gcm_token_key(uint8_t key[32], const crumb__hmac_pre *prk, const uint8_t salt[16])
{
    uint8_t info[sizeof GCM_TOKEN_INFO - 1 + GCM_SALTBYTES + 1];
    memcpy(info, GCM_TOKEN_INFO, sizeof GCM_TOKEN_INFO - 1);
    memcpy(info + sizeof GCM_TOKEN_INFO - 1, salt, GCM_SALTBYTES);
    info[sizeof info - 1] = 0x01;
    return crumb__hmac_pre_mac(key, prk, info, sizeof info, NULL, 0);
}

/* Encrypt/MAC body in place per suite with key entry k. tag receives
 * tag_len(suite) bytes. */
static int suite_seal(int suite, const codec_key *ck, const uint8_t *nonce, uint8_t *body,
                      const uint8_t *pt, size_t n, const uint8_t *aad, size_t aad_len,
                      uint8_t *tag)
{
    uint8_t k[32];
    int rc;
    switch (suite) {
    case CRUMB_SUITE_XCHACHA20POLY1305:
        return crumb__xchacha_seal(body, tag, pt, n, aad, aad_len, nonce, ck->sub[suite]);
    case CRUMB_SUITE_AES256GCM:
        rc = gcm_token_key(k, &ck->hm[0], nonce);
        if (rc == 0)
            rc = crumb__aesgcm_seal(body, tag, pt, n, aad, aad_len, nonce + GCM_SALTBYTES,
                                    CRUMB__GCM_IVBYTES, k);
        crumb_wipe(k, sizeof k);
        return rc;
    default:
        if (n)
            memcpy(body, pt, n);
        return crumb__hmac_pre_mac(tag, &ck->hm[1], aad, aad_len, body, n);
    }
}

/* Verify and decrypt body (n bytes at pt) in place per suite. */
static int suite_open(int suite, const codec_key *ck, const uint8_t *nonce, uint8_t *pt,
                      size_t n, const uint8_t *aad, size_t aad_len, const uint8_t *tag)
{
    uint8_t k[32], mac[32];
    int rc;
    switch (suite) {
    case CRUMB_SUITE_XCHACHA20POLY1305:
        return crumb__xchacha_open(pt, pt, n, tag, aad, aad_len, nonce, ck->sub[suite]);
    case CRUMB_SUITE_AES256GCM:
        rc = gcm_token_key(k, &ck->hm[0], nonce);
        if (rc == 0)
            rc = crumb__aesgcm_open(pt, pt, n, tag, aad, aad_len, nonce + GCM_SALTBYTES,
                                    CRUMB__GCM_IVBYTES, k);
        crumb_wipe(k, sizeof k);
        return rc;
    default:
        rc = crumb__hmac_pre_mac(mac, &ck->hm[1], aad, aad_len, pt, n);
        if (rc == 0 && !crumb_ct_equal(mac, tag, 32))
            rc = -1;
        crumb_wipe(mac, sizeof mac);
        return rc;
    }
}

/* see crumb.h */
crumb_err crumb_seal(const crumb_codec *c, char *tok, size_t cap, size_t *tok_len,
                     const uint8_t *pt, size_t pt_len, unsigned flags)
{
    uint8_t aad[CRUMB_HEADER_BYTES + CTX_MAX];
    int suite = c->seal_suite;
    size_t nl = nonce_len(suite), tl = tag_len(suite);

    if (flags & ~CRUMB_FLAGS_KNOWN)
        return CRUMB_E_INVALID;
    if (pt_len > CRUMB_PAYLOAD_MAX)
        return CRUMB_E_TOO_LARGE;
    size_t bin_len = CRUMB_HEADER_BYTES + nl + pt_len + tl;
    size_t chars = crumb__b64_encoded_len(bin_len);
    *tok_len = chars;
    if (cap < chars)
        return CRUMB_E_BUFSIZE;
    if (c->primary < 0)
        return CRUMB_E_NOKEY;

    /* Lay the binary token out at the end of tok, then encode it in place
     * towards the front (see crumb__b64_encode). */
    uint8_t *b = (uint8_t *)tok + (chars - bin_len);
    uint32_t id = c->keys[c->primary].id;
    b[0] = CRUMB_TOKEN_VERSION;
    b[1] = (uint8_t)suite;
    b[2] = (uint8_t)flags;
    b[3] = (uint8_t)(id >> 24);
    b[4] = (uint8_t)(id >> 16);
    b[5] = (uint8_t)(id >> 8);
    b[6] = (uint8_t)id;
    uint8_t *nonce = b + CRUMB_HEADER_BYTES;
    if (nl) {
        crumb_random_fn *rng = c->cfg.random ? c->cfg.random : crumb__random_os;
        if (rng(c->cfg.random_ctx, nonce, nl) != 0)
            return CRUMB_E_RANDOM;
    }
    size_t aad_len = build_aad(c, aad, b);
    if (suite_seal(suite, &c->keys[c->primary], nonce, nonce + nl, pt, pt_len, aad,
                   aad_len, nonce + nl + pt_len) != 0)
        return CRUMB_E_INTERNAL;
    crumb__b64_encode(tok, b, bin_len);
    return CRUMB_OK;
}

/* Log an open failure and return CRUMB_E_AUTH. */
static crumb_err reject(const crumb_codec *c, crumb_reason reason, uint32_t key_id, uint8_t suite)
{
    crumb__codec_log(c, reason, CRUMB_E_AUTH, key_id, suite);
    return CRUMB_E_AUTH;
}

/* see crumb.h */
crumb_err crumb_open(const crumb_codec *c, uint8_t *pt, size_t cap, size_t *pt_len,
                     const char *tok, size_t tok_len, crumb_open_info *info)
{
    uint8_t aad[CRUMB_HEADER_BYTES + CTX_MAX];
    uint8_t nonce[MAX_NONCE], tag[MAX_TAG];

    *pt_len = 0;
    if (tok_len > crumb__b64_encoded_len(BIN_MAX))
        return reject(c, CRUMB_R_TOO_LARGE, 0, 0);
    size_t need = crumb_open_bufsize(tok_len);
    if (cap < need) {
        *pt_len = need;
        return CRUMB_E_BUFSIZE;
    }
    size_t n = crumb__b64_decode(pt, tok, tok_len);
    if (n == (size_t)-1)
        return reject(c, CRUMB_R_BAD_ENCODING, 0, 0);
    if (n < CRUMB_HEADER_BYTES)
        return reject(c, CRUMB_R_TRUNCATED, 0, 0);

    uint8_t hdr[CRUMB_HEADER_BYTES];
    memcpy(hdr, pt, CRUMB_HEADER_BYTES);
    int suite = hdr[1];
    uint32_t id = (uint32_t)hdr[3] << 24 | (uint32_t)hdr[4] << 16 | (uint32_t)hdr[5] << 8 | hdr[6];
    if (hdr[0] != CRUMB_TOKEN_VERSION)
        return reject(c, CRUMB_R_BAD_VERSION, 0, 0);
    if (suite < 1 || suite > 3 || !(c->accept & CRUMB_SUITE_BIT(suite)))
        return reject(c, crumb_suite_available(suite) ? CRUMB_R_SUITE_DISABLED
                                               : CRUMB_R_SUITE_UNAVAILABLE,
                      id, (uint8_t)suite);
    if (hdr[2] & ~CRUMB_FLAGS_KNOWN)
        return reject(c, CRUMB_R_BAD_FLAGS, id, (uint8_t)suite);
    size_t nl = nonce_len(suite), tl = tag_len(suite);
    if (n < CRUMB_HEADER_BYTES + nl + tl)
        return reject(c, CRUMB_R_TRUNCATED, id, (uint8_t)suite);
    size_t k = 0;
    while (k < c->nkeys && c->keys[k].id != id)
        k++;
    if (k == c->nkeys)
        return reject(c, CRUMB_R_UNKNOWN_KEY, id, (uint8_t)suite);
    if (c->keys[k].state == CRUMB_KEY_REVOKED)
        return reject(c, CRUMB_R_REVOKED_KEY, id, (uint8_t)suite);

    size_t body = n - CRUMB_HEADER_BYTES - nl - tl;
    if (body > CRUMB_PAYLOAD_MAX)
        return reject(c, CRUMB_R_TOO_LARGE, id, (uint8_t)suite);
    memcpy(nonce, pt + CRUMB_HEADER_BYTES, nl);
    memcpy(tag, pt + CRUMB_HEADER_BYTES + nl + body, tl);
    memmove(pt, pt + CRUMB_HEADER_BYTES + nl, body);
    size_t aad_len = build_aad(c, aad, hdr);
    if (suite_open(suite, &c->keys[k], nonce, pt, body, aad, aad_len, tag) != 0) {
        crumb_wipe(pt, n);
        return reject(c, CRUMB_R_BAD_TAG, id, (uint8_t)suite);
    }
    *pt_len = body;
    int reseal = c->keys[k].state == CRUMB_KEY_DECRYPT_ONLY;
    if (info) {
        info->key_id = id;
        info->suite = (uint8_t)suite;
        info->flags = hdr[2];
        info->reseal = reseal;
    }
    if (reseal)
        crumb__codec_log(c, CRUMB_R_RESEAL, CRUMB_OK, id, (uint8_t)suite);
    return CRUMB_OK;
}

/* see crumb.h */
crumb_err crumb_token_inspect(const char *tok, size_t tok_len, crumb_token_header *hdr)
{
    uint8_t b[8];
    memset(hdr, 0, sizeof *hdr);
    if (tok_len > crumb__b64_encoded_len(BIN_MAX) || tok_len < 12)
        return CRUMB_E_AUTH;
    /* validate the whole string, decoding only the first 8 bytes' group */
    size_t total = crumb_open_bufsize(tok_len);
    if (tok_len % 4 == 1 || crumb__b64_decode(b, tok, 8) != 6)
        return CRUMB_E_AUTH;
    /* strictness of the rest: decode in 4-char blocks into a scratch */
    for (size_t i = 8; i < tok_len; i += 4) {
        size_t m = tok_len - i < 4 ? tok_len - i : 4;
        uint8_t s[3];
        if (crumb__b64_decode(s, tok + i, m) == (size_t)-1)
            return CRUMB_E_AUTH;
        if (i == 8)
            b[6] = s[0];
    }
    hdr->version = b[0];
    hdr->suite = b[1];
    hdr->flags = b[2];
    hdr->key_id = (uint32_t)b[3] << 24 | (uint32_t)b[4] << 16 | (uint32_t)b[5] << 8 | b[6];
    if (hdr->version != CRUMB_TOKEN_VERSION || hdr->suite < 1 || hdr->suite > 3)
        return CRUMB_E_AUTH;
    hdr->nonce_len = nonce_len(hdr->suite);
    hdr->tag_len = tag_len(hdr->suite);
    hdr->total_len = total;
    if (total < CRUMB_HEADER_BYTES + hdr->nonce_len + hdr->tag_len)
        return CRUMB_E_AUTH;
    hdr->body_len = total - CRUMB_HEADER_BYTES - hdr->nonce_len - hdr->tag_len;
    return CRUMB_OK;
}
