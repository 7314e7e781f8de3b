/*
 * ctx.c - the application context: configuration defaults and validation,
 * cookie attributes, the session and device codecs, and the store secret
 * (with the record key derived from it). The bottom of the session layer:
 * everything above (expiry, chunk, store glue, session, account) reads it.
 */
#include "session.h"
#include "ext.h" /* issue 16: fingerprint key */

#include "crumb_store.h"

#include <stdio.h>
#include <string.h>

#define DEF_ABSOLUTE 86400
#define DEF_IDLE 1800
#define DEF_THROTTLE 60
#define DEF_SKEW 30
#define DEF_THRESHOLD 256u
#define DEF_CHUNKS 4u
#define DEF_RATIO 64u
#define DEF_GRACE 10

/* ==== Context =========================================================== */

/* Fill in the defaults of a configuration (zero means "default"). */
static void apply_defaults(crumb_ctx_config *c)
{
    if (c->absolute_lifetime == 0)
        c->absolute_lifetime = DEF_ABSOLUTE;
    if (c->idle_timeout == 0)
        c->idle_timeout = DEF_IDLE;
    if (c->idle_timeout < 0)
        c->idle_timeout = -1;
    if (c->renew_throttle == 0 && c->idle_timeout > 0)
        c->renew_throttle = c->idle_timeout / 2 < DEF_THROTTLE ? c->idle_timeout / 2 : DEF_THROTTLE;
    if (c->clock_skew == 0)
        c->clock_skew = DEF_SKEW;
    if (c->clock_skew < 0)
        c->clock_skew = 0;
    if (c->max_future == 0)
        c->max_future = c->clock_skew;
    if (c->compress_threshold == 0)
        c->compress_threshold = DEF_THRESHOLD;
    if (c->max_cookie_bytes == 0)
        c->max_cookie_bytes = CRUMB_COOKIE_LINE_MAX;
    if (c->max_chunks == 0)
        c->max_chunks = DEF_CHUNKS;
    if (c->inflate_max == 0)
        c->inflate_max = CRUMB_PAYLOAD_MAX;
    if (c->inflate_ratio == 0)
        c->inflate_ratio = DEF_RATIO;
    if (c->rotation_grace == 0)
        c->rotation_grace = DEF_GRACE;
    if (c->rotation_grace < 0)
        c->rotation_grace = 0;
}

/* 1 if a configuration (defaults applied) is acceptable. */
static int config_ok(const crumb_ctx_config *c)
{
    int store_mode = c->mode != CRUMB_MODE_STATELESS;
    return c->absolute_lifetime >= 0 && c->renew_throttle >= 0 && c->max_future >= 0 &&
           !(c->idle_timeout > 0 && c->renew_throttle >= c->idle_timeout) &&
           (c->compress == CRUMB_COMPRESS_OFF || c->compress == CRUMB_COMPRESS_ON) &&
           c->size_policy >= CRUMB_SIZE_ERROR && c->size_policy <= CRUMB_SIZE_STORE &&
           !(c->size_policy == CRUMB_SIZE_STORE && !store_mode) && c->max_cookie_bytes >= 256 &&
           c->max_cookie_bytes <= CRUMB_PAYLOAD_MAX && c->max_chunks >= 2 &&
           c->max_chunks <= CRUMB_CHUNKS_MAX && c->pad_block <= 4096 &&
           c->inflate_max <= CRUMB_PAYLOAD_MAX && c->mode >= CRUMB_MODE_STATELESS &&
           c->mode <= CRUMB_MODE_SERVER &&
           /* the store modes need a store and a store secret that key
            * rotation never changes (docs/SECURITY.md, "Store secret") */
           (!store_mode || (c->store && c->store_secret));
}

/* Copy a NUL-terminated string to a new crumb__malloc block (NULL stays NULL). */
static int dup_str(char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return 0;
    size_t n = strlen(src) + 1;
    if (!(*dst = crumb__malloc(n)))
        return -1;
    memcpy(*dst, src, n);
    return 0;
}

/* Own copies of the strings, cookie attributes and limits of ctx from c. */
static crumb_err adopt_config(crumb_ctx *ctx, crumb_ctx_config c)
{
    if (dup_str(&ctx->name, c.cookie_name) || dup_str(&ctx->path, c.path) ||
        dup_str(&ctx->domain, c.domain) || dup_str(&ctx->audience, c.audience))
        return CRUMB_E_NOMEM;
    if (c.store_secret)
        memcpy(ctx->store_secret, c.store_secret, sizeof ctx->store_secret);
    c.store_secret = NULL; /* never kept: the copy above is wiped on free */
    c.cookie_name = ctx->name;
    c.path = ctx->path;
    c.domain = ctx->domain;
    c.audience = ctx->audience;
    ctx->cfg = c;
    ctx->name_len = strlen(ctx->name);
    ctx->attrs.name = ctx->name;
    ctx->attrs.path = ctx->path;
    ctx->attrs.domain = ctx->domain;
    ctx->attrs.secure = !c.insecure || c.same_site == CRUMB_SAMESITE_NONE;
    ctx->attrs.http_only = !c.script_readable;
    ctx->attrs.same_site = c.same_site;
    ctx->max_token = c.max_cookie_bytes * c.max_chunks;
    return crumb__cookie_fmt_init(&ctx->fmt, &ctx->attrs);
}

