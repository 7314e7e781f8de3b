/*
 * fingerprint.c - the client fingerprint of the hijack guard (issue 16):
 * config validation, the fingerprint key, and the keyed fingerprint of the
 * inputs the config names (HMAC-SHA-256 chained over length-prefixed parts).
 */
#include "ext.h"
#include "session.h"

#include <string.h>

static const char KEY_LABEL[] = "crumb fingerprint key v1";

/* see ext.h */
crumb_err crumb__fp_ctx_init(crumb_ctx *ctx, const crumb_ctx_config *cfg)
{
    unsigned in = cfg->fingerprint_inputs ? cfg->fingerprint_inputs : CRUMB_FP_USER_AGENT;
    const uint8_t *src = cfg->fingerprint_key;
    ctx->cfg.fingerprint_key = NULL; /* never kept: the derived key is */
    ctx->cfg.fingerprint_inputs = in;
    if (cfg->fingerprint < CRUMB_FP_OFF || cfg->fingerprint > CRUMB_FP_REPORT ||
        (in & ~(CRUMB_FP_USER_AGENT | CRUMB_FP_IP_PREFIX | CRUMB_FP_APP)) ||
        ((in & CRUMB_FP_APP) && in != CRUMB_FP_APP))
        return CRUMB_E_INVALID;
    if (cfg->session_lifetime < 0 || cfg->session_lifetime > ctx->cfg.absolute_lifetime)
        return CRUMB_E_INVALID;
    if (!src && ctx->cfg.mode != CRUMB_MODE_STATELESS)
        src = ctx->store_secret;
    if (!src)
        return cfg->fingerprint == CRUMB_FP_OFF ? CRUMB_OK : CRUMB_E_INVALID;
    uint8_t key[32];
    int bad = crumb__hmac_sha256(key, src, 32, (const uint8_t *)KEY_LABEL, sizeof KEY_LABEL - 1,
                                 NULL, 0) != 0 ||
              crumb__hmac_pre_init(&ctx->fp_mac, key, sizeof key) != 0;
    crumb_wipe(key, sizeof key);
    return bad ? CRUMB_E_INTERNAL : CRUMB_OK;
}

/* acc = HMAC(key, acc || label || len64(v), v): one unambiguous part. */
static int chain(const crumb__hmac_pre *key, uint8_t acc[32], char label, const void *v, size_t n)
{
    uint8_t head[32 + 1 + 8];
    memcpy(head, acc, 32);
    head[32] = (uint8_t)label;
    for (int i = 0; i < 8; i++)
        head[33 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
    return crumb__hmac_pre_mac(acc, key, head, sizeof head, v, n);
}

/* see ext.h */
crumb_err crumb__fp_compute(const crumb_ctx *ctx, const char *ua, const char *ip,
                            const void *app, size_t app_len, uint8_t out[32])
{
    unsigned in = ctx->cfg.fingerprint_inputs;
    int rc = 0;
    memset(out, 0, 32);
    if (in & CRUMB_FP_APP) {
        if (!app || app_len == 0 || app_len > 4096)
            return CRUMB_E_INVALID;
        rc |= chain(&ctx->fp_mac, out, 'A', app, app_len);
    }
    if (in & CRUMB_FP_USER_AGENT)
        rc |= chain(&ctx->fp_mac, out, 'U', ua ? ua : "", ua ? strlen(ua) : 0);
    if (in & CRUMB_FP_IP_PREFIX)
        rc |= chain(&ctx->fp_mac, out, 'I', ip ? ip : "", ip ? strlen(ip) : 0);
    return rc ? CRUMB_E_INTERNAL : CRUMB_OK;
}