/* The store modes' codec for the long-lived device cookie, and the key
 * that seals server records. */
static crumb_err store_init(crumb_ctx *ctx, const crumb_keyring *kr)
{
    char dev_name[CRUMB_NAME_MAX + 1];
    if (snprintf(dev_name, sizeof dev_name, "%s%s", ctx->name, CRUMB__DEVICE_SUFFIX) >=
        (int)sizeof dev_name)
        return CRUMB_E_INVALID;
    int naming = crumb_store_naming_get(ctx->cfg.store);
    if (naming != CRUMB_STORE_NAMING_HMAC && naming != CRUMB_STORE_NAMING_EPHEMERAL)
        return CRUMB_E_UNSUPPORTED; /* names we cannot promise to find again */
    ctx->sid_sip = naming == CRUMB_STORE_NAMING_EPHEMERAL && crumb__siphash_available();
    crumb_err rc = crumb__ctx_codec(ctx, kr, dev_name, "device", &ctx->dev_codec);
    if (rc == CRUMB_OK && (crumb__record_key(ctx->record_key, ctx->store_secret) != 0 ||
                           crumb__hmac_pre_init(&ctx->store_mac, ctx->store_secret,
                                                sizeof ctx->store_secret) != 0 ||
                           (ctx->sid_sip &&
                            crumb__names_key(ctx->sid_sip_key, ctx->store_secret,
                                             "crumb-sid-siphash24-v1") != 0)))
        rc = CRUMB_E_INTERNAL;
    return rc;
}

/* see crumb.h */
crumb_err crumb_ctx_new(crumb_ctx **out, const crumb_keyring *kr, const crumb_ctx_config *cfg)
{
    if (!out)
        return CRUMB_E_INVALID;
    *out = NULL;
    if (!kr || !cfg || !cfg->cookie_name)
        return CRUMB_E_INVALID;
    crumb_ctx_config c = *cfg;
    apply_defaults(&c);
    if (!config_ok(&c))
        return CRUMB_E_INVALID;
    crumb_ctx *ctx = crumb__calloc(1, sizeof *ctx);
    if (!ctx)
        return CRUMB_E_NOMEM;
    crumb_err rc = adopt_config(ctx, c);
    if (rc == CRUMB_OK)
        rc = crumb__ctx_codec(ctx, kr, ctx->name, "session", &ctx->codec);
    if (rc == CRUMB_OK && c.mode != CRUMB_MODE_STATELESS)
        rc = store_init(ctx, kr);
    if (rc == CRUMB_OK) /* issue 16: client fingerprint guard */
        rc = crumb__fp_ctx_init(ctx, cfg);
    if (rc != CRUMB_OK) {
        crumb_ctx_free(ctx);
        return rc;
    }
    *out = ctx;
    return CRUMB_OK;
}

/* see crumb.h */
void crumb_ctx_free(crumb_ctx *ctx)
{
    if (!ctx)
        return;
    crumb_codec_free(ctx->codec);
    crumb_codec_free(ctx->dev_codec);
    crumb_wipe(ctx->store_secret, sizeof ctx->store_secret);
    crumb_wipe(ctx->record_key, sizeof ctx->record_key);
    crumb_wipe(&ctx->fp_mac, sizeof ctx->fp_mac);
    crumb_wipe(&ctx->store_mac, sizeof ctx->store_mac);
    crumb_wipe(ctx->sid_sip_key, sizeof ctx->sid_sip_key);
    crumb__cookie_fmt_free(&ctx->fmt);
    crumb__free(ctx->name);
    crumb__free(ctx->path);
    crumb__free(ctx->domain);
    crumb__free(ctx->audience);
    crumb__free(ctx);
}

/* see crumb.h */
const crumb_codec *crumb_ctx_codec(const crumb_ctx *ctx)
{
    return ctx->codec;
}

/* ==== Shared by the layers above ======================================== */

/* see session.h */
crumb_err crumb__ctx_random(const crumb_ctx *ctx, uint8_t *buf, size_t n)
{
    int rc = ctx->cfg.random ? ctx->cfg.random(ctx->cfg.random_ctx, buf, n)
                             : crumb__random_os(NULL, buf, n);
    return rc == 0 ? CRUMB_OK : CRUMB_E_RANDOM;
}

/* see session.h */
crumb_err crumb__ctx_codec(const crumb_ctx *ctx, const crumb_keyring *kr, const char *cookie_name,
                           const char *purpose, crumb_codec **out)
{
    const crumb_ctx_config *c = &ctx->cfg;
    crumb_codec_config cc = {
        .cookie_name = cookie_name,
        .purpose = purpose,
        .audience = ctx->audience,
        .accept_suites = c->accept_suites,
        .seal_suite = c->seal_suite,
        .log = c->log,
        .log_ctx = c->log_ctx,
        .random = c->random,
        .random_ctx = c->random_ctx,
        .clock = c->clock,
        .clock_ctx = c->clock_ctx,
    };
    return crumb_codec_new(out, kr, &cc);
}

/* see session.h */
void crumb__ctx_log(const crumb_ctx *ctx, crumb_reason reason, crumb_err err,
                    const crumb_open_info *info)
{
    crumb__codec_log(ctx->codec, reason, err, info ? info->key_id : 0, info ? info->suite : 0);
}
